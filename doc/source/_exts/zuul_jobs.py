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

"""Sphinx directives ``zuul-jobs`` and ``zuul-templates``.

They list the jobs of ``zuul.d/`` (the ``zuul_jobs_dir`` conf value) and
the project templates the project uses, read at build time. An unreadable
configuration is an error naming the file (a failed build under -W).
"""

import glob
import os

from docutils import nodes
from sphinx.util import docutils as sphinx_docutils
from sphinx.util import logging

import doctable
import zuul_jobs_table

LOG = logging.getLogger(__name__)
WIDTHS = (14, 10, 8, 8, 14, 30)


class _ZuulDirective(sphinx_docutils.SphinxDirective):
    has_content = False

    def items(self):
        env = self.env
        directory = env.config.zuul_jobs_dir
        for path in sorted(glob.glob(os.path.join(directory, '*.yaml'))):
            env.note_dependency(path)
        try:
            return zuul_jobs_table.load(directory)
        except zuul_jobs_table.ZuulConfigError as exc:
            LOG.error('%s', exc, location=self.get_location())
            return []


class ZuulJobsDirective(_ZuulDirective):
    """``.. zuul-jobs::``: one row per job of zuul.d."""

    def run(self):
        return [doctable.build_table(
            zuul_jobs_table.HEADER,
            zuul_jobs_table.table_rows(self.items()), WIDTHS, 'zuul-jobs')]


class ZuulTemplatesDirective(_ZuulDirective):
    """``.. zuul-templates::``: the project templates the project uses."""

    def run(self):
        names = zuul_jobs_table.templates(self.items())
        if not names:
            return [nodes.paragraph(text='The project uses no template.')]
        listing = nodes.bullet_list()
        for name in names:
            item = nodes.list_item()
            paragraph = nodes.paragraph()
            paragraph += nodes.literal(name, name)
            item += paragraph
            listing += item
        return [listing]


def setup(app):
    app.add_config_value('zuul_jobs_dir', None, 'env')
    app.add_directive('zuul-jobs', ZuulJobsDirective)
    app.add_directive('zuul-templates', ZuulTemplatesDirective)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
