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

"""The dynamic-credential projects carry the run tag.

Keystone's project tags client is faked at its boundary, the run registry
at ``current``.
"""

from unittest import mock

import testtools

from self_healing_tempest_plugin.harness import run_tags
from self_healing_tempest_plugin.tests import base


def manager(project_id, tags_client=None):
    return mock.Mock(credentials=mock.Mock(project_id=project_id),
                     project_tags_client=tags_client)


class TagCredentialProjectsTest(testtools.TestCase):

    def setUp(self):
        super(TagCredentialProjectsTest, self).setUp()
        registry = mock.Mock()
        registry.current.return_value = mock.Mock(id='0123456789ab')
        self.patch(run_tags, 'run_registry', lambda: registry)
        self.conf = mock.Mock()
        self.conf.self_healing.fault_journal_dir = '/journal'
        self.conf.self_healing.run_tag_prefix = 'shtp'
        self.patch(base, 'CONF', self.conf)
        self.tags = mock.Mock()

        class Test(base.BaseSelfHealingTest):
            credentials = ['primary', 'admin', 'alt', ['owner', 'member']]
        Test.os_primary = manager('p1')
        Test.os_admin = manager('p2', self.tags)
        Test.os_alt = manager('p1')
        Test.os_owner = manager('p3')
        self.test_class = Test

    def test_each_project_is_tagged_once_with_the_run_tag(self):
        self.conf.auth.use_dynamic_credentials = True
        self.test_class.tag_credential_projects()
        self.assertEqual(
            [mock.call('p1', 'shtp-0123456789ab'),
             mock.call('p2', 'shtp-0123456789ab'),
             mock.call('p3', 'shtp-0123456789ab')],
            self.tags.update_project_tag.call_args_list)

    def test_pre_provisioned_accounts_are_never_tagged(self):
        self.conf.auth.use_dynamic_credentials = False
        self.test_class.tag_credential_projects()
        self.tags.update_project_tag.assert_not_called()
