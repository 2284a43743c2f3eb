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

"""Run tags: what a run names its resources, and reading the run back.

The run registry (harness/runs) is faked at its boundary: ``current``.
"""

import os
import re
from unittest import mock

import testtools
import yaml

from self_healing_tempest_plugin.harness import run_tags

RUN_ID = '0123456789ab'
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class FakeRun(object):
    id = RUN_ID

    def tag(self, prefix):
        return '%s-%s' % (prefix, self.id)


def conf(directory='/journal', prefix='shtp'):
    return mock.Mock(fault_journal_dir=directory, run_tag_prefix=prefix)


class RunTagsTest(testtools.TestCase):

    def setUp(self):
        super(RunTagsTest, self).setUp()
        self.registry = mock.Mock()
        self.registry.current.return_value = FakeRun()
        self.patch(run_tags, 'run_registry', lambda: self.registry)

    def test_the_tag_is_the_prefix_and_the_registered_run_id(self):
        self.assertEqual('shtp-0123456789ab', run_tags.tag(conf()))
        self.registry.current.assert_called_with('/journal')

    def test_a_name_round_trips_to_its_run(self):
        name = run_tags.name(conf(), 'sh-host-flow')
        self.assertTrue(re.match(r'^shtp-0123456789ab-sh-host-flow-\d+$',
                                 name), name)
        self.assertEqual(RUN_ID, run_tags.parse(name, 'shtp'))
        self.assertEqual(RUN_ID, run_tags.parse(run_tags.tag(conf()),
                                                'shtp'))

    def test_a_trait_round_trips_to_its_run(self):
        trait = run_tags.trait(conf(), 'SELF_HEALING')
        self.assertTrue(re.match(
            r'^CUSTOM_SHTP_0123456789AB_SELF_HEALING_[0-9A-F]{8}$', trait),
            trait)
        self.assertEqual(RUN_ID, run_tags.parse(trait, 'shtp'))

    def test_untagged_and_other_prefixes_carry_no_run(self):
        for text in (None, '', 'tempest-TestFoo-123', 'sh-canary-1',
                     'other-0123456789ab-x', 'shtp-0123456789', 'shtp-',
                     'shtp-0123456789abc', 'shtpx-0123456789ab',
                     'CUSTOM_SELF_HEALING_0123456789AB'):
            self.assertIsNone(run_tags.parse(text, 'shtp'), text)

    def test_the_first_tagged_text_gives_the_run(self):
        self.assertEqual(RUN_ID, run_tags.parse_any(
            'shtp', None, 'web-1', 'shtp-0123456789ab'))
        self.assertIsNone(run_tags.parse_any('shtp', None, 'web-1'))

    def test_without_a_registry_the_tag_is_the_process_own(self):
        tag = run_tags.tag(conf(directory=''))
        self.registry.current.assert_not_called()
        self.assertIsNotNone(run_tags.parse(tag, 'shtp'))
        self.assertEqual(tag, run_tags.tag(conf(directory='')))

    def test_metadata_holds_the_tag(self):
        self.assertEqual({'self_healing_run': 'shtp-0123456789ab'},
                         run_tags.metadata(conf()))


def _templates():
    for directory in ('autoheal', 'integrated', 'per_vm_group', 'policies'):
        path = os.path.join(ROOT, 'scenarios', directory)
        for name in sorted(os.listdir(path)):
            if name.endswith('.yaml'):
                with open(os.path.join(path, name)) as handle:
                    body = yaml.safe_load(handle)
                if 'heat_template_version' in body:
                    yield '%s/%s' % (directory, name), body


def _resources(body):
    """Every resource definition, group members' inline ones too."""
    for resource in (body.get('resources') or {}).values():
        yield resource
        inline = (resource.get('properties') or {}).get('resource')
        if isinstance(inline, dict):
            yield inline


class TemplatesCarryTheRunTagTest(testtools.TestCase):
    """Every server of the Heat templates carries the tag."""

    def test_servers_have_run_tag_metadata(self):
        seen = 0
        for path, body in _templates():
            self.assertIn('run_tag', body.get('parameters') or {}, path)
            for resource in _resources(body):
                if resource['type'] == 'OS::Nova::Server':
                    seen += 1
                    self.assertEqual(
                        {'get_param': 'run_tag'},
                        resource['properties']['metadata'].get(
                            run_tags.METADATA_KEY), path)
        self.assertGreaterEqual(seen, 4)

    def test_nested_members_are_given_the_tag(self):
        for path, body in _templates():
            for resource in _resources(body):
                props = resource.get('properties') or {}
                member = props.get('resource') or props.get('resource_def')
                if (isinstance(member, dict) and
                        member.get('type', '').endswith('.yaml')):
                    self.assertEqual({'get_param': 'run_tag'},
                                     member['properties'].get('run_tag'),
                                     path)
