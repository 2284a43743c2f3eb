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

"""The Vitrage + Mistral host-fault flow (seed 001).

Servers run on one compute host; a host fault (its NIC down over SSH, or
its services stopped) makes the external monitor alarm on the host. A
Vitrage template deduces an alarm on each of the host's instances and, in
the automatic flow, runs a Mistral workflow per instance; in the manual
flow the test plays the operator: it finds the failed instances through
Vitrage's alarms, then starts the workflow itself. Healed means every
instance ACTIVE again, same id, on another host; afterwards the faults
are undone and the host must be healthy again (its compute service up
and no monitor alarm on it in Vitrage).
"""

from tempest.common import waiters as tempest_waiters
from tempest import config
from tempest.lib import exceptions as lib_exc

from self_healing_tempest_plugin.common import microversion
from self_healing_tempest_plugin.flows import base
from self_healing_tempest_plugin.flows import host_repair
from self_healing_tempest_plugin.flows import mistral
from self_healing_tempest_plugin.flows import vitrage
from self_healing_tempest_plugin.harness import critical_path as cp
from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import observers
from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import run_tags
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import scenario as sc
from self_healing_tempest_plugin.harness import timeline as tl

CONF = config.CONF


@registry.FLOWS.register('vitrage_host', feature='vitrage_flow')
class VitrageHostFlow(base.FlowRunner):
    """Instances of a failed host evacuated by Vitrage's workflow."""

    required_services = ('nova', 'mistral', 'vitrage')
    compute_min_microversion = faults.SERVICE_UPDATE_MICROVERSION
    # One admin server list, one compute service list.
    cluster_calls = 2

    def __init__(self, test, **kwargs):
        super(VitrageHostFlow, self).__init__(test, **kwargs)
        self.hosts = host_repair.HostRepair(test)
        self.vitrage = vitrage.VitrageBinder(test)

    # -- deployment -----------------------------------------------------
    def boot_servers(self, count, host):
        """``count`` servers pinned to ``host`` (admin: zone:host)."""
        client = self.test.admin_servers_client
        ids = []
        with microversion.requests_at(microversion.COMPUTE,
                                      self.conf.compute_microversion):
            for _ in range(count):
                server = client.create_server(
                    name=run_tags.name(self.conf, 'sh-host-flow'),
                    imageRef=self.conf.image_ref or CONF.compute.image_ref,
                    flavorRef=(self.conf.flavor_ref or
                               CONF.compute.flavor_ref),
                    networks='none', availability_zone='nova:%s' % host,
                    metadata=dict(run_tags.metadata(self.conf),
                                  self_healing=self.test.id()))['server']
                self.test.addCleanup(self.delete_server, server['id'])
                ids.append(server['id'])
        for server_id in ids:
            self.test.waiter(self.conf.server_timeout_s).for_status(
                lambda i: client.show_server(i)['server'], server_id,
                'status', 'ACTIVE', error_values=('ERROR',),
                what='server %s' % server_id)
        return ids

    def delete_server(self, server_id):
        """Delete a server and wait until Nova has (a cleanup).

        tempest.lib's servers client has no ``is_resource_deleted``:
        tempest's own server waiter waits (and fails on ERROR).
        """
        client = self.test.admin_servers_client
        try:
            client.delete_server(server_id)
        except lib_exc.NotFound:
            return
        tempest_waiters.wait_for_server_termination(client, server_id)

    def deploy(self, scenario):
        bounds, target = self.cluster_rules(scenario)
        host = self.hosts.target_host()
        server_ids = self.boot_servers(target.desired, host)
        workflow = self.vitrage.deploy_workflow(scenario)
        # The servers are the admin's (booted pinned to the host).
        template = self.vitrage.load_template(
            scenario, workflow, self.test.os_admin.credentials.project_id)
        alarm_name, = vitrage.raised_alarm_names(template)
        self.vitrage.deploy_template(template)
        self.vitrage.wait_sees(server_ids, host)
        # Before any fault: it runs after their undo, on every exit path.
        self.test.addCleanup(self.hosts.restore, host)
        return base.Deployment(
            self.name, host=host, server_ids=server_ids, workflow=workflow,
            alarm_name=alarm_name, bounds=bounds, workflows={workflow},
            execution_filters={'all_projects': True},
            manual=scenario.trigger == sc.MANUAL,
            rca_client=self.test.admin_rca_client,
            workflow_client=self.test.admin_workflow_client)

    # -- observation ----------------------------------------------------
    def cluster_state(self, deployment):
        """The servers as Nova sees them.

        A server Nova still calls ACTIVE on a host whose compute service
        Nova reports down (fenced, or silent) reads HOST_DOWN: it does not
        run. The faulted host counts down from the fault on (the engine).
        """
        project_id = self.test.os_admin.credentials.project_id
        server_ids = deployment.server_ids

        def state():
            servers = base.project_servers(self.test.admin_servers_client,
                                           project_id)
            down = host_repair.down_hosts(self.test.admin_services_client)
            members = [base.server_member(i, servers.get(i), down)
                       for i in server_ids]
            changed = max([servers[i]['updated'] for i in server_ids
                           if i in servers] or [None])
            return sp.ClusterState(members, settled=True,
                                   cloud_time=changed)
        return state

    def observers(self, deployment, since):
        if deployment.manual:
            act = vitrage.OperatorStarts(self.test, deployment.workflow,
                                         deployment.alarm_name,
                                         deployment.host)
        else:
            act = observers.execution_started(
                self.test.admin_workflow_client, [deployment.workflow],
                since, all_projects=True)
        return {dl.DETECT: self.vitrage.alarms_raised(deployment, since),
                dl.ACT: act}

    def critical_path(self, deployment):
        return lambda timeline: cp.collect(
            timeline, self.readers(deployment, timeline))

    def readers(self, deployment, timeline):
        """Vitrage's alarms, the workflow's runs, Nova's evacuations.

        Acted: the first execution's creation (execute_mistral's, or the
        operator's); recovered: the end of the last evacuation.
        """
        since = cp.fault_time(timeline)
        faulted = cp.faulted_members(timeline)
        return [
            self.vitrage.reader(timeline, deployment.host,
                                deployment.alarm_name),
            cp.Reader('mistral.execution_created', 'mistral',
                      lambda: cp.mistral_execution_hops(
                          self.test.admin_workflow_client,
                          [deployment.workflow], since, all_projects=True),
                      phase=tl.ACTION_STARTED,
                      phase_hop='mistral.execution_created'),
            cp.Reader('nova.evacuate', 'nova', lambda: cp.nova_action_hops(
                self.test.admin_servers_client, faulted, since,
                actions=('evacuate',), finished_name=True),
                phase=tl.RECOVERED),
        ]

    # -- after the healing ----------------------------------------------
    def verify(self, result):
        """Bands, Vitrage's alarms, one SUCCESS run per instance."""
        deployment = result.deployment
        affected = result.affected()
        base.assert_health_bands(self.test, result.timeline,
                                 deployment.bounds)
        self.vitrage.assert_saw(result.timeline, affected, deployment.host)
        ours = self.vitrage.assert_ran_once_each(
            deployment.workflow, affected, deployment.host)
        mistral.wait_succeeded(self.test, [
            (self.test.admin_workflow_client, e['id'])
            for e in ours.values()])

    def restore(self, result):
        super(VitrageHostFlow, self).restore(result)
        self.hosts.restore(result.deployment.host)
