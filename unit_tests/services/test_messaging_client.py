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

"""Zaqar client: /v2 paths, a Client-ID on every request, bodies."""

import uuid

from self_healing_tempest_plugin.services import messaging_client
from unit_tests.services import base

Case = base.Case

CLIENT_ID = '3381af92-2b9e-11e3-b191-71861300734c'
SUBSCRIBER = 'trust+http://cloud.example.com/workflow/v2/executions'


@base.with_cases
class MessagingClientTest(base.ClientTestCase):

    client_class = messaging_client.MessagingClient
    catalog_url = 'https://cloud.example.com:8888'
    path_prefix = '/v2/'
    common_headers = {'Client-ID': CLIENT_ID}

    def make_client(self):
        return self.client_class(base.FakeAuthProvider(self.catalog_url),
                                 'messaging', 'RegionOne',
                                 client_id=CLIENT_ID)

    CASES = [
        Case('create_queue', 'create_queue', args=('heal-q',),
             method='PUT', path='queues/heal-q', status=201, body={},
             expected=[201, 204]),
        Case('create_queue_existing', 'create_queue', args=('heal-q',),
             kwargs={'metadata': {'_default_message_ttl': 300}},
             method='PUT', path='queues/heal-q', status=204,
             body={'_default_message_ttl': 300}, expected=[201, 204]),
        Case('delete_queue', 'delete_queue', args=('heal-q',),
             method='DELETE', path='queues/heal-q', status=204),
        Case('list_queues', 'list_queues', kwargs={'limit': 5},
             method='GET', path='queues', query={'limit': '5'},
             reply={'queues': [{'name': 'heal-q'}], 'links': []}),
        Case('show_queue_stats', 'show_queue_stats', args=('heal-q',),
             method='GET', path='queues/heal-q/stats',
             reply={'messages': {'claimed': 0, 'free': 1, 'total': 1}}),
        Case('post_messages', 'post_messages',
             args=('heal-q', [{'ttl': 300, 'body': {'event': 'x'}}]),
             method='POST', path='queues/heal-q/messages', status=201,
             body={'messages': [{'ttl': 300, 'body': {'event': 'x'}}]},
             reply={'resources': ['/v2/queues/heal-q/messages/m1']}),
        Case('list_messages', 'list_messages', args=('heal-q',),
             method='GET', path='queues/heal-q/messages',
             query={'echo': 'true', 'include_claimed': 'true'},
             reply={'messages': [{'id': 'm1', 'body': {}}], 'links': []}),
        Case('list_messages_others_only', 'list_messages',
             args=('heal-q',),
             kwargs={'echo': False, 'include_claimed': False, 'limit': 10},
             method='GET', path='queues/heal-q/messages',
             query={'echo': 'false', 'include_claimed': 'false',
                    'limit': '10'},
             reply={'messages': [], 'links': []}),
        Case('create_subscription', 'create_subscription',
             args=('heal-q', SUBSCRIBER),
             kwargs={'ttl': 3600,
                     'options': {'post_data': {'workflow_id': 'w1'}}},
             method='POST', path='queues/heal-q/subscriptions', status=201,
             body={'subscriber': SUBSCRIBER, 'ttl': 3600,
                   'options': {'post_data': {'workflow_id': 'w1'}}},
             reply={'subscription_id': 's1'}),
        Case('create_subscription_default_ttl', 'create_subscription',
             args=('heal-q', SUBSCRIBER),
             method='POST', path='queues/heal-q/subscriptions', status=201,
             body={'subscriber': SUBSCRIBER, 'options': {}},
             reply={'subscription_id': 's1'}),
        Case('list_subscriptions', 'list_subscriptions', args=('heal-q',),
             method='GET', path='queues/heal-q/subscriptions',
             reply={'subscriptions': [{'id': 's1'}], 'links': []}),
        Case('delete_subscription', 'delete_subscription',
             args=('heal-q', 's1'),
             method='DELETE', path='queues/heal-q/subscriptions/s1',
             status=204),
    ]

    def test_client_id_is_a_fresh_uuid_per_client(self):
        provider = base.FakeAuthProvider(self.catalog_url)
        first = self.client_class(provider, 'messaging', 'RegionOne')
        second = self.client_class(provider, 'messaging', 'RegionOne')
        self.assertEqual(first.client_id,
                         str(uuid.UUID(first.client_id)))
        self.assertNotEqual(first.client_id, second.client_id)
        self.assertEqual(first.client_id,
                         first.get_headers()['Client-ID'])
