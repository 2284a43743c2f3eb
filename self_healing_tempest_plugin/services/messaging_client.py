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

"""Zaqar (messaging v2) client: queues, messages and subscriptions."""

import uuid

from self_healing_tempest_plugin.services import base


class MessagingClient(base.JsonRestClient):
    """Every request carries the Client-ID header Zaqar v2 requires.

    One id per client instance: Zaqar hides a client's own messages from
    it unless echo=true, so a test that posts and lists with one client
    must ask for echo (list_messages does by default).
    """

    api_version = 'v2'

    def __init__(self, auth_provider, service, region, client_id=None,
                 **kwargs):
        super(MessagingClient, self).__init__(auth_provider, service, region,
                                              **kwargs)
        self.client_id = client_id or str(uuid.uuid4())

    def get_headers(self, accept_type=None, send_type=None):
        headers = super(MessagingClient, self).get_headers(accept_type,
                                                           send_type)
        headers['Client-ID'] = self.client_id
        return headers

    def create_queue(self, queue_name, metadata=None):
        """Create a queue: 201, or 204 when it already exists."""
        return self.put_json(self._queue(queue_name), metadata or {},
                             [201, 204])

    def delete_queue(self, queue_name):
        return self.delete_json(self._queue(queue_name), 204)

    def list_queues(self, **params):
        """List queues (params: limit, marker, detailed, with_count)."""
        return self.get_json('queues', params=params)

    def show_queue_stats(self, queue_name):
        """Message counts (claimed, free, total) of a queue."""
        return self.get_json(self._queue(queue_name) + '/stats')

    def post_messages(self, queue_name, messages):
        """Post messages, each a dict with 'body' and optional 'ttl'."""
        return self.post_json(self._queue(queue_name) + '/messages',
                              {'messages': list(messages)}, 201)

    def list_messages(self, queue_name, echo=True, include_claimed=True,
                      **params):
        """List messages; by default also ours and the claimed ones.

        The healing path claims nothing but the Aodh notifier posts with its
        own Client-ID, so echo only matters for messages this client posted.
        """
        params.update(echo=echo, include_claimed=include_claimed)
        return self.get_json(self._queue(queue_name) + '/messages',
                             params=params)

    def create_subscription(self, queue_name, subscriber, ttl=None,
                            options=None):
        """Subscribe e.g. 'trust+http://mistral/v2/executions' to a queue."""
        body = {'subscriber': subscriber, 'options': options or {}}
        if ttl is not None:
            body['ttl'] = ttl
        return self.post_json(self._queue(queue_name) + '/subscriptions',
                              body, 201)

    def list_subscriptions(self, queue_name, **params):
        return self.get_json(self._queue(queue_name) + '/subscriptions',
                             params=params)

    def delete_subscription(self, queue_name, subscription_id):
        return self.delete_json('%s/subscriptions/%s' % (
            self._queue(queue_name), base.quote(subscription_id)), 204)

    @staticmethod
    def _queue(queue_name):
        return 'queues/%s' % base.quote(queue_name)
