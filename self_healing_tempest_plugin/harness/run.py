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

"""The healing engine a flow runner calls.

    judgement = run.Judgement(
        bounds, target,                          # sampler.cluster_rules()
        phases=run.phases(observers, deadlines, order=scenario.phase_names),
        recover_s=deadlines.recover_s)
    timeline = run.HealingRun(
        test, scheduled_faults, cluster_state, judgement,
        cluster_calls=1, poll_interval_s=None, scenario_name=None,
        expect_missed_phase=None, critical_path=None,
        conf=None, clock=time.time, sleep=time.sleep,
        timeline_dir=None, stop_conditions=(), repaired=None).run()

It proves the cluster is healthy, injects every fault due at 0 back to
back (each registers its undo as a cleanup before it acts, so the test's
cleanups undo them in reverse order on every exit path), then polls
through one Waiter. Each poll:

- undoes a fault that is not self-undoing once its ``expires_at`` has
  passed (its record says so);
- polls the observer of the next unseen phase (phases in order);
- injects the faults due: their offset (``at_s`` from the first fault)
  has passed, or their ``on_phase`` has just been marked;
- samples the cluster, marks as HOST_DOWN every healthy member on a host
  an active fault cuts off (the one truthful state), and has the
  ``sampler.ClusterJudge`` judge that state: band, bounds, recovery.

Polls are spaced so that the run sends one request per
``poll_interval_s`` (an observer's ``calls`` and ``cluster_calls`` are
requests per poll). Deadlines count from the first fault. The run fails
at once on a breach or a missed deadline (``failures``), and returns when
the recovered state has held for the steady window, every fault injected
and every phase seen. The timeline is attached to the result and written
to ``timeline_dir`` ([self_healing] timeline_dir) on success and failure,
after the faults' undos. Before it is written, ``critical_path`` (a
callable of the timeline returning ``timeline.Hop`` objects, see
harness/critical_path.py) reads the flow's hops from the cloud's records;
a collector that fails never changes the verdict.

Stop conditions (harness/stop_conditions.py) are checked before the
baseline, then at every poll just before the faults due are injected:
while one is violated (the kill switch present, say) no fault starts.
A violation undoes every active fault (latest first; an undo's error
stays in its record and its cleanup tries again), records the verdict
``interrupted`` with ``interrupted_by`` and the result
'interrupted: <condition>: <reason>', and ends the test as a skip with
that text: it judged nothing about the healing. A check's cloud
requests do not stretch the poll spacing: sampling the healing more
slowly made a group replaced within one poll look as if it never went
below green. ``repaired`` (what the
journal's replay repaired before the run) goes into the timeline.

An observer is an object with ``poll()`` (an Observation or None) and
``calls``; a plain callable returning an Observation, True, the cloud's
time or None/False (``calls`` as its attribute, default 1) is accepted
too. A scheduled fault has ``fault``, ``at_s`` and ``on_phase``; a bare
``faults.Fault`` is scheduled at 0.
"""

import time
import unittest

from self_healing_tempest_plugin.common import waiters
from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import failures
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import stop_conditions as stops
from self_healing_tempest_plugin.harness import timeline as tl


class Observation(object):
    """What an observer returns when it has seen its phase.

    Kept here until observers.Observation (CONTRACTS.md 3) lands; the
    engine reads any object with ``cloud_time``, ``source`` and
    ``detail``.
    """

    def __init__(self, cloud_time=None, source=None, **detail):
        self.cloud_time = cloud_time
        self.source = source
        self.detail = detail


class _Seen(object):
    """An observer's "seen" that carried no Observation."""

    def __init__(self, cloud_time=None):
        self.cloud_time = cloud_time
        self.source = None
        self.detail = {}


def as_observation(value):
    """None (not yet) or an object with cloud_time, source, detail."""
    if value is None or value is False:
        return None
    if value is True:
        return _Seen()
    if hasattr(value, 'cloud_time') and hasattr(value, 'detail'):
        return value
    return _Seen(cloud_time=value)


class _CallableObserver(object):
    """A plain observer callable as an Observer (poll, calls)."""

    def __init__(self, function):
        self.poll = function
        self.calls = getattr(function, 'calls', 1)


def as_observer(observer):
    """``observer`` if it has ``poll``, else the callable wrapped."""
    if observer is None or hasattr(observer, 'poll'):
        return observer
    if not callable(observer):
        raise TypeError('an observer has poll() or is callable, got %r'
                        % (observer,))
    return _CallableObserver(observer)


class Phase(object):
    """One observed healing phase: its mark, observer and deadline.

    ``mark``: detect -> DETECTED, act -> ACTION_STARTED, any other name
    -> the name upper-cased. ``recover`` is not a Phase: the cluster
    state judges it.
    """

    def __init__(self, name, observer, deadline_s, mark=None):
        if name == dl.RECOVER:
            raise ValueError('%s is judged by the cluster state, not by an '
                             'observer' % dl.RECOVER)
        if deadline_s is None or deadline_s <= 0:
            raise ValueError('phase %s: deadline_s must be > 0, got %r'
                             % (name, deadline_s))
        self.name = name
        self.mark = mark or tl.phase_mark(name)
        self.observer = as_observer(observer)
        self.deadline_s = deadline_s

    def __repr__(self):
        return 'Phase(%s, %s s)' % (self.name, self.deadline_s)


def phases(observers, deadlines, order=None):
    """[Phase] of ``observers`` ({name: observer}), in ``order``.

    ``order`` (default: the mapping's) may name phases the flow has no
    observer for (None), and recover: both are left out. ``deadlines``
    is a ``deadlines.Deadlines``.
    """
    names = list(observers) if order is None else list(order)
    return [Phase(name, observers[name], deadlines.for_phase(name))
            for name in names
            if name != dl.RECOVER and observers.get(name) is not None]


class Judgement(object):
    """What one healing run is judged against.

    :param bounds: ``sampler.Bounds``, hold on every poll.
    :param target: ``sampler.RecoveryTarget``, reached and held for its
        steady window.
    :param phases: the observed ``Phase`` objects, in order.
    :param recover_s: the recover deadline, from the first fault.
    """

    def __init__(self, bounds, target, phases=(), recover_s=None):
        sp.check_consistent(bounds, target)
        if recover_s is None or recover_s <= 0:
            raise ValueError('recover_s must be > 0, got %r' % (recover_s,))
        self.bounds = bounds
        self.target = target
        self.phases = list(phases)
        self.recover_s = recover_s
        names = [p.name for p in self.phases]
        marks = [p.mark for p in self.phases]
        if len(set(names)) != len(names) or len(set(marks)) != len(marks):
            raise ValueError('phases named twice: %s (marks %s)' % (
                ', '.join(names), ', '.join(marks)))
        reserved = [m for m in marks if m == tl.RECOVERED or
                    m.startswith(tl.FAULT_INJECTED)]
        if reserved:
            raise ValueError('phase marks %s are the engine\'s own (faults '
                             'and recovery)' % ', '.join(reserved))

    def phase(self, name):
        for phase in self.phases:
            if name == phase.name or name.upper() == phase.mark:
                return phase
        return None

    def deadlines(self):
        """{'<phase>_s': seconds} of every phase and recover."""
        found = dict(('%s_s' % p.name, p.deadline_s) for p in self.phases)
        found['%s_s' % dl.RECOVER] = self.recover_s
        return found

    def invariants(self):
        """The timeline's ``invariants`` mapping (the report reads it)."""
        bounds, target = self.bounds, self.target
        return {'desired': target.desired, 'min': target.min_size,
                'max': bounds.max_size, 'floor': bounds.floor,
                'identity': target.identity,
                'host_change': target.host_change,
                'allow_red': bounds.allow_red}


class _AtZero(object):
    """A bare Fault, scheduled at the first fault's time."""

    def __init__(self, fault):
        self.fault = fault
        self.at_s = 0
        self.on_phase = None


def _scheduled(faults):
    if not isinstance(faults, (list, tuple)):
        faults = [faults]
    if not faults:
        raise ValueError('a healing run needs at least one fault')
    return [f if hasattr(f, 'fault') else _AtZero(f) for f in faults]


def _conf():
    from tempest import config
    return config.CONF.self_healing


class HealingRun(object):
    """Faults and the healing that must follow them.

    :param test: the running test case (addCleanup, addDetail, id).
    :param faults: [ScheduledFault] (``fault``, ``at_s``, ``on_phase``),
        or bare ``faults.Fault`` objects (at 0).
    :param cluster_state: callable returning a ``sampler.ClusterState``.
    :param judgement: a ``Judgement``.
    :param cluster_calls: requests ``cluster_state`` makes per call.
    :param poll_interval_s: seconds per request (default and floor:
        [self_healing] poll_interval_s).
    :param scenario_name: the scenario's name, for the report (default:
        the report derives it from the test id).
    :param expect_missed_phase: a negative scenario's expected miss, for
        the report.
    :param critical_path: callable(timeline) -> hops, called once the
        test is over (a cleanup, before the flow's resources are deleted).
    :param conf: [self_healing] (default: tempest's).
    :param timeline_dir: default [self_healing] timeline_dir; '' writes
        no file.
    :param stop_conditions: [stop_conditions.Condition]
        (``stop_conditions.build``).
    :param repaired: what the journal's replay repaired before the run
        (a list, into the timeline; None: no journal).

    The timeline records the deadlines, the invariants and the scenario
    (fault kinds, observed phases, windows) the run is judged against.
    """

    def __init__(self, test, faults, cluster_state, judgement,
                 cluster_calls=1, poll_interval_s=None, scenario_name=None,
                 expect_missed_phase=None, critical_path=None, conf=None,
                 clock=time.time, sleep=time.sleep, timeline_dir=None,
                 stop_conditions=(), repaired=None):
        conf = conf or _conf()
        self.test = test
        self.scheduled = _scheduled(faults)
        self.cluster_state = cluster_state
        self.judgement = judgement
        self.phases = judgement.phases
        self._check_schedule()
        self.poll_interval_s = max(conf.poll_interval_s,
                                   poll_interval_s or 0)
        self.cluster_calls = cluster_calls
        self.timeline_dir = (conf.timeline_dir if timeline_dir is None
                             else timeline_dir)
        self.clock = clock
        self.sleep = sleep
        self.critical_path = critical_path
        self.stop_conditions = list(stop_conditions)
        self.timeline = tl.Timeline(test.id(), clock=clock)
        if repaired is not None:
            self.timeline.repaired = list(repaired)
        self.timeline.set_phases(p.mark for p in self.phases)
        self._record_judgement(scenario_name, expect_missed_phase)
        self.judge = None
        self.t0 = None
        self._pending = list(self.scheduled)
        self._injected = []
        self._not_before = {}

    # -- set-up ---------------------------------------------------------
    def _check_schedule(self):
        if all(s.on_phase is not None or s.at_s for s in self.scheduled):
            raise ValueError(
                'no fault is injected at 0: offsets and phases count from '
                'the first fault (faults: %s)' % ', '.join(
                    _schedule_text(s) for s in self.scheduled))
        for scheduled in self.scheduled:
            on = scheduled.on_phase
            if on is not None and self.judgement.phase(on) is None:
                raise ValueError(
                    'fault %s is injected on phase %r, which the run does '
                    'not observe (it observes: %s)' % (
                        scheduled.fault.kind, on, ', '.join(
                            p.name for p in self.phases) or 'none'))
            if on is not None and scheduled.at_s:
                raise ValueError('fault %s has both at_s and on_phase'
                                 % scheduled.fault.kind)

    def _record_judgement(self, scenario_name, expect_missed_phase):
        """What the run is judged against, into the timeline."""
        self.timeline.deadlines = self.judgement.deadlines()
        self.timeline.invariants = self.judgement.invariants()
        scenario = {
            'fault': ', '.join(s.fault.kind for s in self.scheduled),
            'faults': [_schedule_text(s) for s in self.scheduled],
            'observed': [p.mark for p in self.phases],
            'steady_window_s': self.judgement.target.steady_window_s,
            'poll_interval_s': self.poll_interval_s,
            'cluster_calls': self.cluster_calls}
        if scenario_name is not None:
            scenario['name'] = scenario_name
        if expect_missed_phase is not None:
            scenario['expect_missed_phase'] = expect_missed_phase
        if self.stop_conditions:
            scenario['stop_conditions'] = [c.name
                                           for c in self.stop_conditions]
        self.timeline.scenario = scenario

    # -- cleanups and outcome -------------------------------------------
    def _write(self):
        self.timeline.write(self.timeline_dir)

    def _test_failed(self, exc_info):
        """A check after the healing failed: the run did not pass.

        testtools calls this when the test's code raises, before the
        cleanups write the timeline. A skip is not a failure.
        """
        error = exc_info[1]
        if (self.timeline.verdict != tl.PASSED or
                isinstance(error, getattr(self.test, 'skipException', ()))):
            return
        self.timeline.verdict = tl.FAILED
        self.timeline.failed_by = tl.AFTER_HEALING
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

    # -- stop conditions ------------------------------------------------
    def _check_stop_conditions(self):
        """Raise failures.Interrupted if a stop condition is violated."""
        violated = stops.first_violated(self.stop_conditions, stops.View(
            self._injected, [s.fault for s in self._pending]))
        if violated is not None:
            condition, reason = violated
            raise failures.Interrupted(condition.name, reason)

    def _undo_active(self, interrupted):
        """Undo every active fault, latest first; keep each undo's error.

        A failed undo stays armed: the test's cleanup tries it again.
        """
        for fault in reversed(self._injected):
            if not fault.active:
                continue
            fault.record['undone_by'] = 'engine, interrupted by %s' % (
                interrupted.condition)
            try:
                fault.undo()
            except Exception as exc:
                fault.record['interrupt_undo_error'] = '%s: %s' % (
                    type(exc).__name__, exc)

    def _skip(self, text):
        return getattr(self.test, 'skipException', unittest.SkipTest)(text)

    # -- faults ---------------------------------------------------------
    def _inject(self, scheduled, state):
        """Inject one fault; mark it; its members count as faulted."""
        fault = scheduled.fault
        fault.inject(self.test)
        if self.t0 is None:
            self.t0 = fault.t_fault
        fault.record['at_s'] = fault.t_fault - self.t0
        if scheduled.on_phase is not None:
            fault.record['on_phase'] = scheduled.on_phase
        affected = set(fault.affected(state))
        fault.record['affected_members'] = sorted(affected)
        self.judge.faulted_ids |= affected
        mark = self.timeline.add_fault(fault.record)
        self.timeline.mark(mark, at=fault.t_fault, source=fault.kind,
                           detail=fault.record)
        self._pending.remove(scheduled)
        self._injected.append(fault)

    def _due(self, scheduled, now):
        if scheduled.on_phase is not None:
            phase = self.judgement.phase(scheduled.on_phase)
            return self.timeline.phase(phase.mark) is not None
        return now - self.t0 >= (scheduled.at_s or 0)

    def _inject_due(self):
        """Inject the faults due now (offset passed, phase marked)."""
        now = self.clock()
        due = [s for s in self._pending if self._due(s, now)]
        state = self.judge.last
        for scheduled in due:
            self._inject(scheduled, state)

    def _undo_expired(self):
        """Undo, at its expiry, a fault that does not undo itself."""
        now = self.clock()
        for fault in self._injected:
            expires = _expires_at(fault)
            if (expires is None or getattr(fault, 'self_undoing', False) or
                    not fault.active or now < expires):
                continue
            fault.record['undone_by'] = 'engine, at expires_at'
            fault.record['expired_at'] = expires
            fault.undo()

    def _hosts_cut_off(self):
        """Hosts an active fault cuts off now.

        A self-undoing fault cuts them off until it expires.
        """
        now = self.clock()
        hosts = set()
        for fault in self._injected:
            expires = _expires_at(fault)
            if fault.active and (expires is None or now < expires):
                hosts |= set(fault.hosts_cut_off())
        return hosts

    # -- polling --------------------------------------------------------
    def _last_state(self):
        return '%s, band %s' % (self.judge.last.describe(),
                                self.judge.last_band)

    def _truthful_state(self):
        """The cluster as sampled, cut-off hosts' members HOST_DOWN."""
        return sp.with_hosts_cut_off(self.cluster_state(),
                                     self._hosts_cut_off())

    def _sample(self):
        state = self._truthful_state()
        t = self.clock()
        band = self.judge.judge(state, t)
        self.timeline.sample([m.to_dict() for m in state.members], band,
                             at=t)
        return state, t

    def _next_phase(self):
        for phase in self.phases:
            if self.timeline.phase(phase.mark) is None:
                return phase
        return None

    def _observe_next_phase(self):
        phase = self._next_phase()
        if phase is None:
            return
        polled = self.clock()
        seen = as_observation(phase.observer.poll())
        if seen is None:
            self._not_before[phase.mark] = polled
            return
        self.timeline.mark(
            phase.mark, at=self.clock(), cloud_time=seen.cloud_time,
            source=seen.source, detail=seen.detail,
            not_before=self._not_before.get(phase.mark))

    def _seen_marks(self):
        return [m.name for m in self.timeline.marks]

    def _check_phase_deadlines(self, elapsed):
        for phase in self.phases:
            mark = self.timeline.phase(phase.mark)
            late = elapsed if mark is None else mark.harness_time - self.t0
            if late > phase.deadline_s:
                raise failures.DeadlineMissed(
                    phase.name, phase.deadline_s, late, self._last_state(),
                    seen_phases=self._seen_marks())

    def _interval(self):
        """Seconds until the next poll: one per request it will make."""
        phase = self._next_phase()
        calls = self.cluster_calls + (phase.observer.calls if phase else 0)
        return self.poll_interval_s * calls

    def _step(self):
        self._undo_expired()
        self._observe_next_phase()
        self._check_stop_conditions()
        self._inject_due()
        state, t = self._sample()
        elapsed = t - self.t0
        if self.judge.breaches:
            raise failures.InvariantBreach(self.judge.breaches, elapsed,
                                           self._last_state())
        self._check_phase_deadlines(elapsed)
        recovered = self.timeline.phase(tl.RECOVERED)
        if (self._next_phase() is None and not self._pending and
                self.judge.recovered(state, t)):
            if recovered is None:
                self.timeline.mark(
                    tl.RECOVERED, at=t, cloud_time=state.cloud_time,
                    not_before=self._not_before.get(tl.RECOVERED))
            return self.judge.steady(t)
        self._not_before[tl.RECOVERED] = t
        if recovered is None and elapsed > self.judgement.recover_s:
            raise failures.DeadlineMissed(
                dl.RECOVER, self.judgement.recover_s, elapsed,
                self._last_state(), seen_phases=self._seen_marks(),
                not_recovered=self._why_not_recovered(state))
        return False

    def _why_not_recovered(self, state):
        problems = self.judge.problems(state)
        unseen = [p.name for p in self.phases
                  if self.timeline.phase(p.mark) is None]
        if unseen:
            problems.append('phases not seen: %s' % ', '.join(unseen))
        if self._pending:
            problems.append('faults not injected yet: %s' % ', '.join(
                _schedule_text(s) for s in self._pending))
        return problems

    # -- the run --------------------------------------------------------
    def run(self):
        """Inject, watch, judge; return the timeline (or raise)."""
        self.timeline.attach(self.test)
        if self.timeline_dir:
            # Registered before the faults' undos, so it runs after them
            # and the file holds what the undos recorded too.
            self.test.addCleanup(self._write)
        # Runs after the undos, after the test's own checks (the Mistral
        # executions have ended) and before the flow's resources go.
        self.test.addCleanup(self._collect_hops)
        on_exception = getattr(self.test, 'addOnException', None)
        if on_exception is not None:
            on_exception(self._test_failed)
        self.timeline.result = 'running'
        # Until the run ends: a file written before that says so.
        self.timeline.verdict = tl.INTERRUPTED
        try:
            self._run()
        except failures.Interrupted as exc:
            self._undo_active(exc)
            self.timeline.verdict = tl.INTERRUPTED
            self.timeline.interrupted_by = exc.condition
            self.timeline.result = str(exc)
            raise self._skip(str(exc)) from exc
        except failures.HealingFailure as exc:
            self.timeline.result = 'failed: %s' % exc
            self.timeline.verdict = tl.FAILED
            self.timeline.failed_by = exc.kind
            if isinstance(exc, failures.DeadlineMissed):
                self.timeline.missed_phase = exc.phase
                self.timeline.deadline_s = exc.deadline_s
            raise
        except (KeyboardInterrupt, SystemExit) as exc:
            self.timeline.result = 'interrupted: %s' % type(exc).__name__
            raise
        except BaseException as exc:
            self.timeline.result = 'error: %s: %s' % (type(exc).__name__,
                                                      exc)
            self.timeline.verdict = tl.FAILED
            self.timeline.failed_by = tl.BROKE
            raise
        self.timeline.result = 'healed'
        self.timeline.verdict = tl.PASSED
        return self.timeline

    def _run(self):
        self._check_stop_conditions()
        baseline = self.cluster_state()
        judgement = self.judgement
        self.judge = sp.ClusterJudge(judgement.bounds, judgement.target,
                                     baseline)
        band = self.judge.band(baseline)
        self.timeline.sample([m.to_dict() for m in baseline.members], band)
        self.judge.last_band = band
        if band != tl.GREEN or not baseline.settled:
            raise failures.ClusterNotReady(
                'the cluster is not healthy before the fault, nothing to '
                'heal: %s, band %s (desired %d)' % (
                    baseline.describe(), band, judgement.target.desired))
        # Back to back, within the same second: the concurrent faults.
        for scheduled in [s for s in self._pending
                          if s.on_phase is None and not s.at_s]:
            self._inject(scheduled, baseline)
        first = self._interval()
        window = judgement.target.steady_window_s
        waiter = waiters.Waiter(
            self._interval, judgement.recover_s + window + 2 * first,
            clock=self.clock, sleep=self.sleep)
        waiter.until(
            self._step, bool, 'healing of %s' % self.timeline.scenario[
                'fault'], 'recovered and steady for %s s' % window,
            describe=lambda done: self._last_state())
        problems = self.judge.problems(self.judge.last)
        if problems:
            raise failures.InvariantBreach(
                ['at the end: %s' % '; '.join(problems)],
                self.clock() - self.t0, self._last_state())
        return self.timeline


def _expires_at(fault):
    """When the fault ends (None: when undone).

    A faults.Fault from before CONTRACTS.md 1 has no expires_at.
    """
    return getattr(fault, 'expires_at', None)


def _schedule_text(scheduled):
    """'instance_delete', 'instance_delete at 30 s', '... on act'."""
    text = scheduled.fault.kind
    if scheduled.on_phase is not None:
        return '%s on %s' % (text, scheduled.on_phase)
    if scheduled.at_s:
        return '%s at %g s' % (text, scheduled.at_s)
    return text
