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

"""Scenario runner of the Heat group flows (seed 000 and its kin).

It deploys a scenario's Heat template, proves the group's event alarms can
fire, injects the scenario's fault on one member and hands the rest to
``HealingRun``: detection from Aodh's alarm history, action from Mistral's
executions, the cluster from Nova and the stack status.
"""

import itertools
import os

from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib import exceptions as lib_exc
import yaml

from self_healing_tempest_plugin.common import waiters
from self_healing_tempest_plugin.harness import build
from self_healing_tempest_plugin.harness import critical_path as cp
from self_healing_tempest_plugin.harness import observers
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import timeline as tl
from self_healing_tempest_plugin.tests import base

CONF = config.CONF

ALARM_TYPE = 'OS::Aodh::EventAlarm'
WORKFLOW_TYPE = 'OS::Mistral::Workflow'
QUEUE_TYPE = 'OS::Zaqar::Queue'
SETTLED = ('CREATE_COMPLETE', 'UPDATE_COMPLETE')
# Requests of one cluster state (group_state): show stack, list servers.
CLUSTER_CALLS = 2


def _output(stack_body, key):
    for output in stack_body.get('outputs') or []:
        if output['output_key'] == key:
            return output['output_value']
    raise AssertionError('stack %s has no %s output; outputs: %s' % (
        stack_body.get('stack_name'), key, stack_body.get('outputs')))


class HeatGroupFlowTest(base.BaseSelfHealingTest):
    """Runs scenarios whose artifact is a Heat group template."""

    required_services = ('heat', 'aodh', 'ceilometer', 'zaqar', 'mistral')

    # -- deployment -----------------------------------------------------
    def _template_files(self, template_path):
        """Every YAML beside the template, for nested template types."""
        directory = os.path.dirname(template_path)
        files = {}
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if name.endswith('.yaml') and path != template_path:
                with open(path) as handle:
                    files[name] = handle.read()
        return files

    def _parameters(self, scenario, invariants, template):
        """Image, flavor and group sizes, for the ones the template takes.

        Heat refuses a parameter its template does not declare.
        """
        offered = self.offered_parameters(invariants)
        declared = yaml.safe_load(template).get('parameters') or {}
        parameters = dict((key, value) for key, value in offered.items()
                          if key in declared)
        parameters.update(scenario.heat_parameters())
        return parameters

    def offered_parameters(self, invariants):
        """What the runner can fill in; a runner may offer more."""
        conf = CONF.self_healing
        return {
            'image': conf.image_ref or CONF.compute.image_ref,
            'flavor': conf.flavor_ref or CONF.compute.flavor_ref,
            'min_size': invariants.min_size,
            'desired_size': invariants.desired,
            'max_size': invariants.max_size,
        }

    def deploy_stack(self, scenario, invariants):
        """Create the stack; its deletion is a cleanup before any wait."""
        template_path = scenario.artifact('heat_template')
        with open(template_path) as handle:
            template = handle.read()
        name = data_utils.rand_name('sh-%s' % scenario.name.replace(
            '_', '-'))
        body = self.orchestration_client.create_stack(
            name, template,
            parameters=self._parameters(scenario, invariants, template),
            files=self._template_files(template_path))
        stack = '%s/%s' % (name, body['stack']['id'])
        self.addCleanup(self._delete_stack, stack)
        self.stack_waiter().for_status(
            self._stack_body, stack, 'stack_status', 'CREATE_COMPLETE',
            error_values=('CREATE_FAILED',), what='stack %s' % stack,
            reason_key='stack_status_reason')
        return stack

    def stack_waiter(self):
        return self.waiter(CONF.self_healing.stack_timeout_s)

    def _stack_body(self, stack):
        return self.orchestration_client.show_stack(stack)['stack']

    def _delete_stack(self, stack):
        try:
            self.orchestration_client.delete_stack(stack)
        except lib_exc.NotFound:
            return
        self.stack_waiter().until(
            lambda: self._stack_status_or_gone(stack),
            lambda status: status in (None, 'DELETE_COMPLETE'),
            'stack %s' % stack, 'deleted',
            failed=lambda status: ('Heat could not delete it'
                                   if status == 'DELETE_FAILED' else None))

    def _stack_status_or_gone(self, stack):
        try:
            return self._stack_body(stack)['stack_status']
        except lib_exc.NotFound:
            return None

    def physical_ids(self, stack, resource_type, names=None):
        """Physical ids of the stack's resources of a type (and names)."""
        resources = self.orchestration_client.list_resources(
            stack, nested_depth=3, type=resource_type)['resources']
        return [r['physical_resource_id'] for r in resources
                if r['resource_type'] == resource_type and
                r.get('physical_resource_id') and
                (names is None or r['resource_name'] in names)]

    def _delete_executions(self, workflows):
        """Mistral keeps executions after Heat deletes their workflows."""
        executions = self.workflow_client.list_executions()['executions']
        for execution in executions:
            if workflows & {execution.get('workflow_id'),
                            execution.get('workflow_name')}:
                try:
                    self.workflow_client.delete_execution(
                        execution['id'], force=True)
                except lib_exc.NotFound:
                    pass

    # -- observation ----------------------------------------------------
    def group_state(self, stack):
        """A ``ClusterState`` callable: the group as Heat and Nova see it.

        Members are the group's refs (the stack's member_ids output) plus
        any server of the project Heat does not reference yet (a
        replacement being built), so the max-size check counts what really
        runs. A ref Nova no longer knows is a DELETED member. One stack
        show and one admin server list (it shows the host) per poll. A
        failed stack ends the wait at once: nothing will heal it.
        """
        project_id = self.owner_manager().credentials.project_id

        def state():
            body = self._stack_body(stack)
            status = body['stack_status']
            if status.endswith('_FAILED'):
                raise waiters.UnexpectedStateError(detail=(
                    'stack %s went to %s while healing: %s' % (
                        stack, status, body.get('stack_status_reason'))))
            servers = dict((s['id'], s) for s in
                           self.admin_servers_client.list_servers(
                               detail=True, all_tenants=True,
                               project_id=project_id)['servers'])
            refs = _output(body, 'member_ids') or []
            ids = list(refs) + sorted(set(servers) - set(refs))
            members = [base.server_member(i, servers.get(i)) for i in ids]
            # Nova's last change of any member: when the recovered state
            # began (a new member ACTIVE, or the kept one back to ACTIVE).
            changed = max([s['updated'] for s in servers.values()] or
                          [None])
            return sp.ClusterState(members, settled=status in SETTLED,
                                   cloud_time=changed, note=status)
        return state

    def arm_event_alarms(self, server_id):
        """Prove Aodh's listener sees this project's newest alarms.

        aodh-listener caches a project's event alarms (for
        [self_healing] event_alarm_cache_ttl_s); an alarm created inside
        that window is blind. A canary event alarm created after the
        group's alarms, on a rename of a member, fires only once the
        listener has reloaded the project's alarms, all of them with it.
        """
        server = self.servers_client.show_server(server_id)['server']
        original = server['name']
        canary = data_utils.rand_name('sh-canary')
        alarm = self.alarming_client.create_alarm(
            name=canary, type='event', repeat_actions=False,
            event_rule={'event_type': 'compute.instance.update', 'query': [
                {'field': 'traits.instance_id', 'op': 'eq',
                 'value': server_id, 'type': 'string'},
                {'field': 'traits.display_name', 'op': 'eq',
                 'value': canary, 'type': 'string'}]})
        self.add_cleanup_ignoring_not_found(
            self.alarming_client.delete_alarm, alarm['alarm_id'])
        self.addCleanup(self._rename, server_id, original)
        renames = itertools.cycle([canary, original])
        polls = itertools.count()

        def fired():
            state = self.alarming_client.show_alarm_state(
                alarm['alarm_id']).data
            if state != 'alarm' and next(polls) % 3 == 0:
                # Alternate names: each rename is one update event.
                self._rename(server_id, next(renames))
            return state
        self.waiter(CONF.self_healing.event_alarm_cache_ttl_s +
                    CONF.self_healing.detect_timeout_s).until(
            fired, lambda state: state == 'alarm',
            'canary event alarm %s on renames of server %s' % (
                alarm['alarm_id'], server_id), 'alarm')
        self._rename(server_id, original)
        self.alarming_client.delete_alarm(alarm['alarm_id'])

    def _rename(self, server_id, name):
        try:
            self.servers_client.update_server(server_id, name=name)
        except lib_exc.NotFound:
            pass

    # -- the critical path -----------------------------------------------
    def group_readers(self, stack, timeline, alarm_ids, queues, workflows,
                      replace):
        """The hops of a group's healing, fault to recovery.

        The faulted server's Nova actions (the fault, and a policy's
        reboot, migration or rebuild), Aodh's transition, then the
        trigger's and the update's hops (``trigger_readers``). Recovered
        is Heat's UPDATE_COMPLETE when a member is replaced, else the end
        of the last Nova action on the kept one.
        """
        since = cp.fault_time(timeline)
        faulted = timeline.phase(tl.FAULT_INJECTED).detail.get(
            'affected_members') or []
        return [
            cp.Reader('nova.fault', 'nova', lambda: cp.nova_action_hops(
                self.admin_servers_client, faulted, since,
                finished_name=True), fault=True,
                phase=None if replace else tl.RECOVERED),
            cp.Reader('aodh.alarm_fired', 'aodh',
                      lambda: cp.aodh_transition_hops(
                          self.alarming_client, alarm_ids, since,
                          ('alarm',)), phase=tl.DETECTED),
        ] + self.trigger_readers(stack, timeline, queues, workflows,
                                 replace)

    def trigger_readers(self, stack, timeline, queues, workflows, replace):
        """Zaqar's message, Mistral's run; Heat's update, the new server.

        A policy that keeps its server updates no stack: no Heat hops.
        """
        since = cp.fault_time(timeline)
        new = cp.new_server_ids(timeline)
        trigger = [
            cp.Reader('zaqar.message_posted', 'zaqar',
                      lambda: cp.zaqar_message_hops(
                          self.messaging_client, queues, since)),
            cp.Reader('mistral.execution_created', 'mistral',
                      lambda: cp.mistral_execution_hops(
                          self.workflow_client, workflows, since),
                      phase=tl.ACTION_STARTED,
                      phase_hop='mistral.execution_created')]
        if not replace:
            return trigger
        # Nova's build before Heat's events: Nova's ACTIVE comes first
        # when both records fall in one second.
        return trigger + [
            cp.Reader('nova.replacement_active', 'nova',
                      lambda: cp.nova_action_hops(
                          self.admin_servers_client, new, since,
                          actions=('create',),
                          name='nova.replacement_build',
                          finished_name='nova.replacement_active')),
            cp.Reader('heat.update_complete', 'heat',
                      lambda: cp.heat_event_hops(
                          self.orchestration_client, stack, since, new),
                      phase=tl.RECOVERED, phase_hop='heat.update_complete'),
        ]

    def group_critical_path(self, readers):
        """The run's ``critical_path``: ``readers(timeline)``'s hops."""
        def critical_path(timeline):
            return cp.collect(timeline, readers(timeline), seen={
                'nova.replacement_active': cp.replacement_seen(timeline)})
        return critical_path

    # -- the run ----------------------------------------------------------
    def heal(self, scenario):
        """Deploy, arm, fault one member, and watch it heal.

        Returns the timeline, or raises a HealingFailure naming the phase.
        """
        conf = CONF.self_healing
        invariants = scenario.invariants(conf)
        stack = self.deploy_stack(scenario, invariants)
        workflows = set(self.physical_ids(stack, WORKFLOW_TYPE))
        self.addCleanup(self._delete_executions, workflows)
        alarm_ids = self.physical_ids(stack, ALARM_TYPE)
        cluster_state = self.group_state(stack)
        healthy = cluster_state()
        fault = build.make_fault(
            scenario.fault, healthy, conf,
            servers_client=self.servers_client,
            admin_servers_client=self.admin_servers_client,
            services_client=self.admin_services_client)
        self.arm_event_alarms(build.pick_member(healthy).id)
        since_fault = lambda: fault.t_fault  # noqa: E731
        timeline = self.healing_run(
            scenario, fault, cluster_state,
            detect=observers.alarm_fired(self.alarming_client, alarm_ids,
                                         since_fault),
            act=observers.execution_started(self.workflow_client,
                                            workflows, since_fault),
            cluster_calls=CLUSTER_CALLS,
            critical_path=self.group_critical_path(
                lambda timeline: self.group_readers(
                    stack, timeline, alarm_ids,
                    self.physical_ids(stack, QUEUE_TYPE), workflows,
                    scenario.recovery['identity'] == sp.REPLACE))).run()
        return stack, timeline

    def run_scenario(self, scenario):
        stack, timeline = self.heal(scenario)
        final = self._stack_body(stack)['stack_status']
        if scenario.recovery['identity'] == sp.REPLACE:
            self.assertEqual('UPDATE_COMPLETE', final,
                             'stack %s ended %s, not healed by a stack '
                             'update' % (stack, final))
        else:
            self.assertEqual('CREATE_COMPLETE', final,
                             'stack %s ended %s: a policy keeping the '
                             'server must not update the stack'
                             % (stack, final))
        action = timeline.phase(tl.ACTION_STARTED)
        execution_id = action.detail.get('execution_id')
        self.waiter(CONF.self_healing.act_timeout_s).until(
            lambda: self.workflow_client.show_execution(execution_id),
            lambda execution: execution['state'] == 'SUCCESS',
            'mistral execution %s' % execution_id, 'SUCCESS',
            failed=lambda execution: (
                execution.get('state_info') or 'failed'
                if execution['state'] == 'ERROR' else None),
            describe=lambda execution: execution['state'])
