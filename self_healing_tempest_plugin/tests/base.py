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

"""Base class of every generated self-healing scenario test.

It follows Tempest's staged setup. A generated class names its flow
(``flow``, a key of ``harness/registry.FLOWS``); skip_checks turns the
flow's services and microversions into skips with a reason, from config
alone, so listing the tests never calls a cloud. Each scenario's own
features are checked by its test (``harness/scenario``). The flow runner
(``flows/``) does the rest with this test's clients, cleanups and waiter.
"""

from tempest import config
from tempest.lib.common import api_version_utils
from tempest.lib.common.utils import test_utils
import tempest.test

from self_healing_tempest_plugin.common import waiters
from self_healing_tempest_plugin.flows import base as flows

CONF = config.CONF
# The upper end of a flow's microversion range (tempest's ScenarioTest).
LATEST_MICROVERSION = 'latest'


class BaseSelfHealingTest(tempest.test.BaseTestCase):
    """Tempest's admin check comes with the 'admin' credentials."""

    credentials = ['primary', 'admin']
    # The credentials that own the flow's resources (a scenario's owner):
    # the project clients below are theirs.
    owner = 'primary'
    # The registered flow whose scenarios the class runs.
    flow = None

    @classmethod
    def flow_class(cls):
        """The class's ``flows.base.FlowRunner`` subclass."""
        return flows.flow_class(cls.flow)

    @classmethod
    def skip_checks(cls):
        super(BaseSelfHealingTest, cls).skip_checks()
        runner = cls.flow_class()
        for service in runner.required_services:
            if not getattr(CONF.service_available, service, False):
                raise cls.skipException(
                    '%s needs the %s service: [service_available] %s is '
                    'false' % (cls.__name__, service, service))
        api_version_utils.check_skip_with_microversion(
            runner.compute_min_microversion, LATEST_MICROVERSION,
            CONF.compute.min_microversion, CONF.compute.max_microversion)
        # devstack sets [placement] max_microversion; a tempest.conf
        # without it (tempest's default) does not limit placement.
        api_version_utils.check_skip_with_microversion(
            runner.placement_min_microversion, LATEST_MICROVERSION,
            CONF.placement.min_microversion,
            CONF.placement.max_microversion or LATEST_MICROVERSION)

    @classmethod
    def setup_credentials(cls):
        cls.set_network_resources()
        super(BaseSelfHealingTest, cls).setup_credentials()

    @classmethod
    def setup_clients(cls):
        """The owner's project clients and the admin's, per service.

        A client of a service the cloud does not run is not built.
        """
        super(BaseSelfHealingTest, cls).setup_clients()
        primary, admin = cls.owner_manager(), cls.os_admin
        available = CONF.service_available
        cls.servers_client = primary.servers_client
        cls.admin_servers_client = admin.servers_client
        cls.admin_services_client = admin.services_client
        cls.orchestration_client = (
            primary.self_healing_orchestration.OrchestrationClient())
        cls.alarming_client = primary.self_healing_alarming.AlarmingClient()
        cls.messaging_client = (
            primary.self_healing_messaging.MessagingClient())
        cls.workflow_client = primary.self_healing_workflow.WorkflowClient()
        cls.admin_workflow_client = (
            admin.self_healing_workflow.WorkflowClient())
        cls.admin_rca_client = (admin.self_healing_rca.RcaClient()
                                if getattr(available, 'vitrage', False)
                                else None)
        # Gnocchi's measures: read by the per-VM critical path only.
        cls.admin_metric_client = (admin.self_healing_metric.MetricClient()
                                   if getattr(available, 'gnocchi', False)
                                   else None)

    @classmethod
    def owner_manager(cls):
        """The client manager of the credentials owning the flow."""
        return getattr(cls, 'os_%s' % cls.owner)

    @classmethod
    def waiter(cls, timeout_s):
        """A waiter polling at [self_healing] poll_interval_s."""
        return waiters.Waiter(CONF.self_healing.poll_interval_s, timeout_s)

    def add_cleanup_ignoring_not_found(self, func, *args, **kwargs):
        """Cleanups must tolerate a resource that is already gone."""
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        func, *args, **kwargs)

    def flow_runner(self):
        """A runner of the class's flow, holding this test."""
        return self.flow_class()(self)

    def run_positive(self, scenario):
        """The scenario heals; the flow's promises hold (a test body)."""
        return self.flow_runner().run_positive(scenario)

    def run_negative(self, scenario):
        """The flow without its trigger misses its phase (a test body)."""
        return self.flow_runner().run_negative(scenario)
