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

"""Render oslo.config style INI files from plain dicts."""
from localcloud import layout

# One rendering of a value (bool, list, None) for the local cloud's files and
# the devstack plugin's iniset calls: the flow-settings helper's.
_value = layout.FLOW_SETTINGS.render_value


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
