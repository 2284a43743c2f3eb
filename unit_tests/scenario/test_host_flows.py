"""Seed 001's Vitrage templates act on the run's own instances only."""

import os

import testtools
import yaml

from self_healing_tempest_plugin.tests.scenario import host_flows

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
VITRAGE = os.path.join(ROOT, 'scenarios', 'vitrage')


def _template(name):
    with open(os.path.join(VITRAGE, name)) as handle:
        return yaml.safe_load(handle)


class ScopeToProjectTest(testtools.TestCase):

    def test_every_seed_001_template_is_scoped(self):
        for name in ('host_unreachable_evacuate.yaml',
                     'host_unreachable_alarms.yaml'):
            template = host_flows.scope_to_project(_template(name), 'proj')
            self.assertEqual('proj', template['entities']['instance'][
                'project_id'], name)
            self.assertEqual('nova.instance',
                             template['entities']['instance']['type'], name)

    def test_a_template_without_instance_entity_is_named(self):
        template = _template('host_unreachable_evacuate.yaml')
        del template['entities']['instance']
        error = self.assertRaises(ValueError, host_flows.scope_to_project,
                                  template, 'proj')
        self.assertIn('sh_host_unreachable_evacuate', str(error))
        self.assertIn('instance', str(error))
