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

"""The metrics of each run, over runs, and their statistical verdicts.

A run is a directory of timelines, or the ``report-data.json`` an earlier
report wrote with ``--data`` (a Zuul job keeps it as an artifact; a
directory holding a ``report-data.json`` is read as that file). Its
values: per scenario (and per flow, and for the whole run) and per metric
the list of values of the run, one per timeline (repetition):

* ``detect``, ``act``, ``recover``: seconds from the fault to the phase,
  as the run table shows them;
* ``hop <service>.<event>``: seconds from the fault to each hop of the
  critical path (the cloud's time where it recorded one, else the
  harness's), when the timelines carry ``hops``;
* ``score``: the resilience score (score.py); per flow (``flow <name>``)
  and for the whole run (``run``) too.

MTTD (to DETECTED) and MTTR (to RECOVERED) per run are the means of
``detect`` and ``recover``; every other phase a run observes (``act``,
``fenced``...) is a metric of its own name. Runs are ordered by their
first fault, so a service that got slower shows up as a step; the
``Comparison`` judges the last of the given runs (this run) against all
the others (stats.py).
"""

import json
import os
import statistics

from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import timeline as tl
from self_healing_tempest_plugin.report import score as sc
from self_healing_tempest_plugin.report import stats
from self_healing_tempest_plugin.report import table
from self_healing_tempest_plugin.report import timelines as tls

MTTD = 'MTTD'
MTTR = 'MTTR'
METRICS = ((MTTD, dl.DETECT), (MTTR, dl.RECOVER))
HOP_PREFIX = 'hop '
SCORE = 'score'
DATA_FORMAT = 'self-healing-report-data'
DATA_VERSION = 1
DATA_FILE = 'report-data.json'
# What one false-flag budget (alpha) covers: each scenario's metric (its
# shift and drift tests), or the whole report (every test of it).
METRIC_FAMILY = 'metric'
REPORT_FAMILY = 'report'
FAMILIES = (METRIC_FAMILY, REPORT_FAMILY)


def hop_seconds(entry):
    """[(hop name, seconds from the fault)] of an entry, in time order."""
    return [(row.name, row.seconds) for row in entry.hops
            if row.seconds is not None]


def entry_metrics(entry, scorer):
    """{metric: value} of one timeline (interrupted: none)."""
    if table.is_interrupted(entry):
        return {}
    values = {}
    for name in entry.phase_names:
        seconds = entry.phase(name).seconds
        if seconds is not None:
            values[name] = seconds
    for name, seconds in hop_seconds(entry):
        values.setdefault(HOP_PREFIX + name, seconds)
    value = scorer.entry_score(entry)
    if value is not None:
        values[SCORE] = value
    return values


def values_of(entries, scorer):
    """{subject: {metric: [values]}}: scenarios, flows and the run."""
    values = {}
    for entry in entries:
        subject = values.setdefault(entry.name, {})
        for metric, value in entry_metrics(entry, scorer).items():
            subject.setdefault(metric, []).append(value)
    for key, value in scorer.scores(entries).items():
        values.setdefault(key, {})[SCORE] = [value]
    return values


class Run(object):
    """One run: its timelines (none when read from report data), values.
    """

    def __init__(self, directory, entries, label=None, scorer=None,
                 values=None, started=None):
        self.directory = directory
        self.entries = entries
        self.label = label or os.path.basename(
            os.path.normpath(directory)) or directory
        faults = [e.t_fault for e in entries if e.t_fault is not None]
        self.started = min(faults) if faults else started
        self.values = values if values is not None else values_of(
            entries, scorer or sc.Scorer())

    @property
    def started_utc(self):
        text = tl.utc_text(self.started)
        return text[:19].replace('T', ' ') if text else 'unknown'

    @property
    def timelines(self):
        if self.entries:
            return len(self.entries)
        return max([len(v.get(dl.RECOVER, ())) for v in
                    self.values.values()] + [0])

    def data(self):
        """The report-data.json content of this run."""
        return {'format': DATA_FORMAT, 'version': DATA_VERSION,
                'label': self.label, 'started': self.started,
                'started_utc': tl.utc_text(self.started),
                'values': self.values}


class ReportDataError(ValueError):
    """A report-data file that cannot be used; the message names it."""


def read_data(path):
    """The Run of a report-data.json file, or ReportDataError."""
    try:
        with open(path, encoding='utf-8') as stream:
            data = json.load(stream)
    except OSError as exc:
        raise ReportDataError('%s: cannot be read: %s'
                              % (path, exc.strerror or exc))
    except ValueError as exc:
        raise ReportDataError('%s: not valid JSON: %s' % (path, exc))
    if not isinstance(data, dict) or data.get('format') != DATA_FORMAT:
        raise ReportDataError('%s: not report data (expected "format": '
                              '"%s")' % (path, DATA_FORMAT))
    if data.get('version') != DATA_VERSION:
        raise ReportDataError('%s: report data version %r, this report '
                              'reads %d' % (path, data.get('version'),
                                            DATA_VERSION))
    values = data.get('values')
    problem = not isinstance(values, dict)
    if not problem:
        for subject, metrics in values.items():
            problem = problem or not isinstance(metrics, dict) or any(
                not isinstance(v, list) or any(
                    isinstance(x, bool) or not isinstance(x, (int, float))
                    for x in v) for v in metrics.values())
    if problem:
        raise ReportDataError('%s: "values" must map each scenario to '
                              '{metric: [numbers]}' % path)
    started = data.get('started')
    if not isinstance(started, (int, float)) or isinstance(started, bool):
        started = None
    label = data.get('label') or os.path.basename(os.path.dirname(
        os.path.abspath(path)))
    return Run(path, [], label=str(label), values=values, started=started)


def read_runs(directories, default_deadlines=None, read=(), scorer=None):
    """(runs ordered by their first fault, problems naming files).

    Each of ``directories`` is a run's timeline directory, a report-data
    JSON file, or a directory holding ``report-data.json``. ``read``:
    runs already read, to order among the others.
    """
    runs, problems = list(read), []
    for directory in directories:
        data_file = directory
        if os.path.isdir(directory):
            data_file = os.path.join(directory, DATA_FILE)
        if os.path.isfile(data_file):
            try:
                runs.append(read_data(data_file))
            except ReportDataError as exc:
                problems.append(str(exc))
            continue
        entries, found = tls.read_dir(directory, default_deadlines)
        problems.extend(found)
        if entries:
            runs.append(Run(directory, entries, scorer=scorer))
    labels = [r.label for r in runs]
    for run in runs:
        if labels.count(run.label) > 1:
            run.label = run.directory
    # Stable: runs without a fault time keep their order, at the end.
    runs.sort(key=lambda r: (r.started is None, r.started or 0))
    return runs, problems


class Trend(object):
    """values[scenario][metric] is a list, one value (or None) per run."""

    def __init__(self, runs):
        self.runs = runs
        self.scenarios = sorted(set(
            s for r in runs for s in r.values
            if s != sc.RUN and not s.startswith(sc.FLOW_PREFIX)))
        self.values = dict((s, dict((m, []) for m, _ in METRICS))
                           for s in self.scenarios)
        for run in runs:
            for scenario in self.scenarios:
                for metric, phase in METRICS:
                    seen = run.values.get(scenario, {}).get(phase) or []
                    self.values[scenario][metric].append(
                        statistics.mean(seen) if seen else None)
        # A scenario that never reached a phase (e.g. a negative one) has
        # no trend: named once, not drawn.
        self.without_times = [
            s for s in self.scenarios
            if all(v is None for m, _ in METRICS for v in self.values[s][m])]
        self.scenarios = [s for s in self.scenarios
                          if s not in self.without_times]
        # The resilience score of the run and of each flow, per run.
        self.scores = {}
        for subject in sorted(set(
                s for r in runs for s in r.values
                if s == sc.RUN or s.startswith(sc.FLOW_PREFIX)),
                key=_subject_order):
            self.scores[subject] = [
                (r.values.get(subject, {}).get(SCORE) or [None])[0]
                for r in runs]

    def change(self, scenario, metric):
        """Last run's value minus the median of the earlier runs."""
        values = self.values[scenario][metric]
        if not values or values[-1] is None:
            return None
        earlier = [v for v in values[:-1] if v is not None]
        if not earlier:
            return None
        return values[-1] - statistics.median(earlier)

    def headers(self):
        return (['scenario', 'metric'] + [r.label for r in self.runs] +
                ['last - median before'])

    def rows(self):
        rows = []
        for scenario in self.scenarios:
            for metric, _ in METRICS:
                change = self.change(scenario, metric)
                rows.append(
                    [scenario, metric] +
                    ['-' if v is None else '%.1f' % v
                     for v in self.values[scenario][metric]] +
                    ['-' if change is None else '%+.1f' % change])
        for subject in sorted(self.scores, key=_subject_order):
            values = self.scores[subject]
            earlier = [v for v in values[:-1] if v is not None]
            change = (values[-1] - statistics.median(earlier)
                      if earlier and values[-1] is not None else None)
            rows.append([subject, SCORE] + [
                '-' if v is None else '%.3f' % v for v in values] + [
                '-' if change is None else '%+.3f' % change])
        return rows

    def text(self):
        runs = '\n'.join('%s: %s, first fault %s UTC, %d timeline(s)' % (
            r.label, r.directory, r.started_utc, r.timelines)
            for r in self.runs)
        text = runs + '\n\n' + table.render(self.headers(), self.rows())
        if self.without_times:
            text += '\n\nno detect or recover time in any run: %s' % (
                ', '.join(self.without_times))
        return text


def _metric_order(metric):
    """Phases (built-ins in their order, then extras), hops, the score."""
    if metric in tls.BUILT_IN_PHASES:
        return (0, tls.BUILT_IN_PHASES.index(metric), metric)
    if metric.startswith(HOP_PREFIX):
        return (1, 0, metric)
    if metric == SCORE:
        return (2, 0, metric)
    return (0, len(tls.BUILT_IN_PHASES), metric)


def _subject_order(subject):
    if subject == sc.RUN:
        return (2, subject)
    if subject.startswith(sc.FLOW_PREFIX):
        return (1, subject)
    return (0, subject)


class Comparison(object):
    """Verdicts of ``current`` (a Run) against ``baseline`` runs.

    ``verdicts[(subject, metric)]`` is a ``stats.Verdict`` for every
    metric this run has; hops are ordered by name after the phases.
    """

    HEADERS = ('scenario', 'metric', 'baseline n', 'baseline median',
               'this run n', 'this run median', 'effect (HL)', 'p, q',
               'verdict', 'drift (Mann-Kendall)')

    def __init__(self, current, baseline, floor=None,
                 family=METRIC_FAMILY):
        self.current = current
        self.baseline = [r for r in baseline if r is not current]
        self.floor = floor or stats.Floor()
        ordered = sorted(self.baseline + [current],
                         key=lambda r: (r.started is None, r.started or 0))
        self.verdicts = {}
        for subject in sorted(current.values, key=_subject_order):
            metrics = current.values[subject]
            for metric in sorted(metrics, key=_metric_order):
                pooled = [v for r in self.baseline
                          for v in r.values.get(subject, {}).get(metric, [])]
                series = []
                for run in ordered:
                    seen = run.values.get(subject, {}).get(metric)
                    if seen:
                        series.append(statistics.median(seen))
                self.verdicts[(subject, metric)] = stats.Verdict(
                    metrics[metric], pooled, series, self.floor,
                    higher_is_better=metric == SCORE,
                    seconds=metric != SCORE)
        if family == REPORT_FAMILY:
            stats.adjust(list(self.verdicts.values()))
        else:
            for verdict in self.verdicts.values():
                stats.adjust([verdict])

    def items(self):
        """[((subject, metric), Verdict)] in table order."""
        return sorted(self.verdicts.items(), key=lambda kv: (
            _subject_order(kv[0][0]), _metric_order(kv[0][1])))

    def flagged(self):
        return [(key, v) for key, v in self.items() if v.flagged]

    def slowest_hop(self, subject):
        """(hop name, Verdict) of the hop that gained the most seconds.

        Against its baseline; None when no hop has a baseline.
        """
        hops = [(metric[len(HOP_PREFIX):], v)
                for (name, metric), v in self.items()
                if name == subject and metric.startswith(HOP_PREFIX) and
                v.effect is not None]
        if not hops:
            return None
        return max(hops, key=lambda hop: hop[1].effect)

    def slowest_hop_text(self, subject):
        """'aodh.alarm_fired +3.20 s (+40 %), p 0.01: regressed' or ''."""
        found = self.slowest_hop(subject)
        if found is None:
            return ''
        name, v = found
        return '%s %s against the baseline, %s: %s' % (
            name, v.effect_text(), v.p_text(), v.verdict)

    def _median(self, value, seconds):
        if value is None:
            return '-'
        return '%.2f%s' % (value, ' s' if seconds else '')

    def rows(self):
        return [[subject, metric, str(len(v.baseline)),
                 self._median(v.baseline_median, v.seconds),
                 str(len(v.current)),
                 self._median(v.current_median, v.seconds),
                 v.effect_text(), v.p_text(), v.verdict, v.drift_text()]
                for (subject, metric), v in self.items()]

    def counts(self):
        """{verdict: how many metrics}, drifts included."""
        found = {}
        for _, v in self.items():
            found[v.verdict] = found.get(v.verdict, 0) + 1
            if v.drift in (stats.DRIFT_WORSE, stats.DRIFT_BETTER):
                found[v.drift] = found.get(v.drift, 0) + 1
        return found

    def text(self):
        runs = len(self.baseline)
        head = ('this run (%s) against %d baseline run(s); flagged when %s'
                % (self.current.label, runs, self.floor.text()))
        counts = ', '.join('%d %s' % (n, k) for k, n in
                           sorted(self.counts().items()))
        return '%s\n\n%s\n\n%s' % (head, table.render(
            list(self.HEADERS), self.rows()), counts or 'nothing compared')

    def properties(self, subject):
        """[(name, value)] of one subject's verdicts, for JUnit."""
        props = []
        for (name, metric), v in self.items():
            if name != subject:
                continue
            key = metric.replace(' ', '_')
            props += [('%s_verdict' % key, v.verdict),
                      ('%s_p' % key, '' if v.p is None else '%.4g' % v.p),
                      ('%s_q' % key, '' if v.q is None else '%.4g' % v.q),
                      ('%s_effect' % key, v.effect_text()),
                      ('%s_baseline_n' % key, str(len(v.baseline))),
                      ('%s_drift' % key, v.drift_text())]
        return props
