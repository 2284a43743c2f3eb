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

"""Mistral client: YAML as text/plain, JSON-string execution fields."""

from self_healing_tempest_plugin.services import workflow_client
from unit_tests.services import base

Case = base.Case

DEFINITION = 'version: "2.0"\nheal:\n  tasks:\n    mark: {}\n'
WORKFLOW_ID = '1d4ad1c6-4a33-4b2c-9d3c-8a1d2f4b7e10'
EXECUTION = {'id': 'e1', 'state': 'RUNNING', 'input': '{}'}
TEXT_HEADERS = {'Content-Type': 'text/plain', 'Accept': '*/*'}


@base.with_cases
class WorkflowClientTest(base.ClientTestCase):

    client_class = workflow_client.WorkflowClient
    catalog_url = 'https://cloud.example.com/workflow/v2'
    path_prefix = '/workflow/v2/'

    CASES = [
        Case('create_workflows', 'create_workflows', args=(DEFINITION,),
             method='POST', path='workflows', status=201,
             query={'scope': 'private'}, body=DEFINITION, raw=True,
             headers=TEXT_HEADERS,
             reply={'workflows': [{'id': WORKFLOW_ID, 'name': 'heal'}]}),
        Case('create_public_workflows', 'create_workflows',
             args=(DEFINITION,),
             kwargs={'scope': 'public', 'namespace': 'sh'},
             method='POST', path='workflows', status=201,
             query={'scope': 'public', 'namespace': 'sh'},
             body=DEFINITION, raw=True, headers=TEXT_HEADERS,
             reply={'workflows': []}),
        Case('list_workflows', 'list_workflows', kwargs={'name': 'heal'},
             method='GET', path='workflows', query={'name': 'heal'},
             reply={'workflows': [{'name': 'heal'}]}),
        Case('show_workflow', 'show_workflow', args=('heal',),
             method='GET', path='workflows/heal', reply={'name': 'heal'}),
        Case('delete_workflow', 'delete_workflow', args=(WORKFLOW_ID,),
             method='DELETE', path='workflows/' + WORKFLOW_ID, status=204),
        Case('create_execution_by_name', 'create_execution',
             args=('heal',), kwargs={'input': {'stack_id': 's1'}},
             method='POST', path='executions', status=201, reply=EXECUTION,
             body={'workflow_name': 'heal', 'input': '{"stack_id": "s1"}',
                   'params': '{}'}),
        Case('create_execution_by_id', 'create_execution',
             args=(WORKFLOW_ID,),
             kwargs={'params': {'env': {'notification': 'n'}},
                     'description': 'manual heal'},
             method='POST', path='executions', status=201, reply=EXECUTION,
             body={'workflow_id': WORKFLOW_ID, 'input': '{}',
                   'params': '{"env": {"notification": "n"}}',
                   'description': 'manual heal'}),
        Case('show_execution', 'show_execution', args=('e1',),
             method='GET', path='executions/e1', reply=EXECUTION),
        Case('list_executions', 'list_executions',
             method='GET', path='executions', reply={'executions': []}),
        Case('list_executions_of_workflow', 'list_executions',
             args=('heal',), kwargs={'state': 'ERROR'},
             method='GET', path='executions',
             query={'workflow_name': 'heal', 'state': 'ERROR'},
             reply={'executions': [EXECUTION]}),
        Case('delete_execution', 'delete_execution', args=('e1',),
             method='DELETE', path='executions/e1', status=204),
        Case('delete_running_execution', 'delete_execution', args=('e1',),
             kwargs={'force': True},
             method='DELETE', path='executions/e1', status=204,
             query={'force': 'true'}),
        Case('list_tasks', 'list_tasks', args=('e1',),
             method='GET', path='executions/e1/tasks',
             reply={'tasks': [{'id': 't1', 'state': 'SUCCESS'}]}),
        Case('show_task', 'show_task', args=('t1',),
             method='GET', path='tasks/t1', reply={'id': 't1'}),
    ]

    def test_an_execution_is_deleted_once_mistral_says_404(self):
        for status, deleted in ((200, False), (404, True)):
            fake, call = self.run_call(
                base.Case('deleted', 'is_resource_deleted', args=('e1',)),
                [base.response(status, EXECUTION)])
            self.assertEqual(deleted, call(), status)
            self.assertEqual('GET', fake.requests[0]['method'])
        self.assertEqual('execution', self.make_client().resource_type)
