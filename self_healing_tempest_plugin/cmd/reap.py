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

"""Leak reaping: delete what dead runs left, and nothing else.

A run killed mid-test never runs its cleanups. Every resource a run
creates carries its run tag (``harness/run_tags``), so
``self-healing-undo --leaks`` (``reap_leaks``) lists each kind the suite
makes, as admin across projects, and deletes a resource only when

- it carries a run tag of ``[self_healing] run_tag_prefix``,
- that run is dead (``harness/runs``: no process holds its lock), and
- where the API says when it was created, it was created before the
  start of every live run (a run still starting is never raced).

An untagged resource is never touched. Stacks go first (they delete their
servers, alarms, queues and workflows), then what a stack did not hold:
servers, alarms, queues, executions and workflows, Vitrage templates,
flavors, placement traits, and last the projects with their users (a
stack's deletion needs its owner). A resource already gone is fine.
"""

import functools

from tempest.common import waiters as tempest_waiters
from tempest.lib.common.utils import test_utils
from tempest.lib import exceptions as lib_exc

from self_healing_tempest_plugin.common import microversion
from self_healing_tempest_plugin.harness import run_tags
from self_healing_tempest_plugin.harness import timeline as tl

DELETED, WOULD_DELETE = 'deleted', 'would delete'
# Placement: traits (1.6), providers filtered by a required trait (1.18).
PLACEMENT_REQUIRED_MICROVERSION = '1.18'


class Leak(object):
    """A tagged resource a dead run may have left."""

    def __init__(self, kind, resource_id, name, run_id, created_at,
                 delete):
        self.kind = kind
        self.id = resource_id
        self.name = name
        self.run_id = run_id
        self.created_at = created_at
        self.delete = delete


class Clients(object):
    """The admin clients reaping needs, built once each when first used."""

    def __init__(self, manager):
        self.manager = manager

    @functools.cached_property
    def orchestration(self):
        return self.manager.self_healing_orchestration.OrchestrationClient()

    @functools.cached_property
    def alarming(self):
        return self.manager.self_healing_alarming.AlarmingClient()

    @functools.cached_property
    def messaging(self):
        return self.manager.self_healing_messaging.MessagingClient()

    @functools.cached_property
    def workflow(self):
        return self.manager.self_healing_workflow.WorkflowClient()

    @functools.cached_property
    def rca(self):
        return self.manager.self_healing_rca.RcaClient()


# -- one lister per kind: [Leak] of the tagged ones
def stacks(clients, prefix):
    client = clients.orchestration
    found = []
    for stack in client.get_json('stacks', params={
            'global_tenant': True})['stacks']:
        name = stack['stack_name']
        run_id = run_tags.parse_any(prefix, *(
            list(stack.get('tags') or []) + [name]))
        identifier = '%s/%s' % (name, stack['id'])
        found.append(Leak('stack', stack['id'], name, run_id,
                          stack.get('creation_time'),
                          lambda i=identifier: _delete_stack(client, i)))
    return found


def _delete_stack(client, identifier):
    client.delete_stack(identifier)
    client.wait_for_resource_deletion(identifier)


def servers(clients, prefix):
    client = clients.manager.servers_client
    found = []
    for server in client.list_servers(detail=True,
                                      all_tenants=True)['servers']:
        run_id = run_tags.parse_any(
            prefix, (server.get('metadata') or {}).get(
                run_tags.METADATA_KEY), server.get('name'))
        found.append(Leak('server', server['id'], server.get('name'),
                          run_id, server.get('created'),
                          lambda i=server['id']: _delete_server(client, i)))
    return found


def _delete_server(client, server_id):
    client.delete_server(server_id)
    tempest_waiters.wait_for_server_termination(client, server_id)


def alarms(clients, prefix):
    client = clients.alarming
    return [Leak('alarm', alarm['alarm_id'], alarm.get('name'),
                 run_tags.parse(alarm.get('name'), prefix), None,
                 lambda i=alarm['alarm_id']: client.delete_alarm(i))
            for alarm in client.list_alarms(
                query=[('all_projects', 'eq', 'true')])]


def queues(clients, prefix):
    """The admin's own project's queues: Zaqar lists no other project's.

    A run's queues are its stacks' (deleted with them).
    """
    client = clients.messaging
    found = []
    for queue in client.list_queues(detailed=True).get('queues', []):
        run_id = run_tags.parse_any(
            prefix, (queue.get('metadata') or {}).get(
                run_tags.METADATA_KEY), queue.get('name'))
        found.append(Leak('queue', queue['name'], queue['name'], run_id,
                          None,
                          lambda n=queue['name']: client.delete_queue(n)))
    return found


def executions(clients, prefix):
    client = clients.workflow
    return [Leak('execution', e['id'], e.get('workflow_name'),
                 run_tags.parse_any(prefix, e.get('description'),
                                    e.get('workflow_name')),
                 e.get('created_at'),
                 lambda i=e['id']: client.delete_execution(i, force=True))
            for e in client.list_executions(
                all_projects=True)['executions']]


def workflows(clients, prefix):
    client = clients.workflow
    return [Leak('workflow', w['id'], w.get('name'),
                 run_tags.parse(w.get('name'), prefix), w.get('created_at'),
                 lambda i=w['id']: client.delete_workflow(i))
            for w in client.list_workflows(all_projects=True)['workflows']]


def vitrage_templates(clients, prefix):
    client = clients.rca
    return [Leak('vitrage template', t['uuid'], t.get('name'),
                 run_tags.parse(t.get('name'), prefix), t.get('date'),
                 lambda i=t['uuid']: client.delete_template([i]))
            for t in client.list_templates()]


def flavors(clients, prefix):
    client = clients.manager.flavors_client
    return [Leak('flavor', f['id'], f.get('name'),
                 run_tags.parse(f.get('name'), prefix), None,
                 lambda i=f['id']: client.delete_flavor(i))
            for f in client.list_flavors(is_public=None)['flavors']]


def traits(clients, prefix):
    manager = clients.manager
    with microversion.requests_at(microversion.PLACEMENT,
                                  PLACEMENT_REQUIRED_MICROVERSION):
        names = manager.placement_client.list_traits(
            name='startswith:%s' % run_tags.TRAIT_PREFIX)['traits']
    return [Leak('placement trait', name, name,
                 run_tags.parse(name, prefix), None,
                 lambda n=name: _delete_trait(manager, n))
            for name in names]


def _delete_trait(manager, trait):
    """Take the trait off every provider (Placement refuses), delete it."""
    providers = manager.resource_providers_client
    with microversion.requests_at(microversion.PLACEMENT,
                                  PLACEMENT_REQUIRED_MICROVERSION):
        for provider in providers.list_resource_providers(
                required=trait)['resource_providers']:
            body = providers.list_resource_provider_traits(provider['uuid'])
            providers.update_resource_provider_traits(
                provider['uuid'], traits=sorted(
                    set(body['traits']) - {trait}),
                resource_provider_generation=body[
                    'resource_provider_generation'])
        manager.placement_client.delete_trait(trait)


def projects(clients, prefix):
    """Tagged projects, each after its users (Tempest's: named after it)."""
    manager = clients.manager
    found = []
    for project in manager.projects_client.list_projects()['projects']:
        run_id = run_tags.parse_any(prefix, *(project.get('tags') or []))
        if run_id is None:
            continue
        for user in project_users(manager, project):
            found.append(Leak(
                'user', user['id'], user.get('name'), run_id, None,
                lambda i=user['id']: manager.users_v3_client.delete_user(i)))
        found.append(Leak(
            'project', project['id'], project.get('name'), run_id, None,
            lambda i=project['id']: manager.projects_client.delete_project(
                i)))
    return found


def project_users(manager, project):
    """Users with a role on ``project`` whose name starts with its name.

    Tempest names a dynamic credential's user after its project; anyone
    else with a role on it (an operator) is not the run's.
    """
    assignments = manager.role_assignments_client.list_role_assignments(
        **{'scope.project.id': project['id']})['role_assignments']
    users = []
    for user_id in sorted(set(a['user']['id'] for a in assignments
                              if 'user' in a)):
        try:
            user = manager.users_v3_client.show_user(user_id)['user']
        except lib_exc.NotFound:
            continue
        if user.get('name', '').startswith(project.get('name') or '\0'):
            users.append(user)
    return users


# (lister, service key of ``service_types``), in deletion order.
LISTERS = (
    (stacks, 'orchestration'),
    (servers, 'compute'),
    (alarms, 'alarming'),
    (queues, 'messaging'),
    (executions, 'workflow'),
    (workflows, 'workflow'),
    (vitrage_templates, 'rca'),
    (flavors, 'compute'),
    (traits, 'placement'),
    (projects, 'identity'),
)


def service_types(conf):
    """Catalog type of each service a lister asks (None: always there).

    ``conf``: the [self_healing] group.
    """
    types = dict((service, getattr(conf, '%s_catalog_type' % service))
                 for service in ('orchestration', 'alarming', 'messaging',
                                 'workflow', 'rca'))
    types.update(identity=None, compute='compute', placement='placement')
    return types


def offered_types(manager):
    """The catalog types the admin's token offers."""
    _, auth_data = manager.auth_provider.get_auth()
    return set(entry.get('type') for entry in auth_data.get('catalog', []))


def verdict(leak, registry, directory, live):
    """None: the leak may go; else why it stays."""
    if leak.run_id is None:
        return 'untagged'
    if registry.is_alive(directory, leak.run_id):
        return 'run %s is alive' % leak.run_id
    try:
        created = tl.parse_cloud_time(leak.created_at or None)
    except ValueError:
        return 'its creation time %r is not ISO 8601' % leak.created_at
    # A live run whose start is unknown started at no known time: any
    # resource with a creation time could be its.
    starts = dict((run_id, started or 0.0)
                  for run_id, started in live.items())
    if starts and created is not None and created >= min(starts.values()):
        return ('created at %s, after live run %s started' % (
            leak.created_at, min(starts, key=starts.get)))
    return None


def reap_leaks(conf, admin_manager, directory, dry_run=False, out=print):
    """Delete the tagged resources of dead runs; one line each to ``out``.

    :param conf: the [self_healing] group of the tempest configuration.
    :param admin_manager: a tempest client manager of admin credentials.
    :param directory: the run registry's directory
        ([self_healing] fault_journal_dir).
    :returns: [dict(kind, id, name, tag, action)], action 'deleted',
        'would delete' (dry run) or 'failed: <error>'.
    """
    if not directory:
        raise ValueError('[self_healing] fault_journal_dir is empty: there '
                         'is no run registry to tell a dead run from a '
                         'live one, so no leak is reaped')
    prefix = conf.run_tag_prefix
    registry = run_tags.run_registry()
    live = registry.live(directory)
    types, offered = service_types(conf), offered_types(admin_manager)
    clients = Clients(admin_manager)
    done, kept, listed = [], 0, []
    for lister, service in LISTERS:
        kind = lister.__name__.replace('_', ' ')
        if types[service] is not None and types[service] not in offered:
            out('%s: skipped, no %s service (catalog type %s) in the '
                'catalog' % (kind, service, types[service]))
            continue
        try:
            found = lister(clients, prefix)
        except lib_exc.TempestException as exc:
            action = 'failed: could not list them: %s' % exc
            out('%s: %s' % (kind, action))
            done.append(dict(kind=kind, id=None, name=None, tag=None,
                             action=action))
            continue
        listed.append(kind)
        for leak in found:
            why = verdict(leak, registry, directory, live)
            tag = (None if leak.run_id is None else
                   '%s-%s' % (prefix, leak.run_id))
            if why == 'untagged':
                continue
            if why:
                out('kept %s %s (%s): %s' % (leak.kind, leak.name, leak.id,
                                             why))
                kept += 1
                continue
            action = WOULD_DELETE if dry_run else _delete(leak)
            out('%s %s %s (%s) of dead run %s' % (
                action, leak.kind, leak.name, leak.id, leak.run_id))
            done.append(dict(kind=leak.kind, id=leak.id, name=leak.name,
                             tag=tag, action=action))
    actions = [d['action'] for d in done]
    out('leaks of dead runs (tag %s-*, %d live run(s)): %s %d, failed %d, '
        'kept %d tagged; listed %s' % (
            prefix, len(live), WOULD_DELETE if dry_run else DELETED,
            actions.count(WOULD_DELETE if dry_run else DELETED),
            len([a for a in actions if a.startswith('failed')]), kept,
            ', '.join(listed) or 'nothing'))
    return done


def _delete(leak):
    try:
        test_utils.call_and_ignore_notfound_exc(leak.delete)
    except (lib_exc.TempestException, ValueError) as exc:
        return 'failed: %s' % exc
    return DELETED
