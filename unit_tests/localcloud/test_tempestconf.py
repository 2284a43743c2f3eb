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

import os

import fixtures
import testtools

from localcloud import ini
from localcloud import layout
from localcloud import services
from localcloud import tempestconf


class TestTempestConf(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = ini.parse(tempestconf.render(
            'img-1', ['fl-1', 'fl-2'], '/srv/lc/tempest',
            host_opts=tempestconf.host_options('/srv/lc', '/srv/lc/key')))

    def test_admin_credentials_and_dynamic_credentials(self):
        auth = self.conf['auth']
        self.assertEqual('admin', auth['admin_username'])
        self.assertEqual('true', auth['use_dynamic_credentials'])
        self.assertEqual('false', auth['create_isolated_networks'])
        self.assertEqual('http://127.0.0.1:5000/v3',
                         self.conf['identity']['uri_v3'])

    def test_compute(self):
        compute = self.conf['compute']
        self.assertEqual('img-1', compute['image_ref'])
        self.assertEqual('fl-1', compute['flavor_ref'])
        self.assertEqual('fl-2', compute['flavor_ref_alt'])
        self.assertEqual(str(len(layout.COMPUTE_HOSTS)),
                         compute['min_compute_nodes'])

    def test_services_and_validation(self):
        avail = self.conf['service_available']
        for name in ('nova', 'neutron', 'heat', 'aodh', 'zaqar', 'mistral',
                     'vitrage', 'ceilometer'):
            self.assertEqual('true', avail[name], name)
        self.assertEqual('true', avail['gnocchi'])
        self.assertEqual('false', self.conf['validation']['run_validation'])

    def test_self_healing_group(self):
        sh = self.conf['self_healing']
        self.assertEqual('img-1', sh['image_ref'])
        self.assertEqual('2.37', sh['compute_microversion'])
        self.assertEqual(','.join(layout.COMPUTE_HOSTS), sh['compute_hosts'])
        self.assertEqual(
            str(services.tunable('aodh', 'DEFAULT', 'event_alarm_cache_ttl')),
            sh['event_alarm_cache_ttl_s'])
        self.assertEqual('/srv/lc/tempest/timelines', sh['timeline_dir'])
        feats = self.conf['self_healing_feature_enabled']
        self.assertEqual('true', feats['host_fault'])
        self.assertEqual('true', feats['nic_fault'])
        self.assertEqual('true', feats['instance_delete_fault'])

    def test_host_options_reach_each_host_through_the_proxy(self):
        opts = tempestconf.host_options('/srv/lc', '/srv/lc/key')
        self.assertEqual(['host1:127.0.0.1:2201', 'host2:127.0.0.1:2202'],
                         opts['host_addresses'])
        self.assertEqual('eth0', opts['host_nic'])
        self.assertTrue(opts['host_stop_command'].endswith(
            '--base /srv/lc host stop'))
        self.assertTrue(opts['host_start_command'].endswith(
            '--base /srv/lc host start'))

    def test_every_plugin_option_written_is_declared_by_the_plugin(self):
        from self_healing_tempest_plugin import config
        declared = {group: {o.name for o in opts}
                    for group, opts in config.list_opts()}
        for group in ('self_healing', 'self_healing_feature_enabled'):
            unknown = set(self.conf[group]) - declared[group]
            self.assertEqual(set(), unknown, group)
        ours = set(declared['service_available'])
        tempest_own = {'nova', 'glance', 'neutron', 'cinder', 'swift'}
        self.assertEqual(set(), set(self.conf['service_available'])
                         - ours - tempest_own)

    def test_journal_and_stop_conditions_are_the_workspace_s(self):
        sh = self.conf['self_healing']
        self.assertEqual('/srv/lc/tempest/journal', sh['fault_journal_dir'])
        self.assertEqual('/srv/lc/tempest/kill-switch',
                         sh['kill_switch_file'])
        self.assertEqual('/srv/lc/tempest', sh['disk_free_path'])
        self.assertEqual('127.0.0.1:%d' % layout.PORTS['rabbitmq'],
                         sh['message_bus_address'])

    def test_stop_conditions_are_the_plugin_default_and_the_bus(self):
        from self_healing_tempest_plugin import config
        default = [o for o in config.SelfHealingGroup
                   if o.name == 'stop_conditions'][0].default
        self.assertEqual(default + ['message_bus'], self.conf[
            'self_healing']['stop_conditions'].split(','))

    def test_a_variant_overrides_options_of_the_workspace_conf(self):
        lay = layout.Layout(self.useFixture(fixtures.TempDir()).path)
        os.makedirs(os.path.dirname(lay.tempest_conf))
        with open(lay.tempest_conf, 'w') as f:
            f.write(ini.render({'self_healing': {'steady_window_s': 10,
                                                 'timeline_dir': '/t'}}))
        path = tempestconf.write_variant(lay, 'stop-test', {
            'self_healing': {'steady_window_s': 60},
            'oslo_concurrency': {'lock_path': '/l'}})
        self.assertTrue(path.endswith('etc/tempest-stop-test.conf'))
        with open(path) as f:
            conf = ini.parse(f.read())
        self.assertEqual({'steady_window_s': '60', 'timeline_dir': '/t'},
                         conf['self_healing'])
        self.assertEqual('/l', conf['oslo_concurrency']['lock_path'])

    def test_negative_checks_only_in_the_negative_config(self):
        self.assertEqual(
            'false',
            self.conf['self_healing_feature_enabled']['negative_checks'])
        negative = ini.parse(tempestconf.render(
            'img-1', ['fl-1', 'fl-2'], '/srv/lc/tempest', negative=True,
            host_opts=tempestconf.host_options('/srv/lc', '/srv/lc/key')))
        feats = negative['self_healing_feature_enabled']
        self.assertEqual('true', feats['negative_checks'])
        # Everything else is the same cloud.
        self.assertEqual(self.conf['self_healing'], negative['self_healing'])

    def test_every_service_unit_is_a_process_this_cloud_runs(self):
        # A service fault names a healer; the unit it acts on must be one
        # of this cloud's processes (Aodh's three in aodh-alarming).
        running = set(s.name for s in services.SERVICES)
        units = tempestconf.SERVICE_UNITS
        self.assertEqual(set(layout.FLOW_SETTINGS.SERVICE_FAULT_SERVICES),
                         set(units))
        self.assertEqual([], sorted(set(units.values()) - running))
        self.assertEqual('aodh-alarming', units['aodh-listener'])
        self.assertEqual('mistral', units['mistral-engine'])
