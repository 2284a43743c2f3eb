"""Render oslo.config style INI files from plain dicts."""


def _value(v):
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, (list, tuple)):
        return ','.join(_value(x) for x in v)
    if v is None:
        return ''
    return str(v)


def render(sections):
    """``{section: {option: value}}`` -> INI text, in the given order."""
    out = []
    for section, options in sections.items():
        out.append('[%s]' % section)
        for key, value in options.items():
            text = _value(value)
            out.append(('%s = %s' % (key, text)).rstrip())
        out.append('')
    return '\n'.join(out)


def parse(text):
    """INI text -> ``{section: {option: value}}`` (strings; for tests)."""
    sections = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(('#', ';')):
            continue
        if line.startswith('[') and line.endswith(']'):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition('=')
        if current is None:
            raise ValueError('option outside a section: %r' % raw)
        current[key.strip()] = value.strip()
    return sections
