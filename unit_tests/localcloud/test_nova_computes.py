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

"""The compute hosts a kill test finds down, and their un-forcing."""
import testtools

from localcloud.lib import nova


class FakeSession(object):
    """The API client's boundary: the replies Nova would give."""

    def __init__(self, services):
        self.services = services
        self.requests = []

    def get(self, service_type, path, headers=None):
        self.requests.append(('GET', path, None, headers))
        return {'services': self.services}

    def request(self, method, service_type, path, body=None, headers=None):
        self.requests.append((method, path, body, headers))
        return 200, {}


class TestComputes(testtools.TestCase):

    def test_a_host_down_or_forced_down_is_named(self):
        sess = FakeSession([
            {'id': 's1', 'host': 'host1', 'state': 'down',
             'forced_down': True},
            {'id': 's2', 'host': 'host2', 'state': 'up',
             'forced_down': False}])
        self.assertEqual(['host1'], list(nova.computes_not_up(sess)))
        self.assertEqual('compute 2.53',
                         sess.requests[0][3]['OpenStack-API-Version'])

    def test_a_host_nova_does_not_list_is_down(self):
        sess = FakeSession([{'id': 's2', 'host': 'host2', 'state': 'up',
                             'forced_down': False}])
        self.assertEqual({'host1': {}}, nova.computes_not_up(sess))

    def test_every_host_up_is_none_down(self):
        sess = FakeSession([
            {'id': 's%d' % n, 'host': h, 'state': 'up', 'forced_down': False}
            for n, h in enumerate(('host1', 'host2'))])
        self.assertEqual({}, nova.computes_not_up(sess))

    def test_clear_forced_down_puts_the_service(self):
        sess = FakeSession([])
        nova.clear_forced_down(sess, {'id': 's1', 'host': 'host1'})
        method, path, body, headers = sess.requests[0]
        self.assertEqual(('PUT', '/os-services/s1', {'forced_down': False}),
                         (method, path, body))
        self.assertEqual('compute 2.53', headers['OpenStack-API-Version'])
