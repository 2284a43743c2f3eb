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

"""The recovery timeline of one test.

Every mark holds the harness's own UTC time (``time.time``), taken when a
poll *saw* the event, and, where the cloud records its own time (Aodh alarm
history, Mistral execution created_at, Heat event time, Nova created_at or
instance action start), the cloud's time beside it and their difference.
``not_before`` is the harness time of the last poll that had not seen the
event yet: the event happened between the two, so the report is honest
about the resolution of polling.

A run's phases are ``phases``: the ordered mark names FAULT_INJECTED, one
per observed phase (detect -> DETECTED, act -> ACTION_STARTED, any other
phase -> its name upper-cased, e.g. FENCED), then RECOVERED. ``faults``
holds every fault's record in injection order (each with its
``t_fault``); the first fault's mark is FAULT_INJECTED, the n-th's
FAULT_INJECTED_<n>, and every deadline counts from the first.

What the run was judged against travels with it (optional keys, absent
from files written before they existed; readers must use ``.get``):
``deadlines`` (``<phase>_s`` of every observed phase and ``recover_s``),
``invariants`` (``desired``, ``min``, ``max``, ``floor``, ``identity``,
``host_change``, ``allow_red``) and ``scenario`` (``name``, ``fault``
kinds, ``observed`` marks, ``steady_window_s``, ``poll_interval_s``,
``expect_missed_phase``).

The critical path (``hops``) is read from the cloud's own records after
the run (harness/critical_path.py): every hop of the flow, ordered by the
cloud's time, each with the harness's polled time beside it where a poll
saw it. ``missed_phase`` names the phase whose deadline was missed (None
if none), ``deadline_s`` that deadline, ``verdict`` is passed, failed or
interrupted (a run that had not ended when its file was written), and
``failed_by`` says what failed it (a failures.*.kind, AFTER_HEALING or
BROKE). A stop condition that ended the run (harness/stop_conditions.py)
leaves the verdict interrupted and names itself in ``interrupted_by``.
``repaired`` lists what the run's replay of the undo journal repaired
before its first fault (one dict per entry a dead run left; [] when
there was nothing, absent when the run kept no journal). ``result`` is
text for people: nothing reads a verdict from it.

``format`` is FORMAT (2: several faults, any phases). A file without it
(format 1) loads with the four built-in phases, its FAULT_INJECTED
detail as its only fault, and whatever of hops, missed_phase, deadline_s
and verdict it has (None otherwise: readers derive the verdict from
``result``).
"""

import datetime
import json
import os
import re
import time

from testtools import content
from testtools import content_type

from self_healing_tempest_plugin.harness import deadlines as dl

FORMAT = 2

FAULT_INJECTED = 'FAULT_INJECTED'
DETECTED = 'DETECTED'
ACTION_STARTED = 'ACTION_STARTED'
RECOVERED = 'RECOVERED'
# The phases of a run observing detection and action (and of every file
# of format 1).
PHASES = (FAULT_INJECTED, DETECTED, ACTION_STARTED, RECOVERED)
_MARK_OF_PHASE = {dl.DETECT: DETECTED, dl.ACT: ACTION_STARTED,
                  dl.RECOVER: RECOVERED}
_PHASE_OF_MARK = dict((v, k) for k, v in _MARK_OF_PHASE.items())

GREEN = 'GREEN'
YELLOW = 'YELLOW'
RED = 'RED'
BANDS = (GREEN, YELLOW, RED)

PASSED = 'passed'
FAILED = 'failed'
INTERRUPTED = 'interrupted'
VERDICTS = (PASSED, FAILED, INTERRUPTED)
# ``failed_by`` of a failed run: the healing failure's kind
# (failures.*.kind), a check of the test after the healing, or the run
# broke (an error that judges nothing about the healing).
AFTER_HEALING = 'check_after_healing'
BROKE = 'error'

# Keys written only when known (see the module docstring): mappings,
# and the others with their type.
OPTIONAL_KEYS = ('deadlines', 'invariants', 'scenario')
OPTIONAL_FIELDS = (('interrupted_by', str), ('repaired', list))

DETAIL_NAME = 'recovery-timeline'
_JSON = content_type.ContentType(
    'application', 'json', {'charset': 'utf8'})


def phase_mark(phase):
    """The mark of a phase: 'detect' -> DETECTED, 'fenced' -> FENCED."""
    return _MARK_OF_PHASE.get(phase, phase.upper())


def mark_phase(mark):
    """The phase of a mark: DETECTED -> 'detect', FENCED -> 'fenced'."""
    return _PHASE_OF_MARK.get(mark, mark.lower())


def fault_mark(position):
    """The mark of the fault injected ``position``-th (1: the first)."""
    return FAULT_INJECTED if position == 1 else '%s_%d' % (
        FAULT_INJECTED, position)


def repair_text(item):
    """One ``repaired`` item in words: what a dead run left, what was done.
    """
    if not isinstance(item, dict):
        return str(item)
    if item.get('corrupt'):
        return 'corrupt entry %s skipped: %s' % (item.get('entry', '?'),
                                                 item['corrupt'])
    text = '%s on %s of run %s' % (item.get('kind') or '?',
                                   item.get('target') or '?',
                                   item.get('run_id') or '?')
    did = '; '.join(item.get('did') or ())
    if did:
        text += ': %s' % did
    if item.get('errors'):
        text += ' (undo FAILED: %s)' % '; '.join(item['errors'])
    if item.get('dry_run'):
        text += ' (dry run: nothing done)'
    return text


def parse_cloud_time(value):
    """Seconds since the epoch (UTC) of a time a cloud API returned.

    Accepts epoch seconds, a datetime, or the ISO 8601 spellings the
    services use ('2026-01-02T03:04:05Z', '2026-01-02T03:04:05.123456',
    '2026-01-02 03:04:05', '+00:00' offsets). A time without a zone is UTC,
    as OpenStack services store it.
    """
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith('Z'):
            text = text[:-1] + '+00:00'
        try:
            value = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError('not a cloud time: %r' % (value,))
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    raise ValueError('not a cloud time: %r' % (value,))


def utc_text(epoch):
    """ISO 8601 UTC text of epoch seconds (None stays None)."""
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(
        epoch, datetime.timezone.utc).isoformat()


class Mark(object):
    """One event of the timeline: a phase or a free-form mark."""

    def __init__(self, name, harness_time, cloud_time=None, source=None,
                 not_before=None, detail=None):
        self.name = name
        self.harness_time = float(harness_time)
        self.cloud_time = parse_cloud_time(cloud_time)
        self.source = source
        self.not_before = not_before
        # Kept by reference: a fault's record grows when it is undone.
        self.detail = {} if detail is None else detail

    @property
    def skew_s(self):
        """Harness time minus cloud time: how late the harness saw it."""
        if self.cloud_time is None:
            return None
        return self.harness_time - self.cloud_time

    def to_dict(self):
        return {
            'name': self.name,
            'harness_time': self.harness_time,
            'harness_utc': utc_text(self.harness_time),
            'not_before': self.not_before,
            'cloud_time': self.cloud_time,
            'cloud_utc': utc_text(self.cloud_time),
            'skew_s': self.skew_s,
            'source': self.source,
            'detail': self.detail,
        }

    @classmethod
    def from_dict(cls, data):
        return cls(data['name'], data['harness_time'],
                   cloud_time=data.get('cloud_time'),
                   source=data.get('source'),
                   not_before=data.get('not_before'),
                   detail=data.get('detail'))


class Hop(object):
    """One step of the flow's critical path, as a service recorded it.

    ``name`` is ``<service>.<event>``, stable across runs (statistics
    compare hops by name); ``cloud_time`` is the service's own time (None
    when its record could not be read: ``detail['reason']`` says why),
    ``harness_time`` when a poll of the harness saw it (None if none did).
    """

    def __init__(self, name, service, cloud_time=None, harness_time=None,
                 source=None, detail=None):
        self.name = name
        self.service = service
        self.cloud_time = parse_cloud_time(cloud_time)
        self.harness_time = (None if harness_time is None
                             else float(harness_time))
        self.source = source
        self.detail = {} if detail is None else detail

    def sort_key(self):
        """Cloud time, else harness time; a hop with neither goes last.

        ``order_time`` (set by the collector, not stored) orders a hop
        whose cloud time is whole seconds among the finer ones of its
        second; equal keys keep the collector's order (the flow's).
        """
        order = getattr(self, 'order_time', None)
        for value in (order, self.cloud_time, self.harness_time):
            if value is not None:
                return (0, value)
        return (1, 0.0)

    def to_dict(self):
        return {'name': self.name, 'service': self.service,
                'cloud_time': self.cloud_time,
                'harness_time': self.harness_time,
                'source': self.source, 'detail': self.detail}

    @classmethod
    def from_dict(cls, data):
        return cls(data['name'], data.get('service'),
                   cloud_time=data.get('cloud_time'),
                   harness_time=data.get('harness_time'),
                   source=data.get('source'), detail=data.get('detail'))


class Sample(object):
    """What the cluster looked like on one poll."""

    def __init__(self, t, members, band, size=None):
        self.t = float(t)
        # [{'id': ..., 'status': ..., 'host': ...}, ...]
        self.members = [dict(m) for m in members]
        self.size = len(self.members) if size is None else size
        if band not in BANDS:
            raise ValueError('band must be one of %s, got %r'
                             % (', '.join(BANDS), band))
        self.band = band

    def to_dict(self):
        return {'t': self.t, 'utc': utc_text(self.t), 'size': self.size,
                'band': self.band, 'members': self.members}

    @classmethod
    def from_dict(cls, data):
        return cls(data['t'], data['members'], data['band'],
                   size=data.get('size'))


class Timeline(object):
    """Phases, extra marks and cluster samples of one test."""

    def __init__(self, test_id, clock=time.time):
        self.test_id = test_id
        self.clock = clock
        self.marks = []
        self.samples = []
        self.result = None
        self.hops = []
        self.missed_phase = None
        self.deadline_s = None
        self.verdict = None
        self.failed_by = None
        self.format = FORMAT
        # The run's phase marks in order, and every fault's record.
        self.phases = PHASES
        self.faults = []
        # What the run is judged against; dicts, None when not known.
        self.deadlines = None
        self.invariants = None
        self.scenario = None
        # The stop condition that interrupted the run; the journal's
        # repairs before it (see the module docstring).
        self.interrupted_by = None
        self.repaired = None

    # -- recording ----------------------------------------------------
    def mark(self, name, at=None, cloud_time=None, source=None,
             not_before=None, detail=None):
        """Record an event seen now (or ``at``, a harness time).

        ``detail`` is a dict kept by reference (e.g. a fault's record).

        A phase (one of ``phases``) is recorded once, and never after a
        later phase: a phase out of order is a harness bug, not a cloud
        fact.
        """
        if name in self.phases:
            if self.phase(name) is not None:
                raise ValueError('phase %s is already marked' % name)
            later = self.phases[self.phases.index(name) + 1:]
            seen_later = [p for p in later if self.phase(p) is not None]
            if seen_later:
                raise ValueError('phase %s marked after the later phase %s'
                                 % (name, seen_later[0]))
        mark = Mark(name, self.clock() if at is None else at,
                    cloud_time=cloud_time, source=source,
                    not_before=not_before, detail=detail)
        self.marks.append(mark)
        return mark

    def set_phases(self, observed):
        """FAULT_INJECTED, the ``observed`` marks in order, RECOVERED."""
        self.phases = (FAULT_INJECTED,) + tuple(observed) + (RECOVERED,)

    def add_fault(self, record):
        """Record one injected fault; return the name of its mark.

        The record is kept by reference: it grows when it is undone.
        """
        self.faults.append(record)
        return fault_mark(len(self.faults))

    def set_hops(self, hops):
        """The critical path, ordered by the cloud's time."""
        self.hops = sorted(hops, key=lambda hop: hop.sort_key())

    def hop(self, name):
        for hop in self.hops:
            if hop.name == name:
                return hop
        return None

    def sample(self, members, band, at=None):
        sample = Sample(self.clock() if at is None else at, members, band)
        self.samples.append(sample)
        return sample

    # -- reading ------------------------------------------------------
    def phase(self, name):
        for mark in self.marks:
            if mark.name == name:
                return mark
        return None

    def bands(self):
        """The health bands over time, repeats collapsed: GREEN, YELLOW..."""
        sequence = []
        for sample in self.samples:
            if not sequence or sequence[-1] != sample.band:
                sequence.append(sample.band)
        return sequence

    def durations(self):
        """Seconds from the first fault to each later phase, both clocks.

        Keys: the mark lower-cased, ``_s`` (harness) and ``_cloud_s``.
        """
        fault = self.phase(FAULT_INJECTED)
        result = {}
        if fault is None:
            return result
        for name in self.phases[1:]:
            mark = self.phase(name)
            if mark is None:
                continue
            key = name.lower()
            result[key + '_s'] = mark.harness_time - fault.harness_time
            if mark.cloud_time is not None:
                # The fault time is the harness's: the cloud did not make it.
                result[key + '_cloud_s'] = (
                    mark.cloud_time - fault.harness_time)
        return result

    # -- serialising --------------------------------------------------
    def to_dict(self):
        data = {
            'format': FORMAT,
            'test_id': self.test_id,
            'phases': list(self.phases),
            'faults': self.faults,
            'marks': [m.to_dict() for m in self.marks],
            'samples': [s.to_dict() for s in self.samples],
            'bands': self.bands(),
            'durations': self.durations(),
            'result': self.result,
            'hops': [h.to_dict() for h in self.hops],
            'missed_phase': self.missed_phase,
            'deadline_s': self.deadline_s,
            'verdict': self.verdict,
            'failed_by': self.failed_by,
        }
        for key in OPTIONAL_KEYS + tuple(k for k, _ in OPTIONAL_FIELDS):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    def to_json(self):
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        timeline = cls(data['test_id'])
        version = data.get('format', 1)
        if version not in (1, FORMAT):
            raise ValueError('format must be 1 or %d, got %r'
                             % (FORMAT, version))
        timeline.marks = [Mark.from_dict(m) for m in data['marks']]
        if version > 1:
            timeline.phases = tuple(data['phases'])
            timeline.faults = list(data.get('faults') or ())
        else:
            fault = timeline.phase(FAULT_INJECTED)
            timeline.faults = [fault.detail] if fault else []
        timeline.samples = [Sample.from_dict(s) for s in data['samples']]
        timeline.result = data.get('result')
        timeline.hops = [Hop.from_dict(h) for h in data.get('hops') or ()]
        timeline.missed_phase = data.get('missed_phase')
        timeline.deadline_s = data.get('deadline_s')
        timeline.failed_by = data.get('failed_by')
        timeline.format = version
        verdict = data.get('verdict')
        if verdict is not None and verdict not in VERDICTS:
            raise ValueError('verdict must be one of %s, got %r'
                             % (', '.join(VERDICTS), verdict))
        timeline.verdict = verdict
        for key in OPTIONAL_KEYS:
            value = data.get(key)
            if value is not None and not isinstance(value, dict):
                raise ValueError('%s must be a mapping, got %r'
                                 % (key, value))
            setattr(timeline, key, value)
        for key, kind in OPTIONAL_FIELDS:
            value = data.get(key)
            if value is not None and not isinstance(value, kind):
                raise ValueError('%s must be %s, got %r' % (
                    key, 'text' if kind is str else 'a list', value))
            setattr(timeline, key, value)
        return timeline

    def file_name(self):
        return re.sub(r'[^A-Za-z0-9_.-]+', '_', self.test_id) + '.json'

    def write(self, directory):
        """Write ``<test id>.json`` into ``directory``; return its path."""
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, self.file_name())
        tmp = path + '.tmp'
        with open(tmp, 'w') as stream:
            stream.write(self.to_json())
        os.replace(tmp, path)
        return path

    def attach(self, test):
        """Attach to the test result as a JSON detail.

        The content is rendered when the result reads it, after the
        cleanups, so it also holds what the fault undo recorded.
        """
        test.addDetail(DETAIL_NAME, content.Content(
            _JSON, lambda: [self.to_json().encode('utf8')]))
