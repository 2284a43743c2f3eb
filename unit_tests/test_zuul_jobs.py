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

"""Cross-checks of the Zuul jobs against our tests, without a cloud.

Every job that runs selects at least one of our tests, every scenario is
run by a periodic job, every playbook a job names exists, no job exceeds
the tenant's limits, Vitrage runs only on a branch that still has it, and
each job's per-test timeout is above the worst case of the deadlines one
of its tests can chain. What only upstream code can disprove (a localrc
variable nobody reads, an option in the wrong section) is the
conformance check's.
"""

import glob
import importlib
import os
import re

import testtools
import yaml

from self_healing_tempest_plugin import config as sh_config
from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import scenario as sc
# unit_tests.conformance puts tools/ on sys.path: the tenant's limits and
# Zuul's variable merge are the conformance check's, not written here again.
from unit_tests import conformance as _tools_on_path  # noqa: F401

from conformance import checks as conformance_checks
from conformance import zuul as conformance_zuul

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = 'self_healing_tempest_plugin'
SCENARIO_PACKAGE = PACKAGE + '.tests.scenario'
ANCHOR = r'^self_healing_tempest_plugin\.'
PLAYBOOK_KEYS = ('pre-run', 'run', 'post-run', 'cleanup-run')
TEMPEST_CONFIG = '$TEMPEST_CONFIG'
PLUGIN = 'self-healing-tempest-plugin'
PLUGIN_PROJECT = 'openstack/' + PLUGIN
PLUGIN_URL = 'https://opendev.org/' + PLUGIN_PROJECT
# The openstack tenant: Zuul's default max-job-timeout, max-nodes-per-job
# (project-config zuul/main.yaml).
MAX_TIMEOUT_S = conformance_checks.MAX_TIMEOUT_S
MAX_NODES = conformance_checks.MAX_NODES
# What devstack takes before the first test, at most (a slow node); the
# tests' own timeout must fit beside it in the job's.
DEVSTACK_BUDGET_S = 3600
# Tempest's [compute] build_timeout default: its server deletion waiter.
TEMPEST_BUILD_TIMEOUT_S = 300
# Vitrage's last series (15.0.1, 2025.2); stable/2025.1 went unmaintained
# on 2026-10-02 and its stable branch with it (override-checkout would
# fall back to master).
VITRAGE_BRANCHES = ('stable/2025.2',)
VITRAGE_FEATURES = ('vitrage_flow', 'integrated_flow')
MULTINODE_NODESETS = ('self-healing-three-node-noble',)
NOBLE_NODESETS = ('self-healing-single-node-noble',
                  'self-healing-three-node-noble')
OPENSTACK_TEMPLATES = ('openstack-python3-jobs', 'publish-openstack-docs-pti',
                       'release-notes-jobs-python3', 'check-requirements')
PIPELINES = ('check', 'gate', 'periodic')


def load_zuul():
    """Jobs, projects, templates and nodesets of zuul.d/*.yaml."""
    jobs, projects, templates, nodesets = {}, [], {}, {}
    for path in sorted(glob.glob(os.path.join(ROOT, 'zuul.d', '*.yaml'))):
        with open(path) as handle:
            for item in yaml.safe_load(handle) or []:
                if 'job' in item:
                    jobs[item['job']['name']] = item['job']
                elif 'nodeset' in item:
                    nodesets[item['nodeset']['name']] = item['nodeset']
                elif 'project' in item:
                    projects.append(item['project'])
                elif 'project-template' in item:
                    template = item['project-template']
                    templates[template['name']] = template
    return jobs, projects, templates, nodesets


def chain(jobs, name):
    """The job and its parents in our files, the job first."""
    found = []
    while name in jobs:
        found.append(jobs[name])
        name = jobs[name].get('parent')
    return found


def effective_vars(jobs, name, key='vars'):
    """Variables of a job after inheritance from parents in our files."""
    result = {}
    for job in reversed(chain(jobs, name)):
        result = conformance_zuul.merge(result, job.get(key, {}))
    return result


def attribute(jobs, name, key, default=None):
    """A job attribute (nodeset, override-checkout...), inherited."""
    for job in chain(jobs, name):
        if key in job:
            return job[key]
    return default


def required_projects(jobs, name):
    """Zuul adds a child's required-projects to its parents'."""
    return set(p if isinstance(p, str) else p['name']
               for job in chain(jobs, name)
               for p in job.get('required-projects', []))


def subnode_vars(jobs, name):
    return effective_vars(jobs, name, 'group-vars').get('subnode', {})


def playbooks(job):
    for key in PLAYBOOK_KEYS:
        value = job.get(key)
        if value is None:
            continue
        for path in ([value] if isinstance(value, str) else value):
            yield path if isinstance(path, str) else path['name']


def test_classes():
    """{test id: test class} of our scenario tests (cloud-free)."""
    found = {}
    pattern = os.path.join(ROOT, PACKAGE, 'tests', 'scenario', 'test_*.py')
    for path in sorted(glob.glob(pattern)):
        name = '%s.%s' % (SCENARIO_PACKAGE,
                          os.path.splitext(os.path.basename(path))[0])
        module = importlib.import_module(name)
        for cls_name, cls in sorted(vars(module).items()):
            if not isinstance(cls, type) or cls.__module__ != name:
                continue
            for attr in sorted(dir(cls)):
                if attr.startswith('test_'):
                    found['%s.%s.%s' % (name, cls_name, attr)] = cls
    return found


def scenarios():
    """{scenario name: Scenario} of scenarios/*.yaml."""
    return dict((s.name, s) for s in (
        sc.load(path) for path in sc.scenario_files(
            os.path.join(ROOT, 'scenarios'))))


def pipeline_jobs(stanza, pipeline, templates):
    names = set()
    stanzas = [stanza] + [templates[t] for t in stanza.get('templates', [])
                          if t in templates]
    for item in stanzas:
        for job in item.get(pipeline, {}).get('jobs', []):
            names.add(job if isinstance(job, str) else next(iter(job)))
    return names


def tempest_conf(variables):
    return variables.get('devstack_local_conf', {}).get(
        'test-config', {}).get(TEMPEST_CONFIG, {})


def feature(variables, option):
    return tempest_conf(variables).get(
        'self_healing_feature_enabled', {}).get(option)


def self_healing_conf(variables):
    """[self_healing]: the plugin's defaults under the job's test-config."""
    conf = dict((opt.dest, opt.default) for opt in sh_config.SelfHealingGroup)
    conf.update(tempest_conf(variables).get('self_healing', {}))
    return conf


def worst_case_test_s(cls, scenario, conf):
    """Seconds one test of ``cls`` on ``scenario`` can take, at most.

    The sum of every wait the flow chains (flows/*.py), each at its
    deadline: deployment, arming, the healing run (recover deadline plus
    the steady window), the executions, the faults' undo, the host's
    repair and the cleanups. Host faults run in serial classes: no other
    test runs meanwhile, whatever the concurrency.
    """
    class Conf(object):
        pass
    view = Conf()
    view.__dict__.update(conf)
    deadlines = scenario.deadlines(view)
    poll = conf['poll_interval_s']
    desired = scenario.invariants_spec.get('desired',
                                           conf['cluster_desired_size'])
    healing = (deadlines.recover_s + scenario.steady_window_s(view) +
               2 * poll)
    stack, service = conf['stack_timeout_s'], conf['service_timeout_s']
    ssh = conf['host_ssh_timeout_s']
    # Each host or service fault's command, and its undo: a host stop's
    # start and waits, a NIC's duration, a service's return. A member
    # fault is one request each way.
    remote = [f for f, entry in zip(scenario.faults, scenario.fault_kinds)
              if entry.target != registry.MEMBER]
    inject = len(remote) * ssh
    undo = sum(max(ssh + 2 * service, f.get('duration_s', 0) + ssh + poll,
                   conf.get('service_fault_timeout_s', 0) + ssh)
               for f in remote)
    restore = ssh + 2 * service
    vitrage_setup = 3 * service     # a host up, template ACTIVE, seen
    if cls.flow == 'integrated':
        return (vitrage_setup + service + 2 * stack + inject + healing +
                2 * desired * conf['act_timeout_s'] + undo + 2 * restore)
    if cls.flow == 'vitrage_host':
        return (vitrage_setup + desired * conf['server_timeout_s'] +
                inject + healing + desired * conf['act_timeout_s'] + undo +
                2 * restore + desired * TEMPEST_BUILD_TIMEOUT_S)
    if cls.flow == 'per_vm_group':
        return (2 * stack + conf['samples_timeout_s'] + inject + healing +
                undo + scenario.steady_window_s(view) + 2 * poll + 1)
    if cls.flow in ('autoheal_group', 'recovery_policy'):
        return (2 * stack + conf['event_alarm_cache_ttl_s'] +
                conf['detect_timeout_s'] + inject + healing +
                conf['act_timeout_s'] + undo)
    raise AssertionError('no worst case known for %s (flow %s)'
                         % (cls.__name__, cls.flow))


class ZuulJobsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        (self.jobs, self.projects, self.templates,
         self.nodesets) = load_zuul()
        self.classes = test_classes()
        self.ids = sorted(self.classes)
        self.concrete = sorted(name for name, job in self.jobs.items()
                               if not job.get('abstract'))

    def vars(self, name):
        return effective_vars(self.jobs, name)

    def regex(self, name):
        return self.vars(name).get('tempest_test_regex')

    def selected(self, name):
        regex = self.regex(name)
        return [i for i in self.ids if re.search(regex, i)]

    def branch(self, name):
        return attribute(self.jobs, name, 'override-checkout', 'master')

    def pipeline(self, pipeline):
        runs = set()
        for project in self.projects:
            runs |= pipeline_jobs(project, pipeline, self.templates)
        return runs

    def test_there_are_tests_and_jobs(self):
        self.assertIn(
            'self_healing_tempest_plugin.tests.scenario.test_autoheal_group.'
            'AutohealGroupTest.test_autoheal_delete_member', self.ids)
        self.assertIn('self-healing-tempest-autoheal', self.concrete)
        self.assertTrue(self.jobs['self-healing-tempest-base']['abstract'])

    def test_base_job_parent_and_vars(self):
        base = self.jobs['self-healing-tempest-base']
        self.assertEqual('devstack-tempest', base['parent'])
        variables = base['vars']
        self.assertEqual('all', variables['tox_envlist'])
        self.assertEqual(1, variables['tempest_concurrency'])
        self.assertEqual([PLUGIN], variables['tempest_plugins'])
        localrc = variables['devstack_localrc']
        self.assertEqual('{{ self_healing_timeline_dir }}',
                         localrc['SELF_HEALING_TIMELINE_DIR'])
        for key in ('self_healing_timeline_dir', 'self_healing_report_dir',
                    'self_healing_leaks_dir'):
            self.assertIn(variables[key], variables['zuul_copy_output'], key)
        self.assertIn('{{ self_healing_leaks_dir }}',
                      localrc['SELF_HEALING_LEAKS_BEFORE_FILE'])

    def post_run_argv(self, command):
        """The argv of the one post-run task that runs ``command``."""
        with open(os.path.join(ROOT, 'playbooks', 'post.yaml')) as handle:
            plays = yaml.safe_load(handle)
        argvs = [task['ansible.builtin.command']['argv']
                 for play in plays for task in play.get('tasks', [])
                 if command in str(
                     task.get('ansible.builtin.command', {}).get('argv'))]
        self.assertEqual(1, len(argvs), argvs)
        return argvs[0]

    def test_post_run_compares_with_the_inventory_the_plugin_took(self):
        """The post-run's --before is the file the plugin writes."""
        argv = self.post_run_argv('self-healing-leaks')
        before = argv[argv.index('--before') + 1]
        localrc = self.vars('self-healing-tempest-base')['devstack_localrc']
        self.assertEqual(localrc['SELF_HEALING_LEAKS_BEFORE_FILE'], before)
        self.assertEqual('compare', argv[argv.index('--before') - 1])

    def test_post_run_keeps_report_data_for_later_baselines(self):
        """The report's --data lands in the copied report directory."""
        argv = self.post_run_argv('self-healing-report')
        self.assertIn('--data', argv, argv)
        self.assertEqual('{{ self_healing_report_dir }}/report-data.json',
                         argv[argv.index('--data') + 1])

    def test_tempest_leak_check_really_runs(self):
        """fail_if_leaked acts only with the dry cleanup (tempest role)."""
        for name in self.concrete:
            variables = self.vars(name)
            if variables.get('run_tempest_fail_if_leaked_resources'):
                self.assertTrue(variables.get('run_tempest_dry_cleanup') or
                                variables.get('run_tempest_cleanup'),
                                '%s: run_tempest_fail_if_leaked_resources '
                                'without run_tempest_dry_cleanup checks '
                                'nothing' % name)
            self.assertTrue(variables.get(
                'run_tempest_fail_if_leaked_resources'), name)

    def test_every_job_enables_this_repositorys_devstack_plugin(self):
        for name in self.concrete:
            self.assertEqual(
                PLUGIN_URL, self.vars(name)['devstack_plugins'].get(PLUGIN),
                name)
            self.assertIn(PLUGIN_PROJECT,
                          required_projects(self.jobs, name), name)

    def test_every_repository_a_plugin_clones_is_required(self):
        """Zaqar's plugin clones zaqar-tempest-plugin (ERROR_ON_CLONE)."""
        for name in self.concrete:
            plugins = self.vars(name)['devstack_plugins']
            projects = required_projects(self.jobs, name)
            for plugin in plugins:
                self.assertIn('openstack/%s' % plugin, projects, name)
            if 'zaqar' in plugins:
                self.assertIn('openstack/zaqar-tempest-plugin', projects,
                              name)

    def test_libs_from_git_is_devstacks_own(self):
        """An explicit list hides a library change from its own gate."""
        for name in self.concrete:
            for localrc in (self.vars(name).get('devstack_localrc', {}),
                            subnode_vars(self.jobs, name).get(
                                'devstack_localrc', {})):
                self.assertNotIn('LIBS_FROM_GIT', localrc, name)

    def test_local_conf_keeps_only_the_jobs_own_settings(self):
        """Service options, [service_available], flows: the plugin's.

        A job's local.conf holds its [self_healing] deadlines only.
        """
        for name in self.concrete:
            local_conf = self.vars(name).get('devstack_local_conf', {})
            self.assertEqual(['test-config'], sorted(local_conf), name)
            self.assertEqual([TEMPEST_CONFIG],
                             sorted(local_conf['test-config']), name)
            groups = sorted(tempest_conf(self.vars(name)))
            self.assertEqual(['self_healing'], groups, name)

    def test_timeouts_within_the_tenant_maximum(self):
        for name, job in self.jobs.items():
            self.assertLessEqual(job.get('timeout', 0), MAX_TIMEOUT_S,
                                 '%s: timeout above the openstack '
                                 'tenant\'s %d s' % (name, MAX_TIMEOUT_S))
        for nodeset_name, nodeset in self.nodesets.items():
            self.assertLessEqual(len(nodeset['nodes']), MAX_NODES,
                                 nodeset_name)

    def test_test_timeout_above_the_worst_case_of_its_tests(self):
        known = scenarios()
        for name in self.concrete:
            variables = self.vars(name)
            conf = self_healing_conf(variables)
            worst = max((worst_case_test_s(
                self.classes[i], known[i.rsplit('.test_', 1)[1]], conf), i)
                for i in self.selected(name))
            timeout = variables.get('tempest_test_timeout')
            self.assertIsNotNone(timeout, name)
            self.assertGreater(timeout, worst[0], '%s: tempest_test_timeout '
                               '%s s, but %s can take %s s' % (
                                   name, timeout, worst[1], worst[0]))
            job_timeout = attribute(self.jobs, name, 'timeout')
            self.assertLessEqual(timeout + DEVSTACK_BUDGET_S, job_timeout,
                                 '%s: one test\'s timeout and devstack do '
                                 'not fit in the job\'s %s s'
                                 % (name, job_timeout))

    def test_worst_case_counts_each_chained_wait(self):
        """A guard on the sum itself: the stack deadline counts twice."""
        known = scenarios()
        test_id = ('self_healing_tempest_plugin.tests.scenario.'
                   'test_autoheal_group.AutohealGroupTest.'
                   'test_autoheal_delete_member')
        conf = self_healing_conf({})
        base = worst_case_test_s(self.classes[test_id],
                                 known['autoheal_delete_member'], conf)
        conf['stack_timeout_s'] += 100
        self.assertEqual(base + 200, worst_case_test_s(
            self.classes[test_id], known['autoheal_delete_member'], conf))

    def test_every_job_inherits_from_base(self):
        for name in self.concrete:
            names = [job['name'] for job in chain(self.jobs, name)]
            self.assertIn('self-healing-tempest-base', names, name)

    def test_every_regex_is_anchored(self):
        for name in self.concrete:
            regex = self.regex(name)
            self.assertIsNotNone(regex, name)
            self.assertTrue(regex.startswith(ANCHOR),
                            '%s: %s is not anchored' % (name, regex))

    def test_every_job_selects_a_test(self):
        for name in self.concrete:
            self.assertNotEqual([], self.selected(name),
                                '%s selects none of %s' % (name, self.ids))

    def test_negative_tests_run_only_with_negative_checks(self):
        for name in self.concrete:
            selected = self.selected(name)
            negatives = [i for i in selected if '.test_negative_' in i]
            enabled = self.vars(name)['devstack_localrc'].get(
                'SELF_HEALING_NEGATIVE_CHECKS')
            if negatives:
                self.assertTrue(enabled, '%s runs %s with negative_checks '
                                'off: they would be skipped'
                                % (name, negatives))
                self.assertEqual(negatives, selected, name)

    def test_family_jobs_select_their_family_only(self):
        for job, family in (
                ('self-healing-tempest-autoheal', '.AutohealGroupTest.'),
                ('self-healing-tempest-recovery-policies',
                 '.test_recovery_policy.'),
                ('self-healing-tempest-migrate',
                 '.RecoveryPolicyTest.test_policy_migrate_'),
                ('self-healing-tempest-vitrage-2025-2',
                 '.test_vitrage_host.VitrageHostSerialTest.'),
                ('self-healing-tempest-integrated-2025-2',
                 '.test_integrated.IntegratedSerialTest.'),
                ('self-healing-tempest-per-vm-groups',
                 '.test_per_vm_group.PerVmGroupSerialTest.'),
                ('self-healing-tempest-negative', '.test_negative_')):
            selected = self.selected(job)
            self.assertTrue(all(family in i for i in selected),
                            '%s: %s' % (job, selected))

    def test_a_move_to_another_host_runs_with_two_computes(self):
        """One compute has no other host: a migration would fail there."""
        known = scenarios()
        for name in self.concrete:
            nodeset = attribute(self.jobs, name, 'nodeset')
            if nodeset in MULTINODE_NODESETS:
                continue
            moving = [i for i in self.selected(name) if known[
                i.rsplit('.test_', 1)[1]].recovery.get('host_change')]
            self.assertEqual([], moving, '%s (nodeset %s)' % (name,
                                                              nodeset))

    def test_every_test_runs_in_a_periodic_job(self):
        periodic = self.pipeline('periodic')
        runners = set(i for job in periodic if job in self.jobs
                      for i in self.selected(job))
        self.assertEqual([], sorted(set(self.ids) - runners))

    def test_every_scenario_runs_in_a_periodic_job(self):
        periodic = self.pipeline('periodic')
        self.assertNotEqual(set(), periodic)
        for name in scenarios():
            tests = [i for i in self.ids if i.endswith('.test_' + name)]
            self.assertNotEqual([], tests, '%s has no test' % name)
            runners = [job for job in periodic if job in self.jobs
                       for test in tests if re.search(self.regex(job), test)]
            self.assertNotEqual([], runners,
                                '%s is run by no periodic job' % name)

    def test_no_vitrage_where_the_branch_has_none(self):
        """Vitrage is retired on master (and 2025.1 is unmaintained)."""
        for name in self.concrete:
            variables = self.vars(name)
            uses = ['[self_healing_feature_enabled] %s' % f
                    for f in VITRAGE_FEATURES if feature(variables, f)]
            if 'vitrage' in variables['devstack_plugins']:
                uses.append('devstack_plugins vitrage')
            if 'openstack/vitrage' in required_projects(self.jobs, name):
                uses.append('required-projects openstack/vitrage')
            if tempest_conf(variables).get('service_available', {}).get(
                    'vitrage'):
                uses.append('[service_available] vitrage')
            if self.branch(name) not in VITRAGE_BRANCHES:
                self.assertEqual([], uses, '%s on %s' % (
                    name, self.branch(name)))

    def test_branch_pinned_jobs_run_on_their_series_platform(self):
        for name in self.concrete:
            branch = self.branch(name)
            if branch == 'master':
                continue
            series = branch.split('/', 1)[1]
            self.assertTrue(name.endswith('-' + series.replace('.', '-')),
                            '%s is pinned to %s' % (name, branch))
            self.assertIn(attribute(self.jobs, name, 'nodeset'),
                          NOBLE_NODESETS, name)
        pinned = set(self.branch(name) for name in self.pipeline('periodic'))
        self.assertTrue({'master', 'stable/2026.1'} | set(VITRAGE_BRANCHES)
                        <= pinned, pinned)

    def test_jobs_give_the_plugin_what_their_flows_need(self):
        """The plugin turns a flow on only with its prerequisites.

        Host faults: two computes and Tempest's SSH to them; the Vitrage
        flows: the monitor on every node; the per-VM groups: the plugin's
        per-VM settings on the controller and the computes. A missing one
        would make every test of the job skip (and the post-run fail).
        """
        known = scenarios()
        for name in self.concrete:
            variables = self.vars(name)
            localrc = variables['devstack_localrc']
            subnode = subnode_vars(self.jobs, name)
            specs = [known[i.rsplit('.test_', 1)[1]]
                     for i in self.selected(name)]
            if any(spec.serial for spec in specs):
                self.assertTrue(variables.get('self_healing_host_faults'),
                                '%s: host faults without SSH access' % name)
                for key in ('SELF_HEALING_COMPUTE_HOSTS',
                            'SELF_HEALING_HOST_ADDRESSES',
                            'SELF_HEALING_HOST_SSH_KEY_FILE'):
                    self.assertTrue(localrc.get(key), '%s: %s' % (name, key))
                self.assertIs(False, variables['devstack_services'].get(
                    'n-cpu'), name)
            if any('vitrage' in spec.services for spec in specs):
                self.assertTrue(localrc.get('SELF_HEALING_MONITOR'), name)
                self.assertTrue(localrc.get('SELF_HEALING_MONITOR_TARGETS'),
                                name)
                self.assertTrue(subnode['devstack_localrc'].get(
                    'SELF_HEALING_MONITOR'), name)
                self.assertEqual(PLUGIN_URL, subnode['devstack_plugins'].get(
                    PLUGIN), name)
                self.assertTrue(variables.get(
                    'bridge_authorize_internal_traffic'), name)
                self.assertIn('prometheus-node-exporter',
                              variables['self_healing_host_services'], name)
            if any(spec.flow == 'per_vm_group' for spec in specs):
                self.assertTrue(localrc.get('SELF_HEALING_PER_VM'), name)
                self.assertTrue(subnode['devstack_localrc'].get(
                    'SELF_HEALING_PER_VM'), name)
                self.assertIn('devstack@ceilometer-acompute',
                              variables['self_healing_host_services'], name)

    def test_subnodes_with_ceilometer_store_nothing(self):
        """A compute has no database: no gnocchi there (watcher's way)."""
        for name in self.concrete:
            subnode = subnode_vars(self.jobs, name)
            if 'ceilometer' not in subnode.get('devstack_plugins', {}):
                continue
            self.assertEqual('none', subnode['devstack_localrc'].get(
                'CEILOMETER_BACKENDS'), name)
            services = subnode['devstack_services']
            for service in ('gnocchi-api', 'gnocchi-metricd',
                            'ceilometer-acentral',
                            'ceilometer-anotification'):
                self.assertIs(False, services.get(service),
                              '%s: %s on the computes' % (name, service))
            self.assertIs(True, services.get('ceilometer-acompute'), name)

    def test_vitrage_jobs_run_periodically_and_never_vote(self):
        vitrage = [name for name in self.concrete
                   if 'vitrage' in self.vars(name)['devstack_plugins']]
        self.assertNotEqual([], vitrage)
        for name in vitrage:
            self.assertIn(name, self.pipeline('periodic'))
        for stanza in self.projects + list(self.templates.values()):
            for pipeline in ('check', 'gate'):
                for job in stanza.get(pipeline, {}).get('jobs', []):
                    job_name = job if isinstance(job, str) else next(
                        iter(job))
                    if job_name in vitrage:
                        self.assertIsInstance(job, dict, pipeline)
                        self.assertIs(False, job[job_name].get('voting'),
                                      '%s votes in %s' % (job_name,
                                                          pipeline))

    def subnodes(self, name):
        """Nodes of the job's nodeset group subnode (our nodesets)."""
        nodeset = self.nodesets.get(attribute(self.jobs, name, 'nodeset'))
        for group in (nodeset or {}).get('groups', []):
            if group['name'] == 'subnode':
                return group['nodes']
        return []

    def test_every_playbook_exists(self):
        named = [path for job in self.jobs.values()
                 for path in playbooks(job)]
        self.assertNotEqual([], named)
        for path in named:
            self.assertTrue(os.path.isfile(os.path.join(ROOT, path)),
                            '%s does not exist' % path)

    def test_pipelines_name_our_jobs_or_known_ones(self):
        known = set(self.jobs) | {'openstack-tox-linters'}
        stanzas = self.projects + list(self.templates.values())
        for stanza in stanzas:
            self.assertNotIn('periodic-stable', stanza, 'a branchless '
                             'repository\'s periodic-stable reruns master')
            for pipeline in PIPELINES:
                for job in pipeline_jobs(stanza, pipeline, self.templates):
                    self.assertIn(job, known, pipeline)
        for stanza in self.projects:
            for template in stanza.get('templates', []):
                self.assertIn(template, set(self.templates) |
                              set(OPENSTACK_TEMPLATES))

    def test_the_usual_openstack_templates(self):
        templates = set(t for stanza in self.projects
                        for t in stanza.get('templates', []))
        self.assertTrue(set(OPENSTACK_TEMPLATES) <= templates, templates)
        self.assertIn('self-healing-tempest-jobs', templates)
