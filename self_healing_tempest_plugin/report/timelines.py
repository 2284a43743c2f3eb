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

"""Timeline files as the report reads them: one ``Entry`` per file.

An entry holds what every output shows: the scenario and its faults, the
seconds from the first fault to each of the run's phases (whatever they
are: the timeline's ``phases``) against its deadline, the verdict, the
health bands and how far the harness clock may be from the cloud's. The
verdict and the missed phase come from the timeline's structured fields
(``verdict``, ``failed_by``, ``missed_phase``), never from its result
text. Files written before the timeline recorded its deadlines,
invariants and scenario are still read: the name comes from the test id,
the fault from the FAULT_INJECTED mark, and what is not known is shown as
unknown; a file of format 1 without a verdict is judged by the first word
of its result (the engine's own 'healed' or 'failed').

A phase's reported seconds are the cloud's where the cloud recorded the
phase (its mark's cloud time), else the harness's polled time; a cell
shows the polled time beside it when the two disagree by
``DISAGREE_S`` or more. The critical path (``hops``) becomes ``HopRow``
objects: seconds from the fault and each hop's share of the recovery.
"""

import json
import os

from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import timeline as tl

# The built-in phases (named in harness/deadlines.py), in their order
# among a run's own.
DETECT, ACT, RECOVER = BUILT_IN_PHASES = (dl.DETECT, dl.ACT, dl.RECOVER)

# Phase status.
OK = 'ok'                # seen within its deadline
SEEN = 'seen'            # seen, no deadline known
LATE = 'late'            # seen after its deadline
MISSED = 'missed'        # not seen, the run failed on its deadline
NOT_SEEN = 'not seen'    # not seen, the run ended for another reason
NOT_OBSERVED = 'n/a'     # the flow has no observer of this phase

# Verdicts.
PASS = 'PASS'
FAIL = 'FAIL'
EXPECTED = 'EXPECTED MISS'   # a negative scenario missed what it should
ERROR = 'ERROR'              # the run broke (not a healing failure)
INTERRUPTED = 'INTERRUPTED'  # the run was stopped before it ended

# Polled and cloud seconds of a phase this far apart are both shown.
DISAGREE_S = 0.5
# The detail key of a phase mark naming the hop that stands for it.
HOP_OF_PHASE = 'critical_path_hop'


class TimelineFileError(Exception):
    """A timeline file that cannot be read; the message names the file."""


class Phase(object):
    """One healing phase of a run, measured from the fault."""

    def __init__(self, name, seconds=None, cloud_seconds=None,
                 deadline=None, status=NOT_SEEN, skew=None):
        self.name = name
        # ``seconds``: the harness's polled time; ``cloud_seconds``: the
        # cloud's record of the phase, from the fault.
        self.seconds = seconds
        self.cloud_seconds = cloud_seconds
        self.deadline = deadline
        self.status = status
        self.skew = skew
        self.proxy_cloud_seconds = None

    @property
    def reported_seconds(self):
        """The cloud's seconds where it recorded the phase, else polled."""
        if self.cloud_seconds is not None and self.seconds is not None:
            return self.cloud_seconds
        return self.seconds

    def cell(self):
        """Short text: '3.2 / 30 s', '45.0 / 30 s LATE', 'missed / 30 s'.

        '2.4 (polled 6.1) / 180 s': the cloud's time, then the harness's
        when they disagree by DISAGREE_S or more.
        """
        if self.status == NOT_OBSERVED:
            return 'n/a'
        reported = self.reported_seconds
        value = ('%.1f' % reported if reported is not None
                 else self.status)
        if (reported is not None and reported != self.seconds and
                abs(reported - self.seconds) >= DISAGREE_S):
            value += ' (polled %.1f)' % self.seconds
        limit = '?' if self.deadline is None else '%g' % self.deadline
        text = '%s / %s s' % (value, limit)
        if self.status == LATE:
            text += ' LATE'
        return text


class Entry(object):
    """One timeline file, judged."""

    def __init__(self, path, timeline, default_deadlines=None):
        self.path = path
        self.timeline = timeline
        self.test_id = timeline.test_id
        scenario = timeline.scenario or {}
        self.invariants = timeline.invariants or {}
        self.name = scenario.get('name') or scenario_name(self.test_id)
        fault = timeline.phase(tl.FAULT_INJECTED)
        self.t_fault = fault.harness_time if fault else None
        detail = fault.detail if fault else {}
        # Every fault's record, in injection order.
        self.faults = list(timeline.faults)
        kinds = [f.get('kind') or '?' for f in self.faults]
        self.fault = (scenario.get('fault') or ', '.join(kinds) or
                      (fault.source if fault else None) or '?')
        self.did = detail.get('did')
        self.result = timeline.result or 'no result recorded'
        self.bands = timeline.bands()
        self.expect_missed = scenario.get('expect_missed_phase')
        self.recorded_verdict, self.failed_by = recorded_verdict(timeline)
        self.missed_phase = timeline.missed_phase
        # Recorded deadlines, else the one the failure names, else the
        # defaults given for files that do not record theirs.
        deadlines = dict(default_deadlines or {})
        if self.missed_phase and timeline.deadline_s is not None:
            deadlines[self.missed_phase] = timeline.deadline_s
        deadlines.update((k[:-2], v) for k, v in
                         (timeline.deadlines or {}).items())
        self.phases = self._phases(deadlines, scenario.get('observed'))
        self.clock_offset = clock_offset(timeline)
        self.hops = hop_rows(timeline, self.t_fault)
        # The stop condition that interrupted the run (None: none did),
        # and what its journal replay repaired before it.
        self.interrupted_by = timeline.interrupted_by
        self.repaired = list(timeline.repaired or ())
        self.verdict = self._verdict()

    def faults_text(self):
        """Each fault: kind, when (from the first) and what it did."""
        parts = []
        for record in self.faults:
            text = record.get('kind') or '?'
            if record.get('on_phase'):
                text += ' on %s' % record['on_phase']
            if record.get('at_s') is not None:
                text += ' at %.1f s' % record['at_s']
            if record.get('did'):
                text += ': %s' % record['did']
            parts.append(text)
        return '; '.join(parts) or (self.did or '')

    def repaired_text(self):
        """What the run repaired before its first fault, '' if nothing."""
        return '; '.join(tl.repair_text(item) for item in self.repaired)

    @property
    def phase_names(self):
        """This run's phases in order, recover last."""
        return list(self.phases)

    def _phases(self, deadlines, observed):
        durations = self.timeline.durations()
        healed = self.recorded_verdict == tl.PASSED
        phases = {}
        earliest = 0.0    # a phase comes after the fault and the one before
        for mark_name in self.timeline.phases[1:]:
            name = tl.mark_phase(mark_name)
            mark = self.timeline.phase(mark_name)
            key = mark_name.lower()
            cloud = durations.get(key + '_cloud_s')
            if cloud is not None and float(mark.cloud_time).is_integer():
                # A record to the second: the event is within the second
                # after it, and not before what caused it.
                cloud = min(cloud + 1.0, max(cloud, earliest))
            if cloud is not None:
                earliest = max(earliest, cloud)
            if name == dl.RECOVER and not (mark and mark.detail.get(
                    HOP_OF_PHASE)):
                # Without a hop, the RECOVERED cloud time is a proxy (the
                # newest member's last change), not the cloud's record of
                # the recovery: shown on hover, not reported.
                phase = Phase(name, durations.get(key + '_s'), None,
                              deadlines.get(name),
                              skew=mark.skew_s if mark else None)
                phase.proxy_cloud_seconds = cloud
            else:
                phase = Phase(name, durations.get(key + '_s'), cloud,
                              deadlines.get(name),
                              skew=mark.skew_s if mark else None)
            if phase.seconds is not None:
                if phase.deadline is None:
                    phase.status = SEEN
                elif phase.reported_seconds > phase.deadline:
                    phase.status = LATE
                else:
                    phase.status = OK
            elif name == self.missed_phase:
                phase.status = MISSED
            elif name != dl.RECOVER and (
                    (observed is not None and mark_name not in observed) or
                    healed):
                phase.status = NOT_OBSERVED
            phases[name] = phase
        return phases

    def _verdict(self):
        if self.recorded_verdict == tl.INTERRUPTED:
            return INTERRUPTED
        late = [p for p in self.phases.values() if p.status == LATE]
        if self.recorded_verdict == tl.PASSED and not late:
            return PASS
        if self.expect_missed and self.missed_phase == self.expect_missed:
            return EXPECTED
        if self.failed_by == tl.BROKE:
            return ERROR
        return FAIL

    @property
    def passed(self):
        return self.verdict in (PASS, EXPECTED)

    def phase(self, name):
        """The phase so named; one the run did not have is n/a."""
        found = self.phases.get(name)
        if found is None:
            found = Phase(name, deadline=None, status=NOT_OBSERVED)
        return found

    def clock_text(self):
        low, high = self.clock_offset
        if high is None:
            return 'unknown'
        if low is None:
            return '<= %+.2f s' % high
        return '%+.2f..%+.2f s' % (low, high)


def recorded_verdict(timeline):
    """(verdict, failed_by) the run recorded.

    A file of format 1 without them (written before they existed): its
    result's first word, the engine's own 'healed' or 'failed'; anything
    else broke.
    """
    verdict, failed_by = timeline.verdict, timeline.failed_by
    if timeline.format > 1 or (verdict is not None and failed_by):
        return verdict, failed_by
    if verdict == tl.INTERRUPTED:
        return verdict, None
    result = timeline.result or ''
    if result == 'healed':
        return tl.PASSED, None
    if result.startswith('failed'):
        return tl.FAILED, None
    return tl.FAILED, tl.BROKE


def phase_names(entries):
    """Every phase of ``entries``, each run's order kept, recover last.

    A phase one run has and another has not comes after the phase before
    it in the run that has it (detect, fenced, act).
    """
    names = []
    for entry in entries:
        previous = None
        for name in entry.phase_names:
            if name == dl.RECOVER:
                continue
            if name not in names:
                names.insert(names.index(previous) + 1 if previous else
                             _built_in_slot(names, name), name)
            previous = name
    return names + [dl.RECOVER]


def _built_in_slot(names, name):
    """Where a run's first phase goes: built-ins in their order, first."""
    if name not in BUILT_IN_PHASES:
        return 0
    rank = BUILT_IN_PHASES.index(name)
    return sum(1 for n in names if n in BUILT_IN_PHASES[:rank])


class HopRow(object):
    """One hop of a run's critical path, measured from the fault.

    ``seconds``: the cloud's time from the fault (else the harness's);
    ``step``: seconds since the previous hop that has a time (the hop's
    own cost on the path); ``share``: that step over the recovery's
    seconds (None when the recovery is not known).
    """

    def __init__(self, hop, seconds, polled, step, share):
        self.name = hop.name
        self.service = hop.service
        self.source = hop.source
        self.detail = hop.detail
        self.seconds = seconds
        self.polled = polled
        self.step = step
        self.share = share
        self.cloud = hop.cloud_time is not None
        # Nova, Mistral, Heat and Zaqar record whole seconds: the event
        # happened within the second after the recorded time.
        self.whole_second = self.cloud and float(
            hop.cloud_time).is_integer()

    @property
    def reason(self):
        """Why the hop has no time, if it has none."""
        return (self.detail or {}).get('reason') if self.seconds is None \
            else None


def hop_rows(timeline, t_fault):
    """The ``HopRow`` of each hop, in the timeline's (cloud time) order."""
    if t_fault is None:
        return []
    recovered = timeline.phase(tl.RECOVERED)
    recovery = None
    if recovered is not None:
        recovery = (recovered.cloud_time if recovered.cloud_time
                    is not None else recovered.harness_time) - t_fault
    rows, previous = [], 0.0
    for hop in timeline.hops:
        at = hop.cloud_time if hop.cloud_time is not None else (
            hop.harness_time)
        seconds = None if at is None else at - t_fault
        polled = (None if hop.harness_time is None
                  else hop.harness_time - t_fault)
        step = share = None
        if seconds is not None:
            step = max(0.0, seconds - previous)
            previous = max(previous, seconds)
            if recovery:
                share = step / recovery
        rows.append(HopRow(hop, seconds, polled, step, share))
    return rows


def slowest_hop(entry, baseline=None):
    """(row, baseline step or None) of the hop that cost the most.

    ``baseline`` ({hop name: median step in earlier runs}): the hop whose
    step exceeds its baseline the most; without one (or no hop of this
    run in it), the hop with the largest step. None without timed hops.
    """
    timed = [r for r in entry.hops if r.step is not None]
    if not timed:
        return None
    known = [r for r in timed if baseline and r.name in baseline]
    if known:
        row = max(known, key=lambda r: r.step - baseline[r.name])
        return row, baseline[row.name]
    return max(timed, key=lambda r: r.step), None


def hop_baseline(runs):
    """{(scenario, hop name): median step} over earlier runs' entries.

    ``runs`` is a list of entry lists (one per earlier run directory).
    """
    steps = {}
    for entries in runs:
        for entry in entries:
            for row in entry.hops:
                if row.step is not None:
                    steps.setdefault((entry.name, row.name), []).append(
                        row.step)
    return dict((key, _median(values)) for key, values in steps.items())


def _median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def scenario_name(test_id):
    """'pkg.Class.test_autoheal_x[id-..,slow]' -> 'autoheal_x'."""
    method = test_id.split('[', 1)[0].rsplit('.', 1)[-1]
    return method[5:] if method.startswith('test_') else method


def clock_offset(timeline):
    """(low, high) bounds of harness clock minus cloud clock, in seconds.

    A mark's cloud time is when the cloud did something, its harness time
    when a poll saw it: the harness clock at the event lies between the
    last poll that did not see it (``not_before``, else the fault) and the
    poll that did. Each observed phase's mark (DETECTED, ACTION_STARTED,
    FENCED...) bounds the offset on both sides; every mark bounds it from
    above (the RECOVERED cloud time is the newest member's creation,
    earlier than the recovery seen).
    A cloud time in whole seconds may be up to one second early. ``low`` is
    None when the bounds disagree or none exist; both are None without
    cloud times.
    """
    fault = timeline.phase(tl.FAULT_INJECTED)
    observed = timeline.phases[1:-1]
    highs, lows = [], []
    for mark in timeline.marks:
        if mark.cloud_time is None:
            continue
        highs.append(mark.harness_time - mark.cloud_time)
        if mark.name not in observed:
            continue
        before = mark.not_before or (fault.harness_time if fault else None)
        if before is None:
            continue
        resolution = 1.0 if float(mark.cloud_time).is_integer() else 0.0
        lows.append(before - mark.cloud_time - resolution)
    if not highs:
        return None, None
    high = min(highs)
    low = max(lows) if lows else None
    if low is not None and low > high:
        low = None
    return low, high


def read_file(path, default_deadlines=None):
    """The Entry of one file, or TimelineFileError naming it and why.

    ``default_deadlines`` ({phase name: s}) judge a file that does not
    record its own.
    """
    try:
        with open(path, encoding='utf-8') as stream:
            text = stream.read()
    except OSError as exc:
        raise TimelineFileError('%s: cannot be read: %s'
                                % (path, exc.strerror or exc))
    except UnicodeDecodeError as exc:
        raise TimelineFileError('%s: not UTF-8 text: %s' % (path, exc))
    try:
        timeline = tl.Timeline.from_json(text)
    except json.JSONDecodeError as exc:
        raise TimelineFileError('%s: not valid JSON: %s' % (path, exc))
    except KeyError as exc:
        raise TimelineFileError('%s: not a recovery timeline, no %s key'
                                % (path, exc))
    except (TypeError, ValueError, AttributeError) as exc:
        raise TimelineFileError('%s: not a recovery timeline: %s'
                                % (path, exc))
    try:
        return Entry(path, timeline, default_deadlines)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise TimelineFileError('%s: timeline cannot be judged: %s: %s'
                                % (path, type(exc).__name__, exc))


def read_dir(directory, default_deadlines=None):
    """(entries, problems) of the ``*.json`` files of one run directory.

    ``problems`` are messages, each naming a file (or the directory) that
    could not be read; the entries are what could.
    """
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        return [], ['%s: timeline directory cannot be read: %s'
                    % (directory, exc.strerror or exc)]
    entries, problems = [], []
    for name in names:
        path = os.path.join(directory, name)
        if name.endswith('.json.tmp'):
            problems.append('%s: an unfinished write (the run stopped '
                            'while writing its timeline)' % path)
            continue
        if not name.endswith('.json'):
            continue
        try:
            entries.append(read_file(path, default_deadlines))
        except TimelineFileError as exc:
            problems.append(str(exc))
    if not entries and not problems:
        problems.append('%s: no timeline files (*.json) in it' % directory)
    entries.sort(key=lambda e: (e.name, e.t_fault or 0))
    return entries, problems
