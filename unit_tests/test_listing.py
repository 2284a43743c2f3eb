# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""`tempest run -l` in a fresh workspace: no cloud, no error, our tests."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import testtools

from self_healing_tempest_plugin import plugin

REGEX = r'^self_healing_tempest_plugin\.'
IDEMPOTENT_ID = re.compile(
    r'\[id-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')


def _scenario_test_modules():
    test_dir, _ = plugin.SelfHealingTempestPlugin().load_tests()
    found = []
    for root, _dirs, files in os.walk(test_dir):
        found.extend(name for name in files
                     if name.startswith('test_') and name.endswith('.py'))
    return found


class TempestListTest(testtools.TestCase):

    def setUp(self):
        super(TempestListTest, self).setUp()
        bin_dir = os.path.dirname(sys.executable)
        self.tempest = shutil.which('tempest', path=bin_dir) or shutil.which(
            'tempest')
        if not self.tempest:
            self.skipTest('tempest is not installed next to %s'
                          % sys.executable)
        self.workspace = tempfile.mkdtemp(prefix='sh-tempest-ws-')
        self.addCleanup(shutil.rmtree, self.workspace, ignore_errors=True)
        env = dict(os.environ)
        # No cloud: every endpoint would be refused, so listing must not
        # touch one.
        env.pop('OS_CLOUD', None)
        env['HOME'] = self.workspace
        self.env = env

    def _run(self, *args):
        return subprocess.run(
            [self.tempest] + list(args), cwd=self.workspace, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=300)

    def test_fresh_workspace_lists_our_tests(self):
        ws = os.path.join(self.workspace, 'ws')
        init = self._run('init', ws)
        self.assertEqual(0, init.returncode, init.stdout)
        listing = subprocess.run(
            [self.tempest, 'run', '-l', '--regex', REGEX], cwd=ws,
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=300)
        self.assertEqual(0, listing.returncode, listing.stdout)
        ours = [line for line in listing.stdout.splitlines()
                if line.startswith('self_healing_tempest_plugin.')]
        if _scenario_test_modules():
            self.assertNotEqual([], ours, listing.stdout)
        for line in ours:
            self.assertRegex(line, IDEMPOTENT_ID)
        self.assertNotIn('Traceback', listing.stdout)
