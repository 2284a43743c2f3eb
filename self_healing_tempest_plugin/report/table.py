"""The run table: one row per timeline, as plain text."""

from self_healing_tempest_plugin.report import timelines as tls

HEADERS = ('scenario', 'fault', 'detect', 'act', 'recover', 'verdict',
           'bands', 'harness-cloud clock')


def bands_text(bands):
    return ' > '.join(bands) or '-'


def row(entry):
    """The cells of one entry, in HEADERS order."""
    return [entry.name, entry.fault] + [
        entry.phase(name).cell() for name, _ in tls.PHASE_MARKS] + [
        entry.verdict, bands_text(entry.bands), entry.clock_text()]


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
    text = render(HEADERS, [row(e) for e in entries])
    notes = ['%s: %s' % (e.name, e.result) for e in entries
             if e.verdict != tls.PASS]
    if notes:
        text += '\n\n' + '\n'.join(notes)
    return text
