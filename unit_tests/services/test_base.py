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

"""The JSON client base: query strings and how bodies come back."""

import urllib.parse

from tempest.lib.common import rest_client
import testtools

from self_healing_tempest_plugin import services
from self_healing_tempest_plugin.services import base as services_base
from unit_tests.services import base


class QueryStringTest(testtools.TestCase):

    def test_empty_params_give_no_query(self):
        self.assertEqual('', services_base.query_string(None))
        self.assertEqual('', services_base.query_string({'a': None}))

    def test_none_dropped_bools_lowercase_lists_repeated(self):
        query = services_base.query_string(
            [('a', None), ('b', True), ('c', False), ('d', ['x', 'y z']),
             ('e', 3)])
        self.assertEqual('?b=true&c=false&d=x&d=y+z&e=3', query)

    def test_path_segments_are_fully_quoted(self):
        self.assertEqual('a%2Fb%20c%3A1', services_base.quote('a/b c:1'))


class ParseBodyTest(testtools.TestCase):

    def parse(self, text):
        resp = base.FakeResponse(200)
        result = services_base.parse_body(resp, text)
        self.assertIs(resp, result.response)
        return result

    def test_object_is_a_response_body(self):
        result = self.parse(b'{"stack": {"id": "1"}}')
        self.assertIsInstance(result, rest_client.ResponseBody)
        self.assertEqual({'stack': {'id': '1'}}, result)

    def test_list_is_a_response_body_list(self):
        result = self.parse(b'[{"alarm_id": "a1"}]')
        self.assertIsInstance(result, rest_client.ResponseBodyList)
        self.assertEqual([{'alarm_id': 'a1'}], result)

    def test_bare_json_string_is_data(self):
        result = self.parse(b'"alarm"')
        self.assertIsInstance(result, rest_client.ResponseBodyData)
        self.assertEqual('alarm', result.data)

    def test_text_is_data(self):
        result = self.parse('202 Accepted')
        self.assertEqual('202 Accepted', result.data)

    def test_empty_and_null_are_empty_bodies(self):
        self.assertEqual({}, self.parse(b''))
        self.assertEqual({}, self.parse(b'null'))


class ExportsTest(testtools.TestCase):

    def test_every_client_is_a_rest_client_of_the_package(self):
        for name in services.__all__:
            client = getattr(services, name)
            self.assertTrue(issubclass(client, rest_client.RestClient), name)
            self.assertTrue(client.__module__.startswith(
                'self_healing_tempest_plugin.services.'), name)

    def test_versioned_services_add_their_version_to_the_catalog_url(self):
        versions = {'AlarmingClient': '/v2', 'MessagingClient': '/v2',
                    'WorkflowClient': '/v2', 'RcaClient': '/v1',
                    'OrchestrationClient': '', 'MetricClient': '/v1'}
        self.assertEqual(sorted(versions), sorted(services.__all__))
        for name, version in versions.items():
            client = getattr(services, name)(
                base.FakeAuthProvider('https://cloud.example.com:1234'),
                'svc', 'RegionOne')
            self.assertEqual(
                version, urllib.parse.urlsplit(client.base_url).path, name)
