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

"""The plugin as Tempest sees it: entry point, tests tuple, options."""

import os

import fixtures
from oslo_config import cfg
import stevedore
from tempest import config as tempest_config
from tempest.lib import auth
from tempest.lib.services import clients
import testtools

from self_healing_tempest_plugin import config as sh_config
from self_healing_tempest_plugin import plugin

GROUPS = ('service_available', 'self_healing',
          'self_healing_feature_enabled')


class PluginEntryPointTest(testtools.TestCase):

    def test_loads_through_tempest_entry_point(self):
        manager = stevedore.ExtensionManager(
            'tempest.test_plugins', invoke_on_load=True,
            propagate_map_exceptions=True)
        by_name = {ext.name: ext.obj for ext in manager}
        self.assertIn('self_healing', by_name)
        self.assertIsInstance(by_name['self_healing'],
                              plugin.SelfHealingTempestPlugin)

    def test_load_tests_points_at_the_scenario_tree_only(self):
        test_dir, base_path = plugin.SelfHealingTempestPlugin().load_tests()
        package_dir = os.path.dirname(os.path.abspath(plugin.__file__))
        self.assertEqual(os.path.join(package_dir, 'tests'), test_dir)
        self.assertEqual(os.path.dirname(package_dir), base_path)
        self.assertTrue(os.path.isdir(test_dir))
        unit_dir = os.path.dirname(os.path.abspath(__file__))
        self.assertFalse(unit_dir.startswith(test_dir + os.sep))

    def test_oslo_config_opts_entry_point(self):
        manager = stevedore.NamedExtensionManager(
            'oslo.config.opts', names=['self_healing_tempest_plugin'],
            invoke_on_load=True)
        groups = dict(list(manager)[0].obj)
        self.assertEqual(set(GROUPS), set(groups))


class RegisterOptsTest(testtools.TestCase):

    def _conf(self):
        conf = cfg.ConfigOpts()
        plugin.SelfHealingTempestPlugin().register_opts(conf)
        conf([], project='tempest')
        return conf

    def test_registers_every_group_with_defaults(self):
        conf = self._conf()
        self.assertEqual(120, conf.self_healing.detect_timeout_s)
        self.assertEqual(1.0, conf.self_healing.poll_interval_s)
        self.assertEqual('orchestration',
                         conf.self_healing.orchestration_catalog_type)
        self.assertFalse(conf.service_available.vitrage)
        self.assertFalse(conf.self_healing_feature_enabled.host_fault)

    def test_opt_lists_match_registered_options(self):
        conf = self._conf()
        for group, opts in plugin.SelfHealingTempestPlugin().get_opt_lists():
            for opt in opts:
                self.assertIn(opt.dest, conf[group], group)

    def test_every_option_has_help(self):
        for group, opts in sh_config.list_opts():
            for opt in opts:
                self.assertTrue(opt.help, '%s.%s has no help' % (
                    group, opt.dest))

    def test_deadlines_and_intervals_name_their_unit(self):
        for opt in sh_config.SelfHealingGroup:
            words = ('timeout', 'interval', 'window', 'ttl')
            if any(word in opt.dest for word in words):
                self.assertTrue(opt.dest.endswith('_s'), opt.dest)


class CoInstallationTest(testtools.TestCase):
    """Other plugins register some [service_available] names too."""

    # The shapes those plugins use: other defaults, help and deprecations.
    OTHERS = [
        cfg.BoolOpt('heat', default=True,
                    help='Whether or not heat is expected to be available',
                    deprecated_opts=[cfg.DeprecatedOpt(
                        'heat_plugin', group='service_available')]),
        cfg.BoolOpt('aodh', default=True,
                    help='Whether or not Aodh is expected to be available'),
        cfg.BoolOpt('gnocchi', default=True,
                    help='Whether or not Gnocchi is expected to be '
                         'available'),
        cfg.BoolOpt('zaqar', default=True,
                    help='Whether or not Zaqar is expected to be available'),
        cfg.BoolOpt('mistral', default=True,
                    help='Whether or not mistral should be tested'),
        cfg.BoolOpt('vitrage', default=True,
                    help='Whether or not vitrage is expected to be '
                         'available'),
    ]

    def _register_others(self, conf):
        for opt in self.OTHERS:
            conf.register_opt(opt, group='service_available')

    def test_ours_after_theirs(self):
        conf = cfg.ConfigOpts()
        self._register_others(conf)
        plugin.SelfHealingTempestPlugin().register_opts(conf)
        conf([])
        # Theirs came first and is kept, with its default.
        self.assertTrue(conf.service_available.heat)
        self.assertFalse(conf.service_available.ceilometer)

    def test_theirs_after_ours(self):
        conf = cfg.ConfigOpts()
        plugin.SelfHealingTempestPlugin().register_opts(conf)
        self._register_others(conf)
        conf([])
        self.assertFalse(conf.service_available.heat)

    def test_beside_tempest_own_service_available(self):
        conf = cfg.ConfigOpts()
        tempest_config.register_opt_group(
            conf, tempest_config.service_available_group,
            tempest_config.ServiceAvailableGroup)
        plugin.SelfHealingTempestPlugin().register_opts(conf)
        conf([])
        self.assertTrue(conf.service_available.nova)
        self.assertFalse(conf.service_available.mistral)

    def test_a_real_clash_is_still_reported(self):
        conf = cfg.ConfigOpts()
        plugin.SelfHealingTempestPlugin().register_opts(conf)
        self.assertRaises(
            cfg.DuplicateOptError, conf.register_opt,
            cfg.StrOpt('heat', help='not a switch'),
            group='service_available')


class ServiceClientsTest(testtools.TestCase):

    def setUp(self):
        super(ServiceClientsTest, self).setUp()
        conf = cfg.ConfigOpts()
        plugin.SelfHealingTempestPlugin().register_opts(conf)
        conf.register_opt(cfg.StrOpt('region', default='RegionOne'),
                          group='identity')
        conf([])
        conf.set_override('rca_endpoint_type', 'internalURL',
                          group='self_healing')
        self.useFixture(fixtures.MockPatchObject(
            tempest_config, 'CONF', conf))
        self.useFixture(fixtures.MockPatchObject(
            tempest_config, 'service_client_config',
            return_value={'disable_ssl_certificate_validation': False,
                          'ca_certs': None, 'trace_requests': '',
                          'http_timeout': 60, 'proxy_url': None}))

    def test_one_registration_per_service_with_config(self):
        registrations = plugin.SelfHealingTempestPlugin(
        ).get_service_clients()
        by_name = {reg['name']: reg for reg in registrations}
        self.assertEqual(
            {name for name, _, _ in plugin.SERVICE_CLIENTS}, set(by_name))
        heat = by_name['self_healing_orchestration']
        self.assertEqual('orchestration', heat['service'])
        self.assertEqual(['OrchestrationClient'], heat['client_names'])
        self.assertEqual('self_healing_tempest_plugin.services',
                         heat['module_path'])
        self.assertEqual('workflowv2',
                         by_name['self_healing_workflow']['service'])
        self.assertEqual('internalURL',
                         by_name['self_healing_rca']['endpoint_type'])

    def test_a_stack_deletion_waits_a_stacks_time(self):
        tempest_config.CONF.set_override('stack_timeout_s', 1234,
                                         group='self_healing')
        tempest_config.CONF.set_override('server_timeout_s', 321,
                                         group='self_healing')
        by_name = {reg['name']: reg['build_timeout'] for reg in
                   plugin.SelfHealingTempestPlugin().get_service_clients()}
        self.assertEqual(1234, by_name['self_healing_orchestration'])
        self.assertEqual(321, by_name['self_healing_workflow'])

    def test_registrations_satisfy_tempest_registry(self):
        # Tempest's registry is process-wide: a test that read tempest's
        # CONF has loaded every plugin's clients into it already.
        self.useFixture(fixtures.MockPatchObject(
            clients.ClientsRegistry(), 'get_service_clients',
            return_value={}))
        credentials = auth.KeystoneV3Credentials(
            username='demo', password='secret', project_name='demo',
            user_domain_name='Default', project_domain_name='Default')
        service_clients = clients.ServiceClients(
            credentials, 'http://127.0.0.1:5000/v3', region='RegionOne')
        for params in plugin.SelfHealingTempestPlugin().get_service_clients():
            service_clients.register_service_client_module(**params)
        factory = service_clients.self_healing_messaging
        self.assertIn('MessagingClient', dir(factory))
