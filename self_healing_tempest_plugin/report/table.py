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

"""The run table: one row per timeline, as plain text."""

from self_healing_tempest_plugin.report import timelines as tls

INTERRUPTED = tls.INTERRUPTED

# The phase columns come from the data: every phase of the entries.
HEAD = ('scenario', 'fault')
TAIL = ('verdict', 'bands', 'harness-cloud clock')


def headers(phases):
    """The run table's headers for ``phases`` (timelines.phase_names)."""
    return HEAD + tuple(phases) + TAIL


def bands_text(bands):
    return ' > '.join(bands) or '-'


def is_interrupted(entry):
    """Whether the run was stopped before it could be judged."""
    return entry.verdict == tls.INTERRUPTED


def verdict_text(entry):
    """The verdict every output shows: INTERRUPTED or the entry's."""
    return INTERRUPTED if is_interrupted(entry) else entry.verdict


def interrupted_text(entry):
    """'interrupted: <condition>: <reason>' (or what stopped the run)."""
    result = entry.result
    return result if result.startswith('interrupted') else (
        'interrupted: %s' % result)


def row(entry, phases):
    """The cells of one entry, in ``headers(phases)`` order."""
    return [entry.name, entry.fault] + [
        entry.phase(name).cell() for name in phases] + [
        verdict_text(entry), bands_text(entry.bands), entry.clock_text()]


def render(headers, rows):
    """Columns padded to their widest cell, a rule under the headers."""
    widths = [max(len(str(cell)) for cell in column)
              for column in zip(headers, *rows)]

    def line(cells):
        return '  '.join(str(c).ljust(w)
                         for c, w in zip(cells, widths)).rstrip()
    return '\n'.join([line(headers), line(['-' * w for w in widths])] +
                     [line(r) for r in rows])


def run_table(entries):
    """The table of one run, then the result of each run that failed."""
    phases = tls.phase_names(entries)
    text = render(headers(phases), [row(e, phases) for e in entries])
    notes = ['%s: %s' % (e.name, e.result) for e in entries
             if e.verdict != tls.PASS]
    notes += ['%s: repaired before its first fault: %s' % (
        e.name, e.repaired_text()) for e in entries if e.repaired]
    if notes:
        text += '\n\n' + '\n'.join(notes)
    return text + '\n\n' + counts_text(entries)


def counts(entries):
    """(passed, did not pass, interrupted): interrupted counted apart."""
    interrupted = sum(1 for e in entries if is_interrupted(e))
    passed = sum(1 for e in entries if e.passed and not is_interrupted(e))
    return passed, len(entries) - passed - interrupted, interrupted


def counts_text(entries):
    passed, failed, interrupted = counts(entries)
    return '%d timeline(s): %d passed, %d did not, %d interrupted' % (
        len(entries), passed, failed, interrupted)


HOP_HEADERS = ('hop', 'service', 's from fault', 'polled s', 'step s',
               'share', 'source')


def _seconds(value):
    return '-' if value is None else '%.1f' % value


def hop_row(row):
    """The cells of one ``timelines.HopRow``, in HOP_HEADERS order."""
    return [row.name, row.service or '?',
            _seconds(row.seconds) if row.seconds is not None
            else 'no record', _seconds(row.polled), _seconds(row.step),
            '-' if row.share is None else '%d%%' % round(100 * row.share),
            (row.source or '-') + (
                (', to the second' if row.whole_second else '')
                if row.cloud else ' (%s)' % (row.reason or 'harness'))]


def hop_table(entry):
    """The critical path of one entry; '' when it has none."""
    if not entry.hops:
        return ''
    return '%s: critical path (cloud clock)\n\n%s' % (
        entry.name, render(HOP_HEADERS, [hop_row(r) for r in entry.hops]))
