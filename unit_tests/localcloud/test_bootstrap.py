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

import urllib.parse

import testtools

from localcloud import bootstrap
from localcloud import layout


class FakeKeystone:
    """Users by (name, domain id); revokes the admin's token on PATCH."""

    def __init__(self, users, revoked_tokens_before_accepted=1):
        self.users = users
        self.patched = []
        self.authentications = 0
        self.token_valid = True
        self.bad_tokens_left = revoked_tokens_before_accepted

    def get(self, service, path):
        base, _, query = path.partition('?')
        params = dict(urllib.parse.parse_qsl(query))
        if base == '/domains':
            return {'domains': [{'id': 'd-heat'}]
                    if params.get('name') == 'heat' else []}
        key = (params['name'], params.get('domain_id'))
        return {'users': [{'id': self.users[key]}]
                if key in self.users else []}

    def request(self, method, service, path, body=None, expect=()):
        if method == 'PATCH':
            self.patched.append((path, body))
            if path.endswith('/u-admin'):
                self.token_valid = False
            return 200, {}
        return (200 if self.token_valid else 401), {}

    def authenticate(self):
        self.authentications += 1
        # Keystone compares revocations by the second: the first token
        # after the change may still be refused.
        if self.bad_tokens_left:
            self.bad_tokens_left -= 1
        else:
            self.token_valid = True


class TestRehashPasswords(testtools.TestCase):

    def test_every_user_of_the_tool_admin_last_then_a_working_token(self):
        users = dict(((name, 'default'), 'u-' + name)
                     for name in bootstrap.service_users())
        users[(bootstrap.MONITOR_USER, 'default')] = 'u-monitor'
        users[('heat_domain_admin', 'd-heat')] = 'u-hda'
        users[('admin', 'default')] = 'u-admin'
        sess = FakeKeystone(users)
        done = bootstrap.rehash_passwords(sess)
        self.assertEqual(len(users), len(done))
        self.assertEqual('admin', done[-1])
        self.assertEqual('/users/u-admin', sess.patched[-1][0])
        self.assertEqual({'user': {'password': layout.PASSWORD}},
                         sess.patched[0][1])
        self.assertTrue(sess.token_valid)
        self.assertEqual(2, sess.authentications)

    def test_a_user_that_does_not_exist_is_skipped(self):
        sess = FakeKeystone({('admin', 'default'): 'u-admin'},
                            revoked_tokens_before_accepted=0)
        self.assertEqual(['admin'], bootstrap.rehash_passwords(sess))
