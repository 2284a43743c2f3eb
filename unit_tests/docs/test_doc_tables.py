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

"""The docs' table renderers: flow settings and Zuul jobs (no Sphinx)."""

import copy
import importlib.util
import os
import tempfile

import testtools
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXTS = os.path.join(ROOT, 'doc', 'source', '_exts')
FIXTURE = os.path.join(HERE, 'fixtures', 'flow-settings.yaml')
TABLE = os.path.join(ROOT, 'devstack', 'flow-settings.yaml')


def _module(name):
    """A module of doc/source/_exts, which is not a package."""
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(EXTS, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fst = _module('flow_settings_table')
zjt = _module('zuul_jobs_table')


class FlowSettingsTableTest(testtools.TestCase):

    def setUp(self):
        super(FlowSettingsTableTest, self).setUp()
        with open(FIXTURE) as stream:
            self.data = yaml.safe_load(stream)

    def _write(self, data):
        handle, path = tempfile.mkstemp(suffix='.yaml')
        self.addCleanup(os.unlink, path)
        with os.fdopen(handle, 'w') as stream:
            yaml.safe_dump(data, stream)
        return path

    def _problems(self, data):
        error = self.assertRaises(fst.FlowSettingsError, fst.load,
                                  self._write(data))
        return error

    def test_fixture_loads(self):
        self.assertEqual(self.data, fst.load(FIXTURE))

    def test_the_repository_table_renders(self):
        # The docs build fails on this file too; here it fails in py3.
        if not os.path.exists(TABLE):
            self.skipTest('%s is not in this checkout' % TABLE)
        rows = fst.table_rows(fst.load(TABLE))
        self.assertTrue(rows, 'no row in %s' % TABLE)

    def test_one_row_per_flow_and_setting_in_page_order(self):
        rows = fst.table_rows(self.data)
        expected = sum(len(row['flows']) for row in self.data['settings'])
        self.assertEqual(expected, len(rows))
        flows = [cells[0][1].split()[0] for cells in rows]
        order = [fst.FLOW_NAMES.index(flow) for flow in flows]
        self.assertEqual(sorted(order), order)
        self.assertEqual(len(fst.HEADER), len(rows[0]))

    def test_cells_of_a_row(self):
        rows = fst.table_rows(self.data)
        topics = [r for r in rows if r[4] == ('literal', 'topics')][0]
        self.assertEqual(('text', 'vitrage (seed 001)'), topics[0])
        self.assertEqual(('text', 'nova'), topics[1])
        self.assertEqual(('literal', 'nova.conf'), topics[2])
        self.assertEqual(('literal', 'oslo_messaging_notifications'),
                         topics[3])
        # A list renders comma-joined; no override: empty cells.
        self.assertEqual(('literal', 'notifications,vitrage_notifications'),
                         topics[5])
        self.assertEqual(('text', ''), topics[6])
        self.assertEqual(('text', ''), topics[7])
        self.assertEqual(('text', 'stable/2025.2, stable/2025.1'), topics[8])
        self.assertEqual(('text', ''), topics[9])
        self.assertIn('own topic', topics[10][1])
        self.assertNotIn('\n', topics[10][1])

    def test_overrides_and_defaults(self):
        rows = fst.table_rows(self.data)
        ttl = [r for r in rows if r[4] == ('literal', 'event_alarm_cache_ttl')]
        self.assertEqual(2, len(ttl))   # autoheal and policies
        self.assertEqual(('literal', '60'), ttl[0][5])
        self.assertEqual(('literal', '0'), ttl[0][7])
        self.assertEqual(('text', 'all'), ttl[0][8])
        secret = [r for r in rows if r[4] == ('literal', 'secret_key')][0]
        self.assertEqual(('text', ''), secret[5])
        self.assertEqual(('literal', '$SERVICE_PASSWORD'), secret[6])
        fmt = [r for r in rows if r[4] == ('literal', 'notification_format')]
        self.assertEqual(('text', 'ceilometer'), fmt[0][9])

    def test_values_as_the_file_holds_them(self):
        self.assertEqual('true', fst.format_value(True))
        self.assertEqual('false', fst.format_value(False))
        self.assertEqual('a,b,3', fst.format_value(['a', 'b', 3]))
        self.assertEqual('2.5', fst.format_value(2.5))
        self.assertEqual('', fst.format_value(None))

    def test_missing_file_is_named(self):
        path = os.path.join(tempfile.gettempdir(), 'no-such-flow-settings')
        error = self.assertRaises(fst.FlowSettingsError, fst.load, path)
        self.assertIn(path, str(error))
        self.assertIn('does not exist', str(error))

    def test_not_yaml_is_named(self):
        handle, path = tempfile.mkstemp(suffix='.yaml')
        self.addCleanup(os.unlink, path)
        with os.fdopen(handle, 'w') as stream:
            stream.write('files: [unclosed\n')
        error = self.assertRaises(fst.FlowSettingsError, fst.load, path)
        self.assertIn(path, str(error))
        self.assertIn('not YAML', str(error))

    def test_unknown_file_key_names_row_and_known_keys(self):
        data = copy.deepcopy(self.data)
        data['settings'][0]['file'] = 'nova.cnf'
        error = self._problems(data)
        self.assertIn("settings[0] (nova.cnf [notifications] "
                      "notification_format): file 'nova.cnf' is not a key "
                      "of files:", str(error))
        self.assertIn('vitrage.conf', str(error))

    def test_unknown_flow_is_named(self):
        data = copy.deepcopy(self.data)
        data['settings'][2]['flows'] = ['autoheal', 'autoheel']
        error = self._problems(data)
        self.assertIn("unknown flow 'autoheel'", str(error))
        self.assertIn('event_alarm_cache_ttl', str(error))

    def test_every_problem_at_once(self):
        data = copy.deepcopy(self.data)
        del data['settings'][0]['why']
        data['settings'][1]['flow'] = data['settings'][1].pop('flows')
        data['settings'][4].pop('devstack')
        data['settings'][4].pop('localcloud')
        data['files']['nova.conf'].pop('service')
        error = self._problems(data)
        self.assertEqual(5, len(error.problems), error.problems)
        text = str(error)
        self.assertIn('why: expected text, got None', text)
        self.assertIn("unknown field 'flow'", text)
        self.assertIn('flows: expected a list of flow names', text)
        self.assertIn('secret_key): no value', text)
        self.assertIn('files.nova.conf.service', text)

    def test_value_of_a_wrong_type(self):
        data = copy.deepcopy(self.data)
        data['settings'][0]['value'] = {'nested': 'mapping'}
        data['settings'][1]['branches'] = 'master'
        error = self._problems(data)
        self.assertIn('value: expected a string, number, boolean',
                      str(error))
        self.assertIn("branches: expected a list of names, got 'master'",
                      str(error))

    def test_not_a_mapping(self):
        self.assertEqual(
            ['expected a mapping with files: and settings:, got list'],
            fst.check([]))
        problems = fst.check({'files': {}, 'rows': []})
        self.assertIn("unknown top-level field 'rows' (known: files, "
                      "settings)", problems)
        self.assertIn('settings: expected a list of rows, got None',
                      problems)


ZUUL = [
    {'nodeset': {'name': 'three', 'nodes': [{'name': 'a'}, {'name': 'b'},
                                            {'name': 'c'}]}},
    {'job': {'name': 'base-job', 'parent': 'devstack-tempest',
             'abstract': True, 'description': 'The base.\n  Two lines.'}},
    {'job': {'name': 'single', 'parent': 'base-job'}},
    {'job': {'name': 'multi', 'parent': 'base-job', 'nodeset': 'three',
             'override-checkout': 'stable/2025.2'}},
    {'job': {'name': 'multi-negative', 'parent': 'multi'}},
    {'project-template': {'name': 'tpl', 'check': {'jobs': ['single']},
                          'gate': {'jobs': ['single']}}},
    {'project': {'templates': ['tpl', 'openstack-python3-jobs'],
                 'check': {'jobs': [{'multi': {'voting': False}}]},
                 'periodic': {'jobs': ['multi', 'multi-negative']}}},
]


class ZuulJobsTableTest(testtools.TestCase):

    def _dir(self, items):
        directory = tempfile.mkdtemp()
        self.addCleanup(lambda: [os.unlink(os.path.join(directory, f))
                                 for f in os.listdir(directory)] and
                        os.rmdir(directory))
        with open(os.path.join(directory, 'jobs.yaml'), 'w') as stream:
            yaml.safe_dump(items, stream)
        return directory

    def test_rows_follow_parents_for_nodeset_and_branch(self):
        rows = dict((row[0], row) for row in zjt.table_rows(
            zjt.load(self._dir(ZUUL))))
        self.assertEqual(['base-job (abstract)', 'devstack-tempest',
                          "devstack-tempest's", 'master', 'none',
                          'The base. Two lines.'], rows['base-job (abstract)'])
        self.assertEqual('3 (three)', rows['multi-negative'][2])
        self.assertEqual("devstack-tempest's", rows['single'][2])
        self.assertEqual('stable/2025.2', rows['multi-negative'][3])
        self.assertEqual('check (template tpl); gate (template tpl)',
                         rows['single'][4])
        self.assertEqual('check, non-voting; periodic', rows['multi'][4])

    def test_templates_the_project_uses(self):
        self.assertEqual(['tpl', 'openstack-python3-jobs'],
                         zjt.templates(zjt.load(self._dir(ZUUL))))

    def test_no_configuration_is_named(self):
        directory = tempfile.mkdtemp()
        self.addCleanup(os.rmdir, directory)
        error = self.assertRaises(zjt.ZuulConfigError, zjt.load, directory)
        self.assertIn(directory, str(error))

    def test_the_repository_jobs_render(self):
        rows = zjt.table_rows(zjt.load(os.path.join(ROOT, 'zuul.d')))
        self.assertTrue(rows)
        self.assertTrue(all(len(row) == len(zjt.HEADER) for row in rows))
