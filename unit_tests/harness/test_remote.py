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

from self_healing_tempest_plugin.harness import remote


class TestSplitAddress(testtools.TestCase):

    def test_address_alone_takes_the_default_port(self):
        self.assertEqual(('10.0.0.5', 22), remote.split_address('10.0.0.5',
                                                                22))
        self.assertEqual(('fd00::5', 22), remote.split_address('fd00::5', 22))

    def test_port_in_the_address_wins(self):
        self.assertEqual(('127.0.0.1', 2201),
                         remote.split_address('127.0.0.1:2201', 22))
        self.assertEqual(('fd00::5', 2222),
                         remote.split_address('[fd00::5]:2222', 22))

    def test_bad_port_is_named(self):
        e = self.assertRaises(ValueError, remote.split_address,
                              'compute1:ssh', 22)
        self.assertIn("'ssh'", str(e))
        self.assertIn('host_addresses', str(e))


class TestHostClient(testtools.TestCase):

    def _conf(self, **kw):
        conf = type('Conf', (), dict(
            host_addresses={'host1': '127.0.0.1:2201'}, host_ssh_user='root',
            host_ssh_key_file='/k', host_ssh_port=22, host_ssh_timeout_s=5))
        for k, v in kw.items():
            setattr(conf, k, v)
        return conf

    def test_client_uses_the_port_from_the_address(self):
        client = remote.host_client(self._conf(), 'host1')
        self.assertEqual(('127.0.0.1', 2201), (client.host, client.port))

    def test_unknown_host_names_the_option(self):
        e = self.assertRaises(ValueError, remote.host_client, self._conf(),
                              'host2')
        self.assertIn('host_addresses', str(e))
        self.assertIn("'host2'", str(e))
