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

"""One self-contained HTML file: the table, the pictures, the trend.

Pictures are embedded as base64 ``data:`` URIs, so the file can be mailed
or stored as a CI artifact on its own.
"""

import base64
import html

from self_healing_tempest_plugin.harness import timeline as tl
from self_healing_tempest_plugin.report import score as sc
from self_healing_tempest_plugin.report import table
from self_healing_tempest_plugin.report import timelines as tls

STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { border: 1px solid #bbb; padding: 4px 8px; font-size: 14px;
         text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; font-family: monospace; }
.PASS, .ok, .seen { background: #dff0d8; }
.FAIL, .late, .missed, .ERROR { background: #f2dede; }
.EXPECTED { background: #d9edf7; }
.INTERRUPTED { background: #e1d5f0; }
.regressed, .drifting-worse, .cell-failed { background: #f2dede; }
.improved, .drifting-better, .cell-passed { background: #dff0d8; }
.cell-gap { background: #f5f5f5; color: #999; text-align: center; }
.cell-not-run, .cell-partly-run { background: #fcf8e3; }
.score { font-size: 20px; padding: 6px 12px; border: 1px solid #bbb;
         display: inline-block; margin: 0.3em 0; }
.score b { font-size: 26px; }
.formula { font-family: monospace; font-size: 12px; color: #555; }
td.hopbar { width: 16em; }
.hopbar span { display: inline-block; height: 0.8em; background: #7a9cc6; }
.band { display: inline-block; padding: 1px 6px; margin: 1px;
        border-radius: 3px; font-size: 12px; }
.GREEN { background: #7bc47f; } .YELLOW { background: #f5dd55; }
.RED { background: #e06666; }
.problems { background: #fcf8e3; border: 1px solid #e0c46c;
            padding: 0.5em 1em; }
.result { font-family: monospace; font-size: 12px; white-space: pre-wrap;
          max-width: 80em; }
img { max-width: 100%; border: 1px solid #ddd; }
"""


def _esc(value):
    return html.escape(str(value))


def _img(png, alt):
    return '<img alt="%s" src="data:image/png;base64,%s">' % (
        _esc(alt), base64.b64encode(png).decode('ascii'))


def _css(text):
    return text.split()[0] if text else ''


def _bands(bands):
    return ' '.join('<span class="band %s">%s</span>' % (b, b)
                    for b in bands) or '-'


def _run_table(entries):
    phases = tls.phase_names(entries)
    out = ['<table><tr>%s</tr>' % ''.join(
        '<th>%s</th>' % _esc(h) for h in table.headers(phases))]
    for index, entry in enumerate(entries):
        cells = ['<td><a href="#timeline-%d">%s</a></td>' % (
            index, _esc(entry.name)),
            '<td title="%s">%s</td>' % (_esc(entry.faults_text()),
                                        _esc(entry.fault))]
        for name in phases:
            phase = entry.phase(name)
            title = 'cloud: %s s' % (
                '-' if phase.cloud_seconds is None
                else '%.1f' % phase.cloud_seconds)
            cells.append('<td class="num %s" title="%s">%s</td>' % (
                _css(phase.status), _esc(title), _esc(phase.cell())))
        cells.append('<td class="%s">%s</td>' % (
            _css(table.verdict_text(entry)),
            _esc(table.verdict_text(entry))))
        cells.append('<td>%s</td>' % _bands(entry.bands))
        cells.append('<td class="num">%s</td>' % _esc(entry.clock_text()))
        out.append('<tr>%s</tr>' % ''.join(cells))
    out.append('</table>')
    return '\n'.join(out)


def _trend_section(trend, png):
    out = ['<h2>Trend over %d run(s)</h2>' % len(trend.runs),
           '<table><tr>%s</tr>' % ''.join(
               '<th>%s</th>' % _esc(h) for h in trend.headers())]
    for row in trend.rows():
        out.append('<tr>%s</tr>' % ''.join(
            '<td%s>%s</td>' % ('' if i < 2 else ' class="num"', _esc(c))
            for i, c in enumerate(row)))
    out.append('</table>')
    out.append('<p>MTTD: seconds from the fault to DETECTED, MTTR: to '
               'RECOVERED (harness clock). Runs, oldest first: %s.</p>'
               % '; '.join('%s (%s UTC)' % (_esc(r.label), _esc(r.started_utc))
                           for r in trend.runs))
    if trend.without_times:
        out.append('<p>No detect or recover time in any run: %s.</p>'
                   % _esc(', '.join(trend.without_times)))
    if png:
        out.append(_img(png, 'trend'))
    return '\n'.join(out)


def _score_header(analysis):
    scores = analysis.scores
    if sc.RUN not in scores:
        return ('<p class="score">Resilience score: none (no timeline with '
                'a known deadline)</p>')
    flows = ', '.join('%s %.3f' % (_esc(k[len(sc.FLOW_PREFIX):]), v)
                      for k, v in sorted(scores.items()) if k != sc.RUN)
    verdict = ''
    if analysis.comparison is not None:
        verdict = ' &mdash; %s' % _esc(', '.join(
            '%d %s' % (n, k) for k, n in
            sorted(analysis.comparison.counts().items())))
    return ('<p class="score">Resilience score <b>%.3f</b> (%s)%s</p>'
            '<p class="formula">per phase: 0 if it failed, else min(1, '
            'deadline / seconds); per timeline: phase-weighted mean; per '
            'flow and run: scenario-weighted mean (weights: the scenario '
            'files\' score:)</p>' % (scores[sc.RUN], flows, verdict))


def _css_words(text):
    return text.replace(' ', '-')


def _coverage_section(matrix):
    out = ['<h2>Coverage: flow &times; fault kind</h2>',
           '<table><tr>%s</tr>' % ''.join(
               '<th>%s</th>' % _esc(h) for h in matrix.headers())]
    for flow in matrix.flows:
        cells = ['<th>%s</th>' % _esc(flow)]
        for kind in matrix.kinds:
            cell = matrix.cell(flow, kind)
            title = ', '.join(cell.scenarios + [
                n + ' (negative)' for n in cell.negatives])
            cells.append('<td class="cell-%s" title="%s">%s</td>' % (
                _css_words(cell.status), _esc(title), _esc(cell.text())))
        out.append('<tr>%s</tr>' % ''.join(cells))
    out.append('</table>')
    out.append('<p>sc: scenarios, neg: negative checks (hover a cell for '
               'their names); %d of %d cells have no scenario.</p>' % (
                   len(matrix.gaps()),
                   len(matrix.flows) * len(matrix.kinds)))
    if matrix.not_in_files:
        out.append('<p>Ran but not in the scenario files: %s.</p>'
                   % _esc(', '.join(matrix.not_in_files)))
    return '\n'.join(out)


def _verdicts_section(comparison):
    out = ['<h2>Verdicts against %d baseline run(s)</h2>'
           % len(comparison.baseline),
           '<p>Mann-Whitney U (two-sided) of this run\'s values against '
           'the baseline runs\' values; the effect is the Hodges-Lehmann '
           'shift. Flagged when %s. Drift: Mann-Kendall over the per-run '
           'medians (8 runs or more).</p>' % _esc(comparison.floor.text()),
           '<table><tr>%s</tr>' % ''.join(
               '<th>%s</th>' % _esc(h) for h in comparison.HEADERS)]
    for row, (_, verdict) in zip(comparison.rows(), comparison.items()):
        cells = []
        for index, value in enumerate(row):
            css = 'num' if 2 <= index <= 7 else ''
            if index == 8:
                css = _css_words(verdict.verdict)
            elif index == 9:
                css = _css_words(verdict.drift)
            cells.append('<td class="%s">%s</td>' % (css, _esc(value)))
        out.append('<tr>%s</tr>' % ''.join(cells))
    out.append('</table>')
    return '\n'.join(out)


def _hops_section(entry, png=None):
    """The critical path: waterfall picture, then hop, seconds, share."""
    if not entry.hops:
        return ''
    out = ['<h3>Critical path (cloud clock)</h3>']
    if png:
        out.append(_img(png, '%s critical path' % entry.name))
    out.append('<table><tr>%s<th>share of the recovery</th></tr>' % ''.join(
        '<th>%s</th>' % _esc(h) for h in table.HOP_HEADERS))
    for row in entry.hops:
        cells = ''.join('<td%s>%s</td>' % (
            ' class="num"' if 2 <= i <= 5 else '', _esc(c))
            for i, c in enumerate(table.hop_row(row)))
        width = 0 if row.share is None else min(100, round(100 * row.share))
        out.append('<tr>%s<td class="hopbar"><span style="width: %d%%">'
                   '</span></td></tr>' % (cells, width))
    out.append('</table>')
    return '\n'.join(out)


def _analysis_sections(analysis):
    out = [_coverage_section(analysis.matrix)]
    if analysis.comparison is not None:
        out.append(_verdicts_section(analysis.comparison))
    return '\n'.join(out)


def page(title, entries, problems=(), pngs=None, trend=None,
         trend_png=None, note=None, analysis=None, waterfalls=None):
    """The HTML text. ``pngs`` maps an entry's path to its PNG bytes.

    ``waterfalls``: the same for the critical path's picture.
    """
    pngs = pngs or {}
    waterfalls = waterfalls or {}
    out = ['<!DOCTYPE html>', '<html><head><meta charset="utf-8">',
           '<title>%s</title>' % _esc(title),
           '<style>%s</style></head><body>' % STYLE,
           '<h1>%s</h1>' % _esc(title)]
    if analysis is not None:
        out.append(_score_header(analysis))
    out.append('<p>%s.</p>' % _esc(table.counts_text(entries)))
    if problems:
        out.append('<div class="problems"><b>Not read:</b><ul>%s</ul>'
                   '</div>' % ''.join('<li>%s</li>' % _esc(p)
                                      for p in problems))
    if note:
        out.append('<p class="problems">%s</p>' % _esc(note))
    out.append(_run_table(entries))
    out.append('<p>Phase cells: seconds from the fault to the phase / its '
               'deadline (the cloud\'s record where it has one, the '
               'harness\'s poll in brackets when they differ by %g s or '
               'more). ' % tls.DISAGREE_S +
               'Harness-cloud clock: the bounds of the harness clock minus '
               'the cloud clock that the marks allow.</p>')
    if analysis is not None:
        out.append(_analysis_sections(analysis))
    for index, entry in enumerate(entries):
        out.append('<h2 id="timeline-%d">%s</h2>'
                   % (index, _esc(entry.name)))
        out.append('<p>%s &mdash; <span class="%s">%s</span></p>' % (
            _esc(entry.test_id), _css(table.verdict_text(entry)),
            _esc(table.verdict_text(entry))))
        if len(entry.faults) > 1:
            out.append('<p>Faults: %s</p>' % _esc(entry.faults_text()))
        out.append('<div class="result">%s</div>' % _esc(entry.result))
        if entry.interrupted_by:
            out.append('<p>Interrupted by the stop condition <span '
                       'class="INTERRUPTED">%s</span></p>'
                       % _esc(entry.interrupted_by))
        if entry.repaired:
            out.append('<p>Repaired before its first fault (what dead '
                       'runs left):</p><ul>%s</ul>' % ''.join(
                           '<li>%s</li>' % _esc(tl.repair_text(item))
                           for item in entry.repaired))
        if entry.path in pngs:
            out.append(_img(pngs[entry.path], entry.name))
        out.append(_hops_section(entry, waterfalls.get(entry.path)))
    if trend is not None:
        out.append(_trend_section(trend, trend_png))
    out.append('</body></html>')
    return '\n'.join(out)
