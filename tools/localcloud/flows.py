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

"""Config files with the flow-settings table's rows in them.

The table (devstack/flow-settings.yaml) is shared with the devstack plugin;
a service module's renderer marks where a row's option goes (FLOW) and
``with_flows`` fills in every row of that file. A leaf module.
"""
from localcloud import ini
from localcloud import layout as L

TABLE = L.FLOW_SETTINGS
# Placeholder of an option whose value is a row of the flow-settings table
# (devstack/flow-settings.yaml): it keeps the option's place in the file.
FLOW = object()


def rows(rel):
    """The table's rows for the local cloud's file ``rel`` (under etc/)."""
    keys = [k for k, spec in L.FLOW_TABLE['files'].items()
            if spec['localcloud'] == rel]
    return [row for row in TABLE.rows(L.FLOW_TABLE, 'localcloud')
            if row['file'] in keys]


def with_flows(rel, sections):
    """``sections`` of file ``rel`` with the table's rows set in them.

    A row sets its option where the renderer placed it (FLOW), or at the
    end of its section; a FLOW no row fills is an error naming it.
    """
    for row in rows(rel):
        sections.setdefault(row['section'], {})[row['option']] = \
            TABLE.value_for(row, 'localcloud')
    for section, options in sections.items():
        for option, value in options.items():
            if value is FLOW:
                raise KeyError('%s [%s] %s: no row in %s' % (
                    rel, section, option, TABLE.TABLE))
    return ini.render(sections)
