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

"""Phase observers read the cloud's own records and its timestamps."""

from unittest import mock

import testtools

from self_healing_tempest_plugin.harness import observers
from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import timeline as tl

FAULT_AT = tl.parse_cloud_time('2026-11-22T00:16:35.951641')


def since():
    return FAULT_AT


def _transition(timestamp, state='alarm', alarm_id='a1'):
    return {'alarm_id': alarm_id, 'type': 'state transition',
            'timestamp': timestamp,
            'detail': '{"state": "%s", "transition_reason": "hit"}' % state}


class AlarmFiredTest(testtools.TestCase):

    def setUp(self):
        super(AlarmFiredTest, self).setUp()
        self.client = mock.Mock()

    def test_one_query_for_every_alarm_since_the_fault_second(self):
        self.client.query_alarm_history.return_value = []
        observers.alarm_fired(self.client, ['a1', 'a2', 'a3'], since)()
        self.client.query_alarm_history.assert_called_once_with(
            filter_expr={'and': [
                {'in': {'alarm_id': ['a1', 'a2', 'a3']}},
                {'=': {'type': 'state transition'}},
                {'>=': {'timestamp': '2026-11-22T00:16:35'}}]},
            orderby=[{'timestamp': 'asc'}])

    def test_not_yet_when_no_transition_after_the_fault(self):
        self.client.query_alarm_history.return_value = [
            _transition('2026-11-22T00:16:30.000000'),
            {'alarm_id': 'a1', 'type': 'creation',
             'timestamp': '2026-11-22T00:16:40',
             'detail': '{"state": "alarm"}'},
            _transition('2026-11-22T00:16:41', state='ok')]
        self.assertIsNone(observers.alarm_fired(
            self.client, ['a1'], since)())

    def test_earliest_transition_is_the_detection_with_aodh_time(self):
        self.client.query_alarm_history.return_value = [
            _transition('2026-11-22T00:16:39', alarm_id='a1'),
            _transition('2026-11-22T00:16:36.369488', alarm_id='a2')]
        seen = observers.alarm_fired(self.client, ['a1', 'a2'], since)()
        self.assertEqual('2026-11-22T00:16:36.369488', seen.cloud_time)
        self.assertEqual('a2', seen.detail['alarm_id'])
        self.assertEqual('aodh alarm history', seen.source)

    def test_an_alarm_not_asked_for_does_not_count(self):
        self.client.query_alarm_history.return_value = [
            _transition('2026-11-22T00:16:36', alarm_id='other')]
        self.assertIsNone(observers.alarm_fired(
            self.client, ['a1'], since)())

    def test_since_is_read_at_call_time(self):
        moments = {'t': None}
        self.client.query_alarm_history.return_value = [
            _transition('2026-11-22T00:16:36')]
        observe = observers.alarm_fired(self.client, ['a1'],
                                        lambda: moments['t'])
        moments['t'] = FAULT_AT + 60
        self.assertIsNone(observe())
        moments['t'] = FAULT_AT
        self.assertIsNotNone(observe())


class AlarmStatesTest(testtools.TestCase):
    """Each alarm acts in its own state (missing samples: no data)."""

    def setUp(self):
        super(AlarmStatesTest, self).setUp()
        self.client = mock.Mock()

    def test_insufficient_data_counts_only_where_asked(self):
        self.client.query_alarm_history.return_value = [
            _transition('2026-11-22T00:16:40', state='ok',
                        alarm_id='missing'),
            _transition('2026-11-22T00:16:45', state='insufficient data',
                        alarm_id='missing'),
            _transition('2026-11-22T00:16:44', state='insufficient data',
                        alarm_id='threshold')]
        seen = observers.alarm_fired(
            self.client, ['threshold', 'missing'], since,
            states={'threshold': 'alarm',
                    'missing': 'insufficient data'})()
        self.assertEqual('missing', seen.detail['alarm_id'])
        self.assertEqual('2026-11-22T00:16:45', seen.cloud_time)

    def test_one_state_list_for_every_alarm(self):
        self.client.query_alarm_history.return_value = [
            _transition('2026-11-22T00:16:45', state='insufficient data')]
        self.assertIsNone(observers.alarm_fired(
            self.client, ['a1'], since)())
        self.assertIsNotNone(observers.alarm_fired(
            self.client, ['a1'], since,
            states=('alarm', 'insufficient data'))())

    def test_unreadable_detail_is_no_transition(self):
        self.client.query_alarm_history.return_value = [
            {'alarm_id': 'a1', 'type': 'state transition',
             'timestamp': '2026-11-22T00:16:45',
             'detail': 'not json "alarm"'}]
        self.assertIsNone(observers.alarm_fired(
            self.client, ['a1'], since)())


class HeatSignalTest(testtools.TestCase):
    """A scaling policy's signal event: Heat adjusted the group."""

    def _event(self, name, time, status='SIGNAL_COMPLETE', stack='m0'):
        return {'resource_name': name, 'event_time': time,
                'resource_status': status,
                'resource_status_reason': 'alarm state insufficient data',
                'links': [{'rel': 'self', 'href': 'http://h/e'},
                          {'rel': 'stack',
                           'href': 'http://h/v1/p/stacks/m/%s' % stack}]}

    def test_first_signal_of_a_named_resource_after_the_fault(self):
        client = mock.Mock()
        client.list_events.return_value = {'events': [
            self._event('scale_up', '2026-11-22T00:16:50Z', stack='m1'),
            self._event('scale_up', '2026-11-22T00:10:00Z'),
            self._event('scale_down', '2026-11-22T00:16:40Z'),
            self._event('scale_up', '2026-11-22T00:16:45Z',
                        status='SIGNAL_FAILED'),
            self._event('scale_up', '2026-11-22T00:16:48Z', stack='m0')]}
        seen = observers.heat_signal(client, 'st/1', ['scale_up'], since)()
        client.list_events.assert_called_once_with(
            'st/1', nested_depth=2, resource_action='SIGNAL')
        self.assertEqual('2026-11-22T00:16:48Z', seen.cloud_time)
        self.assertEqual('m0', seen.detail['stack_id'])
        self.assertEqual('scale_up', seen.detail['resource_name'])
        self.assertEqual('heat signal event', seen.source)

    def test_not_yet_without_a_signal_after_the_fault(self):
        client = mock.Mock()
        client.list_events.return_value = {'events': [
            self._event('scale_up', '2026-11-22T00:16:00Z')]}
        self.assertIsNone(observers.heat_signal(
            client, 'st/1', ['scale_up'], since)())


class ExecutionStartedTest(testtools.TestCase):

    def test_only_executions_of_our_workflows_after_the_fault(self):
        client = mock.Mock()
        client.list_executions.return_value = {'executions': [
            {'id': 'e0', 'workflow_id': 'w1',
             'created_at': '2026-11-22 00:16:20', 'state': 'SUCCESS'},
            {'id': 'e1', 'workflow_id': 'other',
             'created_at': '2026-11-22 00:16:37', 'state': 'RUNNING'},
            {'id': 'e2', 'workflow_id': 'w2', 'workflow_name': 'heal',
             'created_at': '2026-11-22 00:16:38', 'state': 'RUNNING',
             'input': '{"root_stack_id": "s"}'}]}
        seen = observers.execution_started(client, {'w1', 'w2'}, since)()
        self.assertEqual('e2', seen.detail['execution_id'])
        self.assertEqual('2026-11-22 00:16:38', seen.cloud_time)
        self.assertEqual('RUNNING', seen.detail['state'])

    def test_matches_a_workflow_by_name(self):
        client = mock.Mock()
        client.list_executions.return_value = {'executions': [
            {'id': 'e1', 'workflow_id': 'uuid-1', 'workflow_name': 'heal',
             'created_at': '2026-11-22 00:16:37'}]}
        seen = observers.execution_started(client, {'heal'}, since)()
        self.assertEqual('e1', seen.detail['execution_id'])

    def test_second_precision_counts_the_fault_second(self):
        client = mock.Mock()
        client.list_executions.return_value = {'executions': [
            {'id': 'e1', 'workflow_id': 'w1',
             'created_at': '2026-11-22 00:16:35'}]}
        self.assertIsNotNone(
            observers.execution_started(client, ['w1'], since)())


class VitrageAlarmsRaisedTest(testtools.TestCase):
    """Vitrage's deduced alarms, matched to Nova ids via its resources."""

    def setUp(self):
        super(VitrageAlarmsRaisedTest, self).setUp()
        self.client = mock.Mock()
        self.client.list_resources.return_value = [
            {'vitrage_id': 'v1', 'id': 'server-1'},
            {'vitrage_id': 'v2', 'id': 'server-2'}]

    def _alarm(self, vertex, start, name='Instance down'):
        return {'name': name, 'vitrage_id': 'alarm-' + vertex,
                'vitrage_resource_id': vertex, 'start_timestamp': start}

    def test_not_yet_until_every_instance_is_alarmed(self):
        self.client.list_alarm_history.return_value = [
            self._alarm('v1', '2026-11-22 00:16:40+00:00'),
            self._alarm('v2', '2026-11-22 00:16:41+00:00', name='other')]
        observe = observers.vitrage_alarms_raised(
            self.client, 'Instance down', lambda: {'server-1', 'server-2'},
            since)
        self.assertIsNone(observe())

    def test_alarms_from_before_the_fault_do_not_count(self):
        self.client.list_alarm_history.return_value = [
            self._alarm('v1', '2026-11-22 00:10:00+00:00')]
        observe = observers.vitrage_alarms_raised(
            self.client, 'Instance down', lambda: {'server-1'}, since)
        self.assertIsNone(observe())

    def test_seen_at_the_latest_alarm_with_the_instances(self):
        self.client.list_alarm_history.return_value = [
            self._alarm('v1', '2026-11-22 00:16:40+00:00'),
            self._alarm('v2', '2026-11-22 00:16:44+00:00')]
        seen = observers.vitrage_alarms_raised(
            self.client, 'Instance down', lambda: {'server-1', 'server-2'},
            since)()
        self.assertEqual('2026-11-22 00:16:44+00:00', seen.cloud_time)
        self.assertEqual(['server-1', 'server-2'], seen.detail['instances'])
        self.assertEqual(['alarm-v1', 'alarm-v2'], seen.detail['alarm_ids'])

    def test_an_alarm_already_ended_counts(self):
        # The evacuation moved server-1 away: its alarm ended before the
        # poll; the history still has it, the active list does not.
        ended = dict(self._alarm('v1', '2026-11-22 00:16:40+00:00'),
                     end_timestamp='2026-11-22 00:16:42+00:00')
        self.client.list_alarm_history.return_value = [
            ended, self._alarm('v2', '2026-11-22 00:16:40+00:00')]
        self.client.list_alarms.return_value = []
        seen = observers.vitrage_alarms_raised(
            self.client, 'Instance down', lambda: {'server-1', 'server-2'},
            since)()
        self.assertEqual(['server-1', 'server-2'], seen.detail['instances'])

    def test_an_instance_replaced_between_two_polls_still_counts(self):
        # Healing replaced both before the second poll: their alarms are
        # in the history, their vertices gone from Vitrage's graph.
        observe = observers.vitrage_alarms_raised(
            self.client, 'Instance down', lambda: {'server-1', 'server-2'},
            since)
        self.client.list_alarm_history.return_value = []
        self.assertIsNone(observe())
        self.client.list_resources.return_value = [
            {'vitrage_id': 'v3', 'id': 'server-3'}]
        self.client.list_alarm_history.return_value = [
            self._alarm('v1', '2026-11-22 00:16:40+00:00'),
            self._alarm('v2', '2026-11-22 00:16:41+00:00')]
        seen = observe()
        self.assertEqual(['server-1', 'server-2'], seen.detail['instances'])

    def test_history_is_read_from_the_faults_second(self):
        self.client.list_alarm_history.return_value = []
        observers.vitrage_alarms_raised(
            self.client, 'Instance down', lambda: {'server-1'}, since)()
        self.client.list_alarm_history.assert_called_once_with(
            all_tenants=True, start='2026-11-22 00:16:35')


class Deployment(object):
    """What a flow deployed, as the observers read it."""

    def __init__(self, **attributes):
        self.__dict__.update(attributes)


class ObserverTest(testtools.TestCase):

    def test_poll_and_calls(self):
        seen = observers.Observation(cloud_time='t', source='s', a=1)
        observer = observers.Observer(lambda: seen, calls=3, phase='act')
        self.assertIs(seen, observer.poll())
        self.assertIs(seen, observer())
        self.assertEqual((3, 'act'), (observer.calls, observer.phase))
        self.assertEqual(1, observers.Observer(lambda: None).calls)
        self.assertEqual({'a': 1}, seen.detail)

    def test_factories_return_observers_with_their_calls(self):
        client = mock.Mock()
        self.assertEqual(2, observers.vitrage_alarms_raised(
            client, 'x', lambda: set(), since).calls)
        for observer in (
                observers.alarm_fired(client, ['a'], since),
                observers.heat_signal(client, 's', ['r'], since),
                observers.execution_started(client, ['w'], since)):
            self.assertIsInstance(observer, observers.Observer)
            self.assertEqual(1, observer.calls)

    def test_every_observer_is_registered_with_its_meta(self):
        registry.load()
        self.assertEqual(
            [('alarm_fired', 'detect', 1,
              ('alarming_client', 'alarm_ids')),
             ('execution_started', 'act', 1,
              ('workflow_client', 'workflows')),
             ('heat_signal', 'act', 1,
              ('orchestration_client', 'stack', 'signal_resources')),
             ('vitrage_alarms_raised', 'detect', 2,
              ('rca_client', 'alarm_name', 'instance_ids'))],
            [(e.name, e.phase, e.calls, e.needs)
             for e in registry.OBSERVERS.entries()
             if e.cls.__module__ == observers.__name__])


class BuildTest(testtools.TestCase):
    """An observer named in a scenario, built from the deployment."""

    def test_builds_from_the_deployment_for_the_phase(self):
        client = mock.Mock()
        client.list_executions.return_value = {'executions': [
            {'id': 'e1', 'workflow_id': 'w1',
             'created_at': '2026-11-22 00:16:37'}]}
        deployment = Deployment(workflow_client=client, workflows=['w1'],
                                execution_filters={'all_projects': True})
        observer = observers.build(
            'notified', {'observer': 'execution_started'}, deployment, since,
            'vitrage_host')
        self.assertEqual('notified', observer.phase)
        self.assertEqual('e1', observer.poll().detail['execution_id'])
        client.list_executions.assert_called_once_with(all_projects=True)

    def test_params_from_the_scenario(self):
        client = mock.Mock()
        client.query_alarm_history.return_value = [
            _transition('2026-11-22T00:16:45', state='insufficient data')]
        deployment = Deployment(alarming_client=client, alarm_ids=['a1'])
        plain = observers.build('detect', {'observer': 'alarm_fired'},
                                deployment, since, 'autoheal_group')
        self.assertIsNone(plain.poll())
        asked = observers.build(
            'detect', {'observer': 'alarm_fired',
                       'states': ['insufficient data']},
            deployment, since, 'autoheal_group')
        self.assertIsNotNone(asked.poll())

    def test_a_missing_deployment_attribute_is_named(self):
        error = self.assertRaises(
            ValueError, observers.build, 'detect',
            {'observer': 'vitrage_alarms_raised'},
            Deployment(rca_client=mock.Mock(), alarm_name='down'), since,
            'integrated')
        self.assertIn("observer vitrage_alarms_raised (phase detect) needs "
                      "the deployment's instance_ids, which flow integrated "
                      "did not set", str(error))

    def test_an_unknown_observer_is_named(self):
        error = self.assertRaises(KeyError, observers.build, 'detect',
                                  {'observer': 'crystal_ball'}, Deployment(),
                                  since, 'integrated')
        self.assertIn("unknown observer 'crystal_ball'", str(error))

    def test_heat_signal_resources_from_the_deployment_or_scenario(self):
        client = mock.Mock()
        client.list_events.return_value = {'events': []}
        deployment = Deployment(orchestration_client=client, stack='st/1',
                                signal_resources=['scale_up'])
        observers.build('act', {'observer': 'heat_signal'}, deployment,
                        since, 'per_vm_group').poll()
        observers.build('act', {'observer': 'heat_signal',
                                'resources': ['scale_down']}, deployment,
                        since, 'per_vm_group').poll()
        self.assertEqual(2, client.list_events.call_count)


class Scenario(object):
    """The parts of a scenario for_scenario reads."""

    def __init__(self, phase_names, observers_spec, flow='vitrage_host',
                 name='s'):
        self.phase_names = phase_names
        self.observers_spec = observers_spec
        self.flow = flow
        self.name = name


class ForScenarioTest(testtools.TestCase):

    def setUp(self):
        super(ForScenarioTest, self).setUp()
        self.detect = observers.Observer(lambda: None)
        self.act = observers.Observer(lambda: None)
        self.deployment = Deployment(workflow_client=mock.Mock(),
                                     workflows=['w'])

    def test_the_flows_own_then_overridden_and_extra_phases(self):
        chosen = observers.for_scenario(
            Scenario(('detect', 'act', 'notified'),
                     {'act': {'observer': 'execution_started'},
                      'notified': {'observer': 'execution_started'}}),
            {'detect': self.detect, 'act': self.act}, self.deployment,
            since)
        self.assertEqual(['detect', 'act', 'notified'], list(chosen))
        self.assertIs(self.detect, chosen['detect'])
        self.assertEqual('detect', chosen['detect'].phase)
        self.assertIsNot(self.act, chosen['act'])
        self.assertEqual(('act', 'notified'), (chosen['act'].phase,
                                               chosen['notified'].phase))

    def test_a_phase_with_no_observer_is_named(self):
        error = self.assertRaises(
            ValueError, observers.for_scenario,
            Scenario(('detect', 'act'), {}), {'detect': self.detect},
            self.deployment, since)
        self.assertIn('flow vitrage_host has no observer of phase act and '
                      'scenario s names none (observers: detect)',
                      str(error))
