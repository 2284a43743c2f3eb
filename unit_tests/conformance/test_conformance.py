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

"""The conformance check over fixture jobs, plugins and option lists."""

import copy
import os

import fixtures
import testtools
import yaml

from conformance import checks
from conformance import cli
from conformance import options
from conformance import sdists
from conformance import selftest
from conformance import shell
from conformance import zuul

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures')
ROOT = os.path.dirname(os.path.dirname(HERE))
PINS = {'master': {'zaqar': 'zaqar==0.1'},
        'stable/2025.2': {'zaqar': 'zaqar==0.1', 'vitrage': 'vitrage==0.1'}}


def _data(name):
    with open(os.path.join(cli.DATA, name)) as handle:
        return yaml.safe_load(handle)


def _fixture_plugin(branch, name):
    return sdists.read_plugin(
        name, os.path.join(FIXTURES, 'plugins', name, 'devstack'),
        '%s-fixture' % name, 'fixture for %s' % branch)


def _table():
    with open(os.path.join(FIXTURES, 'own', 'devstack',
                           'flow-settings.yaml')) as handle:
        return yaml.safe_load(handle)


def _upstream(table=None, own_plugin=None):
    return checks.Upstream(
        _data('devstack.yaml'), PINS, _data('services.yaml')['services'],
        _fixture_plugin,
        options=options.from_fixture(os.path.join(FIXTURES, 'options.json')),
        own_plugin=own_plugin, table=table,
        retired=_data('pins.yaml')['retired'])


def _jobs():
    return zuul.load(os.path.join(FIXTURES, 'zuul.d'))


def _check(raw_jobs, nodesets, **kwargs):
    return checks.check(zuul.freeze(raw_jobs, nodesets), _upstream(**kwargs))


class TestConformingJobs(testtools.TestCase):

    def test_the_fixture_jobs_conform(self):
        raw, nodesets = _jobs()
        self.assertEqual([], [str(f) for f in _check(raw, nodesets)])

    def test_with_the_table_and_our_plugin_they_still_conform(self):
        raw, nodesets = _jobs()
        own = sdists.read_plugin(checks.OWN_PLUGIN, os.path.join(
            FIXTURES, 'own', 'devstack'), '', 'fixture')
        self.assertEqual([], [str(f) for f in _check(
            raw, nodesets, table=_table(), own_plugin=own)])


class TestNegatives(testtools.TestCase):
    """Each breakage fails, naming the job, the setting and the evidence."""

    def _findings(self, mutate):
        raw, nodesets = _jobs()
        mutate(raw)
        return [str(f) for f in _check(raw, nodesets)]

    def test_timeout_14400(self):
        def mutate(raw):
            raw['fixture-base']['timeout'] = 14400
        findings = self._findings(mutate)
        self.assertIn('fixture-master: timeout 14400 (inherited from '
                      'fixture-base): above 10800 s', '\n'.join(findings))
        self.assertIn('tenants.rst max-job-timeout', findings[0])

    def test_snapshots_interval_in_default(self):
        def mutate(raw):
            raw['fixture-vitrage']['vars']['devstack_local_conf'][
                'post-config']['$VITRAGE_CONF']['DEFAULT'] = {
                    'snapshots_interval': 120}
        findings = self._findings(mutate)
        self.assertEqual(1, len(findings), findings)
        self.assertIn('fixture-vitrage: devstack_local_conf.post-config.'
                      '$VITRAGE_CONF [DEFAULT] snapshots_interval: vitrage '
                      'registers no option snapshots_interval in [DEFAULT] '
                      '(it does in [datasources])', findings[0])
        self.assertIn('vitrage/opts.py', findings[0])

    def test_localrc_variable_nobody_reads(self):
        def mutate(raw):
            raw['fixture-master']['vars'] = {
                'devstack_localrc': {'ZAQAR_BAKEND': 'redis'}}
        findings = self._findings(mutate)
        self.assertEqual(1, len(findings), findings)
        self.assertIn('fixture-master: devstack_localrc.ZAQAR_BAKEND: read '
                      'neither by devstack nor by an enabled plugin',
                      findings[0])
        self.assertIn('zaqar-fixture/devstack', findings[0])
        self.assertIn('tools/conformance/data/devstack.yaml', findings[0])

    def test_a_localrc_variable_the_plugin_overwrites(self):
        def mutate(raw):
            raw['fixture-master']['vars'] = {
                'devstack_localrc': {'ZAQAR_CONF': '/tmp/z.conf'}}
        findings = self._findings(mutate)
        self.assertEqual(1, len(findings), findings)
        self.assertIn('the value is ignored', findings[0])
        self.assertIn('zaqar-fixture/devstack/settings:4', findings[0])

    def test_vitrage_on_a_master_job(self):
        def mutate(raw):
            del raw['fixture-vitrage']['override-checkout']
        findings = self._findings(mutate)
        text = '\n'.join(findings)
        self.assertIn('fixture-vitrage: devstack_plugins.vitrage: vitrage '
                      'does not exist on master', text)
        self.assertIn('3a2560a1', text)

    def test_service_available_vitrage_on_master(self):
        def mutate(raw):
            raw['fixture-master']['vars'] = {'devstack_local_conf': {
                'test-config': {'$TEMPEST_CONFIG': {
                    'service_available': {'vitrage': True}}}}}
        findings = self._findings(mutate)
        self.assertEqual(1, len(findings), findings)
        self.assertIn('[service_available] vitrage: vitrage does not exist '
                      'on master', findings[0])

    def test_vitrage_conf_where_no_plugin_defines_it(self):
        def mutate(raw):
            raw['fixture-master']['vars'] = {'devstack_local_conf': {
                'post-config': {'$VITRAGE_CONF': {
                    'datasources': {'snapshots_interval': 120}}}}}
        findings = self._findings(mutate)
        self.assertEqual(1, len(findings), findings)
        self.assertIn('fixture-master: devstack_local_conf.post-config.'
                      '$VITRAGE_CONF: $VITRAGE_CONF is defined neither by '
                      'devstack nor by an enabled plugin', findings[0])
        self.assertIn('inc/meta-config', findings[0])

    def test_missing_required_project_a_plugin_clones(self):
        def mutate(raw):
            raw['fixture-base']['required-projects'].remove(
                'openstack/zaqar-tempest-plugin')
        findings = self._findings(mutate)
        self.assertIn('fixture-master: required-projects: '
                      'openstack/zaqar-tempest-plugin: missing, and the '
                      'zaqar plugin clones it', '\n'.join(findings))
        self.assertIn('zaqar-fixture/devstack/plugin.sh:4',
                      '\n'.join(findings))
        self.assertIn('ERROR_ON_CLONE', '\n'.join(findings))

    def test_a_library_from_git_must_be_a_required_project(self):
        def mutate(raw):
            raw['fixture-master']['vars'] = {'devstack_localrc': {
                'LIBS_FROM_GIT': 'python-zaqarclient'}}
        findings = self._findings(mutate)
        self.assertEqual(1, len(findings), findings)
        self.assertIn('required-projects: openstack/python-zaqarclient',
                      findings[0])

    def test_a_plugin_repository_not_in_required_projects(self):
        def mutate(raw):
            raw['fixture-vitrage']['required-projects'] = []
        findings = self._findings(mutate)
        self.assertEqual(1, len(findings), findings)
        self.assertIn('fixture-vitrage: devstack_plugins.vitrage: '
                      'openstack/vitrage is not in required-projects',
                      findings[0])
        self.assertIn('functions-common:1776', findings[0])

    def test_a_tempest_plugin_that_is_no_required_project(self):
        def mutate(raw):
            raw['fixture-master']['vars'] = {
                'tempest_plugins': ['zaqar-tempest-plugin', 'nowhere']}
        findings = self._findings(mutate)
        self.assertEqual(1, len(findings), findings)
        self.assertIn('fixture-master: tempest_plugins: nowhere: no required '
                      'project has this short name', findings[0])

    def test_the_leak_check_needs_a_cleanup_run(self):
        def mutate(raw):
            raw['fixture-master']['vars'] = {
                'run_tempest_fail_if_leaked_resources': True}
        findings = self._findings(mutate)
        self.assertEqual(1, len(findings), findings)
        self.assertIn('playbooks/devstack-tempest.yaml:50-60', findings[0])
        raw, nodesets = _jobs()
        raw['fixture-master']['vars'] = {
            'run_tempest_fail_if_leaked_resources': True,
            'run_tempest_dry_cleanup': True}
        self.assertEqual([], _check(raw, nodesets))

    def test_more_than_ten_nodes(self):
        def mutate(raw):
            raw['fixture-master']['nodeset'] = {'nodes': [
                {'name': 'n%d' % i, 'label': 'x'} for i in range(11)]}
        findings = self._findings(mutate)
        self.assertEqual(1, len(findings), findings)
        self.assertIn('11 nodes, above 10', findings[0])


class TestSubnodes(testtools.TestCase):
    """Group-vars replace job vars on their group, as Ansible's do."""

    def _findings(self, mutate):
        raw, nodesets = _jobs()
        mutate(raw['fixture-vitrage'])
        return [str(f) for f in _check(raw, nodesets)]

    def test_job_localrc_does_not_reach_subnodes(self):
        # devstack-base sets group-vars.subnode.devstack_localrc, so the
        # job's ZAQAR_BACKEND never reaches a subnode without zaqar.
        self.assertEqual([], self._findings(lambda job: None))

    def test_a_subnode_localrc_key_no_plugin_there_reads(self):
        def mutate(job):
            job['group-vars']['subnode']['devstack_localrc'] = {
                'ZAQAR_BACKEND': 'redis'}
        findings = self._findings(mutate)
        self.assertEqual(1, len(findings), findings)
        self.assertIn('fixture-vitrage: group-vars.subnode.devstack_localrc.'
                      'ZAQAR_BACKEND: read neither by devstack nor by an '
                      'enabled plugin', findings[0])

    def test_an_undefined_file_that_skips_a_later_one_on_a_subnode(self):
        def mutate(job):
            job['vars']['devstack_local_conf']['post-config'][
                '$NOVA_CPU_CONF'] = {'DEFAULT': {'x': 1}}
        raw, nodesets = _jobs()
        mutate(raw['fixture-vitrage'])
        findings = [str(f) for f in _check(raw, nodesets)
                    if f.rule == 'conf-var']
        self.assertEqual(1, len(findings), findings)
        self.assertIn('group-vars.subnode.devstack_local_conf.post-config.'
                      '$ZAQAR_CONF: $ZAQAR_CONF is undefined on this node, '
                      'so devstack skips $NOVA_CPU_CONF after it',
                      findings[0])


class TestSelfTest(testtools.TestCase):

    def test_every_mutation_is_caught_on_conforming_jobs(self):
        raw, nodesets = _jobs()
        results = selftest.run(raw, nodesets, _upstream)
        self.assertEqual(len(selftest.MUTATIONS), len(results))
        for description, passed, message in results:
            self.assertTrue(passed, '%s: %s' % (description, message))

    def test_a_mutation_already_broken_is_not_counted_as_caught(self):
        raw, nodesets = _jobs()
        raw['fixture-base']['timeout'] = 14400
        results = dict((d, p) for d, p, _ in selftest.run(raw, nodesets,
                                                          _upstream))
        self.assertFalse(results['a timeout of 14400'])


class TestTable(testtools.TestCase):

    def test_an_option_in_the_wrong_section(self):
        table = _table()
        table['settings'][1]['section'] = 'DEFAULT'
        findings = [str(f) for f in checks.check_table(_upstream(table=table),
                                                       ['stable/2025.2'])]
        self.assertEqual(1, len(findings), findings)
        self.assertIn('devstack/flow-settings.yaml: settings[1] vitrage.conf '
                      '[DEFAULT] snapshots_interval: vitrage registers no '
                      'option snapshots_interval in [DEFAULT]', findings[0])

    def test_a_file_variable_that_is_not_the_service_file(self):
        table = _table()
        table['files']['nova.conf']['devstack'] = '$NOVA_CONFIG'
        findings = [str(f) for f in checks.check_table(_upstream(table=table),
                                                       ['master'])]
        self.assertIn('files.nova.conf.devstack $NOVA_CONFIG: not the '
                      'devstack variable', '\n'.join(findings))

    def test_a_job_that_disagrees_with_the_table(self):
        raw, nodesets = _jobs()
        raw['fixture-vitrage']['vars']['devstack_local_conf']['post-config'][
            '$VITRAGE_CONF']['datasources']['snapshots_interval'] = 600
        findings = [str(f) for f in _check(raw, nodesets, table=_table())]
        self.assertEqual(1, len(findings), findings)
        self.assertIn("fixture-vitrage: devstack_local_conf.post-config."
                      "$VITRAGE_CONF [datasources] snapshots_interval: the "
                      "job sets 600, the table 120", findings[0])
        self.assertIn('flow-settings.yaml settings[1]', findings[0])

    def test_the_devstack_column_wins_for_the_job_rendering(self):
        raw, nodesets = _jobs()
        table = _table()
        table['settings'][0]['devstack'] = 'both'
        findings = [str(f) for f in _check(raw, nodesets, table=table)]
        self.assertEqual(2, len(findings), findings)   # both jobs
        self.assertIn("the job sets 'unversioned', the table 'both'",
                      findings[0])

    def test_our_plugin_iniset_of_an_unregistered_option(self):
        own = sdists.read_plugin(checks.OWN_PLUGIN, os.path.join(
            FIXTURES, 'own', 'devstack'), '', 'fixture')
        own.files['devstack/plugin.sh'] += (
            'iniset $NOVA_CONF notifications notification_fromat both\n')
        findings = [str(f) for f in checks.check_own_plugin(
            _upstream(own_plugin=own), ['master'])]
        self.assertEqual(1, len(findings), findings)
        self.assertIn('devstack/plugin.sh:6 iniset $NOVA_CONF '
                      '[notifications] notification_fromat', findings[0])


class TestShell(testtools.TestCase):

    def _zaqar(self):
        return _fixture_plugin('master', 'zaqar')

    def test_the_tempest_clone_needs_tempest(self):
        clone = [c for c in self._zaqar().clones
                 if c.repo == 'openstack/zaqar-tempest-plugin'][0]
        self.assertTrue(shell.Environment(['zaqar-wsgi', 'tempest'],
                                          []).reaches(clone))
        self.assertFalse(shell.Environment(['zaqar-wsgi'], []).reaches(clone))
        self.assertFalse(shell.Environment(['tempest'], []).reaches(clone))

    def test_a_library_clone_needs_libs_from_git(self):
        clone = [c for c in self._zaqar().clones
                 if c.repo == 'openstack/python-zaqarclient'][0]
        self.assertFalse(shell.Environment(['zaqar-wsgi'], []).reaches(clone))
        self.assertTrue(shell.Environment(
            ['zaqar-wsgi'], ['python-zaqarclient']).reaches(clone))

    def test_reads_defines_and_enables(self):
        plugin = self._zaqar()
        self.assertIn('ZAQAR_BACKEND', plugin.reads)
        self.assertNotIn('ZAQAR_BACKEND', plugin.overwrites)
        self.assertIn('ZAQAR_CONF', plugin.overwrites)
        self.assertEqual('zaqar-fixture/devstack/settings:4',
                         str(plugin.defines['ZAQAR_CONF']))
        self.assertEqual(['zaqar-wsgi'], sorted(plugin.enables))


class TestSetup(testtools.TestCase):

    def test_a_table_without_settings_is_a_clear_error(self):
        root = self.useFixture(fixtures.TempDir()).path
        os.mkdir(os.path.join(root, 'devstack'))
        with open(os.path.join(root, 'devstack', 'flow-settings.yaml'),
                  'w') as handle:
            handle.write('files: {}\n')
        error = self.assertRaises(cli.SetupError, cli.load_table, root)
        self.assertIn('flow-settings.yaml: needs a files: mapping and a '
                      'settings: list', str(error))

    def test_no_devstack_dir_means_no_own_plugin_and_no_table(self):
        root = self.useFixture(fixtures.TempDir()).path
        self.assertIsNone(cli.load_own_plugin(root))
        self.assertIsNone(cli.load_table(root))


class TestSources(testtools.TestCase):

    def test_master_pins_are_the_local_clouds(self):
        pins = sdists.branch_pins(_data('pins.yaml'),
                                  _data('services.yaml')['services'], ROOT)
        local = sdists.read_requirements_pins(os.path.join(
            ROOT, 'tools', 'localcloud', 'requirements.in'))
        self.assertEqual('openstack-heat==%s' % local['openstack-heat'],
                         pins['master']['heat'])
        self.assertNotIn('vitrage', pins['master'])
        self.assertEqual('vitrage==15.0.1', pins['stable/2025.2']['vitrage'])

    def test_missing_venv_names_the_path_and_the_fix(self):
        services = {'vitrage': {'venv': 'v', 'namespaces': ['vitrage']}}
        error = self.assertRaises(
            options.OptionsError, options.load_options, services,
            {'v': '/nonexistent/venv-vitrage'}, [],
            self.useFixture(fixtures.TempDir()).path)
        self.assertIn('/nonexistent/venv-vitrage/bin/python is missing',
                      str(error))
        self.assertIn('python3 tools/localcloud up', str(error))

    def test_a_job_copy_is_independent(self):
        raw, nodesets = _jobs()
        copied = copy.deepcopy(raw)
        selftest.timeout_14400(copied, nodesets)
        self.assertNotIn(selftest.MUTANT, raw)
        self.assertEqual(14400, copied[selftest.MUTANT]['timeout'])
