"""Cross-checks of the Zuul jobs against our tests, without a cloud.

Every job that runs selects at least one of our tests, every scenario is
run by a periodic job, and every playbook a job names exists.
"""

import glob
import importlib
import os
import re

import testtools
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = 'self_healing_tempest_plugin'
SCENARIO_PACKAGE = PACKAGE + '.tests.scenario'
ANCHOR = r'^self_healing_tempest_plugin\.'
PLAYBOOK_KEYS = ('pre-run', 'run', 'post-run', 'cleanup-run')
TEMPEST_CONFIG = '$TEMPEST_CONFIG'


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


def merge(base, override):
    """Zuul's deep merge of job variables (dicts merge, others replace)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def effective_vars(jobs, name):
    """Variables of a job after inheritance from parents in our files."""
    chain = []
    while name in jobs:
        chain.append(jobs[name])
        name = jobs[name].get('parent')
    result = {}
    for job in reversed(chain):
        result = merge(result, job.get('vars', {}))
    return result


def playbooks(job):
    for key in PLAYBOOK_KEYS:
        value = job.get(key)
        if value is None:
            continue
        for path in ([value] if isinstance(value, str) else value):
            yield path if isinstance(path, str) else path['name']


def test_ids():
    """Ids of our scenario tests, from the test classes (cloud-free)."""
    ids = []
    pattern = os.path.join(ROOT, PACKAGE, 'tests', 'scenario', 'test_*.py')
    for path in sorted(glob.glob(pattern)):
        name = '%s.%s' % (SCENARIO_PACKAGE,
                          os.path.splitext(os.path.basename(path))[0])
        module = importlib.import_module(name)
        for cls_name, cls in sorted(vars(module).items()):
            if not isinstance(cls, type) or cls.__module__ != name:
                continue
            ids.extend('%s.%s.%s' % (name, cls_name, attr)
                       for attr in sorted(dir(cls))
                       if attr.startswith('test_'))
    return ids


def scenario_names():
    names = {}
    for path in sorted(glob.glob(os.path.join(ROOT, 'scenarios', '*.yaml'))):
        with open(path) as handle:
            names[os.path.basename(path)] = yaml.safe_load(handle)['name']
    return names


def pipeline_jobs(stanza, pipeline, templates):
    names = set()
    stanzas = [stanza] + [templates[t] for t in stanza.get('templates', [])
                          if t in templates]
    for item in stanzas:
        for job in item.get(pipeline, {}).get('jobs', []):
            names.add(job if isinstance(job, str) else next(iter(job)))
    return names


def feature(variables, option):
    config = variables.get('devstack_local_conf', {}).get(
        'test-config', {}).get(TEMPEST_CONFIG, {})
    return config.get('self_healing_feature_enabled', {}).get(option)


class ZuulJobsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        (self.jobs, self.projects, self.templates,
         self.nodesets) = load_zuul()
        self.ids = test_ids()
        self.concrete = sorted(name for name, job in self.jobs.items()
                               if not job.get('abstract'))

    def regex(self, name):
        return effective_vars(self.jobs, name).get('tempest_test_regex')

    def selected(self, name):
        regex = self.regex(name)
        return [i for i in self.ids if re.search(regex, i)]

    def test_there_are_tests_and_jobs(self):
        self.assertIn(
            'self_healing_tempest_plugin.tests.scenario.test_autoheal.'
            'AutoHealingTest.test_autoheal_delete_member', self.ids)
        self.assertIn('self-healing-tempest-full', self.concrete)
        self.assertTrue(self.jobs['self-healing-tempest-base']['abstract'])

    def test_base_job_parent_and_vars(self):
        base = self.jobs['self-healing-tempest-base']
        self.assertEqual('devstack-tempest', base['parent'])
        variables = base['vars']
        self.assertEqual('all', variables['tox_envlist'])
        self.assertEqual(1, variables['tempest_concurrency'])
        self.assertTrue(variables['run_tempest_fail_if_leaked_resources'])
        timeline_dir = variables['devstack_local_conf']['test-config'][
            TEMPEST_CONFIG]['self_healing']['timeline_dir']
        self.assertIn(timeline_dir, variables['zuul_copy_output'])

    def test_every_job_inherits_from_base(self):
        for name in self.concrete:
            chain = [name]
            while chain[-1] in self.jobs and len(chain) < 10:
                chain.append(self.jobs[chain[-1]].get('parent'))
            self.assertIn('self-healing-tempest-base', chain, name)

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
            negatives = [i for i in self.selected(name)
                         if '.test_negative_' in i]
            enabled = feature(effective_vars(self.jobs, name),
                              'negative_checks')
            if negatives:
                self.assertTrue(enabled, '%s runs %s with negative_checks '
                                'off: they would be skipped'
                                % (name, negatives))

    def test_family_jobs_select_their_family_only(self):
        autoheal = self.selected('self-healing-tempest-autoheal')
        self.assertTrue(all('.AutoHealingTest.' in i for i in autoheal),
                        autoheal)
        policies = self.selected('self-healing-tempest-recovery-policies')
        self.assertTrue(all('.test_recovery_policies.' in i
                            for i in policies), policies)
        vitrage = self.selected('self-healing-tempest-vitrage')
        self.assertTrue(all('.test_vitrage_flows.VitrageHostFaultTest.' in i
                            for i in vitrage), vitrage)
        negative = self.selected('self-healing-tempest-negative')
        self.assertTrue(all('.test_negative_' in i for i in negative),
                        negative)
        self.assertEqual(sorted(self.ids),
                         sorted(self.selected('self-healing-tempest-full')))

    def test_every_scenario_runs_in_a_periodic_job(self):
        periodic = set()
        for project in self.projects:
            periodic |= pipeline_jobs(project, 'periodic', self.templates)
        self.assertNotEqual(set(), periodic)
        for filename, name in scenario_names().items():
            tests = [i for i in self.ids if i.endswith('.test_' + name)]
            self.assertNotEqual([], tests, '%s has no test' % filename)
            runners = [job for job in periodic if job in self.jobs
                       for test in tests if re.search(self.regex(job), test)]
            self.assertNotEqual([], runners,
                                '%s is run by no periodic job' % filename)

    def test_host_fault_features_only_in_multinode_jobs(self):
        """Single-node jobs keep host faults off; the Vitrage job is on."""
        host_features = ('host_fault', 'nic_fault', 'vitrage_flow',
                         'integrated_flow', 'per_vm_group_flow')
        for name in self.concrete:
            variables = effective_vars(self.jobs, name)
            enabled = [f for f in host_features if feature(variables, f)]
            if enabled:
                self.assertTrue(variables.get('self_healing_monitor'),
                                '%s enables %s without the monitor'
                                % (name, enabled))
                self.assertGreaterEqual(
                    len(self.subnodes(name)), 2,
                    '%s enables %s on fewer than two computes'
                    % (name, enabled))
        vitrage = effective_vars(self.jobs, 'self-healing-tempest-vitrage')
        for option in ('vitrage_flow', 'nic_fault', 'host_fault'):
            self.assertTrue(feature(vitrage, option), option)

    def test_vitrage_job_runs_periodically_and_never_votes_in_check(self):
        for pipeline in ('periodic', 'periodic-stable'):
            runs = set()
            for project in self.projects:
                runs |= pipeline_jobs(project, pipeline, self.templates)
            self.assertIn('self-healing-tempest-vitrage', runs, pipeline)
        for stanza in self.projects + list(self.templates.values()):
            for pipeline in ('check', 'gate'):
                for job in stanza.get(pipeline, {}).get('jobs', []):
                    if isinstance(job, dict) and \
                            'self-healing-tempest-vitrage' in job:
                        self.assertIs(False, job[
                            'self-healing-tempest-vitrage'].get('voting'))
                    else:
                        self.assertNotEqual('self-healing-tempest-vitrage',
                                            job, pipeline)

    def subnodes(self, name):
        """Nodes of the job's nodeset group subnode (our nodesets)."""
        while name in self.jobs and 'nodeset' not in self.jobs[name]:
            name = self.jobs[name].get('parent')
        nodeset = self.nodesets.get(self.jobs.get(name, {}).get('nodeset'))
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
            for pipeline in ('check', 'gate', 'periodic', 'periodic-stable'):
                for job in pipeline_jobs(stanza, pipeline, self.templates):
                    self.assertIn(job, known, pipeline)
        for stanza in self.projects:
            for template in stanza.get('templates', []):
                self.assertIn(template, self.templates)
