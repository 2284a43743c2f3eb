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

"""A group template as users write it: members found whatever its outputs.

The upstream heat-templates autohealing group names its members' output
``server_ids``. The scenario may name that output; without it, a template
with no ``member_ids`` output has its members read from Heat's resources.
Heat answers through the real client over a fake HTTP layer; Nova's
server list is faked at its client.
"""

import urllib.parse

from unittest import mock

import testtools

from self_healing_tempest_plugin.flows import heat_stack
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.services import orchestration_client
from unit_tests.services import base as http

STACK = 'group/123'
# The shape of heat-templates' hot/autohealing group: its own output name.
UPSTREAM_TEMPLATE = {
    'heat_template_version': '2016-10-14',
    'resources': {'asg': {'type': 'OS::Heat::AutoScalingGroup'}},
    'outputs': {'server_ids': {'value': {'get_attr': ['asg', 'refs']}}},
}
OWN_TEMPLATE = {
    'heat_template_version': '2021-04-16',
    'outputs': {'member_ids': {'value': {'get_attr': ['group', 'refs']}}},
}


class RoutedHttp(object):
    """Answers each (method, path) from a table; records the paths."""

    def __init__(self, routes):
        self.routes = routes
        self.paths = []

    def request(self, url, method, headers=None, body=None, **kwargs):
        path = urllib.parse.urlsplit(url).path
        self.paths.append(path)
        return http.response(200, self.routes[(method, path)])


class Scenario(object):
    """The artifacts of a scenario naming (or not) its members output."""

    def __init__(self, members_output=None):
        artifact = {'path': '/nowhere/group.yaml'}
        if members_output:
            artifact['members_output'] = members_output
        self.artifacts = {'heat_template': artifact}


def server(server_id, host='host1'):
    return {'id': server_id, 'status': 'ACTIVE', 'updated': '2026-12-01',
            'OS-EXT-SRV-ATTR:host': host}


class MembersTest(testtools.TestCase):

    def setUp(self):
        super(MembersTest, self).setUp()
        prefix = '/heat/v1/tenant/stacks/group/123'
        self.http = RoutedHttp({
            ('GET', prefix): {'stack': {
                'stack_name': 'group', 'id': '123',
                'stack_status': 'CREATE_COMPLETE',
                'outputs': [{'output_key': 'server_ids',
                             'output_value': ['s1', 's2']}]}},
            ('GET', prefix + '/resources'): {'resources': [
                {'resource_name': 'server', 'resource_type':
                 heat_stack.SERVER_TYPE, 'physical_resource_id': 's1'},
                {'resource_name': 'server', 'resource_type':
                 heat_stack.SERVER_TYPE, 'physical_resource_id': 's2'}]},
        })
        client = orchestration_client.OrchestrationClient(
            http.FakeAuthProvider('https://cloud/heat/v1/tenant'),
            'orchestration', 'RegionOne')
        self.patch(client.http_obj, 'request', self.http.request)
        self.test = mock.Mock()
        self.test.orchestration_client = client
        self.test.admin_servers_client.list_servers.return_value = {
            'servers': [server('s1'), server('s2'), server('new')]}
        self.deployer = heat_stack.HeatGroupDeployer(self.test)

    def state(self, scenario, template):
        members = heat_stack.Members.of(scenario, template)
        return members, self.deployer.group_state(STACK, members)()

    def test_the_output_the_scenario_names(self):
        members, state = self.state(Scenario('server_ids'),
                                    UPSTREAM_TEMPLATE)
        self.assertEqual('server_ids', members.output_key)
        # The group's two, then the project's server Heat does not list.
        self.assertEqual(['s1', 's2', 'new'], [m.id for m in state.members])
        self.assertEqual(2, heat_stack.HeatGroupDeployer.group_calls(
            members))
        self.assertFalse([p for p in self.http.paths
                          if p.endswith('/resources')], self.http.paths)

    def test_without_member_ids_heats_resources(self):
        members, state = self.state(Scenario(), UPSTREAM_TEMPLATE)
        self.assertIsNone(members.output_key)
        self.assertEqual(['s1', 's2', 'new'], [m.id for m in state.members])
        self.assertEqual(3, heat_stack.HeatGroupDeployer.group_calls(
            members))
        listed = [p for p in self.http.paths if p.endswith('/resources')]
        self.assertEqual(1, len(listed), self.http.paths)

    def test_this_projects_templates_read_member_ids(self):
        members = heat_stack.Members.of(Scenario(), OWN_TEMPLATE)
        self.assertEqual('member_ids', members.output_key)

    def test_a_missing_output_is_named(self):
        members = heat_stack.Members('member_ids')
        error = self.assertRaises(AssertionError,
                                  self.deployer.group_state(STACK, members))
        self.assertIn('member_ids', str(error))
        self.assertIn('server_ids', str(error))

    def test_members_gone_from_nova_are_deleted(self):
        self.test.admin_servers_client.list_servers.return_value = {
            'servers': [server('s2')]}
        _, state = self.state(Scenario('server_ids'), UPSTREAM_TEMPLATE)
        self.assertEqual([('s1', sp.GONE), ('s2', 'ACTIVE')],
                         [(m.id, m.status) for m in state.members])
