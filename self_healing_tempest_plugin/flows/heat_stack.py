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

"""A scenario's Heat group: its stack, its members and their state.

``HeatGroupDeployer`` is held by every flow that deploys a Heat template
(the auto-healing and policy groups, the integrated flow, the per-VM
groups). It creates the stack (its deletion a cleanup before any wait),
finds the resources a flow watches, and reads the group's members the
way the template lets it:

- the output the scenario names (``artifacts.heat_template.
  members_output``), for a template whose members output has its own
  name (the upstream heat-templates autohealing group's ``server_ids``);
- else the template's ``member_ids`` output, when it declares one;
- else Heat's own record: the servers (``OS::Nova::Server``) of the
  group's nested stacks, one resource list per poll.
"""

import os

from tempest import config
import yaml

from self_healing_tempest_plugin.common import waiters
from self_healing_tempest_plugin.flows import base
from self_healing_tempest_plugin.harness import run_tags
from self_healing_tempest_plugin.harness import sampler as sp

CONF = config.CONF

ALARM_TYPE = 'OS::Aodh::EventAlarm'
WORKFLOW_TYPE = 'OS::Mistral::Workflow'
QUEUE_TYPE = 'OS::Zaqar::Queue'
SERVER_TYPE = 'OS::Nova::Server'
SETTLED = ('CREATE_COMPLETE', 'UPDATE_COMPLETE')
# The output this project's templates give their members' server ids.
MEMBERS_OUTPUT = 'member_ids'
# How deep Heat lists a group's resources: root -> group -> member ->
# the member's own resources.
NESTED_DEPTH = 3
# The template parameter of the run tag (its servers' and queues'
# metadata, run_tags.METADATA_KEY).
RUN_TAG_PARAMETER = 'run_tag'


def output(stack_body, key):
    """The value of the stack's output ``key``; its absence is named."""
    for item in stack_body.get('outputs') or []:
        if item['output_key'] == key:
            return item['output_value']
    raise AssertionError('stack %s has no %s output; outputs: %s' % (
        stack_body.get('stack_name'), key, stack_body.get('outputs')))


def template_files(template_path):
    """Every YAML beside the template, for nested template types."""
    directory = os.path.dirname(template_path)
    files = {}
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name.endswith('.yaml') and path != template_path:
            with open(path) as handle:
                files[name] = handle.read()
    return files


class Members(object):
    """Where a group's member ids are read: an output, or Heat's resources.

    :param output_key: the stack output holding the members' server ids,
        or None: the servers of the stack's nested resources.
    """

    def __init__(self, output_key=None):
        self.output_key = output_key

    @classmethod
    def of(cls, scenario, template):
        """The scenario's output, the template's member_ids, or Heat's."""
        artifact = scenario.artifacts.get('heat_template')
        named = (artifact.get('members_output')
                 if isinstance(artifact, dict) else None)
        if named:
            return cls(named)
        outputs = (template or {}).get('outputs') or {}
        return cls(MEMBERS_OUTPUT if MEMBERS_OUTPUT in outputs else None)

    @property
    def calls(self):
        """Requests beyond the stack show: one resource list, or none."""
        return 0 if self.output_key else 1

    def ids(self, deployer, stack, stack_body):
        if self.output_key:
            return list(output(stack_body, self.output_key) or [])
        return deployer.physical_ids(stack, SERVER_TYPE)

    def __repr__(self):
        return ('the %s output' % self.output_key if self.output_key
                else 'the %s resources of the stack' % SERVER_TYPE)


class HeatGroupDeployer(object):
    """Deploys a scenario's Heat template and reads its group.

    :param test: the running test (its owner's clients, admin servers
        client, cleanups and waiter).
    """

    def __init__(self, test):
        self.test = test

    @property
    def client(self):
        """The owner's Heat client (read when used: the owner may change)."""
        return self.test.orchestration_client

    # -- deployment -----------------------------------------------------
    def parameters(self, scenario, template, offered):
        """What the runner offers, for the parameters the template takes.

        Heat refuses a parameter its template does not declare; the
        scenario's own parameters win.
        """
        declared = (template or {}).get('parameters') or {}
        parameters = dict((key, value) for key, value in offered.items()
                          if key in declared)
        parameters.update(scenario.heat_parameters())
        return parameters

    @staticmethod
    def offered_parameters(bounds, target, flavor=None):
        """Image, flavor, the group's sizes and the run tag."""
        conf = CONF.self_healing
        return {
            RUN_TAG_PARAMETER: run_tags.tag(conf),
            'image': conf.image_ref or CONF.compute.image_ref,
            'flavor': flavor or conf.flavor_ref or CONF.compute.flavor_ref,
            'min_size': target.min_size,
            'desired_size': target.desired,
            'max_size': bounds.max_size,
        }

    def deploy(self, scenario, offered):
        """Create the stack; (its 'name/id', how its members are read).

        The deletion is registered before the wait for CREATE_COMPLETE.
        The stack's name and tags carry the run tag; its resources' names
        start with the stack's.
        """
        template_path = scenario.artifact('heat_template')
        with open(template_path) as handle:
            text = handle.read()
        template = yaml.safe_load(text)
        conf = CONF.self_healing
        name = run_tags.name(conf, 'sh-%s' % scenario.name.replace('_', '-'))
        body = self.client.create_stack(
            name, text, parameters=self.parameters(scenario, template,
                                                   offered),
            files=template_files(template_path), tags=run_tags.tag(conf))
        stack = '%s/%s' % (name, body['stack']['id'])
        self.test.addCleanup(self.delete, stack)
        self.waiter().for_status(
            self.show, stack, 'stack_status', 'CREATE_COMPLETE',
            error_values=('CREATE_FAILED',), what='stack %s' % stack,
            reason_key='stack_status_reason')
        return stack, Members.of(scenario, template)

    def waiter(self):
        return self.test.waiter(CONF.self_healing.stack_timeout_s)

    def show(self, stack):
        return self.client.show_stack(stack)['stack']

    def status(self, stack):
        return self.show(stack)['stack_status']

    def delete(self, stack):
        """Delete the stack and wait until Heat has (a cleanup)."""
        base.delete_and_wait(self.client, self.client.delete_stack, stack)

    def physical_ids(self, stack, resource_type, names=None):
        """Physical ids of the stack's resources of a type (and names)."""
        resources = self.client.list_resources(
            stack, nested_depth=NESTED_DEPTH,
            type=resource_type)['resources']
        return [r['physical_resource_id'] for r in resources
                if r['resource_type'] == resource_type and
                r.get('physical_resource_id') and
                (names is None or r['resource_name'] in names)]

    # -- observation ----------------------------------------------------
    def group_state(self, stack, members):
        """A ``ClusterState`` callable: the group as Heat and Nova see it.

        Members are the group's (``members``: an output or Heat's
        resources) plus any server of the project Heat does not reference
        yet (a replacement being built), so the max-size check counts
        what really runs. A member Nova no longer knows is a DELETED
        member. Per poll: one stack show, ``members.calls`` resource
        lists and one admin server list (it shows the host). A failed
        stack ends the wait at once: nothing will heal it.
        """
        project_id = self.test.owner_manager().credentials.project_id
        servers_client = self.test.admin_servers_client

        def state():
            body = self.show(stack)
            status = body['stack_status']
            if status.endswith('_FAILED'):
                raise waiters.UnexpectedStateError(detail=(
                    'stack %s went to %s while healing: %s' % (
                        stack, status, body.get('stack_status_reason'))))
            refs = members.ids(self, stack, body)
            servers = base.project_servers(servers_client, project_id)
            ids = list(refs) + sorted(set(servers) - set(refs))
            group = [base.server_member(i, servers.get(i)) for i in ids]
            # Nova's last change of any member: when the recovered state
            # began (a new member ACTIVE, or the kept one back to ACTIVE).
            changed = max([s['updated'] for s in servers.values()] or
                          [None])
            return sp.ClusterState(group, settled=status in SETTLED,
                                   cloud_time=changed, note=status)
        return state

    @staticmethod
    def group_calls(members):
        """Requests of one ``group_state`` poll."""
        return 2 + members.calls
