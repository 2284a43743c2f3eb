"""The ``self-healing-report`` command."""

import argparse
import os
import sys

from self_healing_tempest_plugin.report import htmlpage
from self_healing_tempest_plugin.report import junit
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
The run table (and with --trend the trend table) goes to stdout. A file
that cannot be read is named on stderr and left out; the rest of the
report is still produced (and the JUnit XML has an error testcase for it).

exit status:
  0  the report was produced (whether or not the runs healed: the JUnit
     XML and the table say that)
  1  no timeline could be read from DIR
  2  wrong arguments
  3  PNGs were asked for (--png-dir) but matplotlib is not installed
     (pip install matplotlib); everything else was produced
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
    return dict(zip((tls.DETECT, tls.ACT, tls.RECOVER), values))


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
                   help='earlier runs\' directories: MTTD/MTTR per '
                        'scenario over them and DIR, oldest first')
    p.add_argument('--deadlines', type=_deadlines, metavar='D,A,R',
                   help='seconds to judge timelines by that do not record '
                        'their deadlines (files from before they did)')
    p.add_argument('--title', default='Self-healing recovery report',
                   help='title of the HTML page')
    return p


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
    if args.junit:
        _write(args.junit, junit.to_bytes(entries, problems,
                                          baseline=_hop_baseline(args)))
    if not entries:
        _warn('no timeline could be read from %s, no report' % args.dir)
        return EXIT_NOTHING_READ
    stdout.write(table.run_table(entries) + '\n')
    hops = _hop_tables(entries)
    if hops:
        stdout.write('\n' + hops + '\n')

    trend = None
    if args.trend:
        directories = [d for d in args.trend
                       if os.path.realpath(d) != os.path.realpath(args.dir)]
        runs, trend_problems = tr.read_runs(
            directories, args.deadlines, read=[tr.Run(args.dir, entries)])
        for problem in trend_problems:
            _warn(problem)
        trend = tr.Trend(runs)
        stdout.write('\nTrend\n\n' + trend.text() + '\n')

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
            note=pictures.missing, waterfalls=waterfalls))
    if pictures.missing and args.png_dir:
        return EXIT_NO_MATPLOTLIB
    return EXIT_OK


if __name__ == '__main__':
    sys.exit(main())
