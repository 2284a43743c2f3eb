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

"""The flow-settings table: its reader, its schema, the audit's fixes in it,
and the decisions of the tempest.conf rendering."""

import os
import tempfile

import testtools
import yaml

from self_healing_tempest_plugin.harness import scenario as sc
from self_healing_tempest_plugin.report import coverage

import flow_settings as fs

STABLE = 'stable/2025.2'
VITRAGE_BRANCHES = ['stable/2025.2', 'unmaintained/2025.1']
ALL = ['nova', 'neutron', 'heat', 'aodh', 'ceilometer', 'zaqar', 'mistral',
       'vitrage', 'gnocchi-api']


def _table_text(extra_row=''):
    with open(fs.TABLE) as f:
        return f.read() + extra_row


class TestReader(testtools.TestCase):

    def test_reads_the_table_as_pyyaml_does(self):
        with open(fs.TABLE) as f:
            text = f.read()
        self.assertEqual(yaml.safe_load(text), fs.parse_yaml(text))

    def test_reads_quotes_comments_and_flow_collections(self):
        text = ('a: {b: 1, c: [x, "y # z", \'it\'\'s\']}  # comment\n'
                'l:\n  - k: v\n    n: null\n  - plain\n'
                't: true\nf: 2.5\n'
                'why: a reason folded\n  over two lines\n')
        self.assertEqual(yaml.safe_load(text), fs.parse_yaml(text))

    def test_refuses_a_tab_naming_the_line(self):
        err = self.assertRaises(fs.TableError, fs.parse_yaml,
                                'a:\n\tb: 1\n', 't.yaml')
        self.assertIn('t.yaml:2', str(err))

    def test_refuses_a_key_given_twice(self):
        err = self.assertRaises(fs.TableError, fs.parse_yaml,
                                'a: 1\na: 2\n', 't.yaml')
        self.assertIn("key 'a' given twice", str(err))


class TestSchema(testtools.TestCase):

    def load_with(self, row):
        fd, path = tempfile.mkstemp(suffix='.yaml')
        self.addCleanup(os.unlink, path)
        with os.fdopen(fd, 'w') as f:
            f.write(_table_text(row))
        return self.assertRaises(fs.TableError, fs.load, path)

    def test_an_unknown_flow_is_named(self):
        err = self.load_with(
            '  - file: nova.conf\n    section: s\n    option: o\n'
            '    value: 1\n    flows: [autohael]\n    why: w\n')
        self.assertIn('nova.conf [s] o: unknown flow(s) autohael', str(err))

    def test_a_file_outside_files_is_named(self):
        err = self.load_with(
            '  - file: nova-cpu.conf\n    section: s\n    option: o\n'
            '    value: 1\n    flows: [autoheal]\n    why: w\n')
        self.assertIn('file nova-cpu.conf is not a key of files:', str(err))

    def test_a_devstack_reference_outside_its_column_is_refused(self):
        err = self.load_with(
            '  - file: nova.conf\n    section: s\n    option: o\n'
            '    value: $SERVICE_HOST\n    flows: [autoheal]\n    why: w\n')
        self.assertIn('devstack column only', str(err))

    def test_a_row_given_twice_is_named(self):
        err = self.load_with(
            '  - file: aodh.conf\n    section: listener\n'
            '    option: event_alarm_topic\n    value: x\n'
            '    flows: [autoheal]\n    why: w\n')
        self.assertIn('aodh.conf [listener] event_alarm_topic given twice',
                      str(err))


class TestTable(testtools.TestCase):
    """What the Zuul audit found wrong in the jobs is right in the table."""

    def setUp(self):
        super().setUp()
        self.table = fs.load()

    def devstack(self, branch, enabled=ALL, per_vm=True):
        return {(r['file'], r['section'], r['option']):
                fs.render_value(fs.value_for(r, 'devstack'))
                for r in fs.rows(self.table, 'devstack', branch=branch,
                                 enabled=enabled,
                                 flows=fs.devstack_flows(per_vm))}

    def test_vitrage_rows_exist_only_on_its_branches(self):
        for row in self.table['settings']:
            if 'vitrage' in row.get('when', []) or row['file'] == (
                    'vitrage.conf'):
                self.assertEqual(VITRAGE_BRANCHES, row.get('branches'),
                                 fs._row_name(row))
        master = self.devstack('master')
        self.assertFalse([k for k in master if k[0] == 'vitrage.conf'])
        self.assertNotIn(('nova.conf', 'oslo_messaging_notifications',
                          'topics'), master)

    def test_snapshots_interval_is_in_datasources(self):
        rows = self.devstack(STABLE)
        self.assertEqual('120', rows[('vitrage.conf', 'datasources',
                                      'snapshots_interval')])
        self.assertNotIn(('vitrage.conf', 'DEFAULT', 'snapshots_interval'),
                         rows)

    def test_vitrage_hears_nova_aodh_and_neutron(self):
        rows = self.devstack(STABLE)
        topic = rows[('vitrage.conf', 'datasources', 'notification_topics')]
        for service in ('nova', 'aodh', 'neutron'):
            topics = rows[('%s.conf' % service,
                           'oslo_messaging_notifications', 'topics')]
            self.assertIn(topic, topics.split(','), service)
            # Ceilometer keeps its own queue.
            self.assertIn('notifications', topics.split(','), service)

    def test_nova_format_agrees_with_vitrage(self):
        for rendering in fs.RENDERINGS:
            fmt = fs.value(self.table, rendering, 'nova.conf',
                           'notifications', 'notification_format')
            versioned = fs.value(self.table, rendering, 'vitrage.conf',
                                 'DEFAULT',
                                 'use_nova_versioned_notifications')
            self.assertEqual(fmt == 'unversioned', versioned is False,
                             rendering)

    def test_monitor_auth_is_scoped_to_the_service_project(self):
        self.assertEqual('$SERVICE_PROJECT_NAME', fs.value(
            self.table, 'devstack', 'vitrage.conf', 'service_credentials',
            'project_name'))

    def test_per_vm_rows_only_with_the_per_vm_flow(self):
        key = ('aodh.conf', 'evaluator', 'evaluation_interval')
        self.assertEqual('10', self.devstack('master')[key])
        self.assertNotIn(key, self.devstack('master', per_vm=False))

    def test_a_row_applies_where_its_file_service_runs(self):
        rows = self.devstack(STABLE, enabled=['nova'])
        self.assertEqual({'nova.conf'}, {k[0] for k in rows})
        # A compute of a Vitrage cloud: Nova also publishes to Vitrage.
        on_compute = fs.rows(self.table, 'devstack', branch=STABLE,
                             enabled=['nova'], cloud=['vitrage'])
        self.assertIn('topics', [r['option'] for r in on_compute])

    def test_local_cloud_overrides_are_visible_columns(self):
        self.assertEqual(0, fs.value(self.table, 'localcloud', 'aodh.conf',
                                     'DEFAULT', 'event_alarm_cache_ttl'))
        self.assertEqual(60, fs.value(self.table, 'devstack', 'aodh.conf',
                                      'DEFAULT', 'event_alarm_cache_ttl'))

    def test_iniset_lines_expand_only_devstack_references(self):
        lines = fs.iniset_lines(self.table, STABLE, ALL, False)
        self.assertIn('iniset "$VITRAGE_CONF" service_credentials '
                      'project_name "$SERVICE_PROJECT_NAME"', lines)
        self.assertIn('iniset "$NOVA_CONF" notifications '
                      'notification_format unversioned', lines)


class TestTempestConfig(testtools.TestCase):

    SINGLE = ['nova', 'heat', 'aodh', 'ceilometer', 'zaqar', 'mistral']

    def config(self, enabled, **kw):
        args = dict(computes='', host_addresses='', ssh_key_file='',
                    monitor=False, per_vm=False, negative=False, ttl_s=60,
                    settings={})
        args.update(kw)
        return fs.tempest_config(enabled, **args)

    def test_single_node_gets_autoheal_and_policies_only(self):
        sections, reasons = self.config(self.SINGLE)
        features = sections['self_healing_feature_enabled']
        self.assertTrue(features['autoheal_flow'])
        self.assertTrue(features['recovery_policy_flows'])
        for off in ('vitrage_flow', 'integrated_flow', 'per_vm_group_flow',
                    'host_fault', 'nic_fault'):
            self.assertFalse(features[off], off)
        self.assertIn('vitrage', reasons['vitrage'])
        self.assertFalse(sections['service_available']['vitrage'])
        self.assertEqual(60, sections['self_healing'][
            'event_alarm_cache_ttl_s'])

    def multinode(self, **kw):
        args = dict(computes='c1,c2', host_addresses='c1:10.0.0.2,c2:10.0.0.3',
                    ssh_key_file='/k', monitor=True,
                    settings={'host_nic': 'br-infra'})
        args.update(kw)
        return self.config(self.SINGLE + ['vitrage', 'gnocchi-api'], **args)

    def test_multinode_with_the_monitor_gets_the_host_flows(self):
        sections, reasons = self.multinode(per_vm=True)
        self.assertEqual({}, reasons)
        self.assertTrue(all(sections['self_healing_feature_enabled'][f]
                            for f in fs.FLOW_FEATURES.values()))
        self.assertEqual('c1:10.0.0.2,c2:10.0.0.3',
                         sections['self_healing']['host_addresses'])
        self.assertEqual(60, sections['self_healing']['sample_granularity_s'])

    def test_a_host_flow_without_ssh_is_off_and_says_why(self):
        sections, reasons = self.multinode(ssh_key_file='')
        self.assertFalse(sections['self_healing_feature_enabled'][
            'vitrage_flow'])
        self.assertIn('SELF_HEALING_HOST_SSH_KEY_FILE', reasons['vitrage'])
        self.assertFalse(sections['self_healing_feature_enabled'][
            'host_fault'])

    def test_journal_kill_switch_and_bus_reach_tempest(self):
        sections, _ = self.config(self.SINGLE, settings={
            'fault_journal_dir': '/j', 'kill_switch_file': '/k',
            'message_bus_address': '10.0.0.1:5672'})
        self_healing = sections['self_healing']
        self.assertEqual('/j', self_healing['fault_journal_dir'])
        self.assertEqual('/k', self_healing['kill_switch_file'])
        self.assertEqual('10.0.0.1:5672', self_healing['message_bus_address'])
        self.assertEqual(list(fs.DEFAULT_STOP_CONDITIONS) + ['message_bus'],
                         self_healing['stop_conditions'].split(','))

    def test_without_a_bus_the_stop_conditions_stay_the_default(self):
        sections, _ = self.config(self.SINGLE, settings={
            'message_bus_address': ''})
        self.assertNotIn('stop_conditions', sections['self_healing'])
        self.assertNotIn('message_bus_address', sections['self_healing'])

    def test_the_default_stop_conditions_are_the_options(self):
        from self_healing_tempest_plugin import config
        option = [o for o in config.SelfHealingGroup
                  if o.name == 'stop_conditions'][0]
        self.assertEqual(list(fs.DEFAULT_STOP_CONDITIONS), option.default)

    def test_vitrage_without_the_monitor_is_off_and_says_why(self):
        sections, reasons = self.multinode(monitor=False)
        self.assertIn('SELF_HEALING_MONITOR', reasons['integrated'])
        self.assertTrue(sections['self_healing_feature_enabled'][
            'host_fault'])


class TestFlowsAgreeWithTheScenarios(testtools.TestCase):
    """A flow the plugin switches on has what its scenario files need.

    The plugin's FLOW_SERVICES and FLOW_FEATURES are written apart from
    the scenario files' ``services:`` and ``features:``; a service a
    scenario needs that the plugin does not wait for would make its tests
    skip (or fail) on a devstack the plugin called ready.
    """

    def test_each_scenarios_services_and_feature(self):
        scenarios, broken = sc.load_all(sc.find_directory())
        self.assertEqual([], broken)
        checked = set()
        for scenario in scenarios:
            flow = coverage.flow_of(scenario)
            self.assertIn(flow, fs.FLOW_SERVICES, scenario.path)
            checked.add(flow)
            needed = set(fs.SERVICE_AVAILABLE[s] for s in scenario.services
                         if s in fs.SERVICE_AVAILABLE)
            self.assertEqual(set(), needed - set(fs.FLOW_SERVICES[flow]),
                             '%s (flow %s): services the plugin does not '
                             'require for the flow' % (scenario.path, flow))
            self.assertIn(fs.FLOW_FEATURES[flow], scenario.features,
                          scenario.path)
        self.assertEqual(set(fs.FLOWS), checked)


class TestMonitorFiles(testtools.TestCase):

    def test_alertmanager_ca_file_is_inside_http_config(self):
        conf = yaml.safe_load(fs.alertmanager_yml(
            'vitrage', 'https://h/rca/v1/event', 'u', 'p', ca_file='/ca'))
        hook = conf['receivers'][0]['webhook_configs'][0]
        self.assertEqual('/ca', hook['http_config']['tls_config']['ca_file'])
        self.assertEqual({'username': 'u', 'password': 'p'},
                         hook['http_config']['basic_auth'])
        self.assertEqual(conf['route']['receiver'],
                         conf['receivers'][0]['name'])

    def test_prometheus_scrapes_each_target_with_its_host(self):
        conf = yaml.safe_load(fs.prometheus_yml(
            fs.parse_targets('c1=10.0.0.2:9100 c2=10.0.0.3:9100'), 2,
            '/r.yml', 'localhost:9093'))
        static = conf['scrape_configs'][0]['static_configs']
        self.assertEqual([['10.0.0.2:9100'], ['10.0.0.3:9100']],
                         [s['targets'] for s in static])
        self.assertEqual(['c1', 'c2'], [s['labels']['hostname']
                                        for s in static])

    def test_a_bad_target_is_named(self):
        err = self.assertRaises(ValueError, fs.parse_targets, 'c1:10.0.0.2')
        self.assertIn("SELF_HEALING_MONITOR_TARGETS: 'c1:10.0.0.2'", str(err))

    def test_vitrage_maps_the_rule_alert(self):
        mapping = yaml.safe_load(fs.vitrage_prometheus_conf())
        rules = yaml.safe_load(fs.rules_yml(4))
        alert = rules['groups'][0]['rules'][0]
        self.assertEqual(alert['alert'],
                         mapping['alerts'][0]['key']['alertname'])
        self.assertEqual('4s', alert['for'])
