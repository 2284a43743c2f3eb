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

"""The critical path collectors over responses a real run recorded.

fixtures/critical_path/autoheal_delete_member.json holds what Nova, Aodh,
Zaqar, Mistral and Heat answered the collectors after a local-cloud run
of seed 000 (long texts trimmed, Heat's events from the fault on);
vitrage_alarm_history.json what Vitrage answered after the integrated
flow. The clients are faked at their boundary: each call returns the
recorded body with its Date header.
"""

import json
import os

from tempest.lib.common import rest_client
from tempest.lib import exceptions as lib_exc
import testtools

from self_healing_tempest_plugin.harness import critical_path as cp
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import timeline as tl

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures',
                        'critical_path')
STACK = ('tempest-sh-autoheal-delete-member-1275996339/'
         '45320620-0f88-4b8a-b1eb-4b1618012026')
FAULTED = '8a6a7bf3-7c97-4d1b-90ac-11355b561539'
REPLACEMENT = 'e7a485bd-1831-4782-81c9-210c7bb07eee'
KEPT = 'b-kept'


def _load(name):
    with open(os.path.join(FIXTURES, name)) as stream:
        return json.load(stream)


def _body(recorded):
    resp = {'status': '200', 'date': recorded['date']}
    body = recorded['body']
    if isinstance(body, list):
        return rest_client.ResponseBodyList(resp, body)
    return rest_client.ResponseBody(resp, body)


def _utc(text):
    return tl.parse_cloud_time(text)


class Recorded(object):
    """The clients of seed 000's collectors, answering as recorded."""

    def __init__(self):
        self.fx = _load('autoheal_delete_member.json')
        self.calls = []

    def _by(self, kind, key):
        for recorded in self.fx[kind]:
            if key(recorded['body']):
                return _body(recorded)
        raise lib_exc.NotFound('nothing recorded')

    # Nova (servers_client)
    def list_instance_actions(self, server_id):
        self.calls.append(('list_instance_actions', server_id))
        return self._by('nova-actions', lambda b: b['instanceActions'][0][
            'instance_uuid'] == server_id)

    def show_instance_action(self, server_id, request_id):
        return self._by('nova-action', lambda b: b['instanceAction'][
            'request_id'] == request_id)

    # Aodh
    def query_alarm_history(self, filter_expr=None, orderby=None):
        self.calls.append(('query_alarm_history', filter_expr))
        return _body(self.fx['aodh'][0])

    # Zaqar
    def list_messages(self, queue, include_claimed=True):
        self.calls.append(('list_messages', queue, include_claimed))
        return _body(self.fx['zaqar'][1 if queue == 'alarm_queue' else 0])

    # Mistral
    def list_executions(self, **filters):
        return _body(self.fx['mistral-execs'][0])

    def list_tasks(self, execution_id):
        return _body(self.fx['mistral-tasks'][0])

    # Heat
    def list_events(self, stack, **filters):
        self.calls.append(('list_events', stack, filters))
        return _body(self.fx['heat-events'][0])


def fault_timeline(fault_time):
    """A seed 000 timeline: a member deleted, then replaced."""
    timeline = tl.Timeline('t')
    timeline.sample([{'id': FAULTED, 'status': 'ACTIVE'},
                     {'id': KEPT, 'status': 'ACTIVE'}], tl.GREEN,
                    at=fault_time - 5)
    timeline.mark(tl.FAULT_INJECTED, at=fault_time,
                  detail={'affected_members': [FAULTED]})
    timeline.sample([{'id': KEPT, 'status': 'ACTIVE'},
                     {'id': 'server', 'status': sp.GONE}], tl.YELLOW,
                    at=fault_time + 2)
    timeline.mark(tl.DETECTED, at=fault_time + 3.2,
                  cloud_time=fault_time + 0.7)
    timeline.mark(tl.ACTION_STARTED, at=fault_time + 6.2,
                  cloud_time='2026-12-01 07:36:10')
    timeline.sample([{'id': KEPT, 'status': 'ACTIVE'},
                     {'id': REPLACEMENT, 'status': 'ACTIVE'}], tl.GREEN,
                    at=fault_time + 8.7)
    timeline.mark(tl.RECOVERED, at=fault_time + 10.4,
                  cloud_time=fault_time + 7.0)
    return timeline


class RecordKindsTest(testtools.TestCase):
    """One test per record kind, on the recorded answers."""

    def setUp(self):
        super(RecordKindsTest, self).setUp()
        self.cloud = Recorded()
        self.since = self.cloud.fx['fault_time']

    def test_nova_actions_of_a_deleted_server(self):
        hops = cp.nova_action_hops(self.cloud, [FAULTED], self.since,
                                   finished_name=True)
        self.assertEqual(['nova.delete', 'nova.delete_finished'],
                         [h.name for h in hops])
        self.assertEqual(_utc('2026-12-01T07:36:08'), hops[0].cloud_time)
        self.assertEqual(_utc('2026-12-01T07:36:09'), hops[1].cloud_time)
        self.assertEqual(['compute_terminate_instance Success'],
                         hops[1].detail['events'])
        # The create before the fault is not a hop of this run.
        self.assertNotIn('nova.create', [h.name for h in hops])

    def test_nova_replacement_build_and_active(self):
        hops = cp.nova_action_hops(
            self.cloud, [REPLACEMENT], self.since, actions=('create',),
            name='nova.replacement_build',
            finished_name='nova.replacement_active')
        self.assertEqual(
            [('nova.replacement_build', _utc('2026-12-01T07:36:14')),
             ('nova.replacement_active', _utc('2026-12-01T07:36:16'))],
            [(h.name, h.cloud_time) for h in hops])

    def test_nova_unknown_server_is_an_error_naming_it(self):
        error = self.assertRaises(LookupError, cp.nova_action_hops,
                                  self.cloud, ['server'], self.since)
        self.assertIn('Nova knows no server server', str(error))

    def test_several_actions_of_a_name_are_numbered(self):
        hops = cp.nova_action_hops(self.cloud, [FAULTED], 0,
                                   name='nova.action')
        self.assertEqual(['nova.action#1', 'nova.action#2'],
                         [h.name for h in hops])
        self.assertLess(hops[0].cloud_time, hops[1].cloud_time)

    def test_aodh_transition(self):
        alarm = self.cloud.fx['aodh'][0]['body'][0]['alarm_id']
        hops = cp.aodh_transition_hops(self.cloud, [alarm], self.since,
                                       ('alarm',))
        self.assertEqual('aodh.alarm_fired', hops[0].name)
        self.assertEqual(_utc('2026-12-01T07:36:09.554193'),
                         hops[0].cloud_time)
        query = self.cloud.calls[-1][1]['and']
        self.assertIn({'in': {'alarm_id': [alarm]}}, query)

    def test_aodh_without_the_state_says_so(self):
        alarm = self.cloud.fx['aodh'][0]['body'][0]['alarm_id']
        hops = cp.aodh_transition_hops(self.cloud, [alarm], self.since,
                                       ('insufficient data',))
        self.assertIsNone(hops[0].cloud_time)
        self.assertIn('no transition to', hops[0].detail['reason'])

    def test_zaqar_post_is_date_minus_age(self):
        hops = cp.zaqar_message_hops(self.cloud, ['empty', 'alarm_queue'],
                                     self.since)
        # Date 07:36:31, age 22 s.
        self.assertEqual(_utc('2026-12-01T07:36:09'), hops[0].cloud_time)
        self.assertEqual('alarm_queue', hops[0].detail['queue'])
        self.assertEqual([False, False],
                         [c[2] for c in self.cloud.calls
                          if c[0] == 'list_messages'])

    def test_zaqar_without_messages_says_so(self):
        hops = cp.zaqar_message_hops(self.cloud, ['empty'], self.since)
        self.assertIsNone(hops[0].cloud_time)
        self.assertIn('no message posted to empty', hops[0].detail['reason'])

    def test_mistral_execution_and_tasks_in_flow_order(self):
        workflow = self.cloud.fx['mistral-execs'][0]['body'][
            'executions'][0]['workflow_name']
        hops = cp.mistral_execution_hops(self.cloud, [workflow], self.since)
        self.assertEqual(
            ['mistral.execution_created', 'mistral.execution_started',
             'mistral.task.mark_unhealthy.started',
             'mistral.task.mark_unhealthy.ended',
             'mistral.task.update_stack.started',
             'mistral.task.update_stack.ended',
             'mistral.execution_ended'], [h.name for h in hops])
        self.assertEqual({_utc('2026-12-01 07:36:10')},
                         set(h.cloud_time for h in hops))

    def test_mistral_other_workflow_is_not_ours(self):
        hops = cp.mistral_execution_hops(self.cloud, ['other'], self.since)
        self.assertEqual(['mistral.execution_created'],
                         [h.name for h in hops])
        self.assertIn('no execution of other', hops[0].detail['reason'])

    def test_heat_update_events(self):
        hops = cp.heat_event_hops(self.cloud, STACK, self.since,
                                  [REPLACEMENT])
        self.assertEqual(
            [('heat.mark_unhealthy', '2026-12-01T07:36:10'),
             ('heat.update_in_progress', '2026-12-01T07:36:10'),
             ('heat.replacement_created', '2026-12-01T07:36:16'),
             ('heat.update_complete', '2026-12-01T07:36:18')],
            [(h.name, tl.utc_text(h.cloud_time)[:19]) for h in hops])
        self.assertEqual('CHECK_FAILED', hops[0].detail['status'])

    def test_heat_without_a_replacement_says_so(self):
        hops = cp.heat_event_hops(self.cloud, STACK, self.since, ['nope'])
        self.assertIsNone(hops[2].cloud_time)
        self.assertIn('the replacement server nope CREATE_COMPLETE',
                      hops[2].detail['reason'])


class FakeVitrage(object):

    def __init__(self, history, hosts):
        self.history = history
        self.hosts = hosts

    def list_alarm_history(self, all_tenants=False, start=None):
        return self.history

    def list_resources(self, resource_type=None, all_tenants=False):
        return self.hosts


class VitrageTest(testtools.TestCase):

    ALARM = 'Group member down on an unreachable host'
    HOST = {'vitrage_id': 'd8d9e203-997f-4a29-933a-ec8ed44a7deb',
            'id': 'host1', 'name': 'host1'}

    def setUp(self):
        super(VitrageTest, self).setUp()
        self.history = _load('vitrage_alarm_history.json')['body']
        self.since = _utc('2026-12-01T07:38:14')

    def test_monitor_host_alarm_and_deduced(self):
        hops = cp.vitrage_alarm_hops(FakeVitrage(self.history, [self.HOST]),
                                     self.since, 'host1', self.ALARM)
        self.assertEqual(
            [('monitor.alert_fired', _utc('2026-12-01T07:38:20.582Z')),
             ('vitrage.host_alarm', _utc('2026-12-01 07:38:20+00:00')),
             ('vitrage.deduced_alarm#1', _utc('2026-12-01 07:38:21')),
             ('vitrage.deduced_alarm#2', _utc('2026-12-01 07:38:21'))],
            [(h.name, h.cloud_time) for h in hops])

    def test_other_host_alarm_is_not_this_one(self):
        hops = cp.vitrage_alarm_hops(
            FakeVitrage(self.history, [dict(self.HOST, id='host2',
                                            name='host2')]),
            self.since, 'host1', self.ALARM)
        self.assertEqual('no alarm on host host1 after the fault',
                         hops[0].detail['reason'])

    def test_updated_alert_has_no_start(self):
        self.history[0]['update_timestamp'] = '2026-12-01T07:38:48.000Z'
        hops = cp.vitrage_alarm_hops(FakeVitrage(self.history, [self.HOST]),
                                     self.since, 'host1', self.ALARM)
        self.assertIsNone(hops[0].cloud_time)
        self.assertIn('updated after it fired', hops[0].detail['reason'])


class FakeHeatSignals(object):

    def __init__(self):
        self.recorded = _load('per_vm_signals.json')['heat-signal'][0]
        self.filters = None

    def list_events(self, stack, **filters):
        self.filters = filters
        return _body(self.recorded)


class HeatSignalTest(testtools.TestCase):
    """Per-VM groups: the scale-up and scale-down policies' signals."""

    def test_scale_up_and_down(self):
        heat = FakeHeatSignals()
        since = _utc('2026-12-01T07:39:55')
        up, = cp.heat_signal_hops(heat, 'stack/id', since, 'scale_up',
                                  'heat.scale_up_signal')
        down, = cp.heat_signal_hops(heat, 'stack/id', since, 'scale_down',
                                    'heat.scale_down_signal')
        self.assertEqual(_utc('2026-12-01T07:40:17Z'), up.cloud_time)
        self.assertEqual(_utc('2026-12-01T07:40:36Z'), down.cloud_time)
        self.assertEqual('SIGNAL', heat.filters['resource_action'])

    def test_no_signal_after_the_fault(self):
        hop, = cp.heat_signal_hops(FakeHeatSignals(), 'stack/id',
                                   _utc('2026-12-01T07:41:00'), 'scale_up',
                                   'heat.scale_up_signal')
        self.assertIsNone(hop.cloud_time)
        self.assertEqual('no SIGNAL_COMPLETE of scale_up after the fault',
                         hop.detail['reason'])


class FakeGnocchi(object):

    def show_resource(self, resource_type, resource_id):
        return {'id': resource_id, 'metrics': {'cpu': 'm-' + resource_id}}

    def list_measures(self, metric_id):
        # Gnocchi lists every granularity of the archive policy.
        return [['2026-12-01T07:40:00+00:00', 60.0, 1.5],
                ['2026-12-01T07:40:00+00:00', 10.0, 1.0],
                ['2026-12-01T07:40:10+00:00', 10.0, 2.0]]


class GnocchiTest(testtools.TestCase):

    def test_last_sample_is_the_end_of_its_period(self):
        hops = cp.gnocchi_last_sample_hops(
            FakeGnocchi(), ['s1'], _utc('2026-12-01T07:40:25'))
        # Not 07:41:00 (the 60 s period's end): the finest one's.
        self.assertEqual(_utc('2026-12-01T07:40:20'), hops[0].cloud_time)
        self.assertEqual(10.0, hops[0].detail['granularity_s'])
        self.assertTrue(hops[0].detail['before_fault'])


class CollectTest(testtools.TestCase):
    """Readers to hops: times beside them, phases made honest."""

    def setUp(self):
        super(CollectTest, self).setUp()
        self.cloud = Recorded()
        self.since = self.cloud.fx['fault_time']
        self.timeline = fault_timeline(self.since)

    def readers(self):
        fx = self.cloud.fx
        alarm = fx['aodh'][0]['body'][0]['alarm_id']
        workflow = fx['mistral-execs'][0]['body']['executions'][0][
            'workflow_name']
        new = cp.new_server_ids(self.timeline)
        return [
            cp.Reader('nova.fault', 'nova', lambda: cp.nova_action_hops(
                self.cloud, [FAULTED], self.since, finished_name=True),
                fault=True),
            cp.Reader('aodh.alarm_fired', 'aodh',
                      lambda: cp.aodh_transition_hops(
                          self.cloud, [alarm], self.since, ('alarm',)),
                      phase=tl.DETECTED),
            cp.Reader('zaqar.message_posted', 'zaqar',
                      lambda: cp.zaqar_message_hops(
                          self.cloud, ['alarm_queue'], self.since)),
            cp.Reader('mistral.execution_created', 'mistral',
                      lambda: cp.mistral_execution_hops(
                          self.cloud, [workflow], self.since),
                      phase=tl.ACTION_STARTED,
                      phase_hop='mistral.execution_created'),
            cp.Reader('nova.replacement_active', 'nova',
                      lambda: cp.nova_action_hops(
                          self.cloud, new, self.since, actions=('create',),
                          name='nova.replacement_build',
                          finished_name='nova.replacement_active')),
            cp.Reader('heat.update_complete', 'heat',
                      lambda: cp.heat_event_hops(
                          self.cloud, STACK, self.since, new),
                      phase=tl.RECOVERED, phase_hop='heat.update_complete'),
        ]

    def collect(self):
        hops = cp.collect(self.timeline, self.readers(), seen={
            'nova.replacement_active': cp.replacement_seen(self.timeline)})
        self.timeline.set_hops(hops)
        return self.timeline.hops

    def test_the_replacement_is_the_new_member_not_a_logical_name(self):
        self.assertEqual([REPLACEMENT], cp.new_server_ids(self.timeline))

    def test_seed_000_path_in_flow_order(self):
        names = [h.name for h in self.collect()]
        self.assertEqual(
            ['nova.delete', 'nova.delete_finished', 'aodh.alarm_fired',
             'zaqar.message_posted', 'mistral.execution_created',
             'mistral.execution_started',
             'mistral.task.mark_unhealthy.started',
             'mistral.task.mark_unhealthy.ended',
             'mistral.task.update_stack.started',
             'mistral.task.update_stack.ended', 'mistral.execution_ended',
             'heat.mark_unhealthy', 'heat.update_in_progress',
             'nova.replacement_build', 'nova.replacement_active',
             'heat.replacement_created', 'heat.update_complete'], names)

    def test_harness_times_beside_the_cloud_ones(self):
        hops = dict((h.name, h) for h in self.collect())
        fault = self.timeline.phase(tl.FAULT_INJECTED).harness_time
        self.assertEqual(fault, hops['nova.delete'].harness_time)
        self.assertEqual(fault + 3.2, hops['aodh.alarm_fired'].harness_time)
        self.assertEqual(fault + 6.2,
                         hops['mistral.execution_created'].harness_time)
        self.assertEqual(fault + 8.7,
                         hops['nova.replacement_active'].harness_time)
        self.assertEqual(fault + 10.4,
                         hops['heat.update_complete'].harness_time)
        self.assertIsNone(hops['heat.mark_unhealthy'].harness_time)

    def test_phases_take_the_cloud_time_of_their_hop(self):
        self.collect()
        recovered = self.timeline.phase(tl.RECOVERED)
        self.assertEqual(_utc('2026-12-01T07:36:18Z'), recovered.cloud_time)
        self.assertEqual('heat.update_complete',
                         recovered.detail[cp.HOP_OF_PHASE])
        self.assertEqual(self.since + 7.0,
                         recovered.detail['polled_cloud_time'])
        detected = self.timeline.phase(tl.DETECTED)
        self.assertEqual(_utc('2026-12-01T07:36:09.554193'),
                         detected.cloud_time)
        # The fault's time stays the harness's.
        self.assertIsNone(self.timeline.phase(tl.FAULT_INJECTED).cloud_time)

    def test_a_reader_that_fails_is_a_hop_with_the_reason(self):
        def broken():
            raise lib_exc.ServerFault('zaqar 503')
        readers = self.readers()
        readers[2] = cp.Reader('zaqar.message_posted', 'zaqar', broken)
        hops = cp.collect(self.timeline, readers)
        zaqar = [h for h in hops if h.name == 'zaqar.message_posted'][0]
        self.assertIsNone(zaqar.cloud_time)
        self.assertIn('the record could not be read: ServerFault',
                      zaqar.detail['reason'])
        self.assertEqual(17, len(hops))


class SeveralFaultsTest(testtools.TestCase):
    """Fault time and faulted members come from timeline.faults."""

    def _timeline(self):
        timeline = tl.Timeline('t')
        first = {'kind': 'instance_delete', 't_fault': 100.0,
                 'affected_members': ['b', 'a']}
        second = {'kind': 'instance_delete', 't_fault': 130.0,
                  'affected_members': ['c']}
        timeline.sample([{'id': i, 'status': 'ACTIVE'} for i in 'abc'],
                        tl.GREEN, at=99.0)
        timeline.mark(timeline.add_fault(first), at=100.0, detail=first)
        timeline.sample([{'id': 'c', 'status': 'ACTIVE'},
                         {'id': 'n', 'status': 'BUILD'}], tl.RED, at=101.0)
        timeline.mark(timeline.add_fault(second), at=130.0, detail=second)
        timeline.sample([{'id': 'n', 'status': 'ACTIVE'},
                         {'id': 'm', 'status': 'ACTIVE'}], tl.YELLOW,
                        at=131.0)
        return timeline

    def test_first_fault_time_and_every_faulted_member(self):
        timeline = self._timeline()
        self.assertEqual(100.0, cp.fault_time(timeline))
        self.assertEqual(['a', 'b', 'c'], cp.faulted_members(timeline))
        self.assertEqual(['m', 'n'], cp.new_server_ids(timeline))
        self.assertEqual(131.0, cp.replacement_seen(timeline))

    def test_before_any_fault(self):
        timeline = tl.Timeline('t')
        self.assertIsNone(cp.fault_time(timeline))
        self.assertEqual([], cp.faulted_members(timeline))
        self.assertEqual([], cp.new_server_ids(timeline))
