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

"""The recovery timeline: ordering, both clocks, JSON round-trip."""

import datetime
import json
import os

import fixtures
import testtools

from self_healing_tempest_plugin.harness import timeline as tl
from unit_tests.harness import fakes

T0 = 1767225600.0  # 2026-01-01T00:00:00Z


class ParseCloudTimeTest(testtools.TestCase):

    def test_spellings(self):
        for text in ('2026-01-01T00:00:05Z', '2026-01-01T00:00:05',
                     '2026-01-01 00:00:05', '2026-01-01T00:00:05+00:00',
                     '2026-01-01T01:00:05+01:00'):
            self.assertEqual(T0 + 5, tl.parse_cloud_time(text), text)
        self.assertEqual(T0 + 5.25, tl.parse_cloud_time(
            '2026-01-01T00:00:05.250000'))
        self.assertEqual(T0, tl.parse_cloud_time(
            datetime.datetime(2026, 1, 1)))
        self.assertEqual(3.0, tl.parse_cloud_time(3))
        self.assertIsNone(tl.parse_cloud_time(None))

    def test_garbage(self):
        self.assertRaises(ValueError, tl.parse_cloud_time, 'yesterday')
        self.assertRaises(ValueError, tl.parse_cloud_time, True)


class TimelineTest(testtools.TestCase):

    def setUp(self):
        super(TimelineTest, self).setUp()
        self.clock = fakes.FakeClock(T0)
        self.timeline = tl.Timeline('a.b.C.test_x[id-1]', clock=self.clock)

    def _full(self):
        t = self.timeline
        t.mark(tl.FAULT_INJECTED, detail={'kind': 'instance_delete'})
        self.clock.tick(3)
        t.mark(tl.DETECTED, cloud_time='2026-01-01T00:00:02Z',
               source='aodh alarm history', not_before=T0 + 1)
        t.sample([{'id': 'a', 'status': 'ACTIVE', 'host': 'c1'}], tl.YELLOW)
        self.clock.tick(2)
        t.mark(tl.ACTION_STARTED, cloud_time='2026-01-01 00:00:04.5')
        t.mark('stack_update_started')
        self.clock.tick(10)
        t.mark(tl.RECOVERED)
        t.sample([{'id': 'a', 'status': 'ACTIVE', 'host': 'c1'},
                  {'id': 'b', 'status': 'ACTIVE', 'host': 'c2'}], tl.GREEN)
        return t

    def test_both_clocks_and_their_difference(self):
        mark = self._full().phase(tl.DETECTED)
        self.assertEqual(T0 + 3, mark.harness_time)
        self.assertEqual(T0 + 2, mark.cloud_time)
        self.assertEqual(1.0, mark.skew_s)
        data = mark.to_dict()
        self.assertEqual('2026-01-01T00:00:03+00:00', data['harness_utc'])
        self.assertEqual('2026-01-01T00:00:02+00:00', data['cloud_utc'])
        self.assertEqual(T0 + 1, data['not_before'])

    def test_durations_on_both_clocks(self):
        durations = self._full().durations()
        self.assertEqual(3.0, durations['detected_s'])
        self.assertEqual(2.0, durations['detected_cloud_s'])
        self.assertEqual(4.5, durations['action_started_cloud_s'])
        self.assertEqual(15.0, durations['recovered_s'])
        self.assertNotIn('recovered_cloud_s', durations)

    def test_phase_out_of_order_refused(self):
        self.timeline.mark(tl.FAULT_INJECTED)
        self.timeline.mark(tl.ACTION_STARTED)
        error = self.assertRaises(ValueError, self.timeline.mark,
                                  tl.DETECTED)
        self.assertIn('after the later phase ACTION_STARTED', str(error))

    def test_phase_twice_refused_extra_marks_free(self):
        self.timeline.mark(tl.FAULT_INJECTED)
        self.assertRaises(ValueError, self.timeline.mark, tl.FAULT_INJECTED)
        self.timeline.mark('note')
        self.timeline.mark('note')
        self.assertEqual(3, len(self.timeline.marks))

    def test_bands_collapse_repeats(self):
        t = self.timeline
        for band in (tl.GREEN, tl.GREEN, tl.YELLOW, tl.RED, tl.RED,
                     tl.YELLOW, tl.GREEN):
            t.sample([], band)
        self.assertEqual(['GREEN', 'YELLOW', 'RED', 'YELLOW', 'GREEN'],
                         t.bands())
        self.assertRaises(ValueError, t.sample, [], 'BLUE')

    def test_json_round_trip(self):
        original = self._full()
        original.result = 'healed'
        copy = tl.Timeline.from_json(original.to_json())
        self.assertEqual(original.to_dict(), copy.to_dict())
        self.assertEqual([tl.FAULT_INJECTED, tl.DETECTED, tl.ACTION_STARTED,
                          'stack_update_started', tl.RECOVERED],
                         [m.name for m in copy.marks])

    def test_judgement_keys_round_trip(self):
        original = self._full()
        original.deadlines = {'detect_s': 30, 'act_s': 60, 'recover_s': 90}
        original.invariants = {'desired': 2, 'min': 1, 'max': 3, 'floor': 1}
        original.scenario = {'name': 'x', 'fault': 'server_stop'}
        data = json.loads(original.to_json())
        self.assertEqual(30, data['deadlines']['detect_s'])
        self.assertEqual(1, data['invariants']['floor'])
        self.assertEqual('server_stop', data['scenario']['fault'])
        copy = tl.Timeline.from_json(original.to_json())
        self.assertEqual(original.to_dict(), copy.to_dict())
        self.assertEqual(90, copy.deadlines['recover_s'])

    def test_files_without_judgement_keys_still_read(self):
        # Written before the keys existed: read, and written back alike.
        data = self._full().to_dict()
        for key in tl.OPTIONAL_KEYS:
            self.assertNotIn(key, data)
        copy = tl.Timeline.from_json(json.dumps(data))
        self.assertIsNone(copy.deadlines)
        self.assertIsNone(copy.invariants)
        self.assertIsNone(copy.scenario)
        self.assertEqual(data, copy.to_dict())

    def test_judgement_key_must_be_a_mapping(self):
        data = self._full().to_dict()
        data['deadlines'] = [30, 60, 90]
        error = self.assertRaises(ValueError, tl.Timeline.from_json,
                                  json.dumps(data))
        self.assertIn('deadlines must be a mapping', str(error))

    def test_write_one_file_per_test(self):
        directory = self.useFixture(fixtures.TempDir()).path
        path = self._full().write(os.path.join(directory, 'sub'))
        self.assertEqual('a.b.C.test_x_id-1_.json', os.path.basename(path))
        with open(path) as stream:
            data = json.load(stream)
        self.assertEqual('a.b.C.test_x[id-1]', data['test_id'])
        self.assertEqual(['YELLOW', 'GREEN'], data['bands'])

    def test_attach_renders_late(self):
        test = fakes.FakeTest()
        record = {'kind': 'server_stop'}
        self.timeline.mark(tl.FAULT_INJECTED, detail=record)
        self.timeline.attach(test)
        record['undone_at'] = 42  # the undo runs after attach
        detail = test.details[tl.DETAIL_NAME]
        self.assertEqual('application', detail.content_type.type)
        data = json.loads(b''.join(detail.iter_bytes()))
        self.assertEqual(42, data['marks'][0]['detail']['undone_at'])


class HopsTest(testtools.TestCase):
    """CONTRACTS §3: hops, missed_phase, verdict; old files still load."""

    def test_round_trip_in_time_order(self):
        timeline = tl.Timeline('t')
        timeline.set_hops([
            tl.Hop('heat.update_complete', 'heat', cloud_time=20.0,
                   harness_time=21.3, source='heat event'),
            tl.Hop('zaqar.message_posted', 'zaqar', detail={'reason': 'x'}),
            tl.Hop('aodh.alarm_fired', 'aodh',
                   cloud_time='1970-01-01T00:00:10.250000',
                   harness_time=12.0, source='aodh alarm history')])
        timeline.missed_phase = 'act'
        timeline.verdict = tl.FAILED
        data = json.loads(timeline.to_json())
        self.assertEqual(
            [{'name': 'aodh.alarm_fired', 'service': 'aodh',
              'cloud_time': 10.25, 'harness_time': 12.0,
              'source': 'aodh alarm history', 'detail': {}},
             'heat.update_complete', 'zaqar.message_posted'],
            [data['hops'][0]] + [h['name'] for h in data['hops'][1:]])
        again = tl.Timeline.from_json(timeline.to_json())
        self.assertEqual('act', again.missed_phase)
        self.assertEqual('failed', again.verdict)
        self.assertEqual(10.25, again.hop('aodh.alarm_fired').cloud_time)

    def test_collector_order_time_orders(self):
        # Mistral's 10 s may be 10.9: after Aodh's 10.4 that caused it.
        mistral = tl.Hop('mistral.execution_created', 'mistral',
                         cloud_time=10.0)
        mistral.order_time = 10.4
        timeline = tl.Timeline('t')
        timeline.set_hops([tl.Hop('aodh.alarm_fired', 'aodh',
                                  cloud_time=10.4), mistral])
        self.assertEqual(['aodh.alarm_fired', 'mistral.execution_created'],
                         [h.name for h in timeline.hops])
        self.assertEqual(10.0, timeline.hops[1].to_dict()['cloud_time'])

    def test_old_file_loads_without_them(self):
        data = json.loads(tl.Timeline('t').to_json())
        for key in ('hops', 'missed_phase', 'verdict'):
            del data[key]
        old = tl.Timeline.from_json(json.dumps(data))
        self.assertEqual([], old.hops)
        self.assertIsNone(old.missed_phase)
        self.assertIsNone(old.verdict)

    def test_unknown_verdict_refused(self):
        data = json.loads(tl.Timeline('t').to_json())
        data['verdict'] = 'maybe'
        error = self.assertRaises(ValueError, tl.Timeline.from_json,
                                  json.dumps(data))
        self.assertIn("verdict must be one of passed, failed, interrupted, "
                      "got 'maybe'", str(error))


class PhasesAndFaultsTest(testtools.TestCase):
    """Format 2: any phases, several faults; format 1 files still load."""

    def _run(self):
        timeline = tl.Timeline('t', clock=lambda: T0)
        timeline.set_phases([tl.DETECTED, 'FENCED'])
        first = {'kind': 'host_stop', 't_fault': T0}
        second = {'kind': 'service_restart', 't_fault': T0 + 4}
        self.assertEqual(tl.FAULT_INJECTED, timeline.add_fault(first))
        timeline.mark(tl.FAULT_INJECTED, at=T0, detail=first)
        timeline.mark(tl.DETECTED, at=T0 + 3)
        self.assertEqual('FAULT_INJECTED_2', timeline.add_fault(second))
        timeline.mark('FAULT_INJECTED_2', at=T0 + 4, detail=second)
        timeline.mark('FENCED', at=T0 + 9, cloud_time=T0 + 8)
        timeline.mark(tl.RECOVERED, at=T0 + 20)
        return timeline

    def test_phase_names_and_marks(self):
        self.assertEqual(tl.ACTION_STARTED, tl.phase_mark('act'))
        self.assertEqual('FENCED', tl.phase_mark('fenced'))
        self.assertEqual('recover', tl.mark_phase(tl.RECOVERED))
        self.assertEqual('fenced', tl.mark_phase('FENCED'))

    def test_extra_phase_durations_and_order(self):
        timeline = self._run()
        self.assertEqual({'detected_s': 3.0, 'fenced_s': 9.0,
                          'fenced_cloud_s': 8.0, 'recovered_s': 20.0},
                         timeline.durations())
        self.assertRaises(ValueError, timeline.mark, 'FENCED')
        error = self.assertRaises(ValueError, timeline.mark, tl.DETECTED)
        self.assertIn('already marked', str(error))
        # ACTION_STARTED is not a phase of this run: a free mark.
        timeline.mark(tl.ACTION_STARTED)

    def test_phase_before_an_earlier_one_refused(self):
        timeline = tl.Timeline('t', clock=lambda: T0)
        timeline.set_phases([tl.DETECTED, 'FENCED'])
        timeline.mark('FENCED')
        error = self.assertRaises(ValueError, timeline.mark, tl.DETECTED)
        self.assertIn('after the later phase FENCED', str(error))

    def test_round_trip_keeps_phases_faults_and_deadline(self):
        timeline = self._run()
        timeline.missed_phase, timeline.deadline_s = 'fenced', 60
        data = json.loads(timeline.to_json())
        self.assertEqual(tl.FORMAT, data['format'])
        self.assertEqual(['FAULT_INJECTED', 'DETECTED', 'FENCED',
                          'RECOVERED'], data['phases'])
        self.assertEqual(['host_stop', 'service_restart'],
                         [f['kind'] for f in data['faults']])
        again = tl.Timeline.from_json(timeline.to_json())
        self.assertEqual(timeline.to_dict(), again.to_dict())
        self.assertEqual(('fenced', 60), (again.missed_phase,
                                          again.deadline_s))

    def test_format_1_file_has_the_built_in_phases_and_its_one_fault(self):
        data = json.loads(self._run().to_json())
        for key in ('format', 'faults', 'deadline_s'):
            del data[key]
        data['phases'] = list(tl.PHASES)
        data['marks'] = [m for m in data['marks']
                         if m['name'] not in ('FENCED', 'FAULT_INJECTED_2')]
        old = tl.Timeline.from_json(json.dumps(data))
        self.assertEqual(tl.PHASES, old.phases)
        self.assertEqual([{'kind': 'host_stop', 't_fault': T0}], old.faults)
        self.assertIsNone(old.deadline_s)

    def test_unknown_format_refused(self):
        data = json.loads(tl.Timeline('t').to_json())
        data['format'] = 9
        error = self.assertRaises(ValueError, tl.Timeline.from_json,
                                  json.dumps(data))
        self.assertIn('format must be 1 or 2, got 9', str(error))


class StopAndRepairFieldsTest(testtools.TestCase):
    """``interrupted_by`` and ``repaired``: written when known, format 2.
    """

    REPAIRED = [{'entry': 'dead-1', 'run_id': '3fa2c0ffee01',
                 'kind': 'host_stop', 'target': 'host1',
                 'did': ['ran start on host1', 'cleared forced_down'],
                 'errors': [], 'dry_run': False, 'corrupt': None}]

    def test_round_trip(self):
        original = tl.Timeline('a.b.C.test_x[id-1]')
        original.verdict = tl.INTERRUPTED
        original.interrupted_by = 'kill_switch'
        original.result = 'interrupted: kill_switch: kill switch /k exists'
        original.repaired = self.REPAIRED
        data = json.loads(original.to_json())
        self.assertEqual((2, 'kill_switch', self.REPAIRED), (
            data['format'], data['interrupted_by'], data['repaired']))
        copy = tl.Timeline.from_json(original.to_json())
        self.assertEqual(('kill_switch', self.REPAIRED),
                         (copy.interrupted_by, copy.repaired))
        self.assertEqual(original.to_dict(), copy.to_dict())

    def test_older_files_load_without_them(self):
        data = tl.Timeline('a.b.C.test_x[id-1]').to_dict()
        self.assertNotIn('interrupted_by', data)
        self.assertNotIn('repaired', data)
        copy = tl.Timeline.from_json(json.dumps(data))
        self.assertEqual((None, None), (copy.interrupted_by, copy.repaired))

    def test_wrong_types_are_named(self):
        data = tl.Timeline('a.b.C.test_x[id-1]').to_dict()
        data['repaired'] = 'host1'
        error = self.assertRaises(ValueError, tl.Timeline.from_json,
                                  json.dumps(data))
        self.assertIn("repaired must be a list, got 'host1'", str(error))
        data['repaired'], data['interrupted_by'] = [], 3
        error = self.assertRaises(ValueError, tl.Timeline.from_json,
                                  json.dumps(data))
        self.assertIn('interrupted_by must be text, got 3', str(error))

    def test_repairs_in_words(self):
        self.assertEqual(
            'host_stop on host1 of run 3fa2c0ffee01: ran start on host1; '
            'cleared forced_down', tl.repair_text(self.REPAIRED[0]))
        self.assertEqual(
            'corrupt entry x-1 skipped: not JSON: Expecting value',
            tl.repair_text({'entry': 'x-1',
                            'corrupt': 'not JSON: Expecting value'}))
        self.assertEqual(
            'nic_down on host2 of run r1: ip link set eth1 up (dry run: '
            'nothing done)', tl.repair_text({
                'kind': 'nic_down', 'target': 'host2', 'run_id': 'r1',
                'did': ['ip link set eth1 up'], 'dry_run': True}))
