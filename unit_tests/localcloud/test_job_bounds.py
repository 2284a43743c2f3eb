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

import os
import subprocess
import sys
import time

import fixtures
import testtools

from localcloud import cli
from localcloud import diagnose
from localcloud import layout


class TestRunBounded(testtools.TestCase):

    def test_exit_code_of_a_command_that_ends(self):
        self.assertEqual(3, cli.run_bounded(
            [sys.executable, '-c', 'raise SystemExit(3)'], 30))

    def test_a_stuck_command_and_its_children_are_stopped(self):
        # The parent starts a child that would outlive it, prints the
        # child's pid and hangs: both must be gone after the timeout.
        script = ('import subprocess, sys, time\n'
                  'c = subprocess.Popen([sys.executable, "-c", '
                  '"import time; time.sleep(600)"])\n'
                  'print(c.pid, flush=True)\n'
                  'time.sleep(600)\n')
        out = os.path.join(self.useFixture(fixtures.TempDir()).path, 'out')
        t0 = time.monotonic()
        with open(out, 'w') as stdout:
            rc = cli.run_bounded([sys.executable, '-c', script], 2,
                                 stdout=stdout)
        self.assertIsNone(rc)
        self.assertLess(time.monotonic() - t0, 30)
        with open(out) as f:
            child = int(f.read().split()[0])
        for _ in range(50):
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            self.fail('child %d still runs after the timeout' % child)


class TestClearTimelines(testtools.TestCase):

    def test_an_earlier_runs_timelines_are_removed(self):
        lay = layout.Layout(self.useFixture(fixtures.TempDir()).path)
        directory = os.path.join(lay.workspace, 'timelines')
        os.makedirs(directory)
        for name in ('a.json', 'b.json'):
            open(os.path.join(directory, name), 'w').close()
        self.assertEqual(2, cli.clear_timelines(lay))
        self.assertEqual([], os.listdir(directory))

    def test_no_directory_yet(self):
        lay = layout.Layout(self.useFixture(fixtures.TempDir()).path)
        self.assertEqual(0, cli.clear_timelines(lay))


class TestChildren(testtools.TestCase):

    def test_finds_a_grandchild(self):
        proc = subprocess.Popen(
            [sys.executable, '-c', 'import subprocess, sys; '
             'subprocess.call([sys.executable, "-c", '
             '"import time; time.sleep(30)"])'])
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        for _ in range(50):
            found = diagnose.children(proc.pid)
            if found:
                break
            time.sleep(0.1)
        self.assertEqual(1, len(found))
        grandchild = found[0]
        self.addCleanup(self._kill, grandchild)
        self.assertEqual([], diagnose.children(grandchild))

    @staticmethod
    def _kill(pid):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
