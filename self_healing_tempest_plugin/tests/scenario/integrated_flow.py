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

"""Scenario runner of the Vitrage + Heat + Mistral integrated flow (seed 002).

The project's Heat group (scenario artifact ``heat_template``) runs on one
compute host; a host fault makes the external monitor alarm on the host.
The Vitrage template deduces an alarm on each of the group's instances
there and runs, as Vitrage's service user, the service-side workflow
(``mistral_workflow``) per instance. That user cannot touch the project's
stack, so the workflow only posts the instance to the group's Zaqar queue
through the queue's signed URL (the stack's ``heal_queue`` output, bound
into the Vitrage template per run); the queue's Mistral trigger runs,
under the stack owner's trust, the group's workflow that marks the member
unhealthy and updates the stack. Healed means the group whole again, every
faulted member replaced, on a surviving host; afterwards the fault is
undone and the host must be healthy again.

The group lands on the faulted host through a placement trait: the test
(admin) tags the host's resource provider with a trait of its own and
lends the project a private flavor requiring it. Once the group is up the
flavor stops requiring it, so the replacements go wherever Nova places
them, which is off the failed host.
"""

import contextlib

from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib import exceptions as lib_exc
from tempest.lib.services.placement import base_placement_client

from self_healing_tempest_plugin.harness import critical_path as cp
from self_healing_tempest_plugin.harness import observers
from self_healing_tempest_plugin.tests.scenario import heat_group
from self_healing_tempest_plugin.tests.scenario import host_flows

CONF = config.CONF

# Placement's resource provider traits API.
TRAITS_MICROVERSION = '1.6'
# The stack output a poster outside the project needs (group.yaml).
QUEUE_OUTPUT = 'heal_queue'
# Requests of one cluster state (group_state): show stack, list servers.
CLUSTER_CALLS = 2


@contextlib.contextmanager
def placement_microversion(version):
    """Send ``version`` on placement requests inside the block only."""
    saved = base_placement_client.PLACEMENT_MICROVERSION
    base_placement_client.PLACEMENT_MICROVERSION = version
    try:
        yield
    finally:
        base_placement_client.PLACEMENT_MICROVERSION = saved


def signed_queue_input(endpoint, queue):
    """The service-side workflow's input to post to ``queue``.

    ``queue`` is the stack's heal_queue output: the messages path and the
    headers Zaqar checks instead of a token (URL-Signature, URL-Expires,
    URL-Methods, URL-Paths, and X-Project-ID, the project signed).
    """
    paths, methods = queue['paths'], queue['methods']
    if not paths or 'POST' not in methods:
        raise ValueError('the queue\'s signed URL must allow POST on its '
                         'messages path, got methods %s, paths %s'
                         % (methods, paths))
    return {'queue_url': endpoint.rstrip('/') + paths[0],
            'url_signature': queue['signature'],
            'url_expires': queue['expires'],
            'url_methods': ','.join(methods),
            'url_paths': ','.join(paths),
            'project_id': queue['project']}


def bind_integrated(template, project_id, workflow_input):
    """Scope ``template`` to the project, give execute_mistral the queue.

    Every value the template marks ``bound`` must get one: the instance
    entity's project_id, and each execute_mistral input but get_attr().
    """
    host_flows.scope_to_project(template, project_id)
    for scenario in template['scenarios']:
        for action in scenario['actions']:
            if 'execute_mistral' not in action:
                continue
            given = action['execute_mistral'].setdefault('input', {})
            unknown = sorted(k for k, v in given.items()
                             if v == 'bound' and k not in workflow_input)
            if unknown:
                raise ValueError('Vitrage template %s leaves %s unbound; '
                                 'the test binds %s' % (
                                     template['metadata']['name'],
                                     ', '.join(unknown),
                                     ', '.join(sorted(workflow_input))))
            given.update(workflow_input)
    return template


class IntegratedFlowTest(host_flows.HostFaultFlowTest,
                         heat_group.HeatGroupFlowTest):
    """Runs scenarios of a Heat group healed through Vitrage.

    Artifacts: the group's Heat template, the Vitrage template and the
    service-side workflow Vitrage runs.
    """

    required_services = ('nova', 'heat', 'zaqar', 'mistral', 'vitrage')

    @classmethod
    def setup_clients(cls):
        super(IntegratedFlowTest, cls).setup_clients()
        cls.admin_flavors_client = cls.os_admin.flavors_client
        cls.admin_placement_client = cls.os_admin.placement_client
        cls.admin_providers_client = cls.os_admin.resource_providers_client

    # -- the group on one host ------------------------------------------
    def pinned_flavor(self, host):
        """A private flavor, lent to the project, placed on ``host`` only.

        The flavor requires a trait of this run, set on ``host``'s
        resource provider only. Everything is undone by cleanups.
        """
        conf = CONF.self_healing
        trait = 'CUSTOM_SELF_HEALING_%s' % data_utils.rand_uuid_hex()[
            :12].upper()
        with placement_microversion(TRAITS_MICROVERSION):
            self.admin_placement_client.create_trait(trait)
            self.add_cleanup_ignoring_not_found(self._delete_trait, trait)
            providers = self.admin_providers_client.list_resource_providers(
                name=host)['resource_providers']
        if len(providers) != 1:
            raise AssertionError('expected one resource provider named %s, '
                                 'found %s' % (host, providers))
        provider = providers[0]['uuid']
        self.addCleanup(self._set_provider_trait, provider, trait, False)
        self._set_provider_trait(provider, trait, True)
        base = self.admin_flavors_client.show_flavor(
            conf.flavor_ref or CONF.compute.flavor_ref)['flavor']
        flavor = self.admin_flavors_client.create_flavor(
            name=data_utils.rand_name('sh-pinned'), ram=base['ram'],
            vcpus=base['vcpus'], disk=base['disk'],
            id=data_utils.rand_uuid(), is_public=False)['flavor']
        self.add_cleanup_ignoring_not_found(
            self.admin_flavors_client.delete_flavor, flavor['id'])
        self.admin_flavors_client.add_flavor_access(
            flavor['id'], self.owner_manager().credentials.project_id)
        self.admin_flavors_client.set_flavor_extra_spec(
            flavor['id'], **{'trait:%s' % trait: 'required'})
        return flavor['id'], trait

    def unpin(self, flavor_id, trait):
        """From now on, servers of the flavor may go to any host."""
        self.admin_flavors_client.unset_flavor_extra_spec(
            flavor_id, 'trait:%s' % trait)

    def _delete_trait(self, trait):
        with placement_microversion(TRAITS_MICROVERSION):
            self.admin_placement_client.delete_trait(trait)

    def _set_provider_trait(self, provider, trait, present):
        """Add or remove ``trait``; retried while nova-compute races us.

        Placement refuses a write from a stale provider generation (409):
        read the traits and their generation again, then write.
        """
        def attempt():
            with placement_microversion(TRAITS_MICROVERSION):
                try:
                    body = self.admin_providers_client.\
                        list_resource_provider_traits(provider)
                except lib_exc.NotFound:
                    return True
                traits = set(body['traits'])
                if (trait in traits) == present:
                    return True
                traits = traits | {trait} if present else traits - {trait}
                try:
                    self.admin_providers_client.\
                        update_resource_provider_traits(
                            provider, traits=sorted(traits),
                            resource_provider_generation=body[
                                'resource_provider_generation'])
                except lib_exc.Conflict:
                    return False
                return True
        self.waiter(CONF.self_healing.service_timeout_s).until(
            attempt, bool, 'trait %s on resource provider %s' % (
                trait, provider), 'present' if present else 'absent',
            describe=lambda _: 'generation conflict')

    def offered_parameters(self, invariants):
        offered = super(IntegratedFlowTest, self).offered_parameters(
            invariants)
        offered['flavor'] = self._flavor_id      # set by heal()
        return offered

    # -- the service side -------------------------------------------------
    def queue_input(self, stack):
        """The signed URL of the group's queue, as the workflow's input."""
        queue = heat_group._output(self._stack_body(stack), QUEUE_OUTPUT)
        # The catalog's endpoint, without the client's version: the
        # signed paths are absolute (/v2/queues/<name>/messages).
        filters = dict(self.messaging_client.filters)
        filters.pop('api_version', None)
        endpoint = self.messaging_client.auth_provider.base_url(filters)
        return signed_queue_input(endpoint, queue)

    def bind_template(self, scenario, workflow_name, project_id,
                      workflow_input=None):
        template = super(IntegratedFlowTest, self).bind_template(
            scenario, workflow_name, project_id)
        return bind_integrated(template, project_id, workflow_input or {})

    def _assert_on_host(self, state, host):
        elsewhere = ['%s on %s' % (m.id, m.host) for m in state.members
                     if m.host != host]
        if elsewhere:
            raise AssertionError('the group must start on %s only (its '
                                 'flavor requires a trait only %s has): %s'
                                 % (host, host, ', '.join(elsewhere)))

    # -- the run ----------------------------------------------------------
    def heal(self, scenario):
        conf = CONF.self_healing
        invariants = scenario.invariants(conf)
        host = self.target_host()
        project_id = self.owner_manager().credentials.project_id
        self._flavor_id, trait = self.pinned_flavor(host)
        stack = self.deploy_stack(scenario, invariants)
        self.unpin(self._flavor_id, trait)
        heal_workflows = set(self.physical_ids(stack,
                                               heat_group.WORKFLOW_TYPE))
        for name in heal_workflows:
            self.addCleanup(self._delete_executions, name)
        relay = self.deploy_workflow(scenario)
        template = self.bind_template(scenario, relay, project_id,
                                      self.queue_input(stack))
        alarm_name, = host_flows._raised_alarm_names(template)
        self.deploy_template(template)
        cluster_state = self.group_state(stack)
        healthy = cluster_state()
        self._assert_on_host(healthy, host)
        self.wait_vitrage_sees(sorted(healthy.ids()), host)
        fault = self.host_fault(scenario, host, healthy,
                                self.servers_client)
        since = lambda: fault.t_fault  # noqa: E731
        queues = self.physical_ids(stack, heat_group.QUEUE_TYPE)
        timeline = self.healing_run(
            scenario, fault, cluster_state,
            detect=observers.vitrage_alarms_raised(
                self.admin_rca_client, alarm_name,
                lambda: fault.affected(healthy), since),
            act=observers.execution_started(self.workflow_client,
                                            heal_workflows, since),
            cluster_calls=CLUSTER_CALLS,
            critical_path=self.group_critical_path(
                lambda timeline: self.integrated_readers(
                    timeline, stack, host, alarm_name, relay, queues,
                    heal_workflows))).run()
        return stack, fault, healthy, relay, heal_workflows, timeline, host

    def integrated_readers(self, timeline, stack, host, alarm_name, relay,
                           queues, heal_workflows):
        """Vitrage's alarms, the relay's run (execute_mistral), the rest.

        Then the group's trigger and update: its queue's message, its
        workflow's run (acted), Heat's update (recovered), the new server.
        """
        return [
            self.vitrage_reader(timeline, host, alarm_name),
            cp.Reader('mistral.relay.execution_created', 'mistral',
                      lambda: cp.mistral_execution_hops(
                          self.admin_workflow_client, [relay],
                          cp.fault_time(timeline), prefix='mistral.relay.',
                          all_projects=True)),
        ] + self.trigger_readers(stack, timeline, queues, heal_workflows,
                                 replace=True)

    def run_scenario(self, scenario):
        (stack, fault, healthy, relay, heal_workflows, timeline,
         host) = self.heal(scenario)
        affected = sorted(fault.affected(healthy))
        self.assert_vitrage_saw(timeline, scenario, affected, host)
        final = self._stack_body(stack)['stack_status']
        self.assertEqual('UPDATE_COMPLETE', final, 'stack %s ended %s, not '
                         'healed by a stack update' % (stack, final))
        last = timeline.samples[-1].members
        self.assertEqual(
            [], ['%s on %s' % (m['id'], m['host']) for m in last
                 if m['host'] == host],
            'the group must be whole again off the failed host %s' % host)
        # One post per member from the service side, and every run of the
        # group's workflow it started succeeded.
        posted, strays = self.runs_per_instance(relay, affected)
        self.assertEqual(affected, sorted(posted), 'Vitrage ran %s for %s, '
                         'expected once per member on %s (others: %s)' % (
                             relay, sorted(posted), host, strays))
        executions = [(self.admin_workflow_client, e['id'])
                      for e in posted.values()] + [
            (self.workflow_client, e['id'])
            for e in self.workflow_client.list_executions()['executions']
            if e.get('workflow_name') in heal_workflows]
        self.wait_executions_succeeded(executions)
        fault.undo()
        self.restore_host(host)
