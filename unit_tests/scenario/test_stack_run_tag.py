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

"""A scenario's stack carries its run's tag: name, tags and parameter.

Heat answers through the real client over a fake HTTP layer; the run
registry is faked at ``current``.
"""

import json
import os
from unittest import mock
import urllib.parse

import testtools

from self_healing_tempest_plugin.common import waiters
from self_healing_tempest_plugin.flows import heat_stack
from self_healing_tempest_plugin.harness import run_tags
from self_healing_tempest_plugin.services import orchestration_client
from unit_tests.services import base as http

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TAG = 'shtp-0123456789ab'


class FakeHeat(object):
    """Creates one stack and shows it CREATE_COMPLETE; keeps the POST."""

    def __init__(self):
        self.created = None

    def request(self, url, method, headers=None, body=None, **kwargs):
        path = urllib.parse.urlsplit(url).path
        if method == 'POST':
            self.created = json.loads(body)
            return http.response(201, {'stack': {'id': 'st1'}})
        name = urllib.parse.unquote(path.split('/')[-2])
        return http.response(200, {'stack': {
            'stack_name': name, 'id': 'st1',
            'stack_status': 'CREATE_COMPLETE', 'outputs': []}})


class Scenario(object):
    name = 'autoheal_delete_member'
    artifacts = {}

    @staticmethod
    def artifact(key):
        return os.path.join(ROOT, 'scenarios', 'autoheal', 'group.yaml')

    @staticmethod
    def heat_parameters():
        return {}


class StackRunTagTest(testtools.TestCase):

    def setUp(self):
        super(StackRunTagTest, self).setUp()
        registry = mock.Mock()
        registry.current.return_value = mock.Mock(id='0123456789ab')
        self.patch(run_tags, 'run_registry', lambda: registry)
        conf = mock.Mock()
        conf.self_healing.fault_journal_dir = '/journal'
        conf.self_healing.run_tag_prefix = 'shtp'
        self.patch(heat_stack, 'CONF', conf)
        self.heat = FakeHeat()
        client = orchestration_client.OrchestrationClient(
            http.FakeAuthProvider('https://cloud/heat/v1/tenant'),
            'orchestration', 'RegionOne')
        self.patch(client.http_obj, 'request', self.heat.request)
        self.test = mock.Mock()
        self.test.orchestration_client = client
        self.test.waiter = lambda timeout: waiters.Waiter(1.0, 10)
        self.deployer = heat_stack.HeatGroupDeployer(self.test)

    def test_the_stack_is_named_and_tagged_and_given_the_tag(self):
        bounds = mock.Mock(max_size=4)
        target = mock.Mock(min_size=1, desired=2)
        stack, _ = self.deployer.deploy(
            Scenario(), self.deployer.offered_parameters(bounds, target))
        sent = self.heat.created
        self.assertEqual(TAG, sent['tags'])
        self.assertTrue(sent['stack_name'].startswith(
            TAG + '-sh-autoheal-delete-member-'), sent['stack_name'])
        self.assertEqual('0123456789ab',
                         run_tags.parse(sent['stack_name'], 'shtp'))
        # The template declares run_tag: its servers' metadata.
        self.assertEqual(TAG, sent['parameters']['run_tag'])
        self.assertEqual('%s/st1' % sent['stack_name'], stack)
