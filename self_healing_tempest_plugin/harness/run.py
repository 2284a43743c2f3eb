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

"""The healing engine a scenario test calls.

    run = HealingRun(self, fault, cluster_state, detect=alarm_fired,
                     act=execution_created, invariants=..., deadlines=...)
    timeline = run.run()

It proves the cluster is healthy, injects the fault (whose undo is a
cleanup), then polls through the one Waiter: on each poll the observer of
the next unseen phase (detect, then act) and the cluster state, spaced so
that the run sends one request per ``poll_interval_s`` (an observer says
how many requests it makes in its ``calls`` attribute, default 1). It fills
the timeline, fails at once on a broken invariant or a missed deadline,
and returns when the recovered state has held for the steady window. The
timeline is attached to the result and written to [self_healing]
timeline_dir on success and on failure. Before it is written, the run's
``critical_path`` (a callable of the timeline returning ``timeline.Hop``
objects, see harness/critical_path.py) reads the flow's hops from the
cloud's records; a collector that fails never changes the verdict.
"""

import time

from self_healing_tempest_plugin.common import waiters
from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import timeline as tl


class Observation(object):
    """What an observer returns when it has seen its phase.

    An observer may also return True (seen, the cloud has no time for it)
    or the cloud's time itself (epoch seconds, ISO text or datetime);
    None or False mean "not yet".
    """

    def __init__(self, cloud_time=None, source=None, **detail):
        self.cloud_time = cloud_time
        self.source = source
        self.detail = detail


def as_observation(value):
    if value is None or value is False:
        return None
    if isinstance(value, Observation):
        return value
    if value is True:
        return Observation()
    return Observation(cloud_time=value)


def _conf():
    from tempest import config
    return config.CONF.self_healing


class HealingRun(object):
    """One fault and the healing that must follow it.

    :param test: the running test case (addCleanup, addDetail, id).
    :param fault: a ``faults.Fault``.
    :param cluster_state: callable returning a ``sampler.ClusterState``.
    :param detect: observer of DETECTED, or None when the flow has no
        observable detection.
    :param act: observer of ACTION_STARTED, or None.
    :param invariants: ``sampler.Invariants``; default from config.
    :param deadlines: ``deadlines.Deadlines``; default from config.
    :param steady_window_s: default [self_healing] steady_window_s.
    :param poll_interval_s: seconds per request (default and floor:
        [self_healing] poll_interval_s).
    :param cluster_calls: requests ``cluster_state`` makes per call.
    :param scenario_name: the scenario's name, for the report (default:
        the report derives it from the test id).
    :param expect_missed_phase: a negative scenario's expected miss
        ('detect' or 'act'), for the report.
    :param critical_path: callable(timeline) -> hops, called once the
        test is over (a cleanup, before the flow's resources are deleted).

    The timeline records the deadlines, the invariants and the scenario
    (fault kind, observed phases, windows) the run is judged against.
    """

    def __init__(self, test, fault, cluster_state, detect=None, act=None,
                 invariants=None, deadlines=None, steady_window_s=None,
                 poll_interval_s=None, timeline_dir=None, conf=None,
                 clock=time.time, sleep=time.sleep, scenario_name=None,
                 expect_missed_phase=None, cluster_calls=1,
                 critical_path=None):
        conf = conf or _conf()
        self.test = test
        self.fault = fault
        self.cluster_state = cluster_state
        self.observers = [(phase, fn) for phase, fn in (
            (tl.DETECTED, detect), (tl.ACTION_STARTED, act)) if fn]
        self.invariants = invariants or sp.Invariants.from_config(conf)
        self.deadlines = deadlines or dl.Deadlines.from_config(conf)
        self.steady_window_s = (conf.steady_window_s
                                if steady_window_s is None
                                else steady_window_s)
        self.poll_interval_s = max(conf.poll_interval_s,
                                   poll_interval_s or 0)
        self.cluster_calls = cluster_calls
        self.timeline_dir = (conf.timeline_dir if timeline_dir is None
                             else timeline_dir)
        self.clock = clock
        self.sleep = sleep
        self.timeline = tl.Timeline(test.id(), clock=clock)
        self._record_judgement(scenario_name, expect_missed_phase)
        self.critical_path = critical_path
        self.sampler = None
        self.written = None
        self._not_before = {}
        self._waiter = None

    # -- helpers ------------------------------------------------------
    def _record_judgement(self, scenario_name, expect_missed_phase):
        """What the run is judged against, into the timeline."""
        inv = self.invariants
        self.timeline.deadlines = self.deadlines.to_dict()
        self.timeline.invariants = {
            'desired': inv.desired, 'min': inv.min_size,
            'max': inv.max_size, 'floor': inv.floor,
            'identity': inv.identity, 'host_change': inv.host_change,
            'allow_red': inv.allow_red}
        scenario = {
            'fault': self.fault.kind,
            'observed': [phase for phase, _ in self.observers],
            'steady_window_s': self.steady_window_s,
            'poll_interval_s': self.poll_interval_s,
            'cluster_calls': self.cluster_calls}
        if scenario_name is not None:
            scenario['name'] = scenario_name
        if expect_missed_phase is not None:
            scenario['expect_missed_phase'] = expect_missed_phase
        self.timeline.scenario = scenario

    def _write(self):
        self.written = self.timeline.write(self.timeline_dir)

    def _test_failed(self, exc_info):
        """A check after the healing failed: the run did not pass.

        testtools calls this when the test's code raises, before the
        cleanups write the timeline. A skip is not a failure.
        """
        error = exc_info[1]
        if (self.timeline.result != 'healed' or
                isinstance(error, getattr(self.test, 'skipException', ()))):
            return
        self.timeline.verdict = tl.FAILED
        self.timeline.result = 'failed after healing: %s: %s' % (
            type(error).__name__, error)

    def _collect_hops(self):
        """The critical path from the cloud's records, into the timeline.

        A collector's failure is the collector's (harness/critical_path.py
        turns each into a hop without a cloud time); whatever else goes
        wrong here is kept in the timeline's scenario, not raised: the
        test's verdict is the healing's.
        """
        if self.critical_path is None:
            return
        try:
            self.timeline.set_hops(self.critical_path(self.timeline))
        except Exception as exc:
            self.timeline.scenario['critical_path_error'] = '%s: %s' % (
                type(exc).__name__, exc)

    def _last_state(self):
        return '%s, band %s' % (self.sampler.last.describe(),
                                self.sampler.last_band)

    def _sample(self):
        state = self.cluster_state()
        t = self.clock()
        band = self.sampler.observe(state, t)
        self.timeline.sample([m.to_dict() for m in state.members], band,
                             at=t)
        return state, t

    def _observe_next_phase(self):
        for phase, observer in self.observers:
            if self.timeline.phase(phase) is not None:
                continue
            polled = self.clock()
            seen = as_observation(observer())
            if seen is None:
                self._not_before[phase] = polled
            else:
                self.timeline.mark(
                    phase, at=self.clock(), cloud_time=seen.cloud_time,
                    source=seen.source, detail=seen.detail,
                    not_before=self._not_before.get(phase))
            return

    def _check_phase_deadlines(self, elapsed):
        t_fault = self.fault.t_fault
        for phase, name in ((tl.DETECTED, dl.DETECT),
                            (tl.ACTION_STARTED, dl.ACT)):
            if phase not in dict(self.observers):
                continue
            deadline = self.deadlines.for_phase(name)
            mark = self.timeline.phase(phase)
            late = elapsed if mark is None else mark.harness_time - t_fault
            if late > deadline:
                raise dl.DeadlineMissed(
                    name, deadline, late, self._last_state(),
                    seen_phases=[m.name for m in self.timeline.marks])

    def _next_observer(self):
        for phase, observer in self.observers:
            if self.timeline.phase(phase) is None:
                return observer
        return None

    def _interval(self):
        """Seconds until the next poll: one per request it will make."""
        observer = self._next_observer()
        calls = self.cluster_calls + (
            getattr(observer, 'calls', 1) if observer else 0)
        return self.poll_interval_s * calls

    def _step(self):
        self._observe_next_phase()
        self._waiter.interval_s = self._interval()
        state, t = self._sample()
        elapsed = t - self.fault.t_fault
        if self.sampler.breaches:
            raise dl.InvariantBreach(self.sampler.breaches, elapsed,
                                     self._last_state())
        self._check_phase_deadlines(elapsed)
        recovered_mark = self.timeline.phase(tl.RECOVERED)
        all_seen = all(self.timeline.phase(p) for p, _ in self.observers)
        if all_seen and self.sampler.recovered(state, t):
            if recovered_mark is None:
                recovered_mark = self.timeline.mark(
                    tl.RECOVERED, at=t, cloud_time=state.cloud_time,
                    not_before=self._not_before.get(tl.RECOVERED))
            return self.sampler.steady(t)
        self._not_before[tl.RECOVERED] = t
        if recovered_mark is None and elapsed > self.deadlines.recover_s:
            problems = self.sampler.problems(state) or [
                'phases not seen: %s' % ', '.join(
                    p for p, _ in self.observers
                    if self.timeline.phase(p) is None)]
            raise dl.DeadlineMissed(
                dl.RECOVER, self.deadlines.recover_s, elapsed,
                self._last_state(),
                seen_phases=[m.name for m in self.timeline.marks],
                steady='not recovered: %s' % '; '.join(problems))
        return False

    # -- the run --------------------------------------------------------
    def run(self):
        """Inject, watch, judge; return the timeline (or raise)."""
        self.timeline.attach(self.test)
        if self.timeline_dir:
            # Registered before the fault's undo, so it runs after it and
            # the file holds what the undo recorded too.
            self.test.addCleanup(self._write)
        # Runs before the write, after the test's own checks (the Mistral
        # executions have ended) and before the flow's resources go.
        self.test.addCleanup(self._collect_hops)
        on_exception = getattr(self.test, 'addOnException', None)
        if on_exception is not None:
            on_exception(self._test_failed)
        self.timeline.result = 'running'
        try:
            self._run()
        except dl.HealingFailure as exc:
            self.timeline.result = 'failed: %s' % exc
            self.timeline.verdict = tl.FAILED
            if isinstance(exc, dl.DeadlineMissed):
                self.timeline.missed_phase = exc.phase
            raise
        except BaseException as exc:
            self.timeline.result = 'error: %s: %s' % (type(exc).__name__,
                                                      exc)
            self.timeline.verdict = tl.FAILED
            raise
        self.timeline.result = 'healed'
        self.timeline.verdict = tl.PASSED
        return self.timeline

    def _run(self):
        baseline = self.cluster_state()
        self.sampler = sp.ClusterSampler(
            self.invariants, baseline, steady_window_s=self.steady_window_s)
        band = self.sampler.band(baseline)
        self.timeline.sample([m.to_dict() for m in baseline.members], band)
        self.sampler.last_band = band
        if band != tl.GREEN or not baseline.settled:
            raise dl.ClusterNotReady(
                'the cluster is not healthy before the fault, nothing to '
                'heal: %s, band %s (desired %d)' % (
                    baseline.describe(), band, self.invariants.desired))
        self.fault.inject(self.test)
        self.sampler.faulted_ids = self.fault.affected(baseline)
        self.fault.record['affected_members'] = sorted(
            self.sampler.faulted_ids)
        self.timeline.mark(tl.FAULT_INJECTED, at=self.fault.t_fault,
                           source=self.fault.kind, detail=self.fault.record)
        first = self._interval()
        self._waiter = waiters.Waiter(
            first, self.deadlines.recover_s + self.steady_window_s +
            2 * first, clock=self.clock, sleep=self.sleep)
        self._waiter.until(self._step, bool, 'healing of %s' % (
            self.fault.kind), 'recovered and steady for %s s' % (
                self.steady_window_s), describe=lambda done: (
                    self._last_state()))
        problems = self.sampler.problems(self.sampler.last)
        if problems:
            raise dl.InvariantBreach(
                ['at the end: %s' % '; '.join(problems)],
                self.clock() - self.fault.t_fault, self._last_state())
        return self.timeline
