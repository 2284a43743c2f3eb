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

"""Vitrage client: /v1 paths, POSTed list filters, template loading."""

from self_healing_tempest_plugin.services import rca_client
from unit_tests.services import base

Case = base.Case

TEMPLATE = {'metadata': {'version': 3, 'name': 'host_down',
                         'type': 'standard'},
            'entities': {'host': {'type': 'nova.host'}},
            'scenarios': []}
TEMPLATE_YAML = ('metadata:\n  version: 3\n  name: host_down\n'
                 '  type: standard\n'
                 'entities:\n  host:\n    type: nova.host\n'
                 'scenarios: []\n')
QUERY = {'==': {'vitrage_type': 'nova.host'}}
ADDED = [{'uuid': 'u1', 'name': 'host_down', 'status': 'LOADING'}]
DETAILS = {'hostname': 'compute-1', 'source': 'tempest', 'status': 'down'}


@base.with_cases
class RcaClientTest(base.ClientTestCase):

    client_class = rca_client.RcaClient
    catalog_url = 'https://cloud.example.com:8999'
    path_prefix = '/v1/'

    CASES = [
        Case('show_topology', 'show_topology',
             method='POST', path='topology/',
             body={'graph_type': 'graph', 'all_tenants': False,
                   'query': None, 'root': None, 'depth': None},
             reply={'nodes': [], 'links': []}),
        Case('show_topology_tree_query', 'show_topology',
             kwargs={'graph_type': 'tree', 'all_tenants': True,
                     'query': QUERY},
             method='POST', path='topology/',
             body={'graph_type': 'tree', 'all_tenants': True,
                   'query': '{"==": {"vitrage_type": "nova.host"}}',
                   'root': None, 'depth': None},
             reply={'id': 'openstack.cluster', 'children': []}),
        Case('list_resources', 'list_resources',
             args=('nova.instance',),
             method='POST', path='resources/',
             body={'resource_type': 'nova.instance', 'all_tenants': False,
                   'query': None},
             reply=[{'vitrage_id': 'r1'}]),
        Case('show_resource', 'show_resource', args=('r1',),
             method='GET', path='resources/r1', reply={'vitrage_id': 'r1'}),
        Case('list_alarms', 'list_alarms',
             method='GET', path='alarm/',
             query={'vitrage_id': 'all', 'all_tenants': 'false'},
             reply=[{'vitrage_id': 'a1', 'name': 'Instance Down'}]),
        Case('list_alarms_on_entity', 'list_alarms', args=('r1',),
             kwargs={'all_tenants': True, 'limit': 5},
             method='GET', path='alarm/',
             query={'vitrage_id': 'r1', 'all_tenants': 'true',
                    'limit': '5'},
             reply=[]),
        Case('list_alarm_history', 'list_alarm_history',
             kwargs={'all_tenants': True, 'start': '2026-11-22 09:42:21'},
             method='GET', path='alarm/history',
             query={'all_tenants': 'true', 'start': '2026-11-22 09:42:21'},
             reply=[{'vitrage_id': 'a1', 'end_timestamp': None}]),
        Case('show_alarm', 'show_alarm', args=('a1',),
             method='GET', path='alarm/a1', reply={'vitrage_id': 'a1'}),
        Case('rca', 'rca', args=('a1',),
             method='GET', path='rca/',
             query={'alarm_id': 'a1', 'all_tenants': 'false'},
             reply={'nodes': [], 'links': [], 'inspected_index': 0}),
        Case('list_templates', 'list_templates',
             method='GET', path='template/', reply=ADDED),
        Case('show_template', 'show_template', args=('u1',),
             method='GET', path='template/u1', reply=TEMPLATE),
        Case('add_template_dict', 'add_template', args=(TEMPLATE,),
             method='PUT', path='template/', reply=ADDED,
             body={'templates': [[None, TEMPLATE]], 'template_type': None,
                   'params': None, 'overwrite': False}),
        Case('add_template_yaml', 'add_template', args=(TEMPLATE_YAML,),
             kwargs={'template_type': 'standard', 'name': 'host_down.yaml',
                     'params': {'x': 1}, 'overwrite': True},
             method='PUT', path='template/', reply=ADDED,
             body={'templates': [['host_down.yaml', TEMPLATE]],
                   'template_type': 'standard', 'params': {'x': 1},
                   'overwrite': True}),
        Case('validate_template', 'validate_template',
             args=(TEMPLATE_YAML,),
             method='POST', path='template/',
             body={'templates': [[None, TEMPLATE]], 'template_type': None,
                   'params': None},
             reply={'results': [{'status': 'validation OK'}]}),
        Case('delete_templates', 'delete_template', args=(['u1', 'u2'],),
             method='DELETE', path='template/',
             body={'id': ['u1', 'u2']}),
        Case('post_event', 'post_event',
             args=('compute.host.down', DETAILS),
             kwargs={'time': '2026-01-01T00:00:00Z'},
             method='POST', path='event/',
             body={'type': 'compute.host.down', 'details': DETAILS,
                   'time': '2026-01-01T00:00:00Z'}),
        Case('post_event_server_time', 'post_event',
             args=('compute.host.down', DETAILS),
             method='POST', path='event/',
             body={'type': 'compute.host.down', 'details': DETAILS}),
    ]
