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

It follows Tempest's staged setup. A generated class
(``harness/scenario.generate_tests``) names its flow (``flow``, a key of
``harness/registry.FLOWS``) and the services and
[self_healing_feature_enabled] switches it needs; skip_checks turns them,
and the flow's microversions, into skips with a reason, from config alone,
so listing the tests never calls a cloud. Each scenario's own features
are checked by its test. The flow runner (``flows/``) does the rest with
this test's clients, cleanups and waiter.
"""

from tempest import config
from tempest.lib.common import api_version_utils
from tempest.lib.common.utils import test_utils
import tempest.test

from self_healing_tempest_plugin.common import waiters
from self_healing_tempest_plugin.flows import base as flows
from self_healing_tempest_plugin.harness import run_tags

CONF = config.CONF
# The upper end of a flow's microversion range (tempest's ScenarioTest).
LATEST_MICROVERSION = 'latest'


def project_clients(manager):
    """{attribute: client} of the clients acting as a flow's owner."""
    return {
        'servers_client': manager.servers_client,
        'orchestration_client':
            manager.self_healing_orchestration.OrchestrationClient(),
        'alarming_client': manager.self_healing_alarming.AlarmingClient(),
        'messaging_client':
            manager.self_healing_messaging.MessagingClient(),
        'workflow_client': manager.self_healing_workflow.WorkflowClient(),
    }


class BaseSelfHealingTest(tempest.test.BaseTestCase):
    """Tempest's admin check comes with the 'admin' credentials."""

    credentials = ['primary', 'admin']
    # The credentials that own the flow's resources: the project clients
    # are theirs. A scenario's ``owner`` may name another of the flow's
    # ``owners`` (use_owner).
    owner = 'primary'
    # The registered flow whose scenarios the class runs, and what the
    # generated class needs: [service_available] and
    # [self_healing_feature_enabled] names.
    flow = None
    required_services = ()
    required_features = ()

    def __init_subclass__(cls, **kwargs):
        """A flow's class holds the credentials of each of its owners."""
        super().__init_subclass__(**kwargs)
        if cls.flow is not None:
            owners = [o for o in cls.flow_class().owners
                      if o not in cls.credentials]
            cls.credentials = list(cls.credentials) + owners

    @classmethod
    def flow_class(cls):
        """The class's ``flows.base.FlowRunner`` subclass."""
        return flows.flow_class(cls.flow)

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
        runner = cls.flow_class()
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
        cls.tag_credential_projects()

    @classmethod
    def credential_project_ids(cls):
        """Project ids of the class's credentials, each once, in order."""
        ids = []
        for credentials_type in cls.credentials:
            name = (credentials_type if isinstance(credentials_type, str)
                    else credentials_type[0])
            manager = getattr(cls, 'os_%s' % name, None)
            project_id = getattr(getattr(manager, 'credentials', None),
                                 'project_id', None)
            if project_id and project_id not in ids:
                ids.append(project_id)
        return ids

    @classmethod
    def tag_credential_projects(cls):
        """Tag the projects Tempest just created with this run's tag.

        A killed run never deletes its dynamic credentials: the tag is
        how ``self-healing-undo --leaks`` finds those projects (and their
        users, by their role assignments). Pre-provisioned accounts are
        the operator's and never tagged.
        """
        if not CONF.auth.use_dynamic_credentials:
            return
        client = cls.os_admin.project_tags_client
        tag = run_tags.tag(CONF.self_healing)
        for project_id in cls.credential_project_ids():
            client.update_project_tag(project_id, tag)

    @classmethod
    def setup_clients(cls):
        """The owner's project clients and the admin's, per service.

        A client of a service the cloud does not run is not built.
        """
        super(BaseSelfHealingTest, cls).setup_clients()
        admin = cls.os_admin
        available = CONF.service_available
        for name, client in project_clients(
                getattr(cls, 'os_%s' % cls.owner)).items():
            setattr(cls, name, client)
        cls.admin_servers_client = admin.servers_client
        cls.admin_services_client = admin.services_client
        cls.admin_workflow_client = (
            admin.self_healing_workflow.WorkflowClient())
        cls.admin_rca_client = (admin.self_healing_rca.RcaClient()
                                if getattr(available, 'vitrage', False)
                                else None)
        # Gnocchi's measures: read by the per-VM critical path only.
        cls.admin_metric_client = (admin.self_healing_metric.MetricClient()
                                   if getattr(available, 'gnocchi', False)
                                   else None)

    def owner_manager(self):
        """The client manager of the credentials owning the flow."""
        return getattr(self, 'os_%s' % self.owner)

    def use_owner(self, owner):
        """This test's project clients act as ``owner`` from now on.

        ``owner`` is one of the flow's ``owners`` (a scenario's owner).
        """
        if owner == self.owner:
            return
        if owner not in self.credentials:
            raise ValueError('%s has no %s credentials; its flow %s takes '
                             'owners %s' % (type(self).__name__, owner,
                                            self.flow, self.credentials))
        self.owner = owner
        for name, client in project_clients(self.owner_manager()).items():
            setattr(self, name, client)

    @classmethod
    def waiter(cls, timeout_s):
        """A waiter polling at [self_healing] poll_interval_s."""
        return waiters.Waiter(CONF.self_healing.poll_interval_s, timeout_s)

    def add_cleanup_ignoring_not_found(self, func, *args, **kwargs):
        """Cleanups must tolerate a resource that is already gone."""
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        func, *args, **kwargs)
