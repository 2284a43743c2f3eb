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

import testtools

from localcloud import services

README = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'README.rst')


class TestReadme(testtools.TestCase):

    def test_every_speed_setting_is_documented_with_both_values(self):
        with open(README) as f:
            rows = [line for line in f if line.count('  ') >= 2]
        for t in services.TUNABLES:
            name = t.option if t.section == '-' else '``[%s] %s``' % (
                t.section, t.option)
            matching = [r for r in rows if name in r]
            self.assertTrue(matching, 'README lacks %s' % t.option)
            row = matching[0]
            self.assertIn(str(t.local), row, t.option)
            self.assertIn(str(t.production), row, t.option)
