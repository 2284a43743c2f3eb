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

"""The Heat + Aodh + Zaqar + Mistral auto-healing group (seed 000).

Every member of a Heat group carries its own event alarms, Zaqar queue,
Mistral trigger and workflow. A member's server fails out of band (the
scenario's faults); its event alarm posts to its queue, the trigger starts
its workflow, which marks the server unhealthy and updates the root stack:
the member is replaced. Detection is read from Aodh's alarm history, the
action from Mistral's executions, the cluster from Heat and Nova.

``EventAlarmGroupFlow`` is the flow of any group healed by its members'
event alarms; the recovery policies (``recovery_policy``) are the same
flow whose workflow keeps the server (reboot, rebuild, migrate).
"""

import itertools

from tempest import config
from tempest.lib import exceptions as lib_exc

from self_healing_tempest_plugin.flows import base
from self_healing_tempest_plugin.flows import heat_stack
from self_healing_tempest_plugin.flows import mistral
from self_healing_tempest_plugin.harness import critical_path as cp
from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import observers
from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import run_tags
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import timeline as tl

CONF = config.CONF


def arm_event_alarms(test, server_id):
    """Prove Aodh's listener sees this project's newest alarms.

    aodh-listener caches a project's event alarms (for
    [self_healing] event_alarm_cache_ttl_s); an alarm created inside
    that window is blind. A canary event alarm created after the group's
    alarms, on a rename of a member, fires only once the listener has
    reloaded the project's alarms, all of them with it.
    """
    servers, alarming = test.servers_client, test.alarming_client
    original = servers.show_server(server_id)['server']['name']
    canary = run_tags.name(CONF.self_healing, 'sh-canary')
    alarm = alarming.create_alarm(
        name=canary, type='event', repeat_actions=False,
        event_rule={'event_type': 'compute.instance.update', 'query': [
            {'field': 'traits.instance_id', 'op': 'eq',
             'value': server_id, 'type': 'string'},
            {'field': 'traits.display_name', 'op': 'eq',
             'value': canary, 'type': 'string'}]})
    test.add_cleanup_ignoring_not_found(alarming.delete_alarm,
                                        alarm['alarm_id'])
    test.addCleanup(rename, servers, server_id, original)
    renames = itertools.cycle([canary, original])
    polls = itertools.count()

    def fired():
        state = alarming.show_alarm_state(alarm['alarm_id']).data
        if state != 'alarm' and next(polls) % 3 == 0:
            # Alternate names: each rename is one update event.
            rename(servers, server_id, next(renames))
        return state
    test.waiter(CONF.self_healing.event_alarm_cache_ttl_s +
                CONF.self_healing.detect_timeout_s).until(
        fired, lambda state: state == 'alarm',
        'canary event alarm %s on renames of server %s' % (
            alarm['alarm_id'], server_id), 'alarm')
    rename(servers, server_id, original)
    alarming.delete_alarm(alarm['alarm_id'])


def rename(servers_client, server_id, name):
    """Rename a server; one already gone needs nothing."""
    try:
        servers_client.update_server(server_id, name=name)
    except lib_exc.NotFound:
        pass


def trigger_readers(test, deployment, timeline, replace):
    """Zaqar's message, Mistral's run; Heat's update, the new server.

    The hops of a group's trigger and update (``deployment``: stack,
    queues, workflows). A policy that keeps its server updates no stack:
    no Heat hops.
    """
    since = cp.fault_time(timeline)
    new = cp.new_server_ids(timeline)
    stack = deployment.stack
    trigger = [
        cp.Reader('zaqar.message_posted', 'zaqar',
                  lambda: cp.zaqar_message_hops(
                      test.messaging_client, deployment.queues, since)),
        cp.Reader('mistral.execution_created', 'mistral',
                  lambda: cp.mistral_execution_hops(
                      test.workflow_client, deployment.workflows, since),
                  phase=tl.ACTION_STARTED,
                  phase_hop='mistral.execution_created')]
    if not replace:
        return trigger
    # Nova's build before Heat's events: Nova's ACTIVE comes first when
    # both records fall in one second.
    return trigger + [
        cp.Reader('nova.replacement_active', 'nova',
                  lambda: cp.nova_action_hops(
                      test.admin_servers_client, new, since,
                      actions=('create',), name='nova.replacement_build',
                      finished_name='nova.replacement_active')),
        cp.Reader('heat.update_complete', 'heat',
                  lambda: cp.heat_event_hops(
                      test.orchestration_client, stack, since, new),
                  phase=tl.RECOVERED, phase_hop='heat.update_complete'),
    ]


def group_critical_path(readers):
    """The run's ``critical_path``: ``readers(timeline)``'s hops."""
    def critical_path(timeline):
        return cp.collect(timeline, readers(timeline), seen={
            'nova.replacement_active': cp.replacement_seen(timeline)})
    return critical_path


def execution_ids(test, deployment, timeline):
    """The executions whose end the flow waits for.

    The act phase's execution when its observer names one, else every
    execution of the group's workflows since the first fault.
    """
    action = timeline.phase(tl.ACTION_STARTED)
    execution_id = action and action.detail.get('execution_id')
    if execution_id:
        return [execution_id]
    since = cp.fault_time(timeline)
    return [e['id'] for e in test.workflow_client.list_executions()[
        'executions'] if mistral.is_ours(e, deployment.workflows) and
        observers.after(e['created_at'], lambda: since)]


class EventAlarmGroupFlow(base.FlowRunner):
    """A Heat group healed by its members' event alarms."""

    required_services = ('heat', 'aodh', 'ceilometer', 'zaqar', 'mistral')
    default_phases = (dl.DETECT, dl.ACT)

    def __init__(self, test, **kwargs):
        super(EventAlarmGroupFlow, self).__init__(test, **kwargs)
        self.stacks = heat_stack.HeatGroupDeployer(test)

    def deploy(self, scenario):
        bounds, target = self.cluster_rules(scenario)
        stack, members = self.stacks.deploy(
            scenario, self.stacks.offered_parameters(bounds, target))
        workflows = set(self.stacks.physical_ids(
            stack, heat_stack.WORKFLOW_TYPE))
        self.test.addCleanup(mistral.delete_executions,
                             self.test.workflow_client, workflows)
        self.cluster_calls = self.stacks.group_calls(members)
        return base.Deployment(
            self.name, stack=stack, members=members, workflows=workflows,
            alarm_ids=self.stacks.physical_ids(stack,
                                               heat_stack.ALARM_TYPE),
            queues=self.stacks.physical_ids(stack, heat_stack.QUEUE_TYPE),
            replace=scenario.recovery['identity'] == sp.REPLACE,
            alarming_client=self.test.alarming_client,
            workflow_client=self.test.workflow_client,
            orchestration_client=self.test.orchestration_client)

    def cluster_state(self, deployment):
        return self.stacks.group_state(deployment.stack, deployment.members)

    def prepare(self, deployment):
        """Arm the event alarms on the first member (smallest id)."""
        first = sorted(deployment.healthy.members, key=lambda m: m.id)[0]
        arm_event_alarms(self.test, first.id)

    def observers(self, deployment, since):
        return {
            dl.DETECT: observers.alarm_fired(
                self.test.alarming_client, deployment.alarm_ids, since),
            dl.ACT: observers.execution_started(
                self.test.workflow_client, deployment.workflows, since),
        }

    def critical_path(self, deployment):
        return group_critical_path(
            lambda timeline: self.readers(deployment, timeline))

    def readers(self, deployment, timeline):
        """The hops of a group's healing, fault to recovery.

        The faulted servers' Nova actions (the fault, and a policy's
        reboot, migration or rebuild), Aodh's transition, then the
        trigger's and the update's hops. Recovered is Heat's
        UPDATE_COMPLETE when a member is replaced, else the end of the
        last Nova action on the kept one.
        """
        since = cp.fault_time(timeline)
        faulted = cp.faulted_members(timeline)
        test = self.test
        return [
            cp.Reader('nova.fault', 'nova', lambda: cp.nova_action_hops(
                test.admin_servers_client, faulted, since,
                finished_name=True), fault=True,
                phase=None if deployment.replace else tl.RECOVERED),
            cp.Reader('aodh.alarm_fired', 'aodh',
                      lambda: cp.aodh_transition_hops(
                          test.alarming_client, deployment.alarm_ids,
                          since, ('alarm',)), phase=tl.DETECTED),
        ] + trigger_readers(test, deployment, timeline, deployment.replace)

    def verify(self, result):
        """The stack's end state, and the workflow's run SUCCESS."""
        deployment = result.deployment
        final = self.stacks.status(deployment.stack)
        if deployment.replace:
            self.test.assertEqual(
                'UPDATE_COMPLETE', final, 'stack %s ended %s, not healed '
                'by a stack update' % (deployment.stack, final))
        else:
            self.test.assertEqual(
                'CREATE_COMPLETE', final, 'stack %s ended %s: a policy '
                'keeping the server must not update the stack'
                % (deployment.stack, final))
        ids = execution_ids(self.test, deployment, result.timeline)
        self.test.assertNotEqual([], ids, 'no execution of %s after the '
                                 'fault' % sorted(deployment.workflows))
        mistral.wait_succeeded(self.test, [(self.test.workflow_client, i)
                                           for i in ids])


@registry.FLOWS.register('autoheal_group', feature='autoheal_flow')
class AutoHealGroupFlow(EventAlarmGroupFlow):
    """Seed 000: a failed member is replaced by a stack update."""
