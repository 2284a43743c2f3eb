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

"""Binding of the seed 002 artifacts: the signed queue and the template."""

import os

import testtools
import yaml

from self_healing_tempest_plugin.flows import integrated
from self_healing_tempest_plugin.harness import scenario as sc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCENARIOS = os.path.join(ROOT, 'scenarios')

QUEUE = {'queue': 'q1', 'paths': ['/v2/queues/q1/messages'],
         'methods': ['POST'], 'expires': '2026-11-23T07:00:00',
         'signature': 'abc123', 'project': 'p1'}


def _template(name):
    with open(os.path.join(SCENARIOS, 'integrated', name)) as handle:
        return yaml.safe_load(handle)


class SignedQueueInputTest(testtools.TestCase):

    def test_headers_and_url(self):
        given = integrated.signed_queue_input('http://zaqar:8888/', QUEUE)
        self.assertEqual({
            'queue_url': 'http://zaqar:8888/v2/queues/q1/messages',
            'url_signature': 'abc123', 'url_expires': '2026-11-23T07:00:00',
            'url_methods': 'POST', 'url_paths': '/v2/queues/q1/messages',
            'project_id': 'p1'}, given)

    def test_several_methods_and_paths_are_comma_joined(self):
        queue = dict(QUEUE, methods=['GET', 'POST'],
                     paths=['/v2/queues/q1/messages', '/v2/queues/q1/claims'])
        given = integrated.signed_queue_input('http://z', queue)
        self.assertEqual('GET,POST', given['url_methods'])
        self.assertEqual('/v2/queues/q1/messages,/v2/queues/q1/claims',
                         given['url_paths'])

    def test_a_url_without_post_is_refused(self):
        self.assertRaises(ValueError, integrated.signed_queue_input,
                          'http://z', dict(QUEUE, methods=['GET']))


class BindIntegratedTest(testtools.TestCase):

    def setUp(self):
        super(BindIntegratedTest, self).setUp()
        self.workflow_input = integrated.signed_queue_input(
            'http://z', QUEUE)

    def test_heal_template_is_scoped_and_bound(self):
        template = integrated.bind_integrated(
            _template('host_down_heal_group.yaml'), 'proj',
            self.workflow_input)
        self.assertEqual('proj', template['entities']['instance'][
            'project_id'])
        actions = [a['execute_mistral'] for s in template['scenarios']
                   for a in s['actions'] if 'execute_mistral' in a]
        self.assertEqual(1, len(actions))
        self.assertEqual('get_attr(instance, id)',
                         actions[0]['input']['instance_id'])
        self.assertNotIn('bound', actions[0]['input'].values())
        self.assertEqual(self.workflow_input['queue_url'],
                         actions[0]['input']['queue_url'])

    def test_negative_template_is_scoped_and_runs_nothing(self):
        template = integrated.bind_integrated(
            _template('host_down_alarm_members.yaml'), 'proj',
            self.workflow_input)
        self.assertEqual('proj', template['entities']['instance'][
            'project_id'])
        self.assertFalse(any('execute_mistral' in a
                             for s in template['scenarios']
                             for a in s['actions']))

    def test_an_input_left_unbound_is_named(self):
        template = _template('host_down_heal_group.yaml')
        given = dict(self.workflow_input)
        del given['url_signature']
        error = self.assertRaises(ValueError,
                                  integrated.bind_integrated,
                                  template, 'proj', given)
        self.assertIn('url_signature', str(error))

    def test_a_template_without_instance_entity_is_refused(self):
        template = _template('host_down_heal_group.yaml')
        del template['entities']['instance']
        self.assertRaises(ValueError, integrated.bind_integrated,
                          template, 'proj', self.workflow_input)

    def test_workflow_declares_what_the_template_binds(self):
        with open(os.path.join(SCENARIOS, 'integrated',
                               'post_to_group_queue.yaml')) as handle:
            workflow = yaml.safe_load(handle)
        declared, = [set(v['input']) for k, v in workflow.items()
                     if k != 'version']
        template = _template('host_down_heal_group.yaml')
        action, = [a['execute_mistral'] for s in template['scenarios']
                   for a in s['actions'] if 'execute_mistral' in a]
        self.assertEqual(declared, set(action['input']))
        self.assertEqual(declared - {'instance_id'},
                         set(self.workflow_input))


class ScenarioFilesTest(testtools.TestCase):

    def test_positive_and_negative_load(self):
        scenarios, broken = sc.load_all(SCENARIOS)
        self.assertEqual([], [str(e) for _, e in broken])
        ours = dict((s.name, s) for s in scenarios
                    if s.flow == 'integrated')
        self.assertEqual({
            'vitrage_heat_host_stop_replace',
            'negative_vitrage_heat_host_stop_no_action',
            'vitrage_heat_reported_host_down_replace',
            'negative_vitrage_heat_reported_host_down_no_action'}, set(ours))
        self.assertTrue(all(s.serial for s in ours.values()))
        self.assertEqual('act', ours[
            'negative_vitrage_heat_host_stop_no_action'].expect_missed_phase)
