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

"""The flow-settings table (``devstack/flow-settings.yaml``) as doc rows.

Pure Python (no Sphinx), so the unit tests can run it: ``load`` reads and
checks the file, ``table_rows`` turns it into rows of cells, each cell a
``(kind, text)`` pair with kind ``text`` or ``literal``. The Sphinx
directive in ``flow_settings.py`` makes a docutils table of them.
"""

import importlib.util
import os

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def _devstack_helper():
    """devstack/flow_settings.py, the renderings' helper (not a package)."""
    spec = importlib.util.spec_from_file_location(
        'doc_flow_settings_helper',
        os.path.join(REPO, 'devstack', 'flow_settings.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DEVSTACK_HELPER = _devstack_helper()

# The seed each flow comes from; the flows, their order and the table's
# fields are the helper's (one schema for the renderings and this page).
SEEDS = {'autoheal': '000', 'policies': '004', 'vitrage': '001',
         'integrated': '002', 'per_vm': '003'}
FLOWS = tuple((name, SEEDS[name]) for name in DEVSTACK_HELPER.FLOWS)
FLOW_NAMES = DEVSTACK_HELPER.FLOWS
HEADER = ('flow', 'service', 'file', 'section', 'option', 'value',
          'devstack override', 'local-cloud override', 'branches',
          'only with', 'why')
FILE_KEYS = DEVSTACK_HELPER.FILE_KEYS
ROW_KEYS = DEVSTACK_HELPER.ROW_KEYS
ALL_BRANCHES = 'all'


class FlowSettingsError(ValueError):
    """Every problem of the table, each naming the file and the field."""

    def __init__(self, path, problems):
        self.path = path
        self.problems = list(problems)
        super(FlowSettingsError, self).__init__(
            'flow settings table %s: %s' % (path, '; '.join(self.problems)))


def load(path):
    """The checked table of ``path``; FlowSettingsError names each fault."""
    if not os.path.isfile(path):
        raise FlowSettingsError(path, [
            'the file does not exist (it is devstack/flow-settings.yaml, '
            'or the file SELF_HEALING_FLOW_SETTINGS names)'])
    with open(path) as stream:
        try:
            data = yaml.safe_load(stream)
        except yaml.YAMLError as exc:
            raise FlowSettingsError(path, ['not YAML: %s' % exc])
    problems = check(data)
    if problems:
        raise FlowSettingsError(path, problems)
    return data


def _is_text(value):
    return isinstance(value, str) and value.strip() != ''


def _is_value(value):
    if isinstance(value, list):
        return all(_is_value(item) and not isinstance(item, list)
                   for item in value)
    return isinstance(value, (str, int, float, bool))


def _names(value):
    return isinstance(value, list) and value and all(
        _is_text(item) for item in value)


def _check_files(files):
    problems = []
    if not isinstance(files, dict) or not files:
        return ['files: expected a mapping of config files, got %r'
                % (files,)]
    for key, spec in files.items():
        where = 'files.%s' % key
        if not isinstance(spec, dict):
            problems.append('%s: expected a mapping, got %r' % (where, spec))
            continue
        for unknown in sorted(set(spec) - set(FILE_KEYS)):
            problems.append('%s: unknown field %r (known: %s)'
                            % (where, unknown, ', '.join(FILE_KEYS)))
        if not _is_text(spec.get('service')):
            problems.append('%s.service: expected the service name, got %r'
                            % (where, spec.get('service')))
        for column in ('devstack', 'localcloud'):
            if spec.get(column) is not None and not _is_text(spec[column]):
                problems.append('%s.%s: expected text or null, got %r'
                                % (where, column, spec[column]))
    return problems


def _row_name(index, row):
    return 'settings[%d] (%s [%s] %s)' % (
        index, row.get('file'), row.get('section'), row.get('option'))


def _check_row(index, row, files):
    if not isinstance(row, dict):
        return ['settings[%d]: expected a mapping, got %r' % (index, row)]
    where = _row_name(index, row)
    problems = ['%s: unknown field %r (known: %s)'
                % (where, unknown, ', '.join(ROW_KEYS))
                for unknown in sorted(set(row) - set(ROW_KEYS))]
    if row.get('file') not in files:
        problems.append('%s: file %r is not a key of files: (%s)' % (
            where, row.get('file'), ', '.join(sorted(files))))
    for field in ('section', 'option', 'why'):
        if not _is_text(row.get(field)):
            problems.append('%s: %s: expected text, got %r'
                            % (where, field, row.get(field)))
    for column in ('value', 'devstack', 'localcloud'):
        if row.get(column) is not None and not _is_value(row[column]):
            problems.append('%s: %s: expected a string, number, boolean or '
                            'a list of them, got %r'
                            % (where, column, row[column]))
    if all(row.get(column) is None
           for column in ('value', 'devstack', 'localcloud')):
        problems.append('%s: no value: give value, devstack or localcloud'
                        % where)
    flows = row.get('flows')
    if not _names(flows):
        problems.append('%s: flows: expected a list of flow names (%s), '
                        'got %r' % (where, ', '.join(FLOW_NAMES), flows))
    else:
        for flow in flows:
            if flow not in FLOW_NAMES:
                problems.append('%s: flows: unknown flow %r (known: %s)'
                                % (where, flow, ', '.join(FLOW_NAMES)))
    for field in ('when', 'branches'):
        if row.get(field) is not None and not _names(row[field]):
            problems.append('%s: %s: expected a list of names, got %r'
                            % (where, field, row[field]))
    return problems


def check(data):
    """Every problem of a loaded table (empty when it renders)."""
    if not isinstance(data, dict):
        return ['expected a mapping with files: and settings:, got %s'
                % (type(data).__name__,)]
    problems = ['unknown top-level field %r (known: files, settings)' % key
                for key in sorted(set(data) - {'files', 'settings'})]
    files = data.get('files')
    problems += _check_files(files)
    settings = data.get('settings')
    if not isinstance(settings, list) or not settings:
        problems.append('settings: expected a list of rows, got %r'
                        % (settings,))
        return problems
    known = files if isinstance(files, dict) else {}
    for index, row in enumerate(settings):
        problems += _check_row(index, row, known)
    return problems


# A value as the config file holds it (a list comma-joined): the very
# rendering the devstack plugin and the local cloud write.
format_value = DEVSTACK_HELPER.render_value


def _literal(value):
    text = format_value(value)
    return ('literal', text) if text else ('text', '')


def flow_title(flow):
    return '%s (seed %s)' % (flow, dict(FLOWS)[flow])


def table_rows(data):
    """One row per (flow, setting), flows in page order, then file order."""
    files = data['files']
    rows = []
    for flow in FLOW_NAMES:
        for row in data['settings']:
            if flow not in row['flows']:
                continue
            rows.append([
                ('text', flow_title(flow)),
                ('text', files[row['file']]['service']),
                ('literal', row['file']),
                ('literal', row['section']),
                ('literal', row['option']),
                _literal(row.get('value')),
                _literal(row.get('devstack')),
                _literal(row.get('localcloud')),
                ('text', ', '.join(row.get('branches') or [ALL_BRANCHES])),
                ('text', ', '.join(row.get('when') or [])),
                ('text', ' '.join(row['why'].split())),
            ])
    return rows
