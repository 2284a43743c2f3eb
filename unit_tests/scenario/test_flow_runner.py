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

"""FlowRunner.heal: the scenario's faults, phases and the engine, wired.

A small flow on a scripted cloud (fake clock): its deployment, its
default observers, the scenario's observer overrides and extra phase,
two faults (one at an offset) and the result every flow returns.
"""

import os
import unittest
from unittest import mock

import fixtures
import testtools

from self_healing_tempest_plugin.flows import base
from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import failures
from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import observers as obs
from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import scenario as sc
from self_healing_tempest_plugin.harness import timeline as tl
from unit_tests.harness import fakes

FLOW = 'unit_flow'
DATA = {
    'name': 'unit_two_members', 'flow': FLOW,
    'id': '0b0f5d2c-8f8b-4c44-9a1e-2f6a6a1c9d10',
    'faults': [{'kind': 'instance_delete', 'target': 'member'},
               {'kind': 'instance_delete', 'target': 'member',
                'at_s': 4}],
    'recovery': {'identity': 'replace'},
    'invariants': {'desired': 3, 'max': 5, 'floor': 1, 'min': 1,
                   'steady_window_s': 2},
}


class ScriptedCloud(object):
    """Members a, b, c; the deleted ones replaced 10 s after the first."""

    def __init__(self, clock):
        self.clock = clock
        self.deleted = []
        self.first = None

    def delete_server(self, server_id):
        self.deleted.append(server_id)
        self.first = self.first or self.clock()

    def state(self):
        members = [sp.Member(i, 'ACTIVE', 'h1') for i in 'abc'
                   if i not in self.deleted]
        if self.first is not None and self.clock() - self.first >= 10:
            members += [sp.Member('n%d' % i, 'ACTIVE', 'h2')
                        for i in range(len(self.deleted))]
        return sp.ClusterState(members)

    def seen(self, after_s, **detail):
        def poll():
            if self.first is None or self.clock() - self.first < after_s:
                return None
            return obs.Observation(cloud_time=self.clock(), source='fake',
                                   **detail)
        return obs.Observer(poll)


class HostCut(faults.Fault):
    """Cuts a host off; Nova still calls its servers ACTIVE."""

    def __init__(self, host, cloud, clock):
        super(HostCut, self).__init__(target=host, clock=clock)
        self.host = host
        self.cloud = cloud

    @classmethod
    def from_spec(cls, spec, targets, ctx):
        return [cls(targets.host(spec), ctx.cloud, ctx.clock)]

    def affected(self, state):
        return set(m.id for m in state.members if m.host == self.host)

    def hosts_cut_off(self):
        return {self.host} if self.active else set()

    def _act(self):
        self.cloud.first = self.clock()

    def _undo_steps(self):
        return [('nothing', lambda: None)]


class UnitFlow(base.FlowRunner):
    """Deploys nothing; its cluster and observers are the script's."""

    def __init__(self, test, cloud, **kwargs):
        super(UnitFlow, self).__init__(test, **kwargs)
        self.cloud = cloud
        self.verified = []

    def deploy(self, scenario):
        return base.Deployment(self.name, alarm_ids=['al'],
                               alarming_client=self.test.alarming_client)

    def cluster_state(self, deployment):
        return self.cloud.state

    def observers(self, deployment, since):
        return {dl.DETECT: self.cloud.seen(2, by='default'),
                dl.ACT: self.cloud.seen(3, by='default')}

    def verify(self, result):
        self.verified.append(result)

    def fault_context(self):
        context = super(UnitFlow, self).fault_context()
        context.cloud = self.cloud
        return context


class FakeTest(fakes.FakeTest, testtools.TestCase):
    """The test a flow holds: cleanups recorded, clients faked."""

    def __init__(self):
        fakes.FakeTest.__init__(self)
        testtools.TestCase.__init__(self, 'run')
        self.owners = []
        self.servers_client = mock.Mock()
        self.admin_servers_client = mock.Mock()
        self.admin_services_client = mock.Mock()
        self.admin_rca_client = None
        self.admin_workflow_client = None
        self.alarming_client = mock.Mock()

    def run(self, result=None):
        """Not a test of its own."""

    def use_owner(self, owner):
        self.owners.append(owner)


class FlowRunnerTest(testtools.TestCase):

    def setUp(self):
        super(FlowRunnerTest, self).setUp()
        registry.load()
        self.useFixture(fixtures.MockPatchObject(
            registry.FLOWS, '_entries', dict(registry.FLOWS._entries)))
        registry.FLOWS.register(FLOW, feature='autoheal_flow')(UnitFlow)
        self.useFixture(fixtures.MockPatchObject(
            registry.FAULTS, '_entries', dict(registry.FAULTS._entries)))
        registry.FAULTS.register('unit_host_cut', target=registry.HOST,
                                 feature='host_fault', serial=True)(HostCut)
        self.clock = fakes.FakeClock()
        self.cloud = ScriptedCloud(self.clock)
        self.test = FakeTest()
        self.test.servers_client.delete_server.side_effect = (
            self.cloud.delete_server)
        self.conf = mock.Mock(
            detect_timeout_s=30, act_timeout_s=60, recover_timeout_s=120,
            phase_timeout_s=45, steady_window_s=5, poll_interval_s=1.0,
            timeline_dir='', cluster_desired_size=2, cluster_max_size=3,
            cluster_floor=1, cluster_min_size=1, fault_journal_dir='')
        self.flow = UnitFlow(self.test, self.cloud, conf=self.conf,
                             clock=self.clock, sleep=self.clock.sleep)
        self.conf.stop_conditions = []

    def scenario(self, **changes):
        data = dict(DATA, **changes)
        errors = sc.validate('unit.yaml', data)
        self.assertEqual([], errors)
        return sc.Scenario('unit.yaml', data)

    def test_every_fault_injected_and_the_same_result(self):
        result = self.flow.run_positive(self.scenario())
        self.assertIsInstance(result, base.HealingResult)
        self.assertEqual(['a', 'b'], self.cloud.deleted)
        self.assertEqual(['a', 'b'], result.affected())
        self.assertEqual(['a', 'b'], sorted(result.deployment.affected()))
        self.assertEqual(2, len(result.faults))
        self.assertEqual('healed', result.timeline.result)
        self.assertEqual(['primary'], self.test.owners)
        self.assertEqual([result], self.flow.verified)
        # The second fault 4 s after the first: deadlines count from it.
        first, second = result.faults
        self.assertEqual(4, round(second.t_fault - first.t_fault))
        self.assertEqual(3, result.baseline.size)

    def test_the_scenario_overrides_and_adds_phases(self):
        self.test.alarming_client.query_alarm_history.return_value = [{
            'alarm_id': 'al', 'type': 'state transition',
            'detail': '{"state": "alarm"}',
            'timestamp': tl.utc_text(self.clock() + 60)}]
        scenario = self.scenario(
            observers={'notified': {'observer': 'alarm_fired'}},
            deadlines={'notified_s': 50})
        phases = self.flow.phases(scenario, self.flow.deploy(scenario),
                                  lambda: self.clock())
        self.assertEqual([(dl.DETECT, 30), (dl.ACT, 60), ('notified', 50)],
                         [(p.name, p.deadline_s) for p in phases])
        self.assertEqual('NOTIFIED', phases[2].mark)
        self.assertIsNotNone(phases[2].observer.poll())

    def test_an_observer_needing_what_the_flow_lacks_is_named(self):
        scenario = self.scenario(observers={'act': 'execution_started'})
        error = self.assertRaises(
            ValueError, self.flow.phases, scenario,
            self.flow.deploy(scenario), lambda: 0)
        self.assertIn('execution_started', str(error))
        self.assertIn(FLOW, str(error))

    def test_negative_names_the_missed_phase(self):
        scenario = self.scenario(expect={'missed_phase': 'act'},
                                 deadlines={'act_s': 2})
        error = self.flow.run_negative(scenario)
        self.assertIsInstance(error, failures.DeadlineMissed)
        self.assertEqual('act', error.phase)

    def test_a_cut_off_hosts_members_are_down_from_the_fault_on(self):
        """Nova still says ACTIVE; the first poll after the cut is RED.

        In every flow: the engine marks them, not the flow.
        """
        scenario = self.scenario(
            faults=[{'kind': 'unit_host_cut', 'target': 'member_host'}],
            invariants={'desired': 3, 'max': 6, 'floor': 1, 'min': 1,
                        'allow_red': True, 'steady_window_s': 2})
        original = self.cloud.state

        def state():
            found = original()
            if self.cloud.first is not None and (
                    self.clock() - self.cloud.first >= 10):
                # The replacements of the three on the cut-off host.
                return sp.ClusterState(
                    [sp.Member('r%d' % i, 'ACTIVE', 'h2')
                     for i in range(3)])
            return found
        self.cloud.state = state
        result = self.flow.run_positive(scenario)
        after = [s for s in result.timeline.samples
                 if s.t > result.faults[0].t_fault]
        self.assertEqual(tl.RED, after[0].band)
        self.assertEqual({sp.HOST_DOWN}, set(
            m['status'] for m in after[0].members))
        self.assertEqual(tl.GREEN, result.timeline.samples[0].band)
        self.assertEqual(['a', 'b', 'c'], result.affected())


class FakeJournal(object):
    """The journal a FaultContext carries (CONTRACTS C1), scripted."""

    def __init__(self, repaired, order):
        self.repaired, self.order = repaired, order
        self.opened, self.closed = [], []

    def replay(self, ctx):
        self.order.append('replay')
        return list(self.repaired)

    def open(self, fault, test_id=None):
        self.opened.append(fault.kind)
        return 'mine-%d' % len(self.opened)

    def close(self, entry_id):
        self.closed.append(entry_id)

    def keep_failed(self, entry_id, errors):
        self.closed.append((entry_id, errors))

    def entries(self):
        return []


class HealWithJournalAndStopConditionsTest(FlowRunnerTest):
    """heal(): the journal replayed before the deploy; stop conditions."""

    REPAIRED = [{'entry': 'd-1', 'run_id': 'deadbeef0001',
                 'kind': 'host_stop', 'target': 'h1', 'did': ['started'],
                 'errors': [], 'dry_run': False, 'corrupt': None}]

    def setUp(self):
        super(HealWithJournalAndStopConditionsTest, self).setUp()
        self.order = []
        self.journal = FakeJournal(self.REPAIRED, self.order)
        context = self.flow.fault_context

        def fault_context():
            ctx = context()
            ctx.journal = self.journal
            return ctx
        self.flow.fault_context = fault_context
        deploy = self.flow.deploy

        def deploy_after(scenario):
            self.order.append('deploy')
            return deploy(scenario)
        self.flow.deploy = deploy_after

    def test_replayed_before_the_deploy_and_in_the_timeline(self):
        result = self.flow.run_positive(self.scenario())
        self.assertEqual(['replay', 'deploy'], self.order)
        self.assertEqual(self.REPAIRED, result.timeline.repaired)
        self.assertEqual('healed', result.timeline.result)

    def test_the_scenarios_kill_switch_interrupts_before_any_fault(self):
        switch = os.path.join(self.useFixture(fixtures.TempDir()).path,
                              'kill-switch')
        open(switch, 'w').close()
        scenario = self.scenario(stop_conditions=[
            {'name': 'kill_switch', 'file': switch}])
        error = self.assertRaises(unittest.SkipTest, self.flow.heal,
                                  scenario)
        self.assertEqual('interrupted: kill_switch: kill switch %s exists'
                         % switch, str(error))
        self.assertEqual([], self.cloud.deleted)

    def test_an_unusable_condition_is_named_before_the_deploy(self):
        self.conf.stop_conditions = ['message_bus']
        self.conf.message_bus_address = ''
        error = self.assertRaises(ValueError, self.flow.heal,
                                  self.scenario())
        self.assertIn('[self_healing] message_bus_address is empty',
                      str(error))
        self.assertEqual(['replay'], self.order)
