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

"""Sphinx directive ``flow-settings``: the table of what each flow needs.

Reads the file of the ``flow_settings_file`` conf value (the checkout's
``devstack/flow-settings.yaml`` by default). A missing or malformed file
fails the build with an error naming the file and each problem (exit
status 1, with or without -W): the page must never silently show an
empty or stale table.
"""

from sphinx.util import docutils as sphinx_docutils
from sphinx.util import logging

import doctable
import flow_settings_table

LOG = logging.getLogger(__name__)
# Relative column widths, in the order of flow_settings_table.HEADER.
WIDTHS = (10, 7, 8, 8, 12, 10, 8, 8, 8, 6, 25)


class FlowSettingsDirective(sphinx_docutils.SphinxDirective):
    """``.. flow-settings::`` renders the whole table (no arguments)."""

    has_content = False

    def run(self):
        env = self.env
        path = env.config.flow_settings_file
        try:
            if not path:
                raise flow_settings_table.FlowSettingsError(
                    '(none)', ['conf.py sets no flow_settings_file'])
            env.note_dependency(path)
            data = flow_settings_table.load(path)
        except flow_settings_table.FlowSettingsError as exc:
            LOG.error('%s', exc, location=self.get_location())
            env.flow_settings_failed = str(exc)
            return []
        return [doctable.build_table(
            flow_settings_table.HEADER, flow_settings_table.table_rows(data),
            WIDTHS, 'flow-settings')]


def _fail_build(app, exception):
    """A build without -W must fail too when the table could not render."""
    if exception is None and getattr(app.env, 'flow_settings_failed', None):
        app.statuscode = 1


def setup(app):
    app.add_config_value('flow_settings_file', None, 'env')
    app.connect('build-finished', _fail_build)
    app.add_directive('flow-settings', FlowSettingsDirective)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
