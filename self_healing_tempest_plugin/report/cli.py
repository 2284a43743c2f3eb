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

"""The ``self-healing-report`` command."""

import argparse
import json
import os
import sys

from self_healing_tempest_plugin.harness import scenario as scn
from self_healing_tempest_plugin.report import coverage
from self_healing_tempest_plugin.report import htmlpage
from self_healing_tempest_plugin.report import junit
from self_healing_tempest_plugin.report import score
from self_healing_tempest_plugin.report import stats
from self_healing_tempest_plugin.report import table
from self_healing_tempest_plugin.report import timelines as tls
from self_healing_tempest_plugin.report import trend as tr

PROG = 'self-healing-report'
EXIT_OK = 0
EXIT_NOTHING_READ = 1
EXIT_USAGE = 2
EXIT_NO_MATPLOTLIB = 3
EXIT_NOT_WRITTEN = 4

EPILOG = """\
The run table, the resilience score and the coverage matrix (and with
--trend/--baseline the trend and the verdicts) go to stdout. A file
that cannot be read is named on stderr and left out; the rest of the
report is still produced (and the JUnit XML has an error testcase for it).

verdicts: regressed / improved / no change per scenario and metric, from
the two-sided Mann-Whitney U test of this run's values (one per timeline;
repeat the scenarios for more) against the baselines' values, flagged only
when significant and at least --min-seconds and --min-percent of the
baseline median; a drift over 8+ runs from the Mann-Kendall test.

exit status:
  0  the report was produced (whether or not the runs healed: the JUnit
     XML and the table say that)
  1  no timeline could be read from DIR
  2  wrong arguments
  3  PNGs were asked for (--png-dir) but matplotlib is not installed
     (the report extra: pip install
     'self-healing-tempest-plugin[report]'); everything else was produced
  4  an output file could not be written (named on stderr)
"""


def _deadlines(text):
    try:
        values = [float(v) for v in text.split(',')]
    except ValueError:
        values = []
    if len(values) != 3 or min(values) <= 0:
        raise argparse.ArgumentTypeError(
            'expected DETECT,ACT,RECOVER seconds > 0, got %r' % text)
    return dict(zip(tls.BUILT_IN_PHASES, values))


def parser():
    p = argparse.ArgumentParser(
        prog=PROG, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Recovery report over the healing harness\'s timeline '
                    'files ([self_healing] timeline_dir of one run).')
    p.add_argument('dir', help='directory of one run\'s timeline *.json')
    p.add_argument('--html', metavar='OUT.html',
                   help='one self-contained HTML file: table, pictures '
                        '(embedded), trend')
    p.add_argument('--junit', metavar='OUT.xml',
                   help='JUnit XML, one testcase per timeline')
    p.add_argument('--png-dir', metavar='DIR',
                   help='write <scenario>.png per timeline (and trend.png)')
    p.add_argument('--trend', nargs='+', metavar='RUN_DIR',
                   action='extend',
                   help='earlier runs\' directories: MTTD/MTTR per '
                        'scenario over them and DIR, oldest first')
    _add_statistics_arguments(p)
    p.add_argument('--deadlines', type=_deadlines, metavar='D,A,R',
                   help='seconds to judge timelines by that do not record '
                        'their deadlines (files from before they did)')
    p.add_argument('--title', default='Self-healing recovery report',
                   help='title of the HTML page')
    return p


def _non_negative(text, percent=False):
    try:
        value = float(text.rstrip('%') if percent else text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError('expected a %s >= 0, got %r' % (
            'percentage' if percent else 'number', text))
    return value / 100.0 if percent else value


def _fraction(text):
    """A percentage ('10' or '10%') as a fraction (0.1)."""
    return _non_negative(text, percent=True)


def _add_statistics_arguments(p):
    """Baselines, verdict floors, score weights, report data."""
    p.add_argument('--baseline', nargs='+', dest='trend', action='extend',
                   metavar='RUN',
                   help='earlier runs to judge this one against: timeline '
                        'directories, report-data JSON files (--data of '
                        'an earlier report, e.g. Zuul artifacts) or '
                        'directories holding report-data.json; any number')
    p.add_argument('--data', metavar='OUT.json',
                   help='write this run\'s values per scenario and metric '
                        '(report data, the next run\'s --baseline)')
    p.add_argument('--scenario-dir', metavar='DIR',
                   help='scenario files for the coverage matrix and the '
                        'score weights (default: the checkout\'s or the '
                        'installed scenarios)')
    p.add_argument('--min-seconds', type=_non_negative,
                   default=stats.MIN_SECONDS, metavar='S',
                   help='smallest change in seconds flagged (default '
                        '%(default)s)')
    p.add_argument('--min-percent', type=_fraction,
                   default=stats.MIN_RELATIVE, metavar='PCT',
                   help='smallest change flagged, in percent of the '
                        'baseline median (default 10)')
    p.add_argument('--min-score', type=_non_negative,
                   default=stats.MIN_SCORE, metavar='X',
                   help='smallest change of a score flagged (default '
                        '%(default)s)')
    p.add_argument('--alpha', type=_non_negative, default=stats.ALPHA,
                   help='false-flag budget: adjusted p-value below which '
                        'a change is significant (default %(default)s)')
    p.add_argument('--family', choices=tr.FAMILIES,
                   default=tr.METRIC_FAMILY,
                   help='what --alpha covers: each scenario\'s metric '
                        '(its shift and drift tests; default) or the '
                        'whole report (Benjamini-Hochberg over every '
                        'test: fewer false flags, less power)')


class Analysis(object):
    """What the statistics add: score, coverage, this run's values."""

    def __init__(self, args, entries):
        directory = scn.find_directory(args.scenario_dir)
        self.scenarios, broken = scn.load_all(directory) if os.path.isdir(
            directory) else ([], [])
        self.problems = ['%s: not used for the coverage matrix and score: '
                         '%s' % (path, error) for path, error in broken]
        if not os.path.isdir(directory):
            self.problems.append('%s: no scenario directory: no coverage '
                                 'matrix, default score weights'
                                 % directory)
        self.scorer = score.Scorer(self.scenarios)
        self.scores = self.scorer.scores(entries)
        self.matrix = coverage.Matrix(self.scenarios, entries)
        self.run = tr.Run(args.dir, entries, scorer=self.scorer)
        self.floor = stats.Floor(args.min_seconds, args.min_percent,
                                 args.min_score, args.alpha)
        self.family = args.family
        self.comparison = None

    def compare(self, runs):
        self.comparison = tr.Comparison(self.run, runs, self.floor,
                                        self.family)
        return self.comparison

    def text(self):
        return '%s\n\nCoverage (flow x fault kind)\n\n%s' % (
            self.scorer.text(self.run.entries), self.matrix.text())


def _warn(message):
    sys.stderr.write('%s: %s\n' % (PROG, message))


def _png_name(entry, used):
    base = entry.name
    name, n = base + '.png', 1
    while name in used:
        n += 1
        name = '%s-%d.png' % (base, n)
    used.add(name)
    return name


def _write(path, data):
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    mode = 'wb' if isinstance(data, bytes) else 'w'
    with open(path, mode, **({} if mode == 'wb' else
                             {'encoding': 'utf-8'})) as stream:
        stream.write(data)


class _Pictures(object):
    """PNG bytes, made once; matplotlib imported only when asked."""

    def __init__(self):
        self.missing = None

    def make(self, what, render, *args):
        if self.missing:
            return None
        from self_healing_tempest_plugin.report import plots
        try:
            return getattr(plots, render)(*args)
        except plots.MatplotlibMissing as exc:
            self.missing = str(exc)
            _warn(self.missing)
        except Exception as exc:  # one bad picture must not stop the rest
            _warn('%s: picture not drawn: %s: %s'
                  % (what, type(exc).__name__, exc))
        return None


def _waterfalls(pictures, entries, png_dir, used):
    """{entry path: critical path PNG}; <scenario>-path.png into png_dir."""
    found = {}
    for entry in entries:
        if not entry.hops:
            continue
        png = pictures.make(entry.path, 'waterfall_png', entry)
        if png is None:
            continue
        found[entry.path] = png
        if png_dir:
            name = _png_name(entry, used)
            _write(os.path.join(png_dir, name[:-4] + '-path.png'), png)
    return found


def main(argv=None, stdout=None):
    stdout = stdout or sys.stdout
    args = parser().parse_args(argv)
    try:
        return _report(args, stdout)
    except OSError as exc:
        _warn('%s: cannot be written: %s' % (
            exc.filename, exc.strerror or exc))
        return EXIT_NOT_WRITTEN


def _hop_baseline(args):
    """{(scenario, hop): median step} of the --trend runs (none: {})."""
    earlier = [d for d in args.trend or ()
               if os.path.realpath(d) != os.path.realpath(args.dir)]
    return tls.hop_baseline([tls.read_dir(d, args.deadlines)[0]
                             for d in earlier])


def _hop_tables(entries):
    """Each entry's critical path table, blank-line separated."""
    tables = [table.hop_table(e) for e in entries]
    return '\n\n'.join(t for t in tables if t)


def _report(args, stdout):
    entries, problems = tls.read_dir(args.dir, args.deadlines)
    for problem in problems:
        _warn(problem)
    if not entries:
        if args.junit:
            _write(args.junit, junit.to_bytes(entries, problems))
        _warn('no timeline could be read from %s, no report' % args.dir)
        return EXIT_NOTHING_READ
    analysis = Analysis(args, entries)
    for problem in analysis.problems:
        _warn(problem)
    stdout.write(table.run_table(entries) + '\n')
    hops = _hop_tables(entries)
    if hops:
        stdout.write('\n' + hops + '\n')
    stdout.write('\n' + analysis.text() + '\n')
    if args.data:
        _write(args.data, json.dumps(analysis.run.data(), indent=2,
                                     sort_keys=True) + '\n')

    trend = None
    if args.trend:
        directories = [d for d in args.trend
                       if os.path.realpath(d) != os.path.realpath(args.dir)]
        runs, trend_problems = tr.read_runs(
            directories, args.deadlines, read=[analysis.run],
            scorer=analysis.scorer)
        for problem in trend_problems:
            _warn(problem)
        trend = tr.Trend(runs)
        stdout.write('\nTrend\n\n' + trend.text() + '\n')
        stdout.write('\nVerdicts\n\n' + analysis.compare(runs).text() +
                     '\n')
    if args.junit:
        _write(args.junit, junit.summary_bytes(
            entries, problems, analysis, baseline=_hop_baseline(args)))

    pictures = _Pictures()
    pngs, trend_png, waterfalls = {}, None, {}
    if args.png_dir or args.html:
        used = set()
        waterfalls = _waterfalls(pictures, entries, args.png_dir, set())
        for entry in entries:
            png = pictures.make(entry.path, 'timeline_png', entry)
            if png is None:
                continue
            pngs[entry.path] = png
            if args.png_dir:
                _write(os.path.join(args.png_dir, _png_name(entry, used)),
                       png)
        if trend is not None:
            trend_png = pictures.make('trend', 'trend_png', trend)
            if trend_png is not None and args.png_dir:
                _write(os.path.join(args.png_dir, 'trend.png'), trend_png)
    if args.html:
        _write(args.html, htmlpage.page(
            args.title, entries, problems, pngs, trend, trend_png,
            note=pictures.missing, analysis=analysis,
            waterfalls=waterfalls))
    if pictures.missing and args.png_dir:
        return EXIT_NO_MATPLOTLIB
    return EXIT_OK


if __name__ == '__main__':
    sys.exit(main())
