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

"""Which records each flow reads for its critical path, and for what.

The flows are built without a cloud (the test's clients are mocks): the
readers are listed, not run, except where a reader's read is checked.
"""

from unittest import mock

import testtools

from self_healing_tempest_plugin.flows import autoheal_group
from self_healing_tempest_plugin.flows import base
from self_healing_tempest_plugin.flows import integrated
from self_healing_tempest_plugin.flows import per_vm_group
from self_healing_tempest_plugin.flows import vitrage_host
from self_healing_tempest_plugin.harness import timeline as tl


def runner(cls):
    """A flow holding a test whose every client is a mock."""
    return cls(mock.Mock())


def deployment(**attributes):
    given = dict(stack='stack/id', alarm_ids=['alarm'], queues=['queue'],
                 workflows={'wf'}, host='host1', alarm_name='alarm',
                 workflow='wf', relay='relay',
                 healing_alarms={'alarm': 'insufficient data'})
    given.update(attributes)
    return base.Deployment('test', **given)


def timeline():
    result = tl.Timeline('t')
    record = {'kind': 'instance_delete', 't_fault': 100.0,
              'affected_members': ['a']}
    result.mark(result.add_fault(record), at=100.0, detail=record)
    return result


def phases(readers):
    return [(r.name, r.phase) for r in readers if r.phase or r.fault]


class ReadersTest(testtools.TestCase):

    def test_a_replaced_member_recovers_with_heats_update(self):
        readers = runner(autoheal_group.AutoHealGroupFlow).readers(
            deployment(replace=True), timeline())
        self.assertEqual(
            ['nova.fault', 'aodh.alarm_fired', 'zaqar.message_posted',
             'mistral.execution_created', 'nova.replacement_active',
             'heat.update_complete'], [r.name for r in readers])
        self.assertEqual([('nova.fault', None),
                          ('aodh.alarm_fired', tl.DETECTED),
                          ('mistral.execution_created', tl.ACTION_STARTED),
                          ('heat.update_complete', tl.RECOVERED)],
                         phases(readers))

    def test_a_kept_server_recovers_with_its_last_nova_action(self):
        readers = runner(autoheal_group.AutoHealGroupFlow).readers(
            deployment(replace=False), timeline())
        self.assertNotIn('heat.update_complete', [r.name for r in readers])
        self.assertEqual(('nova.fault', tl.RECOVERED), phases(readers)[0])

    def test_the_fault_reader_reads_the_faulted_servers_actions(self):
        flow = runner(autoheal_group.AutoHealGroupFlow)
        servers = flow.test.admin_servers_client
        servers.list_instance_actions.return_value = {'instanceActions': []}
        readers = flow.readers(deployment(replace=True), timeline())
        self.assertEqual([], readers[0].read())
        listed = servers.list_instance_actions
        listed.assert_called_once_with('a')

    def test_vitrage_flow(self):
        readers = runner(vitrage_host.VitrageHostFlow).readers(
            deployment(), timeline())
        self.assertEqual([('vitrage.deduced_alarm', tl.DETECTED),
                          ('mistral.execution_created', tl.ACTION_STARTED),
                          ('nova.evacuate', tl.RECOVERED)], phases(readers))

    def test_integrated_flow(self):
        readers = runner(integrated.IntegratedFlow).readers(
            deployment(), timeline())
        self.assertEqual(
            ['vitrage.deduced_alarm', 'mistral.relay.execution_created',
             'zaqar.message_posted', 'mistral.execution_created',
             'nova.replacement_active', 'heat.update_complete'],
            [r.name for r in readers])
        self.assertEqual(tl.RECOVERED, readers[5].phase)

    def test_per_vm_flow(self):
        readers = runner(per_vm_group.PerVmGroupFlow).readers(
            deployment(), timeline())
        self.assertEqual(
            [('aodh.alarm_insufficient_data', tl.DETECTED),
             ('heat.scale_up_signal', tl.ACTION_STARTED),
             ('heat.scale_down_signal', tl.RECOVERED)], phases(readers))
        self.assertEqual('gnocchi.last_sample', readers[0].name)
