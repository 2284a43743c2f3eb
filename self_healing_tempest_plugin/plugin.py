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

"""Tempest plugin entry point of the self-healing flows."""

import os

from tempest import config
from tempest.test_discover import plugins

from self_healing_tempest_plugin import config as sh_config

# name used to reach the clients from a credentials manager, the client
# class names, and the [self_healing] option prefix holding catalog_type
# and endpoint_type.
SERVICE_CLIENTS = (
    ('self_healing_orchestration', 'OrchestrationClient', 'orchestration'),
    ('self_healing_alarming', 'AlarmingClient', 'alarming'),
    ('self_healing_messaging', 'MessagingClient', 'messaging'),
    ('self_healing_workflow', 'WorkflowClient', 'workflow'),
    ('self_healing_rca', 'RcaClient', 'rca'),
    ('self_healing_metric', 'MetricClient', 'metric'),
)
# The [self_healing] deadline of a client's waits (its build_timeout:
# wait_for_resource_deletion's): a stack's deletion takes a stack's time.
BUILD_TIMEOUTS = {'orchestration': 'stack_timeout_s'}
DEFAULT_BUILD_TIMEOUT = 'server_timeout_s'


class SelfHealingTempestPlugin(plugins.TempestPlugin):

    def load_tests(self):
        base_path = os.path.split(os.path.dirname(
            os.path.abspath(__file__)))[0]
        test_dir = os.path.join('self_healing_tempest_plugin', 'tests')
        return os.path.join(base_path, test_dir), base_path

    def register_opts(self, conf):
        # SharedServiceOpt keeps this safe beside other plugins that
        # register the same [service_available] names.
        config.register_opt_group(conf, sh_config.service_available_group,
                                  sh_config.ServiceAvailableGroup)
        config.register_opt_group(conf, sh_config.self_healing_group,
                                  sh_config.SelfHealingGroup)
        config.register_opt_group(conf, sh_config.self_healing_feature_group,
                                  sh_config.SelfHealingFeatureGroup)

    def get_opt_lists(self):
        return sh_config.list_opts()

    def get_service_clients(self):
        """One registration per service: each has its own catalog type.

        Reading CONF here is safe: Tempest calls this only when it builds
        clients, after register_opts, never at import or listing time.
        """
        common = config.service_client_config()
        sh_conf = config.CONF.self_healing
        registrations = []
        for name, client_class, prefix in SERVICE_CLIENTS:
            params = dict(common)
            params.update({
                'name': name,
                'service_version': name,
                'module_path': 'self_healing_tempest_plugin.services',
                'client_names': [client_class],
                'service': getattr(sh_conf, '%s_catalog_type' % prefix),
                'endpoint_type': getattr(sh_conf, '%s_endpoint_type' % prefix),
                'region': config.CONF.identity.region,
                'build_interval': sh_conf.poll_interval_s,
                'build_timeout': getattr(sh_conf, BUILD_TIMEOUTS.get(
                    prefix, DEFAULT_BUILD_TIMEOUT)),
            })
            registrations.append(params)
        return registrations
