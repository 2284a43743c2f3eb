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

"""A docutils table from rows of cells, for the project's directives.

A cell is a ``(kind, text)`` pair (kind ``text`` or ``literal``) or plain
text.
"""

from docutils import nodes


def _cell(cell):
    kind, text = cell if isinstance(cell, tuple) else ('text', cell)
    entry = nodes.entry()
    paragraph = nodes.paragraph()
    if text:
        paragraph += (nodes.literal(text, text) if kind == 'literal'
                      else nodes.Text(text))
    entry += paragraph
    return entry


def _row(cells):
    row = nodes.row()
    for cell in cells:
        row += _cell(cell)
    return row


def build_table(header, rows, widths, css_class):
    """A table with ``header``, ``rows`` and relative column ``widths``."""
    if len(widths) != len(header):
        raise ValueError('%d column widths for %d columns'
                         % (len(widths), len(header)))
    table = nodes.table(classes=[css_class])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += _row(header)
    group += head
    body = nodes.tbody()
    for cells in rows:
        body += _row(cells)
    group += body
    return table
