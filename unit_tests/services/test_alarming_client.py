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

"""Aodh client: /v2 paths, WSME q.* queries, bare-string alarm states."""

from self_healing_tempest_plugin.services import alarming_client
from unit_tests.services import base

Case = base.Case

ALARM = {'alarm_id': 'a1', 'name': 'member-deleted', 'type': 'event',
         'state': 'insufficient data'}
EVENT_RULE = {'event_type': 'compute.instance.delete.*',
              'query': [{'field': 'traits.instance_id', 'op': 'eq',
                         'value': 'srv-1', 'type': 'string'}]}


@base.with_cases
class AlarmingClientTest(base.ClientTestCase):

    client_class = alarming_client.AlarmingClient
    catalog_url = 'https://cloud.example.com:8042'
    path_prefix = '/v2/'

    CASES = [
        Case('list_alarms', 'list_alarms',
             method='GET', path='alarms', reply=[ALARM]),
        Case('list_alarms_by_name', 'list_alarms',
             kwargs={'name': 'member-deleted'},
             method='GET', path='alarms',
             query={'q.field': 'name', 'q.op': 'eq',
                    'q.value': 'member-deleted'},
             reply=[ALARM]),
        Case('list_alarms_query_sort_limit', 'list_alarms',
             kwargs={'query': [('type', 'eq', 'event'),
                               {'field': 'enabled', 'value': True}],
                     'sort': ['name:asc'], 'limit': 10},
             method='GET', path='alarms',
             query={'q.field': ['type', 'enabled'],
                    'q.op': ['eq', 'eq'],
                    'q.value': ['event', 'true'],
                    'sort': 'name:asc', 'limit': '10'},
             reply=[]),
        Case('show_alarm', 'show_alarm', args=('a1',),
             method='GET', path='alarms/a1', reply=ALARM),
        Case('create_alarm', 'create_alarm',
             kwargs={'name': 'member-deleted', 'type': 'event',
                     'event_rule': EVENT_RULE,
                     'alarm_actions': ['trust+zaqar://?queue_name=q1']},
             method='POST', path='alarms', status=201, reply=ALARM,
             body={'name': 'member-deleted', 'type': 'event',
                   'event_rule': EVENT_RULE,
                   'alarm_actions': ['trust+zaqar://?queue_name=q1']}),
        Case('update_alarm', 'update_alarm', args=('a1',),
             kwargs={'name': 'member-deleted', 'type': 'event',
                     'enabled': False, 'event_rule': EVENT_RULE},
             method='PUT', path='alarms/a1', reply=ALARM,
             body={'name': 'member-deleted', 'type': 'event',
                   'enabled': False, 'event_rule': EVENT_RULE}),
        Case('delete_alarm', 'delete_alarm', args=('a1',),
             method='DELETE', path='alarms/a1', status=204),
        Case('show_alarm_state', 'show_alarm_state', args=('a1',),
             method='GET', path='alarms/a1/state', reply='ok'),
        Case('set_alarm_state', 'set_alarm_state', args=('a1', 'alarm'),
             method='PUT', path='alarms/a1/state', body='alarm',
             reply='alarm'),
        Case('alarm_history', 'alarm_history', args=('a1',),
             method='GET', path='alarms/a1/history',
             reply=[{'type': 'creation'}]),
        Case('alarm_history_query', 'alarm_history', args=('a1',),
             kwargs={'type': 'state transition'},
             method='GET', path='alarms/a1/history',
             query={'q.field': 'type', 'q.op': 'eq',
                    'q.value': 'state transition'},
             reply=[{'type': 'state transition'}]),
        Case('query_alarm_history', 'query_alarm_history',
             kwargs={'filter_expr': {'in': {'alarm_id': ['a1', 'a2']}},
                     'orderby': [{'timestamp': 'asc'}], 'limit': 5},
             method='POST', path='query/alarms/history',
             body={'filter': '{"in": {"alarm_id": ["a1", "a2"]}}',
                   'orderby': '[{"timestamp": "asc"}]', 'limit': 5},
             reply=[{'type': 'state transition', 'alarm_id': 'a2'}]),
    ]


@base.with_cases
class AlarmingClientPathTest(base.ClientTestCase):
    """Behind a path (devstack's /alarming) /v2 goes after it."""

    client_class = alarming_client.AlarmingClient
    catalog_url = 'https://cloud.example.com/alarming'
    path_prefix = '/alarming/v2/'

    CASES = [
        Case('show_alarm', 'show_alarm', args=('a 1',),
             method='GET', path='alarms/a%201', reply=ALARM),
    ]

    def test_an_alarm_is_deleted_once_aodh_says_404(self):
        for status, deleted in ((200, False), (404, True)):
            fake, call = self.run_call(
                base.Case('deleted', 'is_resource_deleted', args=('a1',)),
                [base.response(status, ALARM)])
            self.assertEqual(deleted, call(), status)
            self.assertTrue(fake.requests[0]['url'].endswith('/alarms/a1'))
        self.assertEqual('alarm', self.make_client().resource_type)
