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

"""Base class of every self-healing scenario test.

It follows Tempest's staged setup. A test class says which services and
which [self_healing_feature_enabled] switches it needs; skip_checks turns
them into skips with a reason, from config alone, so listing the tests
never calls a cloud.
"""

from tempest.common import credentials_factory as common_creds
from tempest import config
from tempest.lib.common.utils import test_utils
import tempest.test

from self_healing_tempest_plugin.common import waiters
from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import run
from self_healing_tempest_plugin.harness import sampler as sp

CONF = config.CONF
# The status of a server Nova calls ACTIVE on a host whose compute service
# is down: it does not run.
HOST_DOWN = 'HOST_DOWN'


def server_member(server_id, server, down_hosts=()):
    """A ``sampler.Member`` of a server as Nova lists it (None: gone)."""
    if server is None:
        return sp.Member(server_id, sp.GONE)
    host = server.get('OS-EXT-SRV-ATTR:host')
    status = server['status']
    if status == 'ACTIVE' and host in down_hosts:
        status = HOST_DOWN
    return sp.Member(server_id, status, host=host)


class BaseSelfHealingTest(tempest.test.BaseTestCase):

    credentials = ['primary', 'admin']
    # The credentials that own the flow's resources (a scenario's owner):
    # the project clients below are theirs.
    owner = 'primary'

    # [service_available] names the class needs.
    required_services = ()
    # [self_healing_feature_enabled] names the class needs.
    required_features = ()

    @classmethod
    def skip_checks(cls):
        super(BaseSelfHealingTest, cls).skip_checks()
        for service in cls.required_services:
            if not getattr(CONF.service_available, service, False):
                raise cls.skipException(
                    '%s needs the %s service: [service_available] %s is '
                    'false' % (cls.__name__, service, service))
        for feature in cls.required_features:
            if not getattr(CONF.self_healing_feature_enabled, feature, False):
                raise cls.skipException(
                    '%s needs [self_healing_feature_enabled] %s = true'
                    % (cls.__name__, feature))
        if not common_creds.is_admin_available(
                identity_version=CONF.identity.auth_version):
            raise cls.skipException(
                '%s needs admin credentials (admin or dynamic '
                'credentials in [auth])' % cls.__name__)

    @classmethod
    def setup_credentials(cls):
        cls.set_network_resources()
        super(BaseSelfHealingTest, cls).setup_credentials()

    @classmethod
    def setup_clients(cls):
        super(BaseSelfHealingTest, cls).setup_clients()
        primary, admin = cls.owner_manager(), cls.os_admin
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
        cls.admin_rca_client = admin.self_healing_rca.RcaClient()

    @classmethod
    def owner_manager(cls):
        """The client manager of the credentials owning the flow."""
        return getattr(cls, 'os_%s' % cls.owner)

    @classmethod
    def waiter(cls, timeout_s):
        """A waiter polling at [self_healing] poll_interval_s."""
        return waiters.Waiter(CONF.self_healing.poll_interval_s, timeout_s)

    def down_hosts(self):
        """Hosts whose nova-compute service Nova reports down."""
        return set(s['host'] for s in self.admin_services_client.
                   list_services(binary='nova-compute')['services']
                   if s['state'] != 'up')

    def healing_run(self, scenario, fault, cluster_state, detect, act,
                    cluster_calls, critical_path=None):
        """The scenario's healing run (deadlines, invariants, window).

        ``cluster_state`` makes ``cluster_calls`` requests; the run spaces
        its polls to one request per [self_healing] poll_interval_s.
        ``critical_path`` reads the flow's hops once the test is over
        (harness/critical_path.py).
        """
        conf = CONF.self_healing
        return run.HealingRun(
            self, fault, cluster_state, detect=detect, act=act,
            invariants=scenario.invariants(conf),
            deadlines=scenario.deadlines(conf),
            steady_window_s=scenario.steady_window_s(conf),
            poll_interval_s=conf.poll_interval_s,
            cluster_calls=cluster_calls,
            scenario_name=scenario.name,
            expect_missed_phase=scenario.expect_missed_phase,
            critical_path=critical_path)

    def wait_executions_succeeded(self, executions):
        """Each (workflow client, execution id) ends SUCCESS, or fails."""
        for client, execution_id in executions:
            self.waiter(CONF.self_healing.act_timeout_s).until(
                lambda: client.show_execution(execution_id),
                lambda e: e['state'] == 'SUCCESS',
                'mistral execution %s' % execution_id, 'SUCCESS',
                failed=lambda e: (e.get('state_info') or 'failed'
                                  if e['state'] == 'ERROR' else None),
                describe=lambda e: e['state'])

    def add_cleanup_ignoring_not_found(self, func, *args, **kwargs):
        """Cleanups must tolerate a resource that is already gone."""
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        func, *args, **kwargs)

    def run_negative_scenario(self, scenario):
        """The flow without its trigger must miss a deadline, by name.

        ``self.heal(scenario)`` (the runner's) deploys and faults it.
        """
        error = self.assertRaises(dl.DeadlineMissed, self.heal, scenario)
        expected = scenario.expect_missed_phase
        self.assertEqual(expected, error.phase, 'the failure named phase '
                         '%r, expected %r: %s' % (error.phase, expected,
                                                  error))
        self.assertIn(expected, str(error))
