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

"""The Vitrage + Heat + Mistral integrated flow (seed 002).

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
faulted member replaced, on a surviving host; afterwards the faults are
undone and the host must be healthy again.

The group lands on the faulted host through a placement trait: the test
(admin) tags the host's resource provider with a trait of its own and
lends the project a private flavor requiring it. Once the group is up the
flavor stops requiring it, so the replacements go wherever Nova places
them, which is off the failed host.

The flow holds the helpers of the group (``HeatGroupDeployer``), of
Vitrage (``VitrageBinder``) and of the host (``HostRepair``), and the
pinning (``PinnedFlavor``); it inherits from no other flow.
"""

from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib import exceptions as lib_exc

from self_healing_tempest_plugin.common import microversion
from self_healing_tempest_plugin.flows import autoheal_group
from self_healing_tempest_plugin.flows import base
from self_healing_tempest_plugin.flows import heat_stack
from self_healing_tempest_plugin.flows import host_repair
from self_healing_tempest_plugin.flows import mistral
from self_healing_tempest_plugin.flows import vitrage
from self_healing_tempest_plugin.harness import critical_path as cp
from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import observers
from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import run_tags

CONF = config.CONF

# Placement's resource provider traits API.
TRAITS_MICROVERSION = '1.6'
# The stack output a poster outside the project needs (group.yaml).
QUEUE_OUTPUT = 'heal_queue'


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
    vitrage.scope_to_project(template, project_id)
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


class PinnedFlavor(object):
    """A private flavor, lent to the project, placed on one host only.

    The flavor requires a trait of this run, set on the host's resource
    provider only. Everything is undone by cleanups.
    """

    def __init__(self, test):
        self.test = test
        self.flavors = test.os_admin.flavors_client
        self.placement = test.os_admin.placement_client
        self.providers = test.os_admin.resource_providers_client

    def pin(self, host):
        """(flavor id, trait) of a new flavor placed on ``host``."""
        conf = CONF.self_healing
        trait = run_tags.trait(conf, 'SELF_HEALING')
        with microversion.requests_at(microversion.PLACEMENT,
                                      TRAITS_MICROVERSION):
            self.placement.create_trait(trait)
            self.test.add_cleanup_ignoring_not_found(self.delete_trait,
                                                     trait)
            providers = self.providers.list_resource_providers(
                name=host)['resource_providers']
        if len(providers) != 1:
            raise AssertionError('expected one resource provider named %s, '
                                 'found %s' % (host, providers))
        provider = providers[0]['uuid']
        self.test.addCleanup(self.set_provider_trait, provider, trait,
                             False)
        self.set_provider_trait(provider, trait, True)
        model = self.flavors.show_flavor(
            conf.flavor_ref or CONF.compute.flavor_ref)['flavor']
        flavor = self.flavors.create_flavor(
            name=run_tags.name(conf, 'sh-pinned'), ram=model['ram'],
            vcpus=model['vcpus'], disk=model['disk'],
            id=data_utils.rand_uuid(), is_public=False)['flavor']
        self.test.add_cleanup_ignoring_not_found(self.flavors.delete_flavor,
                                                 flavor['id'])
        self.flavors.add_flavor_access(
            flavor['id'], self.test.owner_manager().credentials.project_id)
        self.flavors.set_flavor_extra_spec(
            flavor['id'], **{'trait:%s' % trait: 'required'})
        return flavor['id'], trait

    def unpin(self, flavor_id, trait):
        """From now on, servers of the flavor may go to any host."""
        self.flavors.unset_flavor_extra_spec(flavor_id, 'trait:%s' % trait)

    def delete_trait(self, trait):
        with microversion.requests_at(microversion.PLACEMENT,
                                      TRAITS_MICROVERSION):
            self.placement.delete_trait(trait)

    def set_provider_trait(self, provider, trait, present):
        """Add or remove ``trait``; retried while nova-compute races us.

        Placement refuses a write from a stale provider generation (409):
        read the traits and their generation again, then write.
        """
        def attempt():
            with microversion.requests_at(microversion.PLACEMENT,
                                          TRAITS_MICROVERSION):
                try:
                    body = self.providers.list_resource_provider_traits(
                        provider)
                except lib_exc.NotFound:
                    return True
                traits = set(body['traits'])
                if (trait in traits) == present:
                    return True
                traits = traits | {trait} if present else traits - {trait}
                try:
                    self.providers.update_resource_provider_traits(
                        provider, traits=sorted(traits),
                        resource_provider_generation=body[
                            'resource_provider_generation'])
                except lib_exc.Conflict:
                    return False
                return True
        self.test.waiter(CONF.self_healing.service_timeout_s).until(
            attempt, bool, 'trait %s on resource provider %s' % (
                trait, provider), 'present' if present else 'absent',
            describe=lambda _: 'generation conflict')


def assert_on_host(state, host):
    """The group starts on ``host`` only (its flavor's trait)."""
    elsewhere = ['%s on %s' % (m.id, m.host) for m in state.members
                 if m.host != host]
    if elsewhere:
        raise AssertionError('the group must start on %s only (its flavor '
                             'requires a trait only %s has): %s'
                             % (host, host, ', '.join(elsewhere)))


@registry.FLOWS.register('integrated', feature='integrated_flow')
class IntegratedFlow(base.FlowRunner):
    """A Heat group healed through Vitrage, its queue and its workflow."""

    required_services = ('nova', 'heat', 'zaqar', 'mistral', 'vitrage')
    compute_min_microversion = faults.SERVICE_UPDATE_MICROVERSION
    placement_min_microversion = TRAITS_MICROVERSION

    def __init__(self, test, **kwargs):
        super(IntegratedFlow, self).__init__(test, **kwargs)
        self.stacks = heat_stack.HeatGroupDeployer(test)
        self.vitrage = vitrage.VitrageBinder(test)
        self.hosts = host_repair.HostRepair(test)
        self.pinning = PinnedFlavor(test)

    # -- deployment -----------------------------------------------------
    def queue_input(self, stack):
        """The signed URL of the group's queue, as the workflow's input."""
        queue = heat_stack.output(self.stacks.show(stack), QUEUE_OUTPUT)
        # The catalog's endpoint, without the client's version: the
        # signed paths are absolute (/v2/queues/<name>/messages).
        client = self.test.messaging_client
        filters = dict(client.filters)
        filters.pop('api_version', None)
        return signed_queue_input(client.auth_provider.base_url(filters),
                                  queue)

    def deploy(self, scenario):
        bounds, target = self.cluster_rules(scenario)
        host = self.hosts.target_host()
        project_id = self.test.owner_manager().credentials.project_id
        flavor, trait = self.pinning.pin(host)
        stack, members = self.stacks.deploy(
            scenario, self.stacks.offered_parameters(bounds, target,
                                                     flavor=flavor))
        self.pinning.unpin(flavor, trait)
        workflows = set(self.stacks.physical_ids(
            stack, heat_stack.WORKFLOW_TYPE))
        self.test.addCleanup(mistral.delete_executions,
                             self.test.workflow_client, workflows)
        relay = self.vitrage.deploy_workflow(scenario)
        template = bind_integrated(
            self.vitrage.load_template(scenario, relay, project_id),
            project_id, self.queue_input(stack))
        alarm_name, = vitrage.raised_alarm_names(template)
        self.vitrage.deploy_template(template)
        self.cluster_calls = self.stacks.group_calls(members)
        deployment = base.Deployment(
            self.name, stack=stack, members=members, host=host,
            workflows=workflows, relay=relay, alarm_name=alarm_name,
            bounds=bounds, replace=True,
            queues=self.stacks.physical_ids(stack, heat_stack.QUEUE_TYPE),
            rca_client=self.test.admin_rca_client,
            workflow_client=self.test.workflow_client,
            orchestration_client=self.test.orchestration_client)
        return deployment

    def cluster_state(self, deployment):
        return self.stacks.group_state(deployment.stack, deployment.members)

    def prepare(self, deployment):
        """The group on the host; Vitrage sees it; the host's repair."""
        assert_on_host(deployment.healthy, deployment.host)
        self.vitrage.wait_sees(sorted(deployment.healthy.ids()),
                               deployment.host)
        # Before any fault: it runs after their undo, on every exit path.
        self.test.addCleanup(self.hosts.restore, deployment.host)

    # -- observation ----------------------------------------------------
    def observers(self, deployment, since):
        return {dl.DETECT: self.vitrage.alarms_raised(deployment, since),
                dl.ACT: observers.execution_started(
                    self.test.workflow_client, deployment.workflows,
                    since)}

    def critical_path(self, deployment):
        return autoheal_group.group_critical_path(
            lambda timeline: self.readers(deployment, timeline))

    def readers(self, deployment, timeline):
        """Vitrage's alarms, the relay's run (execute_mistral), the rest.

        Then the group's trigger and update: its queue's message, its
        workflow's run (acted), Heat's update (recovered), the new server.
        """
        return [
            self.vitrage.reader(timeline, deployment.host,
                                deployment.alarm_name),
            cp.Reader('mistral.relay.execution_created', 'mistral',
                      lambda: cp.mistral_execution_hops(
                          self.test.admin_workflow_client,
                          [deployment.relay], cp.fault_time(timeline),
                          prefix='mistral.relay.', all_projects=True)),
        ] + autoheal_group.trigger_readers(self.test, deployment, timeline,
                                           replace=True)

    # -- after the healing ----------------------------------------------
    def verify(self, result):
        """Bands, alarms, the stack updated, the group off the host.

        And one post per member, whose every run succeeded.
        """
        deployment, timeline = result.deployment, result.timeline
        host, stack = deployment.host, deployment.stack
        affected = result.affected()
        base.assert_health_bands(self.test, timeline,
                                 deployment.bounds)
        self.vitrage.assert_saw(timeline, affected, host)
        final = self.stacks.status(stack)
        self.test.assertEqual('UPDATE_COMPLETE', final, 'stack %s ended %s, '
                              'not healed by a stack update' % (stack, final))
        last = timeline.samples[-1].members
        self.test.assertEqual(
            [], ['%s on %s' % (m['id'], m['host']) for m in last
                 if m['host'] == host],
            'the group must be whole again off the failed host %s' % host)
        # One post per member from the service side, and every run of the
        # group's workflow it started succeeded.
        posted = self.vitrage.assert_ran_once_each(deployment.relay,
                                                   affected, host)
        executions = [(self.test.admin_workflow_client, e['id'])
                      for e in posted.values()] + [
            (self.test.workflow_client, e['id'])
            for e in self.test.workflow_client.list_executions()[
                'executions'] if mistral.is_ours(e, deployment.workflows)]
        mistral.wait_succeeded(self.test, executions)

    def restore(self, result):
        super(IntegratedFlow, self).restore(result)
        self.hosts.restore(result.deployment.host)
