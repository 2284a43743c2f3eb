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

"""The leak inventory: what it lists, what counts as a leak, the command.

HTTP is faked at the client boundary: a session answering each listing
path from a table, or tempest.lib's RestClient.get for the real Session.
"""

import io
import json
import os
from unittest import mock

import fixtures
import testtools

from self_healing_tempest_plugin.cmd import leaks

EMPTY = dict((k[2], {k[3]: []} if k[3] else []) for k in leaks.KINDS)
STACKS = '/stacks?global_tenant=True&show_nested=True'
ALARMS = '/v2/alarms?q.field=all_projects&q.op=eq&q.value=true'
TRAITS = '/traits?name=startswith:CUSTOM_'
TEMPEST_CONF = """[auth]
admin_username = admin
admin_password = secret
admin_project_name = admin
admin_domain_name = Default
[identity]
uri_v3 = http://keystone.example/identity/v3
region = RegionTwo
[self_healing]
rca_catalog_type = root-cause
"""


class FakeSession(object):
    """Answers each listing path from a table; records what was asked."""

    def __init__(self, replies, catalog=None):
        self.replies = replies
        self.catalog = catalog or set(k[1] for k in leaks.KINDS)
        self.asked = []

    def get(self, service, path, headers=None):
        self.asked.append((service, path, headers))
        return self.replies.get(path, EMPTY[path])


class TestInventory(testtools.TestCase):

    def test_every_kind_by_its_own_id_and_label(self):
        sess = FakeSession({
            STACKS: {'stacks': [{'id': 's1', 'stack_name': 'tempest-sh-x'}]},
            ALARMS: [{'alarm_id': 'a1', 'name': 'deleted_alarm'}],
            '/v1/template/': [{'uuid': 't1', 'name': 'sh_evacuate'}],
            TRAITS: {'traits': ['CUSTOM_SH_1']},
        })
        found = leaks.inventory(sess)
        self.assertEqual({'s1': 'tempest-sh-x'}, found['stack'])
        self.assertEqual({'a1': 'deleted_alarm'}, found['alarm'])
        self.assertEqual({'t1': 'sh_evacuate'}, found['vitrage template'])
        self.assertEqual({'CUSTOM_SH_1': 'CUSTOM_SH_1'},
                         found['placement trait'])
        self.assertEqual({}, found['server'])
        self.assertIn(('placement', TRAITS, leaks.PLACEMENT_TRAITS),
                      sess.asked)

    def test_a_service_not_in_the_catalog_is_not_asked(self):
        sess = FakeSession({}, catalog={'compute'})
        found = leaks.inventory(sess)
        self.assertNotIn('stack', found)
        self.assertNotIn('vitrage template', found)
        self.assertIn('server', found)
        self.assertIn('project', found)     # Keystone is always there


class TestNewSince(testtools.TestCase):

    def test_only_what_appeared_is_a_leak(self):
        before = {'stack': {'s0': 'old'}, 'trust': {}}
        after = {'stack': {'s0': 'old', 's1': 'new'}, 'trust': {'t1': 'u1'},
                 'alarm': {}}
        self.assertEqual([('stack', 's1', 'new'), ('trust', 't1', 'u1')],
                         leaks.new_since(before, after))

    def test_what_was_deleted_is_not_a_leak(self):
        self.assertEqual([], leaks.new_since({'stack': {'s0': 'old'}},
                                             {'stack': {}}))

    def test_report_names_each_leak(self):
        lines = leaks.report([('workflow', 'w1', 'sh_evacuate_1')])
        self.assertIn('LEAKED 1', lines[0])
        self.assertEqual('  workflow w1 (sh_evacuate_1)', lines[1])
        self.assertIn('no resource left behind', leaks.report([])[0])

    def test_a_clean_report_claims_only_the_kinds_listed(self):
        line, = leaks.report([], {'stack': {}, 'server': {}})
        self.assertEqual('no resource left behind (server, stack)', line)


class TempDirTest(testtools.TestCase):

    def setUp(self):
        super(TempDirTest, self).setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.stdout = self.useFixture(fixtures.MonkeyPatch(
            'sys.stdout', io.StringIO())).new_value
        self.stderr = self.useFixture(fixtures.MonkeyPatch(
            'sys.stderr', io.StringIO())).new_value

    def path(self, name, text=None):
        path = os.path.join(self.dir, name)
        if text is not None:
            with open(path, 'w') as handle:
                handle.write(text)
        return path


class TestConfig(TempDirTest):

    def test_admin_credentials_and_catalog_types_from_tempest_conf(self):
        conf = leaks.load_config(self.path('tempest.conf', TEMPEST_CONF))
        self.assertEqual('admin', conf.auth.admin_username)
        self.assertEqual('RegionTwo', conf.identity.region)
        types = leaks.catalog_types(conf)
        self.assertEqual('root-cause', types['rca'])
        self.assertEqual('orchestration', types['orchestration'])
        self.assertEqual('workflowv2', types['workflow'])

    def test_missing_admin_credentials_are_named(self):
        path = self.path('tempest.conf', '[identity]\nuri_v3 = http://k/v3\n')
        error = self.assertRaises(ValueError, leaks.load_config, path)
        self.assertIn(path, str(error))
        self.assertIn('[auth] admin_username', str(error))
        self.assertIn('[auth] admin_password', str(error))

    def test_a_missing_file_is_named(self):
        path = self.path('absent.conf')
        error = self.assertRaises(ValueError, leaks.load_config, path)
        self.assertIn(path, str(error))


class FakeAuthProvider(object):

    def __init__(self, types):
        self.types = types

    def get_auth(self):
        return 'token', {'catalog': [{'type': t} for t in self.types]}


class TestSession(testtools.TestCase):

    def session(self, offered):
        types = {'identity': 'identity', 'compute': 'compute',
                 'rca': 'root-cause', 'orchestration': 'orchestration'}
        return leaks.Session(FakeAuthProvider(offered), types, 'RegionOne',
                             'publicURL')

    def test_catalog_holds_the_services_the_cloud_offers(self):
        sess = self.session(['identity', 'compute', 'root-cause'])
        self.assertEqual({'identity', 'compute', 'rca'}, sess.catalog)

    def test_get_sends_relative_paths_and_the_extra_headers(self):
        sess = self.session(['identity', 'placement'])
        sess.types['placement'] = 'placement'
        with mock.patch.object(leaks.rest_client.RestClient, 'get',
                               return_value=({}, '{"traits": []}')) as get:
            reply = sess.get('placement', TRAITS,
                             headers=leaks.PLACEMENT_TRAITS)
        self.assertEqual({'traits': []}, reply)
        path, = get.call_args[0]
        self.assertEqual(TRAITS.lstrip('/'), path)
        headers = get.call_args[1]['headers']
        self.assertEqual('placement 1.6', headers['OpenStack-API-Version'])
        self.assertEqual('application/json', headers['Accept'])

    def test_identity_is_asked_for_its_v3_api(self):
        sess = self.session(['identity'])
        self.assertEqual('v3', sess.client('identity').api_version)
        self.assertIsNone(sess.client('compute').api_version)


class TestCommand(TempDirTest):

    def run_main(self, argv, replies):
        sess = FakeSession(replies)
        return leaks.main(['--config-file', 'tempest.conf'] + argv,
                          session_factory=lambda path: sess)

    def test_snapshot_then_compare_finds_the_new_stack(self):
        before = self.path('before.json')
        self.assertEqual(0, self.run_main(
            ['snapshot', '--output', before], {}))
        with open(before) as handle:
            self.assertEqual({}, json.load(handle)['stack'])
        after = self.path('after.json')
        rc = self.run_main(
            ['compare', '--before', before, '--output', after],
            {STACKS: {'stacks': [{'id': 's1', 'stack_name': 'sh-left'}]}})
        self.assertEqual(1, rc)
        self.assertIn('  stack s1 (sh-left)', self.stdout.getvalue())
        with open(after) as handle:
            self.assertEqual({'s1': 'sh-left'}, json.load(handle)['stack'])

    def test_compare_with_nothing_new_passes(self):
        before = self.path('before.json')
        self.run_main(['snapshot', '--output', before], {})
        self.assertEqual(0, self.run_main(['compare', '--before', before],
                                          {}))
        self.assertIn('no resource left behind', self.stdout.getvalue())

    def test_compare_without_a_snapshot_names_the_file(self):
        missing = self.path('never-taken.json')
        self.assertEqual(2, self.run_main(['compare', '--before', missing],
                                          {}))
        self.assertIn(missing, self.stderr.getvalue())
        self.assertIn('snapshot', self.stderr.getvalue())

    def test_an_unreadable_cloud_is_an_error_not_a_pass(self):
        def factory(path):
            raise OSError('connection refused')
        rc = leaks.main(['--config-file', 'tempest.conf', 'snapshot',
                         '--output', self.path('x.json')],
                        session_factory=factory)
        self.assertEqual(2, rc)
        self.assertIn('connection refused', self.stderr.getvalue())
