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

"""Building a fault from a scenario's fault spec."""

from unittest import mock

import fixtures
import testtools

from self_healing_tempest_plugin.harness import build
from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import sampler as sp

STATE = sp.ClusterState([sp.Member('b', 'ACTIVE', 'c2'),
                         sp.Member('a', 'ACTIVE', 'c1')])


class MakeFaultTest(testtools.TestCase):

    def setUp(self):
        super(MakeFaultTest, self).setUp()
        self.conf = mock.Mock(
            host_nic='eth0', poll_interval_s=1.0, host_ssh_timeout_s=20,
            host_stop_command='stop', host_start_command='start',
            service_timeout_s=60, host_fault_lock_timeout_s=900,
            fault_lock_dir=self.useFixture(fixtures.TempDir()).path)
        self.ssh = mock.Mock()
        self.factory = mock.Mock(return_value=self.ssh)

    def _make(self, **spec):
        return build.make_fault(
            spec, STATE, self.conf, servers_client='primary',
            admin_servers_client='admin', services_client='services',
            ssh_client_factory=self.factory)

    def test_member_faults_pick_the_smallest_id(self):
        fault = self._make(kind='instance_delete', target='member')
        self.assertIsInstance(fault, faults.InstanceDelete)
        self.assertEqual(('a', 'primary'), (fault.server_id, fault.client))
        self.assertIsInstance(self._make(kind='server_stop',
                                         target='member'),
                              faults.ServerStop)
        fault = self._make(kind='server_error', target='member')
        self.assertEqual('admin', fault.client)

    def test_nic_down_on_the_member_host(self):
        fault = self._make(kind='nic_down', target='member_host',
                           duration_s=30)
        self.factory.assert_called_once_with(self.conf, 'c1')
        self.assertEqual(('eth0', 30, 'c1'),
                         (fault.nic, fault.duration_s, fault.host))

    def test_host_stop_on_a_named_host_without_ssh(self):
        fault = self._make(kind='host_stop', target='host:c2',
                           ssh_stop=False)
        self.assertEqual('c2', fault.host)
        self.assertIsNone(fault.ssh)
        self.assertTrue(fault.force_down)
        self.assertTrue(fault.lock.path.startswith(self.conf.fault_lock_dir))
        self.assertEqual(900, fault.lock_timeout_s)
        self.factory.assert_not_called()

    def test_member_host_needs_hosts(self):
        state = sp.ClusterState([sp.Member('a', 'ACTIVE')])
        self.assertRaises(ValueError, build.make_fault,
                          {'kind': 'host_stop', 'target': 'member_host'},
                          state, self.conf)
