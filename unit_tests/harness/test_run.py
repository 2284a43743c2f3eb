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

"""The healing engine: faults, phases, deadlines, judgement; fake clock."""

import json
import os
from unittest import mock

import fixtures
import testtools

from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import failures
from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import run as hrun
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import timeline as tl
from unit_tests.harness import fakes

HEALTHY = [('a', 'ACTIVE', 'c1'), ('b', 'ACTIVE', 'c2')]


class Seen(object):
    """An observation as the engine reads one (observers.Observation)."""

    def __init__(self, cloud_time=None, source=None, **detail):
        self.cloud_time, self.source, self.detail = cloud_time, source, detail


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
            return Seen(cloud_time=self.t_fault + self.act_at,
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


class RunFixtures(testtools.TestCase):
    """A scripted cloud, a fault, a config and a run builder; no tests."""

    def setUp(self):
        super(RunFixtures, self).setUp()
        self.clock = fakes.FakeClock()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.conf = mock.Mock(
            detect_timeout_s=30, act_timeout_s=60, recover_timeout_s=120,
            phase_timeout_s=45, steady_window_s=5, poll_interval_s=1.0,
            timeline_dir=self.dir, cluster_desired_size=2,
            cluster_max_size=3, cluster_floor=1, cluster_min_size=1)
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

    def _judgement(self, observers=None, deadlines=None, **cluster):
        if observers is None:
            observers = {dl.DETECT: self.cloud.detect,
                         dl.ACT: self.cloud.act}
        deadlines = deadlines or dl.Deadlines.from_config(
            self.conf, phases=list(observers))
        bounds, target = sp.cluster_rules(self.conf, **cluster)
        return hrun.Judgement(bounds, target,
                              phases=hrun.phases(observers, deadlines),
                              recover_s=deadlines.recover_s)

    def _run(self, faults=None, observers=None, deadlines=None,
             cluster=None, **kwargs):
        params = dict(conf=self.conf, clock=self.clock,
                      sleep=self.clock.sleep)
        params.update(kwargs)
        judgement = self._judgement(observers, deadlines, **(cluster or {}))
        return hrun.HealingRun(self.test, faults or [self.fault],
                               self.cloud.state, judgement, **params)

    def _written(self):
        self.assertEqual([], self.test.run_cleanups())
        with open(os.path.join(self.dir, 'pkg.module.Class.test_flow.json'))\
                as stream:
            return json.load(stream)

    def _fails(self, error_class, **kwargs):
        error = self.assertRaises(error_class, self._run(**kwargs).run)
        self.assertIsInstance(error, AssertionError)
        return error


class HealingRunTest(RunFixtures):

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
                          'faults': ['instance_delete'],
                          'observed': [tl.DETECTED, tl.ACTION_STARTED],
                          'steady_window_s': 5, 'poll_interval_s': 1.0,
                          'cluster_calls': 1},
                         data['scenario'])

    def test_records_the_overrides_and_the_expected_miss(self):
        self.cloud.detect_at = None
        self.cloud.heal_at = None
        self._fails(failures.DeadlineMissed,
                    observers={dl.DETECT: self.cloud.detect},
                    deadlines=dl.Deadlines({dl.DETECT: 10, dl.RECOVER: 40}),
                    expect_missed_phase=dl.DETECT)
        data = self._written()
        self.assertEqual({'detect_s': 10, 'recover_s': 40},
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
        self._run(observers={dl.DETECT: detect, dl.ACT: self.cloud.act},
                  cluster_calls=2).run()

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

    def test_detect_deadline_message(self):
        self.cloud.detect_at = None
        self.cloud.heal_at = None
        error = self._fails(failures.DeadlineMissed)
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
        error = self._fails(failures.DeadlineMissed)
        self.assertEqual(dl.ACT, error.phase)
        self.assertIn("'act'", str(error))
        self.assertIn('within 60 s', str(error))
        self.assertIn('phases seen: FAULT_INJECTED, DETECTED', str(error))

    def test_seen_after_the_deadline_is_a_miss(self):
        self.cloud.detect_at = 31
        error = self._fails(failures.DeadlineMissed)
        self.assertEqual(dl.DETECT, error.phase)
        self.assertGreater(error.elapsed_s, 30)

    def test_recover_deadline_message(self):
        self.cloud.heal_at = None
        error = self._fails(failures.DeadlineMissed)
        self.assertEqual(dl.RECOVER, error.phase)
        self.assertIn('within 120 s', str(error))
        self.assertIn('not recovered: size 1, desired 2', str(error))
        self.assertEqual(120, error.deadline_s)
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
        error = self._fails(failures.InvariantBreach)
        self.assertIn('size 4 above max 3', str(error))
        self.assertIn('20.0 s after the fault', str(error))

    def test_relapse_in_steady_window_fails(self):
        self.cloud.relapse_at = 24
        error = self._fails(failures.InvariantBreach,
                            cluster={'steady_window_s': 10})
        self.assertIn('inside the steady window of 10 s', str(error))

    def test_unhealthy_cluster_is_not_faulted(self):
        self.cloud.before = DEGRADED
        error = self._fails(failures.ClusterNotReady)
        self.assertIn('not healthy before the fault', str(error))
        self.compute.delete_server.assert_not_called()

    def test_without_observers_only_the_cluster_is_polled(self):
        timeline = self._run(observers={}).run()
        self.assertEqual([tl.FAULT_INJECTED, tl.RECOVERED],
                         [m.name for m in timeline.marks])
        self.assertEqual({'state'}, set(c for c, _ in self.cloud.calls))


class CriticalPathOfARunTest(RunFixtures):
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
        self._fails(failures.DeadlineMissed)
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

    def test_a_broken_run_and_an_interrupted_one_are_told_apart(self):
        states = iter([self.cloud.state()])

        def state():
            # The second poll: the job is stopped (SIGINT).
            return next(states)
        self.cloud.state = lambda: state()
        self.assertRaises(StopIteration, self._run().run)
        data = self._written()
        self.assertEqual(('failed', 'error'), (data['verdict'],
                                               data['failed_by']))

        self.test = fakes.FakeTest()
        self.fault = faults.InstanceDelete(self.compute, 'a',
                                           clock=self.clock)
        run = self._run()

        def interrupt():
            raise KeyboardInterrupt()
        run.cluster_state = interrupt
        self.assertRaises(KeyboardInterrupt, run.run)
        data = self._written()
        self.assertEqual(('interrupted', None), (data['verdict'],
                                                 data['failed_by']))
        self.assertEqual('interrupted: KeyboardInterrupt', data['result'])

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


class FakeFault(object):
    """A Fault as the engine sees it (CONTRACTS.md 1), recording undos."""

    def __init__(self, clock, kind, hits=(), hosts=(), expires_in=None,
                 self_undoing=False, log=None, cloud=None):
        self.clock, self.kind = clock, kind
        self.hits, self.hosts = set(hits), set(hosts)
        self.expires_in, self.self_undoing = expires_in, self_undoing
        self.log = [] if log is None else log
        self.cloud = cloud
        self.record = {'kind': kind}
        self.t_fault = None
        self._armed = self._undone = False

    @property
    def active(self):
        return self._armed and not self._undone

    @property
    def expires_at(self):
        if self.t_fault is None or self.expires_in is None:
            return None
        return self.t_fault + self.expires_in

    def inject(self, test):
        test.addCleanup(self.undo)
        self._armed = True
        self.t_fault = self.record['t_fault'] = self.clock()
        if self.cloud is not None and self.cloud.t_fault is None:
            self.cloud.t_fault = self.t_fault
        self.log.append(('inject', self.kind, self.clock()))

    def undo(self):
        if not self.active:
            return
        self._undone = True
        self.record['undone_at'] = self.clock()
        self.log.append(('undo', self.kind, self.clock()))

    def affected(self, state):
        return set(m.id for m in state.members if m.id in self.hits)

    def hosts_cut_off(self):
        return set(self.hosts) if self.active else set()


class Scheduled(object):
    """A ScheduledFault (CONTRACTS.md 1) stand-in."""

    def __init__(self, fault, at_s=0, on_phase=None):
        self.fault, self.at_s, self.on_phase = fault, at_s, on_phase


class SeveralFaultsTest(RunFixtures):
    """CONTRACTS.md 4: faults at 0, at an offset, on a phase; undos."""

    def _fault(self, kind, **kwargs):
        kwargs.setdefault('log', self.log)
        return FakeFault(self.clock, kind, cloud=self.cloud, **kwargs)

    def setUp(self):
        super(SeveralFaultsTest, self).setUp()
        self.log = []

    def test_faults_at_0_back_to_back_marked_and_recorded(self):
        first = self._fault('instance_delete', hits={'a'})
        second = self._fault('service_kill')
        timeline = self._run(faults=[Scheduled(first),
                                     Scheduled(second)]).run()
        self.assertEqual([first.t_fault], [second.t_fault])
        self.assertEqual([tl.FAULT_INJECTED, 'FAULT_INJECTED_2'],
                         [m.name for m in timeline.marks][:2])
        self.assertEqual([first.record, second.record], timeline.faults)
        self.assertEqual((['a'], []), (first.record['affected_members'],
                                       second.record['affected_members']))
        self.assertEqual('instance_delete, service_kill',
                         timeline.scenario['fault'])

    def test_undone_in_reverse_order_then_written(self):
        first = self._fault('instance_delete', hits={'a'})
        second = self._fault('service_kill')
        self._run(faults=[first, second]).run()
        data = self._written()
        self.assertEqual([('undo', 'service_kill'),
                          ('undo', 'instance_delete')],
                         [e[:2] for e in self.log if e[0] == 'undo'])
        # The file was written after both undos: it holds their records.
        self.assertEqual([True, True], ['undone_at' in f
                                        for f in data['faults']])

    def test_undone_in_reverse_order_when_the_run_fails(self):
        self.cloud.detect_at = None
        first = self._fault('instance_delete', hits={'a'})
        second = self._fault('server_stop')
        self._fails(failures.DeadlineMissed, faults=[first, second])
        data = self._written()
        self.assertEqual(['server_stop', 'instance_delete'],
                         [e[1] for e in self.log if e[0] == 'undo'])
        self.assertEqual(['failed', 'failed'], [data['verdict'],
                                                data['result'][:6]])

    def test_offset_injected_at_the_first_poll_past_it(self):
        first = self._fault('instance_delete', hits={'a'})
        later = self._fault('instance_delete', hits={'b'})
        self.cloud.heal_at = 30
        self.cloud.healed = [('n', 'ACTIVE', 'c1'), ('m', 'ACTIVE', 'c2')]
        timeline = self._run(faults=[first, Scheduled(later, at_s=7)]).run()
        at = later.t_fault - first.t_fault
        self.assertGreaterEqual(at, 7)
        self.assertLess(at, 7 + 2.01)
        self.assertEqual(at, later.record['at_s'])
        # Deadlines and durations count from the first fault.
        self.assertEqual(first.t_fault, timeline.phase(
            tl.FAULT_INJECTED).harness_time)
        self.assertEqual(30.0, timeline.durations()['recovered_s'])
        self.assertEqual({'a', 'b'}, set(
            later.record['affected_members'] +
            first.record['affected_members']))

    def test_no_recovery_before_a_later_fault(self):
        # Healed at 0 s, but a fault is due at 12 s: not healed before.
        first = self._fault('instance_delete', hits={'a'})
        later = self._fault('service_kill')
        self.cloud.heal_at = 0
        timeline = self._run(faults=[first, Scheduled(later, at_s=12)]).run()
        self.assertGreaterEqual(timeline.phase(tl.RECOVERED).harness_time,
                                later.t_fault)

    def test_on_phase_injected_when_the_phase_is_marked(self):
        first = self._fault('instance_delete', hits={'a'})
        on_act = self._fault('service_restart')
        timeline = self._run(faults=[
            first, Scheduled(on_act, on_phase='action_started')]).run()
        acted = timeline.phase(tl.ACTION_STARTED).harness_time
        self.assertEqual(acted, on_act.t_fault)
        self.assertEqual('action_started', on_act.record['on_phase'])
        self.assertEqual(['instance_delete', 'service_restart on '
                          'action_started'], timeline.scenario['faults'])

    def test_engine_undoes_an_expired_fault_not_self_undoing(self):
        kill = self._fault('service_kill', expires_in=10)
        freeze = self._fault('service_freeze', expires_in=10,
                             self_undoing=True)
        first = self._fault('instance_delete', hits={'a'})
        self._run(faults=[first, kill, freeze]).run()
        undone = [e for e in self.log if e[0] == 'undo']
        self.assertEqual('service_kill', undone[0][1])
        self.assertGreaterEqual(undone[0][2] - kill.t_fault, 10)
        self.assertLess(undone[0][2] - kill.t_fault, 12.01)
        self.assertEqual('engine, at expires_at', kill.record['undone_by'])
        self.assertNotIn('undone_by', freeze.record)

    def test_schedule_errors_name_the_fault(self):
        fault = self._fault('service_restart')
        error = self.assertRaises(ValueError, self._run, faults=[
            self.fault, Scheduled(fault, on_phase='fenced')])
        self.assertIn("fault service_restart is injected on phase "
                      "'fenced', which the run does not observe (it "
                      "observes: detect, act)", str(error))
        error = self.assertRaises(ValueError, self._run, faults=[
            Scheduled(fault, at_s=5)])
        self.assertIn('no fault is injected at 0', str(error))


class TruthfulStateTest(RunFixtures):
    """Members on a host a fault cut off are HOST_DOWN, band and judge."""

    def test_band_leaves_green_at_the_first_poll_after_the_cut(self):
        # Nova still calls 'a' ACTIVE on c1: the fault says c1 is cut off.
        self.cloud.before = self.cloud.healed = HEALTHY
        self.cloud.heal_at = 0
        host = FakeFault(self.clock, 'host_stop', hosts={'c1'},
                         cloud=self.cloud, hits={'a'})
        error = self._fails(failures.DeadlineMissed, faults=[host],
                            observers={})
        data = self._written()
        self.assertEqual('GREEN', data['samples'][0]['band'])
        self.assertEqual('YELLOW', data['samples'][1]['band'])
        self.assertEqual(sp.HOST_DOWN, dict(
            (m['id'], m['status'])
            for m in data['samples'][1]['members'])['a'])
        self.assertIn('a HOST_DOWN on c1', str(error))

    def test_the_same_state_feeds_the_bounds(self):
        self.cloud.before = self.cloud.healed = HEALTHY
        host = FakeFault(self.clock, 'host_stop', hosts={'c1', 'c2'},
                         cloud=self.cloud)
        error = self._fails(failures.InvariantBreach, faults=[host],
                            observers={})
        self.assertIn('0 healthy member(s), below the floor 1', str(error))

    def test_not_cut_off_once_undone(self):
        host = FakeFault(self.clock, 'nic_down', hosts={'c1'},
                         cloud=self.cloud, expires_in=3)
        self.cloud.heal_at = 0
        self.cloud.healed = HEALTHY
        timeline = self._run(faults=[host], observers={},
                             cluster={'identity': sp.KEEP}).run()
        self.assertEqual(['GREEN', 'YELLOW', 'GREEN'], timeline.bands())
        self.assertIn('undone_by', host.record)


class PhasesTest(RunFixtures):
    """Any number of named phases, each with its deadline and mark."""

    def setUp(self):
        super(PhasesTest, self).setUp()
        self.fenced_at = 6

    def fenced(self):
        since = self.cloud.since()
        if since is not None and since >= self.fenced_at:
            return Seen(cloud_time=self.cloud.t_fault + 5.5,
                        source='nova service')
        return None

    def _observers(self):
        return {dl.DETECT: self.cloud.detect, 'fenced': self.fenced,
                dl.ACT: self.cloud.act}

    def test_extra_phase_marked_in_order(self):
        self.cloud.act_at = 12
        timeline = self._run(observers=self._observers()).run()
        self.assertEqual([tl.FAULT_INJECTED, tl.DETECTED, 'FENCED',
                          tl.ACTION_STARTED, tl.RECOVERED],
                         [m.name for m in timeline.marks])
        self.assertEqual(timeline.phases, tuple(
            m.name for m in timeline.marks))
        self.assertEqual(45, timeline.deadlines['fenced_s'])
        self.assertEqual(5.5, timeline.durations()['fenced_cloud_s'])

    def test_miss_names_the_phase_in_structured_fields(self):
        self.fenced_at = None
        self.fenced = lambda: None
        error = self._fails(failures.DeadlineMissed,
                            observers=self._observers())
        self.assertEqual(('fenced', 45), (error.phase, error.deadline_s))
        data = self._written()
        self.assertEqual(('fenced', 45), (data['missed_phase'],
                                          data['deadline_s']))

    def test_an_observer_object_with_poll_and_calls(self):
        polls = []

        class Fenced(object):
            calls = 3

            def poll(inner):
                polls.append(self.clock())
                return self.fenced()
        timeline = self._run(observers={'fenced': Fenced()}).run()
        self.assertEqual('FENCED', timeline.marks[1].name)
        # Three requests of its own and the cluster's one: 4 s apart.
        self.assertEqual({4.0}, set(b - a for a, b in zip(polls, polls[1:])))

    def test_phases_follow_the_order_and_skip_unobserved(self):
        deadlines = dl.Deadlines.from_config(
            self.conf, phases=['fenced', dl.DETECT, dl.ACT], fenced_s=90)
        found = hrun.phases({dl.DETECT: self.cloud.detect, dl.ACT: None,
                             'fenced': self.fenced}, deadlines,
                            order=['fenced', dl.DETECT, dl.ACT,
                                   dl.RECOVER])
        self.assertEqual([('fenced', 'FENCED', 90),
                          (dl.DETECT, tl.DETECTED, 30)],
                         [(p.name, p.mark, p.deadline_s) for p in found])
        self.assertEqual(1, found[0].observer.calls)

    def test_phase_and_judgement_refuse_bad_input(self):
        self.assertRaises(ValueError, hrun.Phase, dl.RECOVER, None, 10)
        error = self.assertRaises(ValueError, hrun.Phase, 'fenced',
                                  self.fenced, 0)
        self.assertIn('phase fenced: deadline_s must be > 0', str(error))
        bounds, target = sp.cluster_rules(self.conf)
        phase = hrun.Phase('fenced', self.fenced, 10)
        error = self.assertRaises(ValueError, hrun.Judgement, bounds,
                                  target, [phase, phase], 60)
        self.assertIn('phases named twice: fenced, fenced', str(error))
        error = self.assertRaises(ValueError, hrun.Judgement, bounds,
                                  target, [hrun.Phase(
                                      'detect', self.fenced, 10), hrun.Phase(
                                      'detected', self.fenced, 10)], 60)
        self.assertIn('phases named twice: detect, detected (marks '
                      'DETECTED, DETECTED)', str(error))
        error = self.assertRaises(ValueError, hrun.Judgement, bounds,
                                  target, [hrun.Phase(
                                      'recovered', self.fenced, 10)], 60)
        self.assertIn("phase marks RECOVERED are the engine's own",
                      str(error))
        self.assertRaises(ValueError, hrun.Judgement, bounds, target, (),
                          None)


class DeadlinesTest(testtools.TestCase):
    """Per-phase deadlines: the scenario's, else config."""

    def setUp(self):
        super(DeadlinesTest, self).setUp()
        self.conf = mock.Mock(detect_timeout_s=30, act_timeout_s=60,
                              recover_timeout_s=120, phase_timeout_s=45)

    def test_built_in_and_extra_phases(self):
        d = dl.Deadlines.from_config(self.conf, act_s=50)
        self.assertEqual({'detect_s': 30, 'act_s': 50, 'recover_s': 120},
                         d.to_dict())
        d = dl.Deadlines.from_config(self.conf, phases=['fenced'],
                                     recover_s=200)
        self.assertEqual({'fenced_s': 45, 'recover_s': 200}, d.to_dict())
        self.assertEqual(200, d.recover_s)
        # Recover named among the phases is still overridden once.
        d = dl.Deadlines.from_config(self.conf, phases=[dl.RECOVER],
                                     recover_s=200, act_s=None)
        self.assertEqual({'recover_s': 200}, d.to_dict())

    def test_bad_deadlines_are_named(self):
        error = self.assertRaises(ValueError, dl.Deadlines,
                                  {dl.DETECT: 0, dl.RECOVER: 10})
        self.assertIn('detect_s must be > 0, got 0', str(error))
        error = self.assertRaises(ValueError, dl.Deadlines.from_config,
                                  self.conf, phases=[dl.DETECT],
                                  notified=10)
        self.assertIn('a deadline is <phase>_s, got notified', str(error))
        error = self.assertRaises(ValueError, dl.Deadlines, {'detect': 5})
        self.assertIn('the deadlines need recover_s', str(error))
