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

"""The healing engine and its deadline messages, on a fake clock."""

import json
import os
from unittest import mock

import fixtures
import testtools

from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import run as hrun
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import timeline as tl
from unit_tests.harness import fakes

HEALTHY = [('a', 'ACTIVE', 'c1'), ('b', 'ACTIVE', 'c2')]
DEGRADED = [('b', 'ACTIVE', 'c2')]
HEALED = [('b', 'ACTIVE', 'c2'), ('n', 'ACTIVE', 'c1')]


class Cloud(object):
    """A scripted cloud: what it shows depends on seconds since fault."""

    def __init__(self, clock, detect_at=5, act_at=8, heal_at=20,
                 healed=HEALED, before=HEALTHY, relapse_at=None):
        self.clock = clock
        self.t_fault = None
        self.detect_at, self.act_at, self.heal_at = detect_at, act_at, heal_at
        self.healed, self.before = healed, before
        self.relapse_at = relapse_at
        self.calls = []

    def since(self):
        return None if self.t_fault is None else self.clock() - self.t_fault

    def detect(self):
        self.calls.append(('detect', self.clock()))
        since = self.since()
        if self.detect_at is not None and since >= self.detect_at:
            return self.t_fault + self.detect_at - 0.5
        return None

    def act(self):
        self.calls.append(('act', self.clock()))
        since = self.since()
        if self.act_at is not None and since >= self.act_at:
            return hrun.Observation(cloud_time=self.t_fault + self.act_at,
                                    source='mistral', execution='e-1')
        return None

    def state(self):
        self.calls.append(('state', self.clock()))
        since = self.since()
        if since is None:
            members = self.before
        elif self.relapse_at is not None and since >= self.relapse_at:
            members = DEGRADED
        elif self.heal_at is not None and since >= self.heal_at:
            members = self.healed
        else:
            members = DEGRADED
        return sp.ClusterState([sp.Member(*m) for m in members])


class HealingRunTest(testtools.TestCase):

    def setUp(self):
        super(HealingRunTest, self).setUp()
        self.clock = fakes.FakeClock()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.conf = mock.Mock(
            detect_timeout_s=30, act_timeout_s=60, recover_timeout_s=120,
            steady_window_s=5, poll_interval_s=1.0, timeline_dir=self.dir,
            cluster_desired_size=2, cluster_max_size=3, cluster_floor=1,
            cluster_min_size=1)
        self.test = fakes.FakeTest()
        self.cloud = Cloud(self.clock)
        self.compute = mock.Mock()
        self.fault = faults.InstanceDelete(self.compute, 'a',
                                           clock=self.clock)
        real_act = self.fault._act

        def act():
            self.cloud.t_fault = self.clock()
            real_act()
        self.fault._act = act

    def _run(self, **kwargs):
        params = dict(detect=self.cloud.detect, act=self.cloud.act,
                      conf=self.conf, clock=self.clock,
                      sleep=self.clock.sleep)
        params.update(kwargs)
        return hrun.HealingRun(self.test, self.fault, self.cloud.state,
                               **params)

    def _written(self):
        self.assertEqual([], self.test.run_cleanups())
        with open(os.path.join(self.dir, 'pkg.module.Class.test_flow.json'))\
                as stream:
            return json.load(stream)

    def test_heals(self):
        timeline = self._run().run()
        self.assertEqual('healed', timeline.result)
        names = [m.name for m in timeline.marks]
        self.assertEqual(list(tl.PHASES), names)
        durations = timeline.durations()
        # Two calls a poll until the action is seen: polls 2 s apart, so
        # the event at 5 s is seen at 6 s, after a negative poll at 4 s.
        self.assertEqual(6.0, durations['detected_s'])
        self.assertEqual(4.5, durations['detected_cloud_s'])
        self.assertEqual(self.cloud.t_fault + 4,
                         timeline.phase(tl.DETECTED).not_before)
        self.assertEqual(8.0, durations['action_started_cloud_s'])
        self.assertEqual(20.0, durations['recovered_s'])
        self.assertEqual(['GREEN', 'YELLOW', 'GREEN'], timeline.bands())
        self.assertEqual('mistral',
                         timeline.phase(tl.ACTION_STARTED).source)
        # Held for the steady window, not one lucky sample.
        last = timeline.samples[-1].t
        self.assertGreaterEqual(
            last - timeline.phase(tl.RECOVERED).harness_time, 5)
        # Written after the fault's undo: the file holds what it did.
        data = self._written()
        self.assertIn('undone_at', data['marks'][0]['detail'])
        self.assertEqual(['a'], data['marks'][0]['detail'][
            'affected_members'])
        self.assertIn(tl.DETAIL_NAME, self.test.details)

    def test_records_what_it_is_judged_against(self):
        self._run(scenario_name='autoheal_delete_member').run()
        data = self._written()
        self.assertEqual({'detect_s': 30, 'act_s': 60, 'recover_s': 120},
                         data['deadlines'])
        self.assertEqual({'desired': 2, 'min': 1, 'max': 3, 'floor': 1,
                          'identity': 'replace', 'host_change': None,
                          'allow_red': False}, data['invariants'])
        self.assertEqual({'name': 'autoheal_delete_member',
                          'fault': 'instance_delete',
                          'observed': [tl.DETECTED, tl.ACTION_STARTED],
                          'steady_window_s': 5, 'poll_interval_s': 1.0,
                          'cluster_calls': 1},
                         data['scenario'])

    def test_records_the_overrides_and_the_expected_miss(self):
        self.cloud.detect_at = None
        self.cloud.heal_at = None
        self._fails(dl.DeadlineMissed, detect=self.cloud.detect, act=None,
                    deadlines=dl.Deadlines(10, 20, 40),
                    expect_missed_phase=dl.DETECT)
        data = self._written()
        self.assertEqual({'detect_s': 10, 'act_s': 20, 'recover_s': 40},
                         data['deadlines'])
        self.assertEqual(dl.DETECT, data['scenario']['expect_missed_phase'])
        self.assertEqual([tl.DETECTED], data['scenario']['observed'])
        self.assertNotIn('name', data['scenario'])

    def test_polls_no_faster_than_the_interval(self):
        self._run().run()
        times = [t for _, t in self.cloud.calls]
        # Until ACTION_STARTED: two calls per poll, so two seconds apart.
        polls = sorted(set(times))
        gaps = [b - a for a, b in zip(polls, polls[1:])]
        self.assertGreaterEqual(min(gaps), 1.0)
        self.assertLessEqual(
            len(self.cloud.calls),
            1.05 * (self.clock.now - self.cloud.calls[0][1]) + 2)

    def test_one_request_per_interval_whatever_each_poll_asks(self):
        # Detect makes 2 requests, act 1, the cluster 2: polls 4 s apart
        # until detected, 3 s until acted, then 2 s.
        self.cloud.act_at, self.cloud.heal_at = 16, 24

        def detect():
            return self.cloud.detect()
        detect.calls = 2
        self._run(detect=detect, cluster_calls=2).run()

        def gaps(kind):
            times = [t for what, t in self.cloud.calls if what == kind]
            return sorted(set(round(b - a, 6)
                              for a, b in zip(times, times[1:])))
        self.assertEqual([4.0], gaps('detect'))
        self.assertEqual([3.0], gaps('act'))
        states = [t for what, t in self.cloud.calls if what == 'state']
        self.assertEqual(2.0, round(states[-1] - states[-2], 6))
        # One request per second from the fault on, but for the last
        # poll's own (at most 4); the first call is the baseline.
        calls = [what for what, _ in self.cloud.calls[1:]]
        requests = (2 * calls.count('state') + 2 * calls.count('detect') +
                    calls.count('act'))
        elapsed = self.clock.now - self.cloud.t_fault
        self.assertLessEqual(requests, elapsed + 4)

    def _fails(self, error_class, **kwargs):
        error = self.assertRaises(error_class, self._run(**kwargs).run)
        self.assertIsInstance(error, AssertionError)
        return error

    def test_detect_deadline_message(self):
        self.cloud.detect_at = None
        self.cloud.heal_at = None
        error = self._fails(dl.DeadlineMissed)
        self.assertEqual(dl.DETECT, error.phase)
        text = str(error)
        self.assertIn("phase 'detect' missed its deadline", text)
        self.assertIn('within 30 s of the fault', text)
        self.assertRegex(text, r'elapsed 3[0-2]\.\d s')
        self.assertIn('last cluster state: 1 member(s) [b ACTIVE on c2], '
                      'band YELLOW', text)
        self.assertIn('failed: ', self._written()['result'])

    def test_act_deadline_message(self):
        self.cloud.act_at = None
        error = self._fails(dl.DeadlineMissed)
        self.assertEqual(dl.ACT, error.phase)
        self.assertIn("'act'", str(error))
        self.assertIn('within 60 s', str(error))
        self.assertIn('phases seen: FAULT_INJECTED, DETECTED', str(error))

    def test_seen_after_the_deadline_is_a_miss(self):
        self.cloud.detect_at = 31
        error = self._fails(dl.DeadlineMissed)
        self.assertEqual(dl.DETECT, error.phase)
        self.assertGreater(error.elapsed_s, 30)

    def test_recover_deadline_message(self):
        self.cloud.heal_at = None
        error = self._fails(dl.DeadlineMissed)
        self.assertEqual(dl.RECOVER, error.phase)
        self.assertIn('within 120 s', str(error))
        self.assertIn('not recovered: size 1, desired 2', str(error))
        self.assertIn('b ACTIVE on c2', str(error))

    def test_recovery_waits_for_the_action(self):
        # The cluster looks whole before the action is seen: not healed.
        self.cloud.heal_at = 0
        self.cloud.act_at = 10
        timeline = self._run().run()
        self.assertGreaterEqual(
            timeline.phase(tl.RECOVERED).harness_time,
            timeline.phase(tl.ACTION_STARTED).harness_time)

    def test_above_max_fails_at_once(self):
        self.cloud.healed = HEALED + [('x', 'BUILD', 'c1'),
                                      ('y', 'BUILD', 'c1')]
        error = self._fails(dl.InvariantBreach)
        self.assertIn('size 4 above max 3', str(error))
        self.assertIn('20.0 s after the fault', str(error))

    def test_relapse_in_steady_window_fails(self):
        self.conf.steady_window_s = 10
        self.cloud.relapse_at = 24
        error = self._fails(dl.InvariantBreach)
        self.assertIn('inside the steady window of 10 s', str(error))

    def test_unhealthy_cluster_is_not_faulted(self):
        self.cloud.before = DEGRADED
        error = self._fails(dl.ClusterNotReady)
        self.assertIn('not healthy before the fault', str(error))
        self.compute.delete_server.assert_not_called()

    def test_without_observers_only_the_cluster_is_polled(self):
        timeline = self._run(detect=None, act=None).run()
        self.assertEqual([tl.FAULT_INJECTED, tl.RECOVERED],
                         [m.name for m in timeline.marks])
        self.assertEqual({'state'}, set(c for c, _ in self.cloud.calls))

    def test_deadlines_from_config_and_overrides(self):
        d = dl.Deadlines.from_config(self.conf, act_s=45)
        self.assertEqual({'detect_s': 30, 'act_s': 45, 'recover_s': 120},
                         d.to_dict())
        self.assertRaises(ValueError, dl.Deadlines, 0, 1, 1)


class CriticalPathOfARunTest(HealingRunTest):
    """The hops are read after the test, verdict and missed phase kept."""

    def test_hops_read_after_the_test_before_the_write(self):
        seen = []

        def critical_path(timeline):
            # The fault's undo has run: the test is over.
            seen.append('undone_at' in timeline.phase(
                tl.FAULT_INJECTED).detail)
            return [tl.Hop('heat.update_complete', 'heat',
                           cloud_time=self.cloud.t_fault + 19),
                    tl.Hop('aodh.alarm_fired', 'aodh',
                           cloud_time=self.cloud.t_fault + 4.5)]
        self._run(critical_path=critical_path).run()
        data = self._written()
        self.assertEqual([True], seen)
        self.assertEqual(['aodh.alarm_fired', 'heat.update_complete'],
                         [h['name'] for h in data['hops']])
        self.assertEqual('passed', data['verdict'])
        self.assertIsNone(data['missed_phase'])

    def test_missed_phase_is_a_field(self):
        self.cloud.act_at = None
        self._fails(dl.DeadlineMissed)
        data = self._written()
        self.assertEqual('act', data['missed_phase'])
        self.assertEqual('failed', data['verdict'])

    def test_a_broken_collector_never_fails_the_test(self):
        def critical_path(timeline):
            raise RuntimeError('cloud gone')
        self._run(critical_path=critical_path).run()
        data = self._written()
        self.assertEqual([], data['hops'])
        self.assertEqual('RuntimeError: cloud gone',
                         data['scenario']['critical_path_error'])
        self.assertEqual('passed', data['verdict'])

    def test_a_check_failing_after_the_healing_fails_the_verdict(self):
        handlers = []
        self.test.addOnException = handlers.append
        self._run().run()
        # What testtools does when the test method then raises.
        for handler in handlers:
            handler((AssertionError, AssertionError('execution ERROR'),
                     None))
        data = self._written()
        self.assertEqual('failed', data['verdict'])
        self.assertEqual('failed after healing: AssertionError: execution '
                         'ERROR', data['result'])

    def test_a_skip_is_not_a_failure(self):
        handlers = []
        self.test.addOnException = handlers.append
        self._run().run()
        for handler in handlers:
            handler((self.test.skipException,
                     self.test.skipException('no host'), None))
        self.assertEqual('passed', self._written()['verdict'])
