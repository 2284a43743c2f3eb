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

"""Leak reaping: only a dead run's tagged resources go, in order.

Heat answers through the plugin's real client over a fake HTTP layer;
the other services are faked at their clients; the run registry
(harness/runs) at ``live`` and ``is_alive``.
"""

from unittest import mock
import urllib.parse

from tempest.lib import exceptions as lib_exc
import testtools

from self_healing_tempest_plugin.cmd import reap
from self_healing_tempest_plugin.harness import run_tags
from self_healing_tempest_plugin.harness import timeline as tl
from self_healing_tempest_plugin.services import orchestration_client
from unit_tests.services import base as http

DEAD, LIVE = 'deadbeef0001', 'a11ce0000002'
LIVE_STARTED = tl.parse_cloud_time('2026-12-01T13:00:00Z')
EARLY, LATE = '2026-12-01T12:00:00Z', '2026-12-01T13:30:00Z'
HEAT_URL = 'https://cloud.example/heat-api/v1/admin-project'
CATALOG = ('identity', 'compute', 'placement', 'orchestration', 'alarming',
           'messaging', 'workflowv2', 'rca')


def tagged(run_id, base):
    return 'shtp-%s-%s-1234' % (run_id, base)


class FakeHeat(object):
    """Heat's stack list, show and delete over HTTP, from a table."""

    def __init__(self, stacks, delete_status=204):
        self.stacks = dict((s['id'], s) for s in stacks)
        self.deleted = []
        self.delete_status = delete_status

    def request(self, url, method, headers=None, body=None, **kwargs):
        parts = urllib.parse.urlsplit(url)
        path = parts.path[len(urllib.parse.urlsplit(HEAT_URL).path):]
        if method == 'GET' and path == '/stacks':
            assert 'global_tenant=true' in parts.query, parts.query
            return http.response(200, {'stacks': list(self.stacks.values())})
        stack_id = path.rsplit('/', 1)[-1]
        if method == 'DELETE':
            if self.delete_status == 404 or stack_id not in self.stacks:
                return http.response(404, {'error': 'gone'})
            self.deleted.append(stack_id)
            del self.stacks[stack_id]
            return http.response(204)
        if stack_id in self.stacks:
            return http.response(200, {'stack': self.stacks[stack_id]})
        return http.response(404, {'error': 'gone'})


class FakeManager(object):
    """An admin client manager: Heat over fake HTTP, the rest faked."""

    def __init__(self, heat, catalog=CATALOG):
        self.heat = heat
        client = orchestration_client.OrchestrationClient(
            http.FakeAuthProvider(HEAT_URL), 'orchestration', 'RegionOne')
        client.http_obj.request = heat.request
        self.self_healing_orchestration = mock.Mock(
            OrchestrationClient=lambda: client)
        self.auth_provider = mock.Mock()
        self.auth_provider.get_auth.return_value = (
            'token', {'catalog': [{'type': t} for t in catalog]})
        self.projects = {}
        self.users = {}
        self.assignments = {}
        self.calls = []
        self.servers_client = mock.Mock()
        self.servers_client.list_servers.return_value = {'servers': []}
        self.flavors_client = mock.Mock()
        self.flavors_client.list_flavors.return_value = {'flavors': []}
        self.placement_client = mock.Mock()
        self.placement_client.list_traits.return_value = {'traits': []}
        self.resource_providers_client = mock.Mock()
        alarming = mock.Mock()
        alarming.list_alarms.return_value = []
        self.self_healing_alarming = mock.Mock(
            AlarmingClient=lambda: alarming)
        messaging = mock.Mock()
        messaging.list_queues.return_value = {'queues': []}
        self.self_healing_messaging = mock.Mock(
            MessagingClient=lambda: messaging)
        self.workflow = mock.Mock()
        self.workflow.list_executions.return_value = {'executions': []}
        self.workflow.list_workflows.return_value = {'workflows': []}
        self.self_healing_workflow = mock.Mock(
            WorkflowClient=lambda: self.workflow)
        rca = mock.Mock()
        rca.list_templates.return_value = []
        self.self_healing_rca = mock.Mock(RcaClient=lambda: rca)
        self.projects_client = mock.Mock()
        self.projects_client.list_projects.side_effect = lambda: {
            'projects': list(self.projects.values())}
        self.projects_client.delete_project.side_effect = (
            lambda i: self._delete('project', self.projects, i))
        self.users_v3_client = mock.Mock()
        self.users_v3_client.show_user.side_effect = self._show_user
        self.users_v3_client.delete_user.side_effect = (
            lambda i: self._delete('user', self.users, i))
        self.role_assignments_client = mock.Mock()
        self.role_assignments_client.list_role_assignments.side_effect = (
            lambda **q: {'role_assignments': [
                {'user': {'id': u}} for u in self.assignments.get(
                    q['scope.project.id'], [])]})

    def _show_user(self, user_id):
        if user_id not in self.users:
            raise lib_exc.NotFound()
        return {'user': self.users[user_id]}

    def _delete(self, kind, table, item_id):
        if item_id not in table:
            raise lib_exc.NotFound()
        self.calls.append((kind, item_id))
        del table[item_id]

    def add_project(self, project_id, name, tags, users=()):
        self.projects[project_id] = {'id': project_id, 'name': name,
                                     'tags': list(tags)}
        for user_id, user_name in users:
            self.users[user_id] = {'id': user_id, 'name': user_name}
        self.assignments[project_id] = [u for u, _ in users]


def stack(stack_id, name, tags=None, created=EARLY):
    return {'id': stack_id, 'stack_name': name, 'tags': tags,
            'creation_time': created, 'stack_status': 'CREATE_COMPLETE'}


class ReapLeaksTest(testtools.TestCase):

    def setUp(self):
        super(ReapLeaksTest, self).setUp()
        self.registry = mock.Mock()
        self.registry.live.return_value = {LIVE: LIVE_STARTED}
        self.registry.is_alive.side_effect = lambda d, r: r == LIVE
        self.patch(run_tags, 'run_registry', lambda: self.registry)
        # The [self_healing] group.
        self.conf = mock.Mock(run_tag_prefix='shtp')
        for name, type_ in (('orchestration', 'orchestration'),
                            ('alarming', 'alarming'),
                            ('messaging', 'messaging'),
                            ('workflow', 'workflowv2'), ('rca', 'rca')):
            setattr(self.conf, '%s_catalog_type' % name, type_)
        self.lines = []

    def reap(self, manager, dry_run=False):
        return reap.reap_leaks(self.conf, manager, '/journal',
                               dry_run=dry_run, out=self.lines.append)

    def cloud(self):
        heat = FakeHeat([
            stack('s-dead', tagged(DEAD, 'sh-autoheal')),
            stack('s-dead-by-tag', 'renamed', tags=['shtp-%s' % DEAD]),
            stack('s-live', tagged(LIVE, 'sh-autoheal')),
            stack('s-untagged', 'sh-autoheal-42'),
            stack('s-after', tagged(DEAD, 'sh-x'), created=LATE),
        ])
        manager = FakeManager(heat)
        manager.add_project('p-dead', 'tempest-T-1', ['shtp-%s' % DEAD],
                            users=[('u-dead', 'tempest-T-1-project'),
                                   ('u-operator', 'operator')])
        manager.add_project('p-live', 'tempest-T-2', ['shtp-%s' % LIVE],
                            users=[('u-live', 'tempest-T-2-project')])
        manager.add_project('p-mine', 'demo', [], users=[('u-demo', 'demo')])
        return heat, manager

    def test_a_dead_run_s_stack_and_project_go_and_nothing_else(self):
        heat, manager = self.cloud()
        done = self.reap(manager)
        self.assertEqual(['s-dead', 's-dead-by-tag'], heat.deleted)
        self.assertEqual({'s-live', 's-untagged', 's-after'},
                         set(heat.stacks))
        # Users before their project; the operator with a role stays.
        self.assertEqual([('user', 'u-dead'), ('project', 'p-dead')],
                         manager.calls)
        self.assertEqual({'p-live', 'p-mine'}, set(manager.projects))
        self.assertEqual(
            [('stack', 's-dead', 'deleted'),
             ('stack', 's-dead-by-tag', 'deleted'),
             ('user', 'u-dead', 'deleted'), ('project', 'p-dead', 'deleted')],
            [(d['kind'], d['id'], d['action']) for d in done])
        self.assertEqual({'shtp-%s' % DEAD}, set(d['tag'] for d in done))

    def test_kept_ones_are_said_why_and_untagged_are_not_named(self):
        _, manager = self.cloud()
        self.reap(manager)
        text = '\n'.join(self.lines)
        self.assertIn('kept stack %s (s-live): run %s is alive'
                      % (tagged(LIVE, 'sh-autoheal'), LIVE), text)
        self.assertIn('kept stack %s (s-after): created at %s, after live '
                      'run %s started' % (tagged(DEAD, 'sh-x'), LATE, LIVE),
                      text)
        self.assertNotIn('s-untagged', text)
        self.assertIn('deleted project tempest-T-1 (p-dead) of dead run %s'
                      % DEAD, text)

    def test_a_live_run_of_unknown_start_keeps_what_has_a_time(self):
        self.registry.live.return_value = {LIVE: None}
        heat, manager = self.cloud()
        self.reap(manager)
        self.assertEqual([], heat.deleted)
        # Keystone gives no creation time: the dead run's project goes.
        self.assertEqual([('user', 'u-dead'), ('project', 'p-dead')],
                         manager.calls)

    def test_an_unreadable_creation_time_keeps_it(self):
        heat, manager = self.cloud()
        heat.stacks['s-dead']['creation_time'] = 'yesterday'
        self.reap(manager)
        self.assertNotIn('s-dead', heat.deleted)
        self.assertIn("kept stack %s (s-dead): its creation time 'yesterday' "
                      "is not ISO 8601" % tagged(DEAD, 'sh-autoheal'),
                      self.lines)

    def test_the_last_line_sums_it_up(self):
        _, manager = self.cloud()
        self.reap(manager)
        self.assertEqual(
            'leaks of dead runs (tag shtp-*, 1 live run(s)): deleted 4, '
            'failed 0, kept 4 tagged; listed stacks, servers, alarms, '
            'queues, executions, workflows, vitrage templates, flavors, '
            'traits, projects', self.lines[-1])

    def test_a_listing_refused_is_a_failure(self):
        _, manager = self.cloud()
        manager.flavors_client.list_flavors.side_effect = (
            lib_exc.Forbidden('policy'))
        done = self.reap(manager)
        failed = [d for d in done if d['kind'] == 'flavors']
        self.assertEqual(1, len(failed), done)
        self.assertTrue(failed[0]['action'].startswith(
            'failed: could not list them: '), failed)
        self.assertIn('project', [d['kind'] for d in done])

    def test_a_dry_run_deletes_nothing(self):
        heat, manager = self.cloud()
        done = self.reap(manager, dry_run=True)
        self.assertEqual([], heat.deleted)
        self.assertEqual([], manager.calls)
        self.assertEqual(4, len(done))
        self.assertEqual({'would delete'}, set(d['action'] for d in done))

    def test_a_resource_already_gone_is_fine(self):
        heat, manager = self.cloud()
        heat.delete_status = 404
        manager.projects_client.delete_project.side_effect = (
            lib_exc.NotFound())
        done = self.reap(manager)
        self.assertEqual({'deleted'}, set(d['action'] for d in done))

    def test_a_failed_deletion_is_reported_and_the_rest_goes_on(self):
        heat, manager = self.cloud()
        manager.users_v3_client.delete_user.side_effect = (
            lib_exc.Forbidden('no'))
        done = self.reap(manager)
        actions = dict((d['id'], d['action']) for d in done)
        self.assertTrue(actions['u-dead'].startswith('failed: '),
                        actions)
        self.assertEqual('deleted', actions['p-dead'])

    def test_other_kinds_by_name_metadata_or_description(self):
        heat, manager = self.cloud()
        manager.servers_client.list_servers.return_value = {'servers': [
            {'id': 'v1', 'name': 'web', 'created': EARLY,
             'metadata': {'self_healing_run': 'shtp-%s' % DEAD}},
            {'id': 'v2', 'name': 'web2', 'created': EARLY, 'metadata': {}}]}
        manager.servers_client.show_server.side_effect = lib_exc.NotFound()
        manager.workflow.list_executions.return_value = {'executions': [
            {'id': 'e1', 'workflow_name': 'sh_evacuate',
             'description': 'shtp-%s' % DEAD,
             'created_at': '2026-12-01 12:00:00'},
            {'id': 'e2', 'workflow_name': tagged(LIVE, 'wf'),
             'description': '', 'created_at': '2026-12-01 12:00:00'}]}
        manager.placement_client.list_traits.return_value = {'traits': [
            'CUSTOM_SHTP_%s_SELF_HEALING_0A1B2C3D' % DEAD.upper(),
            'CUSTOM_GPU']}
        providers = manager.resource_providers_client
        providers.list_resource_providers.return_value = {
            'resource_providers': [{'uuid': 'rp1'}]}
        providers.list_resource_provider_traits.return_value = {
            'traits': ['CUSTOM_GPU', 'CUSTOM_SHTP_%s_SELF_HEALING_0A1B2C3D'
                       % DEAD.upper()], 'resource_provider_generation': 7}
        done = self.reap(manager)
        kinds = [(d['kind'], d['id']) for d in done]
        self.assertIn(('server', 'v1'), kinds)
        self.assertNotIn(('server', 'v2'), kinds)
        self.assertIn(('execution', 'e1'), kinds)
        self.assertNotIn(('execution', 'e2'), kinds)
        manager.servers_client.delete_server.assert_called_once_with('v1')
        manager.workflow.delete_execution.assert_called_once_with(
            'e1', force=True)
        providers.update_resource_provider_traits.assert_called_once_with(
            'rp1', traits=['CUSTOM_GPU'], resource_provider_generation=7)
        manager.placement_client.delete_trait.assert_called_once_with(
            'CUSTOM_SHTP_%s_SELF_HEALING_0A1B2C3D' % DEAD.upper())
        # Stacks first, projects last.
        self.assertEqual('stack', done[0]['kind'])
        self.assertEqual('project', done[-1]['kind'])

    def test_a_service_not_in_the_catalog_is_skipped_and_said(self):
        heat, _ = self.cloud()
        manager = FakeManager(heat, catalog=('identity', 'compute'))
        self.reap(manager)
        self.assertEqual([], heat.deleted)
        self.assertIn('stacks: skipped, no orchestration service (catalog '
                      'type orchestration) in the catalog', self.lines)
        self.assertIn('vitrage templates: skipped, no rca service (catalog '
                      'type rca) in the catalog', self.lines)

    def test_no_registry_directory_is_refused_by_name(self):
        _, manager = self.cloud()
        error = self.assertRaises(ValueError, reap.reap_leaks, self.conf,
                                  manager, '', out=self.lines.append)
        self.assertIn('fault_journal_dir', str(error))

    def test_api_times_are_read_as_utc(self):
        self.assertEqual(tl.parse_cloud_time('2026-12-01T12:00:00Z'),
                         tl.parse_cloud_time('2026-12-01 12:00:00'))
        self.assertEqual(tl.parse_cloud_time('2026-12-01T12:00:00Z'),
                         tl.parse_cloud_time('2026-12-01T12:00:00.000000'))
        self.assertIsNone(tl.parse_cloud_time(None))
