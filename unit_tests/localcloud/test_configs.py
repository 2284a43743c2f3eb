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

import re

import testtools

from localcloud import configs
from localcloud import flows
from localcloud import hostnet
from localcloud import ini
from localcloud import layout
from localcloud.lib import aodh
from localcloud.lib import monitor
from localcloud import services


class TestConfigs(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.lay = layout.Layout('/srv/lc-test')
        self.files = configs.render_all(self.lay)

    def conf(self, rel):
        return ini.parse(self.files[rel])

    def test_every_flow_setting_of_the_table_is_in_the_local_files(self):
        flows = layout.FLOW_SETTINGS
        rows = flows.rows(layout.FLOW_TABLE, 'localcloud')
        self.assertGreater(len(rows), 10)
        for row in rows:
            name = flows._row_name(row)
            rel = layout.FLOW_TABLE['files'][row['file']]['localcloud']
            self.assertIn(rel, self.files, name)
            conf = self.conf(rel)
            self.assertEqual(
                flows.render_value(flows.value_for(row, 'localcloud')),
                conf.get(row['section'], {}).get(row['option']), name)

    def test_speed_settings_of_flow_rows_come_from_the_table(self):
        flows = layout.FLOW_SETTINGS
        keys = {(layout.FLOW_TABLE['files'][r['file']]['service'],
                 r['section'], r['option']): flows.value_for(r, 'localcloud')
                for r in flows.rows(layout.FLOW_TABLE, 'localcloud')}
        shared = [t for t in services.TUNABLES
                  if (t.service, t.section, t.option) in keys]
        self.assertEqual(3, len(shared))
        for t in shared:
            self.assertEqual(keys[(t.service, t.section, t.option)], t.local,
                             t.option)

    def test_devstack_only_rows_stay_out_of_the_local_files(self):
        # Vitrage's aodh datasource is devstack's; the local cloud has none.
        aodh = self.conf('aodh/aodh.conf')
        self.assertNotIn('topics', aodh['oslo_messaging_notifications'])

    def test_a_placeholder_without_a_row_is_named(self):
        err = self.assertRaises(KeyError, flows.with_flows,
                                'aodh/aodh.conf',
                                {'evaluator': {'nonexistent': flows.FLOW}})
        self.assertIn('aodh/aodh.conf [evaluator] nonexistent', str(err))

    def test_aodh_event_alarm_cache_is_the_local_tunable(self):
        ttl = self.conf('aodh/aodh.conf')['DEFAULT']['event_alarm_cache_ttl']
        self.assertEqual(
            str(services.tunable('aodh', 'DEFAULT', 'event_alarm_cache_ttl')),
            ttl)
        self.assertLessEqual(int(ttl), 5)

    def test_aodh_listens_where_ceilometer_publishes_events(self):
        pipeline = self.files['ceilometer/event_pipeline.yaml']
        self.assertIn('- notifier://?topic=alarm.all', pipeline)
        topic = self.conf('aodh/aodh.conf')['listener']['event_alarm_topic']
        self.assertIn('notifier://?topic=%s\n' % topic, pipeline)
        ceilo = self.conf('ceilometer/ceilometer.conf')
        self.assertEqual('event', ceilo['notification']['pipelines'])
        self.assertEqual(self.lay.etc('ceilometer', 'event_pipeline.yaml'),
                         ceilo['DEFAULT']['event_pipeline_cfg_file'])

    def test_nova_emits_unversioned_notifications_for_both_consumers(self):
        nova = self.conf('nova/nova.conf')
        self.assertEqual('unversioned',
                         nova['notifications']['notification_format'])
        self.assertEqual('messagingv2',
                         nova['oslo_messaging_notifications']['driver'])
        topics = nova['oslo_messaging_notifications']['topics'].split(',')
        self.assertIn('notifications', topics)      # Ceilometer's
        vitrage = self.conf('vitrage/vitrage.conf')
        vtopics = vitrage['datasources']['notification_topics'].split(',')
        # Vitrage has a topic of its own: on a shared queue it would take
        # half of the messages Ceilometer needs for Aodh's event alarms.
        self.assertNotIn('notifications', vtopics)
        self.assertEqual(set(), set(vtopics) - set(topics))
        self.assertEqual(
            'false',
            vitrage['DEFAULT']['use_nova_versioned_notifications'])

    def test_mistral_master_runs_no_cron_loop(self):
        # The loop holds Mistral's process-wide DB lock from the master
        # process; a worker forked meanwhile is deadlocked for good.
        mistral = self.conf('mistral/mistral.conf')
        self.assertEqual('false', mistral['cron_trigger']['enabled'].lower())

    def test_mistral_http_reaches_the_cloud_only(self):
        http = self.conf('mistral/mistral.conf')['action_std_http']
        self.assertEqual(layout.HOST, http['allowed_hosts'])
        self.assertEqual('', http['denied_cidrs'])

    def test_zaqar_signs_queue_urls(self):
        zaqar = self.conf('zaqar/zaqar.conf')
        self.assertTrue(zaqar['signed_url']['secret_key'])

    def test_zaqar_has_a_trustee(self):
        trustee = self.conf('zaqar/zaqar.conf')['trustee']
        self.assertEqual('password', trustee['auth_type'])
        self.assertEqual('zaqar', trustee['username'])
        self.assertTrue(trustee['auth_url'].startswith('http://127.0.0.1:'))

    def test_vitrage_datasources_and_notifiers(self):
        vitrage = self.conf('vitrage/vitrage.conf')
        types = vitrage['datasources']['types'].split(',')
        for ds in ('nova.host', 'nova.instance', 'nova.zone', 'doctor',
                   'prometheus'):
            self.assertIn(ds, types)
        self.assertEqual(['nova', 'mistral'],
                         vitrage['DEFAULT']['notifiers'].split(','))
        paste = self.files['vitrage/api-paste.ini']
        self.assertIn('oslo_config_file = %s'
                      % self.lay.etc('vitrage', 'vitrage.conf'), paste)

    def test_compute_hosts_are_separate_units(self):
        states = set()
        for host in layout.COMPUTE_HOSTS:
            conf = self.conf('nova/compute-%s.conf' % host)['DEFAULT']
            self.assertEqual(host, conf['host'])
            states.add(conf['state_path'])
        self.assertEqual(len(layout.COMPUTE_HOSTS), len(states))
        nova = self.conf('nova/nova.conf')['DEFAULT']
        self.assertEqual('fake.FakeDriverWithoutFakeNodes',
                         nova['compute_driver'])

    def test_nova_tunables(self):
        nova = self.conf('nova/nova.conf')['DEFAULT']
        down = int(nova['service_down_time'])
        report = int(nova['report_interval'])
        self.assertLess(down, 60)
        # Nova wants several reports inside one service_down_time.
        self.assertLessEqual(report * 3, down)

    def test_every_address_is_loopback_or_in_our_namespaces(self):
        ours = ('127.', hostnet.DATA_NET + '.', hostnet.MGMT_NET + '.')
        for rel, text in self.files.items():
            for addr in re.findall(r'\b\d{1,3}(?:\.\d{1,3}){3}\b', text):
                self.assertTrue(addr.startswith(ours),
                                '%s names %s' % (rel, addr))
            self.assertNotIn('localhost', text, rel)

    def test_a_compute_host_calls_only_the_controller_address(self):
        for host in layout.COMPUTE_HOSTS:
            text = self.files['nova/compute-%s.conf' % host]
            conf = ini.parse(text)
            self.assertNotIn('127.0.0.1', text)
            self.assertIn('@%s:' % hostnet.CONTROLLER,
                          conf['DEFAULT']['transport_url'])
            for section in ('placement', 'neutron', 'glance'):
                self.assertTrue(conf[section]['endpoint_override'].startswith(
                    'http://%s:' % hostnet.CONTROLLER), section)
            self.assertEqual('', conf['database']['connection'])

    def test_the_monitor_scrapes_every_host_and_alerts_vitrage(self):
        prom = self.files['prometheus/prometheus.yml']
        for h in hostnet.HOSTS:
            self.assertIn("'127.0.0.1:%d'" % h.exporter_port, prom)
            self.assertIn('hostname: %s' % h.name, prom)
        am = self.files['prometheus/alertmanager.yml']
        self.assertIn('url: http://127.0.0.1:8999/v1/event', am)
        self.assertIn('send_resolved: true', am)
        mapping = self.files['vitrage/prometheus_conf.yaml']
        self.assertIn('alertname: %s' % monitor.HOST_ALERT, mapping)
        self.assertIn(monitor.HOST_ALERT, self.files['prometheus/rules.yml'])

    def test_every_database_is_local_mysql(self):
        seen = set()
        for rel, text in self.files.items():
            for db in re.findall(
                    r'mysql\+pymysql://os:[^@]+@127\.0\.0\.1/(\w+)', text):
                seen.add(db)
        # nova_cell0 is passed to nova-manage, not written in a file.
        self.assertEqual(set(services.DATABASES) - {'nova_cell0'}, seen)

    def test_paths_stay_under_the_base_dir(self):
        for rel, text in self.files.items():
            for path in re.findall(r'= (/\S+)', text):
                self.assertTrue(path.startswith('/srv/lc-test/'),
                                '%s: %s' % (rel, path))


class TestAodhPaste(testtools.TestCase):

    UPSTREAM = (
        '[pipeline:main]\npipeline = request_id authtoken api-server\n\n'
        '[filter:authtoken]\n'
        'paste.filter_factory = keystonemiddleware.auth_token:filter_factory\n'
        'oslo_config_project = aodh\n\n'
        '[filter:request_id]\n'
        'paste.filter_factory = oslo_middleware:RequestId.factory\n')

    def test_names_the_config_file_in_the_authtoken_filter(self):
        out = aodh.paste(self.UPSTREAM, '/b/etc/aodh/aodh.conf')
        sections = ini.parse(out)
        self.assertEqual('/b/etc/aodh/aodh.conf',
                         sections['filter:authtoken']['oslo_config_file'])
        self.assertEqual('aodh',
                         sections['filter:authtoken']['oslo_config_project'])
        self.assertNotIn('oslo_config_file', sections['filter:request_id'])

    def test_is_idempotent(self):
        once = aodh.paste(self.UPSTREAM, '/b/aodh.conf')
        twice = aodh.paste(once, '/b/aodh.conf')
        self.assertEqual(once, twice)
        self.assertEqual(1, twice.count('oslo_config_file'))

    def test_refuses_a_file_without_the_filter(self):
        self.assertRaises(ValueError, aodh.paste,
                          '[app:x]\nuse = y\n', '/b/aodh.conf')
