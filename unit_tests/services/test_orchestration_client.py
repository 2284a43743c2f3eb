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

"""Heat client: paths under the tenant endpoint, stack lookup, bodies."""

from tempest.lib import exceptions

from self_healing_tempest_plugin.services import orchestration_client
from unit_tests.services import base

Case = base.Case
Exchange = base.Exchange

STACK = {'stack': {'stack_name': 'web', 'id': '123',
                   'stack_status': 'CREATE_COMPLETE'}}
LOCATION = ('https://cloud.example.com/heat-api/v1/tenant-1/stacks/'
            'web/123')
TEMPLATE = {'heat_template_version': '2018-08-31', 'resources': {}}


@base.with_cases
class OrchestrationClientTest(base.ClientTestCase):

    client_class = orchestration_client.OrchestrationClient
    catalog_url = 'https://cloud.example.com/heat-api/v1/tenant-1'
    path_prefix = '/heat-api/v1/tenant-1/'

    CASES = [
        Case('create_stack', 'create_stack',
             args=('web', TEMPLATE),
             kwargs={'parameters': {'count': 2}, 'timeout_mins': 10,
                     'files': {'member.yaml': 'x'}},
             method='POST', path='stacks', status=201,
             reply={'stack': {'id': '123'}},
             body={'stack_name': 'web', 'template': TEMPLATE,
                   'parameters': {'count': 2}, 'environment': {},
                   'files': {'member.yaml': 'x'}, 'timeout_mins': 10,
                   'disable_rollback': True}),
        Case('create_stack_yaml_text', 'create_stack',
             args=('web', 'heat_template_version: 2018-08-31\n'),
             kwargs={'disable_rollback': False, 'tags': 'heal'},
             method='POST', path='stacks', status=201,
             reply={'stack': {'id': '123'}},
             body={'stack_name': 'web',
                   'template': 'heat_template_version: 2018-08-31\n',
                   'parameters': {}, 'environment': {}, 'files': {},
                   'disable_rollback': False, 'tags': 'heal'}),
        Case('show_stack_canonical', 'show_stack', args=('web/123',),
             method='GET', path='stacks/web/123', reply=STACK),
        Case('show_stack_quotes_names', 'show_stack',
             args=('my stack/123',),
             method='GET', path='stacks/my%20stack/123', reply=STACK),
        Case('show_stack_lookup_followed', 'show_stack', args=('web',),
             method='GET', path='stacks/web', reply=STACK,
             expected=[200, 302]),
        Case('show_stack_lookup_302', 'show_stack', args=('web',),
             exchanges=[
                 Exchange('GET', 'stacks/web', status=302,
                          expected=[200, 302],
                          reply_headers={'location': LOCATION}),
                 Exchange('GET', 'stacks/web/123', reply=STACK)]),
        Case('update_stack_existing_patches', 'update_stack',
             args=('web', '123'), kwargs={'parameters': {'count': 3}},
             method='PATCH', path='stacks/web/123', status=202,
             body={'parameters': {'count': 3}}),
        Case('update_stack_replace_puts', 'update_stack',
             args=('web', '123'),
             kwargs={'template': TEMPLATE, 'existing': False,
                     'timeout_mins': 5},
             method='PUT', path='stacks/web/123', status=202,
             body={'template': TEMPLATE, 'parameters': {},
                   'timeout_mins': 5}),
        Case('delete_stack', 'delete_stack', args=('web/123',),
             method='DELETE', path='stacks/web/123', status=204),
        Case('delete_stack_by_name_resolves', 'delete_stack',
             args=('web',),
             exchanges=[
                 Exchange('GET', 'stacks/web', reply=STACK,
                          expected=[200, 302]),
                 Exchange('DELETE', 'stacks/web/123', status=204)]),
        Case('list_resources', 'list_resources', args=('web/123',),
             method='GET', path='stacks/web/123/resources',
             reply={'resources': [{'resource_name': 'group'}]}),
        Case('list_resources_nested_detail', 'list_resources',
             args=('web/123',),
             kwargs={'nested_depth': 2, 'with_detail': True,
                     'type': 'OS::Nova::Server'},
             method='GET', path='stacks/web/123/resources',
             query={'nested_depth': '2', 'with_detail': 'true',
                    'type': 'OS::Nova::Server'},
             reply={'resources': []}),
        Case('show_resource', 'show_resource', args=('web/123', 'group'),
             method='GET', path='stacks/web/123/resources/group',
             reply={'resource': {'resource_name': 'group'}}),
        Case('mark_unhealthy', 'mark_unhealthy',
             args=('web/123', 'server-uuid', 'deleted out of band'),
             method='PATCH', path='stacks/web/123/resources/server-uuid',
             body={'mark_unhealthy': True,
                   'resource_status_reason': 'deleted out of band'}),
        Case('mark_healthy', 'mark_unhealthy',
             args=('web/123', 'group'), kwargs={'mark': False},
             method='PATCH', path='stacks/web/123/resources/group',
             body={'mark_unhealthy': False,
                   'resource_status_reason': ''}),
        Case('list_events_filtered', 'list_events', args=('web/123',),
             kwargs={'resource_status': 'FAILED', 'sort_dir': 'desc'},
             method='GET', path='stacks/web/123/events',
             query={'resource_status': 'FAILED', 'sort_dir': 'desc'},
             reply={'events': [{'id': 'e1'}]}),
        Case('list_resource_events', 'list_events',
             args=('web/123', 'group'), kwargs={'limit': 5},
             method='GET', path='stacks/web/123/resources/group/events',
             query={'limit': '5'}, reply={'events': []}),
        Case('list_outputs', 'list_outputs', args=('web/123',),
             method='GET', path='stacks/web/123/outputs',
             reply={'outputs': [{'output_key': 'refs'}]}),
        Case('show_output', 'show_output', args=('web/123', 'refs'),
             method='GET', path='stacks/web/123/outputs/refs',
             reply={'output': {'output_key': 'refs',
                               'output_value': ['a', 'b']}}),
    ]

    def test_lookup_302_without_location_is_an_error(self):
        fake, call = self.run_call(
            base.Case('lookup', 'show_stack', args=('web',)),
            [base.response(302)])
        self.assertRaises(exceptions.InvalidHTTPResponseHeader, call)
        self.assertEqual(1, len(fake.requests))

    def test_stack_identifier_looks_up_only_bare_names(self):
        for given, lookups in (('web', 1), ('web/123', 0)):
            fake, call = self.run_call(
                base.Case('identify', 'stack_identifier', args=(given,)),
                [base.response(200, STACK)])
            self.assertEqual('web/123', call(), given)
            self.assertEqual(lookups, len(fake.requests), given)

    def _deleted(self, *answers):
        fake, call = self.run_call(
            base.Case('deleted', 'is_resource_deleted', args=('web/123',)),
            [base.response(*answer) for answer in answers])
        return call

    def test_a_stack_heat_no_longer_knows_is_deleted(self):
        self.assertTrue(self._deleted((404, {'error': {}}))())

    def test_a_stack_is_deleted_once_delete_complete(self):
        for status, deleted in (('DELETE_IN_PROGRESS', False),
                                ('DELETE_COMPLETE', True)):
            body = {'stack': dict(STACK['stack'], stack_status=status)}
            self.assertEqual(deleted, self._deleted((200, body))(), status)

    def test_delete_failed_ends_the_wait_with_heats_reason(self):
        body = {'stack': dict(STACK['stack'], stack_status='DELETE_FAILED',
                              stack_status_reason='port in use')}
        error = self.assertRaises(exceptions.DeleteErrorException,
                                  self._deleted((200, body)))
        self.assertIn('web/123', str(error))
        self.assertIn('port in use', str(error))

    def test_deletion_waits_name_the_stack(self):
        self.assertEqual('stack', self.make_client().resource_type)
