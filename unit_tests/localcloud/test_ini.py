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

import testtools

from localcloud import ini


class TestIni(testtools.TestCase):

    def test_render_values(self):
        text = ini.render({'DEFAULT': {'a': True, 'b': False, 'c': [1, 'x'],
                                       'd': None, 'e': 3}})
        self.assertEqual(
            '[DEFAULT]\na = true\nb = false\nc = 1,x\nd =\ne = 3\n', text)

    def test_round_trip(self):
        data = {'s1': {'k': 'v', 'url': 'http://h:1/?a=b'},
                'drivers:x': {'uri': 'redis://127.0.0.1:6379'}}
        self.assertEqual(data, ini.parse(ini.render(data)))

    def test_parse_rejects_an_option_outside_a_section(self):
        self.assertRaises(ValueError, ini.parse, 'a = b\n')
