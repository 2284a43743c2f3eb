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

"""Scenario runner of the Vitrage + Mistral host-fault flows (seed 001).

Servers run on one compute host; a host fault (its NIC down over SSH, or
its services stopped) makes the external monitor alarm on the host. A
Vitrage template deduces an alarm on each of the host's instances and, in
the automatic flow, runs a Mistral workflow per instance; in the manual
flow the test plays the operator: it finds the failed instances through
Vitrage's alarms and root cause, then starts the workflow itself. Healed
means every instance ACTIVE again, same id, on another host; afterwards the
fault is undone and the host must be healthy again (its compute service up
and no monitor alarm on it in Vitrage).
"""

import json

import testtools
import yaml

from tempest.common import waiters as tempest_waiters
from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib import exceptions as lib_exc

from self_healing_tempest_plugin.harness import build
from self_healing_tempest_plugin.harness import critical_path as cp
from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import observers
from self_healing_tempest_plugin.harness import remote
from self_healing_tempest_plugin.harness import run
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import scenario as sc
from self_healing_tempest_plugin.harness import timeline as tl
from self_healing_tempest_plugin.tests import base

CONF = config.CONF

# The entity of a Vitrage template bound to the monitor's host alarm.
HOST_ALARM_ENTITY = 'host_alarm'
# The template's instance entity: scoped to the project of the run's
# servers, so that a run acts on its own instances only.
INSTANCE_ENTITY = 'instance'
# Requests of one cluster state (servers_state): list servers, services.
CLUSTER_CALLS = 2


def scope_to_project(template, project_id):
    """Match the template's instance entity in ``project_id`` only."""
    entity = template['entities'].get(INSTANCE_ENTITY)
    if entity is None:
        raise ValueError('Vitrage template %s has no %r entity to scope to '
                         'the run\'s project' % (
                             template['metadata']['name'], INSTANCE_ENTITY))
    entity['project_id'] = project_id
    return template


def _raised_alarm_names(template):
    return [action['raise_alarm']['alarm_name']
            for scenario in template['scenarios']
            for action in scenario['actions'] if 'raise_alarm' in action]


class HostFaultFlowTest(base.BaseSelfHealingTest):
    """Runs scenarios whose artifacts are a Vitrage template + workflow."""

    required_services = ('nova', 'mistral', 'vitrage')

    # -- deployment -----------------------------------------------------
    def target_host(self):
        """The first faultable host, once its compute service is up.

        Faultable: listed in [self_healing] compute_hosts; another compute
        service must be up beside it to take its instances. A host the
        previous test repaired may still be coming back: wait for it
        (service_timeout_s); a cloud that never gets there fails, naming
        the services it saw up.
        """
        hosts = CONF.self_healing.compute_hosts
        if not hosts:
            raise self.skipException('a host fault needs [self_healing] '
                                     'compute_hosts')

        def up():
            return [s['host'] for s in self.admin_services_client.
                    list_services(binary='nova-compute')['services']
                    if s['state'] == 'up' and s['status'] == 'enabled']
        seen = self.waiter(CONF.self_healing.service_timeout_s).until(
            up, lambda up: len(up) >= 2 and set(hosts) & set(up),
            'nova-compute services', 'two up, one of them in '
            '[self_healing] compute_hosts %s' % hosts,
            describe=lambda up: 'up: %s' % up)
        return [h for h in hosts if h in seen][0]

    def boot_servers(self, count, host):
        """``count`` servers pinned to ``host`` (admin: zone:host)."""
        conf = CONF.self_healing
        client = self.admin_servers_client
        ids = []
        with faults.compute_microversion(conf.compute_microversion):
            for _ in range(count):
                server = client.create_server(
                    name=data_utils.rand_name('sh-host-flow'),
                    imageRef=conf.image_ref or CONF.compute.image_ref,
                    flavorRef=conf.flavor_ref or CONF.compute.flavor_ref,
                    networks='none', availability_zone='nova:%s' % host,
                    metadata={'self_healing': self.id()})['server']
                self.addCleanup(self._delete_server, server['id'])
                ids.append(server['id'])
        for server_id in ids:
            self.waiter(conf.server_timeout_s).for_status(
                lambda i: client.show_server(i)['server'], server_id,
                'status', 'ACTIVE', error_values=('ERROR',),
                what='server %s' % server_id)
        return ids

    def _delete_server(self, server_id):
        try:
            self.admin_servers_client.delete_server(server_id)
        except lib_exc.NotFound:
            return
        tempest_waiters.wait_for_server_termination(
            self.admin_servers_client, server_id)

    def deploy_workflow(self, scenario):
        """The scenario's workflow, renamed per run, visible to Vitrage."""
        with open(scenario.artifact('mistral_workflow')) as handle:
            definition = yaml.safe_load(handle)
        (original, body), = [(k, v) for k, v in definition.items()
                             if k != 'version']
        name = '%s_%s' % (original, data_utils.rand_uuid_hex()[:12])
        text = yaml.safe_dump({'version': definition['version'],
                               name: body})
        self.admin_workflow_client.create_workflows(text, scope='public')
        self.add_cleanup_ignoring_not_found(
            self.admin_workflow_client.delete_workflow, name)
        self.addCleanup(self._delete_executions, name)
        return name

    def _delete_executions(self, workflow_name):
        executions = self.admin_workflow_client.list_executions(
            workflow_name, all_projects=True)['executions']
        for execution in executions:
            try:
                self.admin_workflow_client.delete_execution(
                    execution['id'], force=True)
            except lib_exc.NotFound:
                pass

    def bind_template(self, scenario, workflow_name, project_id):
        """The scenario's Vitrage template bound to this run and cloud.

        It acts on ``project_id``'s instances only: a host's other
        instances are not the run's to move.
        """
        with open(scenario.artifact('vitrage_template')) as handle:
            template = yaml.safe_load(handle)
        template['metadata']['name'] = '%s_%s' % (
            template['metadata']['name'], data_utils.rand_uuid_hex()[:12])
        entity = template['entities'].get(HOST_ALARM_ENTITY)
        if entity is None:
            raise ValueError('Vitrage template %s has no %r entity to bind '
                             'to the monitor\'s host alarm' % (
                                 scenario.artifact('vitrage_template'),
                                 HOST_ALARM_ENTITY))
        entity.update(type=CONF.self_healing.host_alarm_type,
                      name=CONF.self_healing.host_alarm_name)
        for scenario_ in template['scenarios']:
            for action in scenario_['actions']:
                if 'execute_mistral' in action:
                    action['execute_mistral']['workflow'] = workflow_name
        return scope_to_project(template, project_id)

    def deploy_template(self, template):
        name = template['metadata']['name']
        added = self.admin_rca_client.add_template(
            template, template_type='standard')
        for entry in added:
            self.add_cleanup_ignoring_not_found(
                self.admin_rca_client.delete_template, [entry['uuid']])
        errors = [e for e in added if e.get('status') == 'ERROR']
        if errors:
            raise AssertionError('Vitrage refused template %s: %s' % (
                name, errors[0].get('status details')))

        def status():
            for entry in self.admin_rca_client.list_templates():
                if entry.get('name') == name:
                    return entry.get('status')
        self.waiter(CONF.self_healing.service_timeout_s).until(
            status, lambda s: s == 'ACTIVE', 'Vitrage template %s' % name,
            'ACTIVE', failed=lambda s: 'Vitrage failed to load it'
            if s == 'ERROR' else None)
        return name

    def wait_vitrage_sees(self, server_ids, host):
        """Vitrage's graph holds every server (the template's subjects)."""

        def known():
            return set(r.get('id') for r in
                       self.admin_rca_client.list_resources(
                           resource_type='nova.instance', all_tenants=True))
        self.waiter(CONF.self_healing.service_timeout_s).until(
            known, lambda ids: set(server_ids) <= ids,
            'Vitrage instances of %s' % host, 'all of %s' % server_ids,
            describe=lambda ids: 'missing %s' % sorted(
                set(server_ids) - ids))

    # -- observation ----------------------------------------------------
    def servers_state(self, server_ids, cut_off=set):
        """The servers as Nova sees them: one admin server list and one
        service list per poll. A server Nova still calls ACTIVE reads
        HOST_DOWN on a host whose compute service is down (fenced, or
        silent) or that ``cut_off()`` names (the fault's host, from the
        fault on): it does not run. So the health band shows the fault
        even when the evacuation is too quick for a poll to see it REBUILD.
        """
        project_id = self.os_admin.credentials.project_id

        def state():
            servers = dict((s['id'], s) for s in
                           self.admin_servers_client.list_servers(
                               detail=True, all_tenants=True,
                               project_id=project_id)['servers'])
            down = self.down_hosts() | set(cut_off())
            members = [base.server_member(i, servers.get(i), down)
                       for i in server_ids]
            changed = max([servers[i]['updated'] for i in server_ids
                           if i in servers] or [None])
            return sp.ClusterState(members, settled=True, cloud_time=changed)
        return state

    def found_by_operator(self, alarm_name, host):
        """Instances an operator finds failed, through Vitrage.

        Each carries the deduced alarm and Nova still places it on the
        failed ``host`` (an instance already moved needs nothing more).
        """
        alarmed = observers.instance_alarms(self.admin_rca_client,
                                            alarm_name)
        on_host = self.admin_servers_client.list_servers(
            detail=True, all_tenants=True, host=host)['servers']
        return sorted(set(alarmed) & set(s['id'] for s in on_host))

    def operator_starts(self, workflow_name, alarm_name, host):
        """The manual trigger: start the workflow for each failed one.

        Called once Vitrage has alarmed every instance of the host (the
        detect phase), so one poll finds them all.
        """
        done, started = set(), []

        def act():
            for instance_id in self.found_by_operator(alarm_name, host):
                if instance_id not in done:
                    started.append(
                        self.admin_workflow_client.create_execution(
                            workflow_name,
                            input={'instance_id': instance_id}))
                    done.add(instance_id)
            if not done:
                return None
            return run.Observation(
                cloud_time=started[0]['created_at'],
                source='operator (the test) started mistral executions',
                execution_ids=[e['id'] for e in started],
                instances=sorted(done))
        # Per poll: Vitrage's instances and alarms, Nova's servers.
        act.calls = 3
        return act

    # -- the host afterwards --------------------------------------------
    def restore_host(self, host):
        """Repair the host as an operator would; wait until healthy.

        After an evacuation Nova lets a host's compute service be forced
        up only once it has restarted (it then cleans up the evacuated
        instances): restart nova-compute over SSH
        ([self_healing] compute_restart_command; stopping the whole host
        would make the monitor alarm and Vitrage fence it again), then
        clear Vitrage's fencing (forced_down). Healthy: the compute
        service is up and Vitrage has no monitor alarm on it.
        """
        conf = CONF.self_healing
        with faults.compute_microversion(faults.SERVICE_UPDATE_MICROVERSION):
            services = self.admin_services_client.list_services(
                binary='nova-compute', host=host)['services']
            if any(s.get('forced_down') for s in services):
                remote.host_client(conf, host).exec_command(
                    conf.compute_restart_command)
                for service in services:
                    self.waiter(conf.service_timeout_s).until(
                        lambda: self._force_up(service['id']), bool,
                        'forced_down of compute service on %s' % host,
                        'cleared', describe=lambda _: 'Nova still refuses '
                        '(the restarted service has not cleaned up yet)')

        def health():
            state = [s['state'] for s in
                     self.admin_services_client.list_services(
                         binary='nova-compute', host=host)['services']]
            alarms = [a for a in self.admin_rca_client.list_alarms(
                all_tenants=True)
                if a.get('name') == conf.host_alarm_name]
            return state, len(alarms)
        self.waiter(conf.service_timeout_s).until(
            health, lambda h: h[0] == ['up'] and h[1] == 0,
            'compute host %s' % host, 'service up, no monitor alarm',
            describe=lambda h: 'service %s, %d monitor alarm(s)' % h)

    def _force_up(self, service_id):
        try:
            self.admin_services_client.update_service(service_id,
                                                      forced_down=False)
        except lib_exc.BadRequest:
            return False
        return True

    # -- the run ----------------------------------------------------------
    def host_fault(self, scenario, host, healthy, servers_client):
        """The scenario's fault on ``host``, the host repaired afterwards.

        restore_host is registered before the fault: it runs after the
        fault's own undo, on every exit path.
        """
        self.addCleanup(self.restore_host, host)
        return build.make_fault(
            dict(scenario.fault, target='host:%s' % host), healthy,
            CONF.self_healing, servers_client=servers_client,
            admin_servers_client=self.admin_servers_client,
            services_client=self.admin_services_client)

    def vitrage_reader(self, timeline, host, alarm_name):
        """Vitrage's alarm on the host, then its deduced alarms: detect."""
        return cp.Reader(
            'vitrage.deduced_alarm', 'vitrage',
            lambda: cp.vitrage_alarm_hops(
                self.admin_rca_client, cp.fault_time(timeline), host,
                alarm_name), phase=tl.DETECTED)

    def host_readers(self, timeline, host, alarm_name, workflow):
        """Vitrage's alarms, the workflow's runs, Nova's evacuations.

        Acted: the first execution's creation (execute_mistral's, or the
        operator's); recovered: the end of the last evacuation.
        """
        since = cp.fault_time(timeline)
        faulted = timeline.phase(tl.FAULT_INJECTED).detail.get(
            'affected_members') or []
        return [
            self.vitrage_reader(timeline, host, alarm_name),
            cp.Reader('mistral.execution_created', 'mistral',
                      lambda: cp.mistral_execution_hops(
                          self.admin_workflow_client, [workflow], since,
                          all_projects=True),
                      phase=tl.ACTION_STARTED,
                      phase_hop='mistral.execution_created'),
            cp.Reader('nova.evacuate', 'nova', lambda: cp.nova_action_hops(
                self.admin_servers_client, faulted, since,
                actions=('evacuate',), finished_name=True),
                phase=tl.RECOVERED),
        ]

    def heal(self, scenario):
        conf = CONF.self_healing
        invariants = scenario.invariants(conf)
        host = self.target_host()
        server_ids = self.boot_servers(invariants.desired, host)
        workflow = self.deploy_workflow(scenario)
        # The servers are the admin's (booted pinned to the host).
        template = self.bind_template(scenario, workflow,
                                      self.os_admin.credentials.project_id)
        alarm_name, = _raised_alarm_names(template)
        self.deploy_template(template)
        self.wait_vitrage_sees(server_ids, host)
        fault = None
        # The lambda reads ``fault`` when it polls: None for the healthy
        # baseline, then the injected fault.
        cluster_state = self.servers_state(
            server_ids, cut_off=lambda: fault.hosts_cut_off() if fault
            else set())
        healthy = cluster_state()
        fault = self.host_fault(scenario, host, healthy,
                                self.admin_servers_client)
        since = lambda: fault.t_fault  # noqa: E731
        if scenario.trigger == sc.MANUAL:
            act = self.operator_starts(workflow, alarm_name, host)
        else:
            act = observers.execution_started(
                self.admin_workflow_client, [workflow], since,
                all_projects=True)
        timeline = self.healing_run(
            scenario, fault, cluster_state,
            detect=observers.vitrage_alarms_raised(
                self.admin_rca_client, alarm_name,
                lambda: fault.affected(healthy), since),
            act=act, cluster_calls=CLUSTER_CALLS,
            critical_path=lambda timeline: cp.collect(
                timeline, self.host_readers(timeline, host, alarm_name,
                                            workflow))).run()
        return fault, healthy, workflow, timeline, host

    def run_scenario(self, scenario):
        fault, healthy, workflow, timeline, host = self.heal(scenario)
        affected = sorted(fault.affected(healthy))
        self.assert_vitrage_saw(timeline, scenario, affected, host)
        ours, strays = self.runs_per_instance(workflow, affected)
        self.assertEqual(affected, sorted(ours), 'workflow %s ran for %s, '
                         'expected once per instance of %s (others: %s)' % (
                             workflow, sorted(ours), host, strays))
        self.wait_executions_succeeded(
            (self.admin_workflow_client, e['id']) for e in ours.values())
        fault.undo()
        self.restore_host(host)

    def assert_vitrage_saw(self, timeline, scenario, affected, host):
        """Health went through its bands; the alarms hit ``affected``."""
        self.assert_health_bands(timeline, scenario)
        seen = timeline.phase(tl.DETECTED).detail.get('instances')
        self.assertEqual(affected, seen, 'Vitrage\'s deduced alarms were '
                         'on %s, not on exactly the run\'s instances on %s'
                         % (seen, host))

    def runs_per_instance(self, workflow, affected):
        """Vitrage's runs of ``workflow`` by the instance they name.

        Vitrage may also run an action whose get_attr() it did not resolve
        (its input names no instance); the workflows do nothing then.
        Those are attached as a detail and returned apart.
        """
        ours, strays = {}, []
        for execution in self.admin_workflow_client.list_executions(
                workflow, all_projects=True)['executions']:
            instance_id = json.loads(execution.get('input') or '{}').get(
                'instance_id')
            if instance_id in affected:
                ours.setdefault(instance_id, execution)
            else:
                strays.append('%s (input %s, %s)' % (
                    execution['id'], execution.get('input'),
                    execution['state']))
        if strays:
            self.addDetail('stray-executions', testtools.content.text_content(
                '\n'.join(strays)))
        return ours, strays

    def assert_health_bands(self, timeline, scenario):
        """Green -> Yellow (-> Red below the floor) -> Green."""
        bands = timeline.bands()
        degraded = bands[1:-1]
        allowed = {tl.YELLOW, tl.RED} if scenario.invariants(
            CONF.self_healing).allow_red else {tl.YELLOW}
        self.assertTrue(
            len(bands) >= 3 and bands[0] == bands[-1] == tl.GREEN and
            degraded and set(degraded) <= allowed,
            'cluster health went %s; expected GREEN, then %s, then GREEN'
            % (' -> '.join(bands), ' / '.join(sorted(allowed))))
