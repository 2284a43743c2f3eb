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

"""The scenario loader (one test per malformed field) and test generation.
"""

import os
import shutil
import sys
import textwrap
import unittest
from unittest import mock
import uuid

import fixtures
import testtools
import yaml

from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import scenario as sc
from unit_tests.harness import standins

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')
EXAMPLE = os.path.join(FIXTURES, 'example.yaml')


def _example():
    with open(EXAMPLE) as stream:
        return sc.parse(stream)


class ValidScenarioTest(testtools.TestCase):

    def setUp(self):
        super(ValidScenarioTest, self).setUp()
        self.useFixture(standins.StandInFlows())

    def test_loads(self):
        s = sc.load(EXAMPLE)
        self.assertEqual('example_delete_member', s.name)
        self.assertEqual('3f1d7a52-8c0e-4b9e-a6d2-5e7c9b0a1f24', s.id)
        self.assertEqual(os.path.join(FIXTURES, 'artifacts', 'group.yaml'),
                         s.artifact('heat_template'))
        self.assertEqual(os.path.join(FIXTURES, 'artifacts',
                                      'workflow.yaml'),
                         s.artifact('mistral_workflow'))
        self.assertIsNone(s.artifact('vitrage_template'))
        self.assertEqual({'size': 2}, s.heat_parameters())
        self.assertFalse(s.serial)
        self.assertIsNone(s.expect_missed_phase)
        self.assertEqual('primary', s.owner)
        self.assertEqual('autoheal_group', s.flow)
        self.assertEqual([{'kind': 'instance_delete', 'target': 'member'}],
                         s.faults)
        self.assertEqual(s.faults[0], s.fault)
        self.assertEqual(('detect', 'act'), s.phase_names)
        self.assertEqual({}, s.observers_spec)
        self.assertIsNone(s.heat_members_output())

    def test_a_host_fault_makes_it_serial_and_adds_its_feature(self):
        data = _example()
        data['faults'] = [data.pop('fault'),
                          {'kind': 'host_stop', 'target': 'member_host'}]
        self.assertEqual([], sc.validate(EXAMPLE, data))
        s = sc.Scenario(EXAMPLE, data)
        self.assertTrue(s.serial)
        self.assertEqual(('autoheal_flow', 'instance_delete_fault',
                          'host_fault'), s.effective_features)

    def test_effective_features_add_the_flow_faults_and_negative(self):
        data = _example()
        data['features'] = []
        data['expect'] = {'missed_phase': 'detect'}
        s = sc.Scenario(EXAMPLE, data)
        self.assertTrue(s.negative)
        self.assertEqual(('instance_delete_fault', 'autoheal_flow',
                          'negative_checks'), s.effective_features)

    def test_extra_phases_follow_the_flows_in_file_order(self):
        data = _example()
        data['observers'] = {'notified': 'execution_started',
                             'detect': {'observer': 'alarm_fired',
                                        'states': ['insufficient data']},
                             'fenced': {'observer': 'alarm_fired'}}
        data['deadlines']['fenced_s'] = 100
        data['expect'] = {'missed_phase': 'fenced'}
        self.assertEqual([], sc.validate(EXAMPLE, data))
        s = sc.Scenario(EXAMPLE, data)
        self.assertEqual(('detect', 'act', 'notified', 'fenced'),
                         s.phase_names)
        self.assertEqual({'notified': {'observer': 'execution_started'},
                          'detect': {'observer': 'alarm_fired',
                                     'states': ['insufficient data']},
                          'fenced': {'observer': 'alarm_fired'}},
                         s.observers_spec)
        conf = mock.Mock(phase_timeout_s=180, detect_timeout_s=120)
        self.assertEqual(100, s.phase_deadline_s('fenced', conf))
        self.assertEqual(180, s.phase_deadline_s('notified', conf))
        self.assertEqual(60, s.phase_deadline_s('detect', conf))
        del s.deadlines_spec['detect_s']
        self.assertEqual(120, s.phase_deadline_s('detect', conf))

    def test_a_flows_own_phases_come_from_its_runner(self):
        self.useFixture(standins.StandInFlows(
            replace=True, phases=('detect', 'fenced', 'act')))
        data = _example()
        data['deadlines'] = {'fenced_s': 50}
        s = sc.Scenario(EXAMPLE, data)
        self.assertEqual([], sc.validate(EXAMPLE, data))
        self.assertEqual(('detect', 'fenced', 'act'), s.phase_names)

    def test_faults_list_with_count_offset_and_phase(self):
        data = _example()
        del data['fault']
        data['faults'] = [
            {'kind': 'instance_delete', 'target': 'member', 'count': 2},
            {'kind': 'server_stop', 'target': 'member', 'at_s': 30},
            {'kind': 'server_error', 'target': 'member', 'on': 'act'}]
        self.assertEqual([], sc.validate(EXAMPLE, data))
        self.assertEqual(3, len(sc.Scenario(EXAMPLE, data).faults))

    def test_the_documented_example_is_valid_but_its_files(self):
        block = sc.__doc__.split('::\n\n', 1)[1].split('\n\nThe schema')[0]
        data = sc.parse(textwrap.dedent(block))
        self.assertEqual(
            ['artifacts.heat_template.path', 'artifacts.mistral_workflow',
             'artifacts.vitrage_template'],
            [field for _, field, _ in sc.validate(EXAMPLE, data)])
        self.assertEqual(2, len(data['faults']))

    def test_on_is_a_key_not_a_boolean(self):
        data = sc.parse('faults:\n- {kind: server_stop, on: detect}\n'
                        'a: on\nb: yes\nc: true\nd: False\n')
        self.assertEqual({'faults': [{'kind': 'server_stop',
                                      'on': 'detect'}],
                          'a': 'on', 'b': 'yes', 'c': True, 'd': False},
                         data)

    def test_members_output_is_read(self):
        data = _example()
        data['artifacts']['heat_template']['members_output'] = 'server_ids'
        self.assertEqual([], sc.validate(EXAMPLE, data))
        self.assertEqual('server_ids', sc.Scenario(
            EXAMPLE, data).heat_members_output())

    def test_owner_from_spec(self):
        data = _example()
        data['owner'] = 'project_manager'
        self.assertEqual([], sc.validate(EXAMPLE, data))
        self.assertEqual('project_manager', sc.Scenario(EXAMPLE, data).owner)

    def test_negative_scenario_names_its_missed_phase(self):
        data = _example()
        data['expect'] = {'missed_phase': 'act'}
        self.assertEqual('act', sc.Scenario(EXAMPLE,
                                            data).expect_missed_phase)

    def test_invariants_deadlines_from_spec_and_config(self):
        conf = mock.Mock(cluster_desired_size=3, cluster_max_size=5,
                         cluster_floor=2, cluster_min_size=1,
                         steady_window_s=20, detect_timeout_s=120,
                         act_timeout_s=180, recover_timeout_s=600)
        s = sc.load(EXAMPLE)
        bounds, target = s.cluster_rules(conf)
        self.assertEqual((2, 4, 1, 1), (target.desired, bounds.max_size,
                                        bounds.floor, target.min_size))
        self.assertEqual(sp.REPLACE, target.identity)
        self.assertEqual(10, target.steady_window_s)
        self.assertEqual(10, s.steady_window_s(conf))
        self.assertEqual({'detect_s': 60, 'act_s': 90, 'recover_s': 300},
                         s.deadlines(conf).to_dict())
        del s.deadlines_spec['act_s']
        self.assertEqual(180, s.deadlines(conf).for_phase('act'))

    def test_stop_conditions_names_and_mappings(self):
        data = _example()
        self.assertEqual([], sc.Scenario(EXAMPLE, data).stop_conditions)
        data['stop_conditions'] = ['message_bus', {
            'name': 'disk_free', 'floor_mib': 2048, 'path': '/var/lib'}]
        self.assertEqual([], sc.validate(EXAMPLE, data))
        self.assertEqual([{'name': 'message_bus'},
                          {'name': 'disk_free', 'floor_mib': 2048,
                           'path': '/var/lib'}],
                         sc.Scenario(EXAMPLE, data).stop_conditions)

    def test_missing_requirements_from_config(self):
        conf = mock.Mock()
        conf.service_available = mock.Mock(heat=True, aodh=True,
                                           zaqar=False, mistral=True)
        conf.self_healing_feature_enabled = mock.Mock(
            autoheal_flow=True, instance_delete_fault=False)
        self.assertEqual(
            ['[service_available] zaqar is false',
             '[self_healing_feature_enabled] instance_delete_fault is '
             'false'], sc.load(EXAMPLE).missing_requirements(conf))


class MalformedScenarioTest(testtools.TestCase):
    """Each malformed field: the error names the file, field, expectation.
    """

    def setUp(self):
        super(MalformedScenarioTest, self).setUp()
        self.useFixture(standins.StandInFlows())
        self.dir = self.useFixture(fixtures.TempDir()).path
        shutil.copytree(os.path.join(FIXTURES, 'artifacts'),
                        os.path.join(self.dir, 'artifacts'))
        self.path = os.path.join(self.dir, 'bad.yaml')

    def _errors(self, change=None, text=None):
        data = _example()
        if change:
            change(data)
        with open(self.path, 'w') as stream:
            stream.write(text if text is not None else yaml.safe_dump(data))
        error = self.assertRaises(sc.ScenarioError, sc.load, self.path)
        for file_name, _, _ in error.errors:
            self.assertEqual(self.path, file_name)
        self.assertIn(self.path, str(error))
        return dict((field, message) for _, field, message in error.errors)

    def _assert_one(self, field, expected, change=None, text=None):
        errors = self._errors(change, text)
        self.assertEqual([field], list(errors), errors)
        self.assertIn(expected, errors[field])

    def _set(self, path, value):
        def change(data):
            *parents, last = path.split('.')
            for key in parents:
                data = data[key]
            if value is KeyError:
                del data[last]
            else:
                data[last] = value
        return change

    def test_not_yaml(self):
        self._assert_one('(file)', 'expected readable YAML',
                         text='name: [unclosed')

    def test_not_a_mapping(self):
        self._assert_one('(file)', 'expected a YAML mapping, got list',
                         text='- a\n- b\n')

    def test_unknown_top_level_field(self):
        self._assert_one('deadline', 'unknown field',
                         self._set('deadline', {}))

    def test_missing_name(self):
        self._assert_one('name', 'expected lower case letters',
                         self._set('name', KeyError))

    def test_bad_name(self):
        self._assert_one('name', "got 'Has Spaces'",
                         self._set('name', 'Has Spaces'))

    def test_bad_id(self):
        self._assert_one('id', 'expected a uuid', self._set('id', '1234'))

    def test_unknown_service(self):
        self._assert_one('services[1]', "got 'aodhh'",
                         self._set('services', ['heat', 'aodhh']))

    def test_services_not_a_list(self):
        self._assert_one('services', 'expected a list of names',
                         self._set('services', 'heat'))

    def test_unknown_feature(self):
        self._assert_one('features[0]', 'expected one of',
                         self._set('features', ['teleport']))

    def test_missing_artifact_file(self):
        self._assert_one('artifacts.mistral_workflow',
                         'expected an existing file',
                         self._set('artifacts.mistral_workflow', 'no.yaml'))

    def test_unknown_artifact(self):
        self._assert_one('artifacts.ansible', 'unknown field',
                         self._set('artifacts.ansible', 'x.yaml'))

    def test_heat_parameters_not_a_mapping(self):
        self._assert_one('artifacts.heat_template.parameters',
                         'expected a mapping',
                         self._set('artifacts.heat_template.parameters', 3))

    def test_missing_fault(self):
        self._assert_one('faults', 'expected exactly one of fault (a '
                         'mapping) or faults (a list), got neither',
                         self._set('fault', KeyError))

    def test_fault_and_faults(self):
        self._assert_one('faults', 'got both', self._set('faults', [
            {'kind': 'server_stop', 'target': 'member'}]))

    def test_missing_flow(self):
        self._assert_one('flow', 'missing; expected one of autoheal_group, '
                         'integrated, per_vm_group, recovery_policy, '
                         'vitrage_host', self._set('flow', KeyError))

    def test_no_flow_registered_says_so(self):
        self.useFixture(fixtures.MockPatchObject(registry.FLOWS, '_entries',
                                                 {}))
        self._assert_one('flow', 'none is registered: no module of '
                         'registry.REGISTERING_MODULES registers one',
                         lambda d: None)

    def test_unknown_flow(self):
        self._assert_one('flow', "got 'masakari'",
                         self._set('flow', 'masakari'))

    def test_bad_fault_kind(self):
        kinds = registry.FAULTS.names()
        self.assertEqual([], sorted({'host_stop', 'instance_delete',
                                     'nic_down', 'server_error',
                                     'server_stop'} - set(kinds)))
        self._assert_one('fault.kind', "expected one of %s, got 'meteor'"
                         % ', '.join(kinds),
                         self._set('fault.kind', 'meteor'))

    def test_member_fault_with_host_target(self):
        self._assert_one('fault.target', 'expected member for fault kind '
                         "instance_delete, got 'member_host'",
                         self._set('fault.target', 'member_host'))

    def test_missing_target(self):
        self._assert_one('fault.target', 'missing; expected member',
                         self._set('fault.target', KeyError))

    def test_service_target_on_a_host_fault(self):
        def change(data):
            data['fault'] = {'kind': 'host_stop',
                             'target': 'service:heat-engine'}
        self._assert_one('fault.target', 'expected member_host or '
                         'host:<nova host name> for fault kind host_stop',
                         change)

    def _faults(self, *entries):
        def change(data):
            del data['fault']
            data['faults'] = list(entries)
        return change

    def test_field_path_names_the_entry(self):
        self._assert_one('faults[1].target', "got 'host:c1'", self._faults(
            {'kind': 'instance_delete', 'target': 'member'},
            {'kind': 'server_stop', 'target': 'host:c1'}))

    def test_faults_not_a_list(self):
        self._assert_one('faults', 'expected at least 1 entries, got 0',
                         self._faults())
        self._assert_one('faults', 'expected a list of fault entries',
                         lambda d: d.update(faults={'kind': 'x'}) or
                         d.pop('fault'))

    def test_count_only_on_member_kinds(self):
        self._assert_one('faults[0].count', 'only the instance_delete, '
                         'server_error, server_stop faults take it, not '
                         'host_stop', self._faults(
                             {'kind': 'host_stop', 'target': 'host:c1',
                              'count': 2}))

    def test_count_at_least_one(self):
        self._assert_one('faults[0].count', 'expected an integer >= 1, got '
                         '0', self._faults({'kind': 'server_stop',
                                            'target': 'member',
                                            'count': 0}))

    def test_at_s_not_negative(self):
        self._assert_one('faults[0].at_s', 'expected a number >= 0, got -5',
                         self._faults({'kind': 'server_stop',
                                       'target': 'member', 'at_s': -5}))

    def test_at_s_and_on_not_both(self):
        self._assert_one('faults[1].on', 'expected at_s or on, not both',
                         self._faults({'kind': 'server_stop',
                                       'target': 'member'},
                                      {'kind': 'server_stop',
                                       'target': 'member', 'at_s': 5,
                                       'on': 'detect'}))

    def test_some_fault_starts_the_run(self):
        self._assert_one('faults[0]', 'expected a fault that starts the run',
                         self._faults({'kind': 'server_stop',
                                       'target': 'member', 'at_s': 5},
                                      {'kind': 'server_error',
                                       'target': 'member', 'on': 'act'}))

    def test_on_a_phase_not_observed(self):
        self._assert_one('faults[1].on', 'expected a phase this scenario '
                         "observes (detect, act), got 'fenced'",
                         self._faults({'kind': 'server_stop',
                                       'target': 'member'},
                                      {'kind': 'server_stop',
                                       'target': 'member', 'on': 'fenced'}))

    def test_unknown_observer(self):
        self._assert_one('observers.detect.observer', 'expected one of '
                         "alarm_fired, execution_started, heat_signal, "
                         "vitrage_alarms_raised, got 'crystal_ball'",
                         self._set('observers', {'detect': 'crystal_ball'}))

    def test_observer_param_not_in_its_schema(self):
        self._assert_one('observers.detect.resources', 'unknown field; '
                         'expected one of: observer, states',
                         self._set('observers', {'detect': {
                             'observer': 'alarm_fired',
                             'resources': ['x']}}))

    def test_observer_param_of_the_wrong_type(self):
        self._assert_one('observers.detect.states', 'expected a list, got '
                         "'alarm'", self._set('observers', {'detect': {
                             'observer': 'alarm_fired', 'states': 'alarm'}}))

    def test_observer_neither_a_name_nor_a_mapping(self):
        self._assert_one('observers.detect', 'expected an observer name, or '
                         'a mapping with observer, got 3',
                         self._set('observers', {'detect': 3}))

    def test_fault_entry_not_a_mapping(self):
        self._assert_one('faults[0]', 'expected a fault entry (a mapping '
                         "with kind and target), got 'delete'",
                         self._faults('delete'))

    def test_observer_phase_not_a_name(self):
        self._assert_one('observers.Fenced', 'expected a phase name',
                         self._set('observers', {'Fenced': 'alarm_fired'}))

    def test_recover_has_no_observer(self):
        self._assert_one('observers.recover', 'judged by the cluster state',
                         self._set('observers', {'recover': 'alarm_fired'}))

    def test_deadline_of_a_phase_not_observed(self):
        self._assert_one('deadlines.fenced_s', 'unknown phase; expected one '
                         'of: detect_s, act_s, recover_s',
                         self._set('deadlines.fenced_s', 30))

    def test_extra_phase_deadline_after_recover(self):
        def change(data):
            data['observers'] = {'fenced': 'alarm_fired'}
            data['deadlines']['fenced_s'] = 400
        self._assert_one('deadlines.fenced_s', 'expected <= recover_s (300)',
                         change)

    def test_host_fault_with_member_target(self):
        def change(data):
            data['fault'] = {'kind': 'host_stop', 'target': 'member'}
        self._assert_one('fault.target', 'expected member_host or host:',
                         change)

    def test_duration_on_a_member_fault(self):
        # The kinds that take a duration are the registry's (nic_down and
        # the ones registered with duration=True or 'required').
        takers = sorted(e.name for e in registry.FAULTS.entries()
                        if e.duration)
        self.assertIn('nic_down', takers)
        self.assertNotIn('instance_delete', takers)
        self._assert_one('fault.duration_s', 'only the %s faults take it, '
                         'not instance_delete' % ', '.join(takers),
                         self._set('fault.duration_s', 30))

    def test_duration_and_keys_a_kind_requires(self):
        class Freeze(object):
            @classmethod
            def spec_errors(cls, spec):
                return []
        self.useFixture(fixtures.MockPatchObject(
            registry.FAULTS, '_entries', dict(registry.FAULTS._entries)))
        registry.FAULTS.register(
            'freeze', target=registry.SERVICE, feature='service_fault',
            duration='required', required=('via',),
            schema={'via': {'enum': ['a', 'b']}})(Freeze)

        def change(data):
            data['fault'] = {'kind': 'freeze', 'target': 'service:x'}
        errors = self._errors(change)
        self.assertEqual({'fault.duration_s': 'missing; expected a number '
                                              '>= 1',
                          'fault.via': 'missing; expected one of a, b'},
                         errors)

    def test_nic_name_empty(self):
        def change(data):
            data['fault'] = {'kind': 'nic_down', 'target': 'member_host',
                             'nic': ''}
        self._assert_one('fault.nic', "expected an interface name, got ''",
                         change)

    def test_bad_duration(self):
        def change(data):
            data['fault'] = {'kind': 'nic_down', 'target': 'member_host',
                             'duration_s': 0}
        self._assert_one('fault.duration_s', 'expected a number >= 1',
                         change)

    def test_host_stop_with_no_way_to_stop(self):
        def change(data):
            data['fault'] = {'kind': 'host_stop', 'target': 'host:c1',
                             'force_down': False, 'ssh_stop': False}
        self._assert_one('fault.force_down', 'needs force_down or ssh_stop',
                         change)

    def test_bad_identity(self):
        self._assert_one('recovery.identity', "got 'clone'",
                         self._set('recovery.identity', 'clone'))

    def test_keep_identity_after_delete(self):
        self._assert_one('recovery.identity', 'cannot keep its identity',
                         self._set('recovery.identity', 'keep'))

    def test_unknown_trigger_is_named(self):
        self._assert_one('recovery.trigger', 'automatic',
                         self._set('recovery.trigger', 'sometimes'))

    def test_unknown_owner_is_named(self):
        self._assert_one('owner', 'project_manager',
                         self._set('owner', 'admin'))

    def test_host_change_with_replace(self):
        self._assert_one('recovery.host_change', 'only identity keep',
                         self._set('recovery.host_change', True))

    def test_floor_above_desired(self):
        self._assert_one('invariants.floor', 'expected <= desired (2)',
                         self._set('invariants.floor', 3))

    def test_desired_above_max(self):
        self._assert_one('invariants.desired', 'expected <= max (4)',
                         self._set('invariants.desired', 5))

    def test_invariant_not_an_integer(self):
        self._assert_one('invariants.max', 'expected an integer >= 1',
                         self._set('invariants.max', 'four'))

    def test_allow_red_not_boolean(self):
        self._assert_one('invariants.allow_red', 'expected true or false',
                         self._set('invariants.allow_red', 'yes'))

    def test_deadline_not_positive(self):
        self._assert_one('deadlines.detect_s', 'expected a number >= 1',
                         self._set('deadlines.detect_s', 0))

    def test_deadlines_out_of_order(self):
        self._assert_one('deadlines.act_s', 'expected <= recover_s (300)',
                         self._set('deadlines.act_s', 400))

    def test_expected_missed_phase_unknown(self):
        self._assert_one('expect.missed_phase', 'expected one of detect, act',
                         self._set('expect', {'missed_phase': 'recover'}))

    def test_expect_unknown_key(self):
        self._assert_one('expect.phase', 'unknown field',
                         self._set('expect', {'missed_phase': 'detect',
                                              'phase': 'detect'}))

    def test_score_weights_read_with_defaults(self):
        path = os.path.join(self.dir, 'weighted.yaml')
        data = _example()
        data['score'] = {'weight': 3, 'phases': {'recover': 5}}
        with open(path, 'w') as stream:
            yaml.safe_dump(data, stream)
        scenario = sc.load(path)
        self.assertEqual(3.0, scenario.score_weight)
        self.assertEqual({'detect': 1.0, 'act': 1.0, 'recover': 5.0},
                         scenario.phase_weights)
        plain = sc.load(EXAMPLE)
        self.assertEqual((sc.SCORE_WEIGHT, sc.SCORE_PHASE_WEIGHTS),
                         (plain.score_weight, plain.phase_weights))

    def test_score_not_a_mapping(self):
        self._assert_one('score', 'expected a mapping, got list',
                         self._set('score', [1]))

    def test_score_unknown_key(self):
        self._assert_one('score.weights', 'unknown field; expected one of: '
                         'weight, phases', self._set('score',
                                                     {'weights': 1}))

    def test_score_weight_negative(self):
        self._assert_one('score.weight', 'expected a number >= 0, got -1',
                         self._set('score', {'weight': -1}))

    def test_score_unknown_phase(self):
        self._assert_one('score.phases.heal', 'unknown field; expected one '
                         'of: detect, act, recover',
                         self._set('score', {'phases': {'heal': 1}}))

    def test_score_phase_weight_not_a_number(self):
        self._assert_one('score.phases.act', "expected a number >= 0, got "
                         "'high'", self._set('score', {'phases': {
                             'act': 'high'}}))

    def test_score_every_phase_weight_zero(self):
        self._assert_one('score.phases', 'expected at least one weight > 0',
                         self._set('score', {'phases': {
                             'detect': 0, 'act': 0, 'recover': 0}}))

    def test_every_error_reported_at_once(self):
        def change(data):
            data['id'] = 'nope'
            data['fault']['kind'] = 'meteor'
            data['invariants']['floor'] = 9
            data['services'] = ['nova', 'heatt']
        errors = self._errors(change)
        self.assertEqual(['id', 'services[1]', 'fault.kind',
                          'invariants.floor'], list(errors))

    def test_stop_condition_unknown_name(self):
        self._assert_one('stop_conditions[1].name', 'expected one of '
                         'computes_up, disk_free, kill_switch, message_bus, '
                         'no_other_open_fault, got ',
                         self._set('stop_conditions', ['kill_switch',
                                                       'rabbit_up']))

    def test_stop_condition_key_not_in_its_schema(self):
        self._assert_one('stop_conditions[0].floor', 'unknown field; '
                         'expected one of: name, path, floor_mib',
                         self._set('stop_conditions', [
                             {'name': 'disk_free', 'floor': 10}]))

    def test_stop_condition_key_of_the_wrong_type(self):
        self._assert_one('stop_conditions[0].floor_mib', 'expected an '
                         "integer >= 0, got 'lots'",
                         self._set('stop_conditions', [
                             {'name': 'disk_free', 'floor_mib': 'lots'}]))

    def test_stop_conditions_not_a_list_or_twice(self):
        self._assert_one('stop_conditions', 'expected a list of stop '
                         "conditions, got 'kill_switch'",
                         self._set('stop_conditions', 'kill_switch'))
        self._assert_one('stop_conditions[1]', 'expected each condition '
                         'once, kill_switch is also stop_conditions[0]',
                         self._set('stop_conditions', [
                             'kill_switch', {'name': 'kill_switch'}]))
        self._assert_one('stop_conditions[0]', 'expected a stop condition '
                         'name, or a mapping with name, got 3',
                         self._set('stop_conditions', [3]))


class DirectoryTest(testtools.TestCase):

    def setUp(self):
        super(DirectoryTest, self).setUp()
        self.flows = self.useFixture(standins.StandInFlows(replace=True))
        self.dir = self.useFixture(fixtures.TempDir()).path
        shutil.copytree(os.path.join(FIXTURES, 'artifacts'),
                        os.path.join(self.dir, 'artifacts'))

    def _write(self, name, change=None, text=None):
        data = _example()
        if change:
            change(data)
        with open(os.path.join(self.dir, name), 'w') as stream:
            stream.write(text if text is not None else yaml.safe_dump(data))

    def test_duplicate_ids_break_both(self):
        self._write('one.yaml')
        self._write('two.yaml', lambda d: d.update(name='other'))
        scenarios, broken = sc.load_all(self.dir)
        self.assertEqual([], scenarios)
        self.assertEqual(2, len(broken))
        self.assertIn('expected a unique id', str(broken[0][1]))

    def test_artifacts_in_sub_directories_are_not_scenarios(self):
        self._write('one.yaml')
        scenarios, broken = sc.load_all(self.dir)
        self.assertEqual(['example_delete_member'],
                         [s.name for s in scenarios])
        self.assertEqual([], broken)

    def test_find_directory_order(self):
        self.assertEqual('/conf/dir', sc.find_directory('/conf/dir'))
        checkout = os.path.join(os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(sc.__file__)))), 'scenarios')
        self.assertEqual(checkout, sc.find_directory(''))
        with mock.patch.object(sc.os.path, 'isdir', return_value=False):
            self.assertEqual(
                os.path.join(sys.prefix, 'share',
                             'self_healing_tempest_plugin', 'scenarios'),
                sc.find_directory(None))


class _Base(unittest.TestCase):
    skipException = unittest.SkipTest


class GeneratedTestsTest(testtools.TestCase):
    """generate_tests and report_broken_files, with stand-in flows."""

    def setUp(self):
        super(GeneratedTestsTest, self).setUp()
        self.flows = self.useFixture(standins.StandInFlows(replace=True))
        self.ran = self.flows.flows['autoheal_group'].ran
        self.dir = self.useFixture(fixtures.TempDir()).path
        shutil.copytree(os.path.join(FIXTURES, 'artifacts'),
                        os.path.join(self.dir, 'artifacts'))

    def _write(self, name, change=None):
        data = _example()
        if change:
            change(data)
        with open(os.path.join(self.dir, name), 'w') as stream:
            yaml.safe_dump(data, stream)

    def _generate(self, flow='autoheal_group', **kwargs):
        module = {'__name__': 'pkg.test_flow'}
        # repeat=None reads [self_healing] repeat; the others do not load
        # a tempest.conf.
        kwargs.setdefault('repeat', 1)
        sc.generate_tests(module, flow, base_class=_Base,
                          directory=self.dir, **kwargs)
        return module

    def _conf(self):
        conf = mock.Mock()
        conf.service_available = mock.Mock(heat=True, aodh=True,
                                           zaqar=True, mistral=True)
        conf.self_healing_feature_enabled = mock.Mock(
            autoheal_flow=True, instance_delete_fault=True,
            host_fault=True, negative_checks=True)
        return conf

    def _run(self, cls, name, conf=None):
        result = unittest.TestResult()
        with mock.patch.object(sc.config, 'CONF', conf or self._conf()):
            cls(name).run(result)
        return result

    def test_one_class_per_kind_of_scenario_of_the_flow(self):
        self._write('one.yaml')
        self._write('negative.yaml', lambda d: d.update(
            name='neg', id=str(uuid.uuid4()),
            expect={'missed_phase': 'act'}))
        self._write('host.yaml', lambda d: d.update(
            name='host', id=str(uuid.uuid4()),
            fault={'kind': 'host_stop', 'target': 'member_host'}))
        self._write('other.yaml', lambda d: d.update(
            name='other', id=str(uuid.uuid4()), flow='per_vm_group'))
        module = self._generate()
        self.assertEqual(['AutohealGroupNegativeTest',
                          'AutohealGroupSerialTest', 'AutohealGroupTest'],
                         sorted(k for k in module if k != '__name__'))
        positive = module['AutohealGroupTest']
        self.assertEqual('autoheal_group', positive.flow)
        self.assertEqual('pkg.test_flow', positive.__module__)
        self.assertEqual(('autoheal_flow',), positive.required_features)
        self.assertEqual(('heat', 'aodh', 'zaqar', 'mistral'),
                         positive.required_services)
        self.assertFalse(getattr(positive, '_serial', False))
        self.assertTrue(module['AutohealGroupSerialTest']._serial)
        self.assertTrue(hasattr(module['AutohealGroupSerialTest'],
                                'test_host'))
        negative = module['AutohealGroupNegativeTest']
        self.assertEqual(('autoheal_flow', 'negative_checks'),
                         negative.required_features)
        self.assertEqual(['test_neg'], [n for n in dir(negative)
                                        if n.startswith('test_')])
        self.assertTrue(self._run(positive, 'test_example_delete_member')
                        .wasSuccessful())
        self.assertTrue(self._run(negative, 'test_neg').wasSuccessful())
        self.assertEqual([('positive', 'example_delete_member'),
                          ('negative', 'neg')], self.ran)

    def test_the_directory_is_parsed_once_until_a_file_changes(self):
        self._write('one.yaml')
        first = sc._load_all_once(self.dir)
        self.assertIs(first, sc._load_all_once(self.dir))
        self._write('two.yaml', lambda d: d.update(name='two',
                                                   id=str(uuid.uuid4())))
        again = sc._load_all_once(self.dir)
        self.assertEqual(['example_delete_member', 'two'],
                         sorted(s.name for s in again[0]))

    def test_class_names_from_the_flow(self):
        self.assertEqual('PerVmGroupSerialNegativeTest',
                         sc.class_name('per_vm_group', serial=True,
                                       negative=True))

    def test_a_flow_without_scenarios_adds_nothing(self):
        self._write('one.yaml')
        self.assertEqual({'__name__': 'pkg.test_flow'},
                         self._generate(flow='integrated'))

    def test_an_unknown_flow_is_named(self):
        error = self.assertRaises(KeyError, self._generate, flow='masakari')
        self.assertIn("unknown flow 'masakari'; known: autoheal_group",
                      str(error))

    def test_test_has_its_id_and_is_slow(self):
        self._write('one.yaml')
        test = self._generate()['AutohealGroupTest'].test_example_delete_member
        self.assertIn('id-3f1d7a52-8c0e-4b9e-a6d2-5e7c9b0a1f24',
                      getattr(test, '__testtools_attrs'))
        self.assertIn('slow', getattr(test, '__testtools_attrs'))
        self.assertIn('Test idempotent id: 3f1d7a52', test.__doc__)

    def test_generated_test_skips_from_config(self):
        self._write('one.yaml')
        cls = self._generate()['AutohealGroupTest']
        conf = self._conf()
        conf.service_available.zaqar = False
        conf.self_healing_feature_enabled.instance_delete_fault = False
        result = self._run(cls, 'test_example_delete_member', conf)
        self.assertEqual(1, len(result.skipped))
        self.assertIn('[service_available] zaqar is false; '
                      '[self_healing_feature_enabled] instance_delete_fault '
                      'is false', result.skipped[0][1])
        self.assertEqual([], self.ran)

    def test_repeat_makes_one_test_per_repetition(self):
        self._write('one.yaml')
        cls = self._generate(repeat=3)['AutohealGroupTest']
        names = sorted(n for n in dir(cls) if n.startswith('test_example'))
        self.assertEqual(['test_example_delete_member',
                          'test_example_delete_member_repeat_2',
                          'test_example_delete_member_repeat_3'], names)
        ids = [[a for a in getattr(getattr(cls, n), '__testtools_attrs')
                if a.startswith('id-')][0] for n in names]
        self.assertEqual('id-3f1d7a52-8c0e-4b9e-a6d2-5e7c9b0a1f24', ids[0])
        self.assertEqual(3, len(set(ids)))
        # uuid5 of the scenario id: the same in every listing.
        self.assertEqual('id-%s' % uuid.uuid5(uuid.UUID(
            '3f1d7a52-8c0e-4b9e-a6d2-5e7c9b0a1f24'), 'repeat-2'), ids[1])
        self.assertIn('(repetition 3 of 3)', getattr(cls, names[2]).__doc__)
        for name in names:
            self.assertTrue(self._run(cls, name).wasSuccessful())
        self.assertEqual([('positive', 'example_delete_member')] * 3,
                         self.ran)

    def test_repeat_read_from_config(self):
        self._write('one.yaml')
        conf = mock.Mock()
        conf.self_healing.repeat = 2
        conf.self_healing.scenario_dir = self.dir
        with mock.patch.object(sc.config, 'CONF', conf):
            cls = self._generate(repeat=None)['AutohealGroupTest']
        self.assertTrue(hasattr(cls, 'test_example_delete_member_repeat_2'))
        self.assertFalse(hasattr(cls,
                                 'test_example_delete_member_repeat_3'))
        # No config at all (a plain unit test run): one test each.
        with mock.patch.object(sc.config, 'CONF', None):
            cls = self._generate(repeat=None)['AutohealGroupTest']
        self.assertFalse(hasattr(cls,
                                 'test_example_delete_member_repeat_2'))

    def test_broken_files_are_reported_once_by_their_own_class(self):
        self._write('one.yaml')
        self._write('broken.yaml', lambda d: d.update(id='x', name='b'))
        module = self._generate()
        self.assertEqual(['test_example_delete_member'], [
            n for n in dir(module['AutohealGroupTest'])
            if n.startswith('test_')])
        files = {'__name__': 'pkg.test_scenario_files'}
        cls = sc.report_broken_files(files, directory=self.dir,
                                     base_class=unittest.TestCase)
        self.assertIs(cls, files['ScenarioFilesTest'])
        broken = cls.test_broken_scenario_broken
        self.assertTrue([a for a in getattr(broken, '__testtools_attrs')
                         if a.startswith('id-')])
        result = unittest.TestResult()
        cls('test_broken_scenario_broken').run(result)
        self.assertEqual(1, len(result.failures))
        self.assertIn('id: expected a uuid', result.failures[0][1])

    def test_no_broken_file_no_class(self):
        self._write('one.yaml')
        files = {'__name__': 'pkg.test_scenario_files'}
        self.assertIsNone(sc.report_broken_files(files, directory=self.dir))
        self.assertEqual(['__name__'], list(files))

    def test_missing_directory(self):
        self.dir = os.path.join(self.dir, 'absent')
        self.assertEqual({'__name__': 'pkg.test_flow'}, self._generate())
        files = {'__name__': 'pkg.test_scenario_files'}
        cls = sc.report_broken_files(files, directory=self.dir,
                                     base_class=unittest.TestCase)
        result = unittest.TestResult()
        cls('test_scenario_directory').run(result)
        self.assertIn('no scenario directory at %s' % self.dir,
                      result.failures[0][1])


class ShippedScenariosTest(testtools.TestCase):
    """The scenarios the plugin ships load, and their artifacts parse."""

    def test_every_shipped_scenario_and_artifact_loads(self):
        self.useFixture(standins.StandInFlows())
        directory = sc.find_directory()
        scenarios, broken = sc.load_all(directory)
        self.assertEqual([], broken)
        self.assertGreater(len(scenarios), 10)
        for scenario in scenarios:
            for key in sc.ARTIFACTS:
                path = scenario.artifact(key)
                if path is None:
                    continue
                with open(path) as stream:
                    parsed = yaml.safe_load(stream)
                self.assertIsInstance(parsed, dict, '%s of %s' % (
                    path, scenario.name))
