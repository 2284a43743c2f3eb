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

"""``down`` stops what another version of the tool started too."""

import os
import shutil
import tempfile

import testtools

from localcloud import cloud
from localcloud import layout
from localcloud import services


class TestPidfiles(testtools.TestCase):

    def setUp(self):
        super(TestPidfiles, self).setUp()
        base = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, base)
        self.lay = layout.Layout(base)
        self.cloud = cloud.Cloud(self.lay, progress=None)

    def _write(self, name):
        os.makedirs(self.lay.path('run'), exist_ok=True)
        with open(self.lay.pidfile(name), 'w') as f:
            f.write('1 0\n')

    def test_known_services_first_then_every_other_pid_file(self):
        # aodh-listener ran as its own process before Aodh ran in one.
        self._write('aodh-listener')
        self._write('zz-older-name')
        self._write(services.SERVICES[0].name)
        found = self.cloud.pidfiles()
        known = [self.lay.pidfile(s.name) for s in services.SERVICES]
        self.assertEqual(known, found[:len(known)])
        self.assertEqual([self.lay.pidfile('aodh-listener'),
                          self.lay.pidfile('zz-older-name')],
                         found[len(known):])

    def test_no_run_directory_means_only_the_known_services(self):
        self.assertEqual(len(services.SERVICES), len(self.cloud.pidfiles()))
