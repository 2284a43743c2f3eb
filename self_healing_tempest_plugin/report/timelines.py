"""Timeline files as the report reads them: one ``Entry`` per file.

An entry holds what every output shows: the scenario and its fault, the
seconds from the fault to each phase against its deadline, the verdict,
the health bands and how far the harness clock may be from the cloud's.
Files written before the timeline recorded its deadlines, invariants and
scenario are still read: the name comes from the test id, the fault from
the FAULT_INJECTED mark, a missed deadline from the result text, and what
is not known is shown as unknown.
"""

import json
import os
import re

from self_healing_tempest_plugin.harness import timeline as tl

DETECT = 'detect'
ACT = 'act'
RECOVER = 'recover'
PHASE_MARKS = ((DETECT, tl.DETECTED), (ACT, tl.ACTION_STARTED),
               (RECOVER, tl.RECOVERED))

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

_MISSED_RE = re.compile(r"healing phase '(\w+)' missed its deadline: not "
                        r"seen within ([0-9.]+) s")


class TimelineFileError(Exception):
    """A timeline file that cannot be read; the message names the file."""


class Phase(object):
    """One healing phase of a run, measured from the fault."""

    def __init__(self, name, seconds=None, cloud_seconds=None,
                 deadline=None, status=NOT_SEEN, skew=None):
        self.name = name
        self.seconds = seconds
        self.cloud_seconds = cloud_seconds
        self.deadline = deadline
        self.status = status
        self.skew = skew

    def cell(self):
        """Short text: '3.2 / 30 s', '45.0 / 30 s LATE', 'missed / 30 s'."""
        if self.status == NOT_OBSERVED:
            return 'n/a'
        value = ('%.1f' % self.seconds if self.seconds is not None
                 else self.status)
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
        self.fault = (scenario.get('fault') or detail.get('kind') or
                      (fault.source if fault else None) or '?')
        self.did = detail.get('did')
        self.result = timeline.result or 'no result recorded'
        self.bands = timeline.bands()
        self.expect_missed = scenario.get('expect_missed_phase')
        missed = _MISSED_RE.search(self.result)
        self.missed_phase = missed.group(1) if missed else None
        # Recorded deadlines, else the one the failure names, else the
        # defaults given for files that do not record theirs.
        deadlines = dict(default_deadlines or {})
        if missed:
            deadlines[self.missed_phase] = float(missed.group(2))
        deadlines.update((k[:-2], v) for k, v in
                         (timeline.deadlines or {}).items())
        self.phases = self._phases(deadlines, scenario.get('observed'))
        self.clock_offset = clock_offset(timeline)
        self.verdict = self._verdict()

    def _phases(self, deadlines, observed):
        durations = self.timeline.durations()
        healed = self.result == 'healed'
        phases = {}
        for name, mark_name in PHASE_MARKS:
            mark = self.timeline.phase(mark_name)
            key = mark_name.lower()
            phase = Phase(name, durations.get(key + '_s'),
                          durations.get(key + '_cloud_s'),
                          deadlines.get(name),
                          skew=mark.skew_s if mark else None)
            if phase.seconds is not None:
                if phase.deadline is None:
                    phase.status = SEEN
                elif phase.seconds > phase.deadline:
                    phase.status = LATE
                else:
                    phase.status = OK
            elif name == self.missed_phase:
                phase.status = MISSED
            elif name != RECOVER and (
                    (observed is not None and mark_name not in observed) or
                    healed):
                phase.status = NOT_OBSERVED
            phases[name] = phase
        return phases

    def _verdict(self):
        late = [p for p in self.phases.values() if p.status == LATE]
        if self.result == 'healed' and not late:
            return PASS
        if self.expect_missed and self.missed_phase == self.expect_missed:
            return EXPECTED
        if self.result == 'healed' or self.result.startswith('failed'):
            return FAIL
        return ERROR

    @property
    def passed(self):
        return self.verdict in (PASS, EXPECTED)

    def phase(self, name):
        return self.phases[name]

    def clock_text(self):
        low, high = self.clock_offset
        if high is None:
            return 'unknown'
        if low is None:
            return '<= %+.2f s' % high
        return '%+.2f..%+.2f s' % (low, high)


def scenario_name(test_id):
    """'pkg.Class.test_autoheal_x[id-..,slow]' -> 'autoheal_x'."""
    method = test_id.split('[', 1)[0].rsplit('.', 1)[-1]
    return method[5:] if method.startswith('test_') else method


def clock_offset(timeline):
    """(low, high) bounds of harness clock minus cloud clock, in seconds.

    A mark's cloud time is when the cloud did something, its harness time
    when a poll saw it: the harness clock at the event lies between the
    last poll that did not see it (``not_before``, else the fault) and the
    poll that did. Each DETECTED and ACTION_STARTED mark bounds the offset
    on both sides; every mark bounds it from above (the RECOVERED cloud
    time is the newest member's creation, earlier than the recovery seen).
    A cloud time in whole seconds may be up to one second early. ``low`` is
    None when the bounds disagree or none exist; both are None without
    cloud times.
    """
    fault = timeline.phase(tl.FAULT_INJECTED)
    highs, lows = [], []
    for mark in timeline.marks:
        if mark.cloud_time is None:
            continue
        highs.append(mark.harness_time - mark.cloud_time)
        if mark.name not in (tl.DETECTED, tl.ACTION_STARTED):
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

    ``default_deadlines`` ({'detect': s, 'act': s, 'recover': s}) judge a
    file that does not record its own.
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
