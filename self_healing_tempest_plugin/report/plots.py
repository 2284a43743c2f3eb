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

"""PNG pictures: one timeline per scenario, and the trend over runs.

matplotlib is imported here, lazily, and only through its object API with
the Agg canvas: no display, no pyplot state. Each function returns the
PNG bytes.
"""

import io

from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import timeline as tl
from self_healing_tempest_plugin.report import table
from self_healing_tempest_plugin.report import trend as tr

BAND_COLOURS = {tl.GREEN: '#c8e6c9', tl.YELLOW: '#fff3a0',
                tl.RED: '#f4a6a6'}
PHASE_COLOURS = {dl.DETECT: '#1f77b4', dl.ACT: '#9467bd',
                 dl.RECOVER: '#2ca02c'}
# Any other phase (fenced, notified...), by its place among the extras.
EXTRA_PHASE_COLOURS = ('#ff7f0e', '#8c564b', '#e377c2', '#17becf',
                       '#bcbd22', '#7f7f7f')
FAULT_COLOUR = '#d62728'


def phase_colours(names):
    """{phase: colour}: the built-ins' own, the extras' in turn."""
    extras = [n for n in names if n not in PHASE_COLOURS]
    colours = dict((n, EXTRA_PHASE_COLOURS[i % len(EXTRA_PHASE_COLOURS)])
                   for i, n in enumerate(extras))
    colours.update((n, c) for n, c in PHASE_COLOURS.items() if n in names)
    return colours


LIMIT_STYLES = (('max', '#d62728', '--'), ('desired', '#555555', ':'),
                ('min', '#ff7f0e', '-.'), ('floor', '#8b0000', '--'))
# A deadline further than this many times the data's span is written at
# the right edge rather than stretching the axis.
DEADLINE_STRETCH = 1.5


class MatplotlibMissing(ImportError):
    """The pictures need matplotlib: the ``report`` extra."""


def _figure(width, height):
    try:
        from matplotlib.backends import backend_agg
        from matplotlib import figure
    except ImportError as exc:
        raise MatplotlibMissing(
            'the PNG pictures need matplotlib (pip install '
            '"self-healing-tempest-plugin[report]"): '
            '%s' % exc)
    fig = figure.Figure(figsize=(width, height), dpi=100)
    backend_agg.FigureCanvasAgg(fig)
    return fig


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format='png')
    return buf.getvalue()


def _healthy(sample):
    return sum(1 for m in sample.members if m.get('status') == 'ACTIVE')


def timeline_png(entry):
    """Cluster size over bands, limits, phases and deadlines; PNG bytes."""
    timeline = entry.timeline
    zero = entry.t_fault
    if zero is None:
        zero = timeline.samples[0].t if timeline.samples else 0.0
    xs = [s.t - zero for s in timeline.samples]
    marks_x = [m.harness_time - zero for m in timeline.marks]
    data_end = max(xs + marks_x + [1.0])
    data_start = min(xs + marks_x + [0.0])
    span = data_end - data_start
    # The last sample holds until the end of the picture: a band seen
    # only on the last poll (a run that failed on it) still shows.
    data_end += max(0.04 * span, 0.5)
    fig = _figure(11.5, 5.2)
    grid = fig.add_gridspec(2, 1, height_ratios=(3.2, 1), hspace=0.08)
    top = fig.add_subplot(grid[0])
    strip = fig.add_subplot(grid[1], sharex=top)

    # Health bands as the background, from each sample to the next.
    for i, sample in enumerate(timeline.samples):
        end = xs[i + 1] if i + 1 < len(xs) else data_end
        top.axvspan(xs[i], max(end, xs[i] + 0.01),
                    color=BAND_COLOURS[sample.band], lw=0, zorder=0)
    if xs:
        last = timeline.samples[-1]
        top.step(xs + [data_end], [s.size for s in timeline.samples] +
                 [last.size], where='post', color='black', lw=2,
                 label='members', zorder=3)
        top.step(xs + [data_end], [_healthy(s) for s in timeline.samples] +
                 [_healthy(last)], where='post', color='#2e7d32', lw=1.4,
                 ls='--', label='ACTIVE members', zorder=3)
    sizes = [s.size for s in timeline.samples] + [0]
    for key, colour, style in LIMIT_STYLES:
        value = entry.invariants.get(key)
        if value is None:
            continue
        sizes.append(value)
        top.axhline(value, color=colour, ls=style, lw=1.2, zorder=2,
                    label='%s %s' % (key, value))
    top.set_ylim(-0.3, max(sizes) + 1)
    top.set_ylabel('cluster size')
    top.yaxis.get_major_locator().set_params(integer=True)
    top.legend(loc='upper left', bbox_to_anchor=(1.01, 1), fontsize=8)
    if not entry.invariants:
        top.text(0.01, 0.03, 'min/max/floor not recorded in this timeline',
                 transform=top.transAxes, fontsize=8, color='#555555')
    top.set_title('%s: %s, %s (%s)' % (
        entry.name, entry.fault, entry.verdict,
        table.bands_text(entry.bands)), fontsize=11)
    top.tick_params(labelbottom=False)

    # Phases: harness time (dot), poll uncertainty (bar), cloud time
    # (diamond), deadline (dashed).
    far = []
    names = entry.phase_names
    colours = phase_colours(names)
    for row, name in enumerate(names):
        y = len(names) - row
        colour = colours[name]
        phase = entry.phase(name)
        mark_name = tl.phase_mark(name)
        mark = timeline.phase(mark_name)
        if mark is not None:
            x = mark.harness_time - zero
            if mark.not_before is not None:
                strip.plot([mark.not_before - zero, x], [y, y],
                           color=colour, lw=5, alpha=0.35,
                           solid_capstyle='butt')
            strip.plot([x], [y], 'o', color=colour, ms=7)
            top.axvline(x, color=colour, lw=1.5, zorder=4)
            top.annotate(mark_name, (x, 1), xycoords=('data', 'axes fraction'),
                         rotation=90, va='top', ha='right', fontsize=8,
                         color=colour, xytext=(-2, -3),
                         textcoords='offset points')
        if phase.cloud_seconds is not None:
            strip.plot([phase.cloud_seconds], [y], 'D', color=colour,
                       mfc='white', ms=6)
        if phase.deadline is not None:
            if phase.deadline - data_start <= DEADLINE_STRETCH * span:
                # The strip's y axis runs from 0.4 to len(names) + 0.6.
                span = len(names) + 0.2
                strip.axvline(phase.deadline, ymin=(y - 0.9) / span,
                              ymax=(y + 0.1) / span, color=colour, ls='--')
                top.axvline(phase.deadline, color=colour, ls='--', lw=1,
                            zorder=4)
            else:
                far.append('%s %g s' % (name, phase.deadline))
    for position, record in enumerate(entry.faults or [None], 1):
        fault = timeline.phase(tl.fault_mark(position))
        if fault is None:
            continue
        x = fault.harness_time - zero
        top.axvline(x, color=FAULT_COLOUR, lw=2 if position == 1 else 1.2,
                    zorder=4)
        kind = (record or {}).get('kind') or entry.fault
        top.annotate('FAULT %s' % kind, (x, 1),
                     xycoords=('data', 'axes fraction'), rotation=90,
                     va='top', ha='right', fontsize=8, color=FAULT_COLOUR,
                     xytext=(-2, -3), textcoords='offset points')
    if far:
        strip.text(0.995, 0.05, 'deadlines beyond the axis: ' +
                   ', '.join(far), transform=strip.transAxes, ha='right',
                   fontsize=8, color='#555555')
    strip.set_yticks(range(len(names), 0, -1))
    strip.set_yticklabels(names)
    strip.set_ylim(0.4, len(names) + 0.6)
    strip.grid(axis='x', color='#dddddd')
    strip.set_xlabel('seconds from the fault (harness clock; o seen by a '
                     'poll, bar since the last poll, <> cloud time, '
                     '-- deadline)', fontsize=8)
    fig.subplots_adjust(left=0.08, right=0.84, top=0.93, bottom=0.1)
    return _png(fig)


def trend_png(trend):
    """MTTD and MTTR per scenario over the runs; PNG bytes."""
    fig = _figure(10, 6)
    axes = fig.subplots(2, 1, sharex=True)
    positions = list(range(len(trend.runs)))
    for ax, (metric, _) in zip(axes, tr.METRICS):
        for scenario in trend.scenarios:
            values = [float('nan') if v is None else v
                      for v in trend.values[scenario][metric]]
            ax.plot(positions, values, marker='o', label=scenario)
        ax.set_ylabel('%s (s)' % metric)
        ax.set_ylim(bottom=0)
        ax.grid(color='#dddddd')
    axes[0].set_title('Time to detect and to recover, per scenario, '
                      'over runs', fontsize=11)
    axes[0].legend(fontsize=8, loc='upper left')
    axes[1].set_xticks(positions)
    axes[1].set_xticklabels(['%s\n%s' % (r.label, r.started_utc)
                             for r in trend.runs], fontsize=8)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.94, bottom=0.12,
                        hspace=0.08)
    return _png(fig)


SERVICE_COLOURS = {'nova': '#d62728', 'aodh': '#1f77b4', 'zaqar': '#17becf',
                   'mistral': '#9467bd', 'heat': '#ff7f0e',
                   'vitrage': '#8c564b', 'gnocchi': '#2ca02c'}


def waterfall_png(entry):
    """The critical path: one bar per hop, from the previous hop to it.

    Bars are the cloud's seconds from the fault (a hatched bar: only the
    harness saw it), a dot the harness's polled time, dashed lines the
    phases as reported; a hop without any time is listed with its reason.
    PNG bytes.
    """
    rows = entry.hops
    fig = _figure(11.5, max(2.5, 0.32 * len(rows) + 1.4))
    ax = fig.add_subplot(1, 1, 1)
    labels, untimed = [], []
    previous = 0.0
    for y, row in enumerate(rows):
        labels.append(row.name)
        colour = SERVICE_COLOURS.get(row.service, '#7f7f7f')
        if row.seconds is None:
            untimed.append('%s: %s' % (row.name, row.reason or 'no time'))
            continue
        start = min(previous, row.seconds)
        ax.barh(y, max(row.seconds - start, 0.05), left=start,
                color=colour, hatch=None if row.cloud else '//',
                alpha=0.85 if row.cloud else 0.4, edgecolor=colour)
        share = '' if row.share is None else ' %d%%' % round(
            100 * row.share)
        ax.annotate('%.1f s%s' % (row.seconds, share), (row.seconds, y),
                    xytext=(3, 0), textcoords='offset points',
                    va='center', fontsize=7)
        if row.polled is not None:
            ax.plot([row.polled], [y], 'o', color='black', ms=3)
        previous = max(previous, row.seconds)
    colours = phase_colours(entry.phase_names)
    for name in entry.phase_names:
        seconds = entry.phase(name).reported_seconds
        if seconds is not None:
            ax.axvline(seconds, color=colours[name], ls='--', lw=1)
            ax.annotate(name, (seconds, 1), xycoords=('data',
                                                      'axes fraction'),
                        rotation=90, va='top', ha='right', fontsize=8,
                        color=colours[name])
    for record in entry.faults[1:]:
        if record.get('at_s') is not None:
            ax.axvline(record['at_s'], color=FAULT_COLOUR, lw=1.2)
    ax.axvline(0, color=FAULT_COLOUR, lw=2)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.grid(axis='x', color='#dddddd')
    ax.set_xlabel('seconds from the fault (cloud clock; o the harness\'s '
                  'poll, hatched: harness only, -- phases)', fontsize=8)
    ax.set_title('%s: critical path, %s' % (entry.name, entry.verdict),
                 fontsize=11)
    if untimed:
        ax.text(0.995, 0.02, 'no cloud record: ' + '; '.join(untimed)[:300],
                transform=ax.transAxes, ha='right', va='bottom',
                fontsize=7, color='#555555', wrap=True)
    fig.subplots_adjust(left=0.27, right=0.97, top=0.9,
                        bottom=max(0.08, 0.6 / fig.get_figheight()))
    return _png(fig)
