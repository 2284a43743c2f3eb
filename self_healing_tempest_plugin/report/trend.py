"""MTTD and MTTR per scenario over several runs' directories.

MTTD is the seconds from the fault to DETECTED, MTTR to RECOVERED, both on
the harness clock (what the deadlines judge). Runs are ordered by their
first fault, so a service that got slower shows up as a step.
"""

import os
import statistics

from self_healing_tempest_plugin.harness import timeline as tl
from self_healing_tempest_plugin.report import table
from self_healing_tempest_plugin.report import timelines as tls

MTTD = 'MTTD'
MTTR = 'MTTR'
METRICS = ((MTTD, tls.DETECT), (MTTR, tls.RECOVER))


class Run(object):
    """The timelines of one run directory."""

    def __init__(self, directory, entries, label=None):
        self.directory = directory
        self.entries = entries
        self.label = label or os.path.basename(
            os.path.normpath(directory)) or directory
        faults = [e.t_fault for e in entries if e.t_fault is not None]
        self.started = min(faults) if faults else None

    @property
    def started_utc(self):
        text = tl.utc_text(self.started)
        return text[:19].replace('T', ' ') if text else 'unknown'


def read_runs(directories, default_deadlines=None, read=()):
    """(runs ordered by their first fault, problems naming files).

    ``read``: runs already read, to order among the others.
    """
    runs, problems = list(read), []
    for directory in directories:
        entries, found = tls.read_dir(directory, default_deadlines)
        problems.extend(found)
        if entries:
            runs.append(Run(directory, entries))
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
        self.scenarios = sorted(set(e.name for r in runs
                                    for e in r.entries))
        self.values = dict((s, dict((m, []) for m, _ in METRICS))
                           for s in self.scenarios)
        for run in runs:
            for scenario in self.scenarios:
                entries = [e for e in run.entries if e.name == scenario]
                for metric, phase in METRICS:
                    seen = [e.phase(phase).seconds for e in entries
                            if e.phase(phase).seconds is not None]
                    self.values[scenario][metric].append(
                        statistics.mean(seen) if seen else None)
        # A scenario that never reached a phase (e.g. a negative one) has
        # no trend: named once, not drawn.
        self.without_times = [
            s for s in self.scenarios
            if all(v is None for m, _ in METRICS for v in self.values[s][m])]
        self.scenarios = [s for s in self.scenarios
                          if s not in self.without_times]

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
        return rows

    def text(self):
        runs = '\n'.join('%s: %s, first fault %s UTC, %d timeline(s)' % (
            r.label, r.directory, r.started_utc, len(r.entries))
            for r in self.runs)
        text = runs + '\n\n' + table.render(self.headers(), self.rows())
        if self.without_times:
            text += '\n\nno detect or recover time in any run: %s' % (
                ', '.join(self.without_times))
        return text
