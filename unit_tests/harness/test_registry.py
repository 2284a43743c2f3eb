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

"""The registries: names, meta, duplicates and loading the modules."""

from unittest import mock

import fixtures
import testtools

from self_healing_tempest_plugin.harness import registry


class RegistryTest(testtools.TestCase):

    def setUp(self):
        super(RegistryTest, self).setUp()
        self.things = registry.Registry('thing', required=('colour',),
                                        defaults={'size': 1},
                                        name_attribute='label')

    def test_register_get_names_entries(self):
        @self.things.register('b', colour='blue')
        class B(object):
            pass

        @self.things.register('a', colour='red', size=3)
        def build_a():
            pass
        self.assertEqual(['a', 'b'], self.things.names())
        self.assertEqual(['a', 'b'], [e.name for e in self.things.entries()])
        entry = self.things.get('b')
        self.assertIs(B, entry.cls)
        self.assertEqual(('blue', 1), (entry.colour, entry.size))
        self.assertEqual({'colour': 'blue', 'size': 1}, entry.meta)
        self.assertEqual(3, self.things.get('a').size)
        self.assertEqual('b', B.label)
        self.assertIn('a', self.things)

    def test_unknown_name_lists_the_known(self):
        self.things.register('a', colour='red')(type('A', (), {}))
        error = self.assertRaises(KeyError, self.things.get, 'z')
        self.assertIn("unknown thing 'z'; known: a", str(error))

    def test_a_name_registered_twice_is_refused(self):
        self.things.register('a', colour='red')(type('A', (), {}))
        error = self.assertRaises(
            ValueError, self.things.register('a', colour='red'),
            type('Other', (), {}))
        self.assertIn("thing 'a' is registered twice", str(error))

    def test_the_same_class_again_replaces_it(self):
        first = type('A', (), {})
        self.things.register('a', colour='red')(first)
        again = type('A', (), {})
        self.things.register('a', colour='green')(again)
        self.assertIs(again, self.things.get('a').cls)

    def test_required_meta(self):
        error = self.assertRaises(ValueError, self.things.register, 'a')
        self.assertIn("thing 'a': its registration needs colour",
                      str(error))

    def test_meta_may_not_shadow_the_entry(self):
        error = self.assertRaises(
            ValueError, self.things.register('a', colour='red', cls=1),
            type('A', (), {}))
        self.assertIn('meta may not be named cls', str(error))


class LoadTest(testtools.TestCase):

    def _import(self, missing):
        def import_module(name):
            if name in missing:
                raise ModuleNotFoundError('no %s' % missing[name],
                                          name=missing[name])
        return import_module

    def test_modules_not_written_yet_are_skipped(self):
        absent = {m: m for m in registry.REGISTERING_MODULES[2:]}
        # A missing package (flows/ not there yet) is absence too.
        absent[registry.REGISTERING_MODULES[-1]] = (
            'self_healing_tempest_plugin.flows')
        with mock.patch.object(registry.importlib, 'import_module',
                               side_effect=self._import(absent)) as imp:
            registry.load()
        self.assertEqual(list(registry.REGISTERING_MODULES),
                         [c[0][0] for c in imp.call_args_list])

    def test_an_import_error_inside_an_existing_module_surfaces(self):
        broken = {registry.REGISTERING_MODULES[0]: 'no_such_dependency'}
        with mock.patch.object(registry.importlib, 'import_module',
                               side_effect=self._import(broken)):
            error = self.assertRaises(ModuleNotFoundError, registry.load)
        self.assertEqual('no_such_dependency', error.name)

    def test_load_fills_the_faults_and_observers(self):
        registry.load()
        self.assertIn('host_stop', registry.FAULTS)
        self.assertIn('alarm_fired', registry.OBSERVERS)

    def test_the_registering_modules_are_the_packages(self):
        self.assertEqual(len(registry.REGISTERING_MODULES),
                         len(set(registry.REGISTERING_MODULES)))
        for module in registry.REGISTERING_MODULES:
            self.assertTrue(module.startswith(
                'self_healing_tempest_plugin.'), module)


class RealRegistriesTest(testtools.TestCase):
    """The shared registries' rules."""

    def setUp(self):
        super(RealRegistriesTest, self).setUp()
        registry.load()
        for reg in (registry.FAULTS, registry.FLOWS, registry.OBSERVERS):
            self.useFixture(fixtures.MockPatchObject(
                reg, '_entries', dict(reg._entries)))

    def test_a_fault_kind_needs_a_target_and_a_feature(self):
        error = self.assertRaises(ValueError, registry.FAULTS.register,
                                  'compute_kill', target=registry.HOST)
        self.assertIn('needs feature', str(error))

    def test_a_fault_kind_defaults(self):
        registry.FAULTS.register('compute_kill', target=registry.HOST,
                                 feature='host_fault')(type('K', (), {}))
        entry = registry.FAULTS.get('compute_kill')
        self.assertEqual((False, {}, (), False),
                         (entry.serial, entry.schema, entry.required,
                          entry.duration))
        self.assertEqual('compute_kill', entry.cls.kind)

    def test_a_flow_gets_its_name(self):
        flow = type('F', (), {})
        registry.FLOWS.register('masakari', feature='f')(flow)
        self.assertEqual('masakari', flow.name)

    def test_an_observer_defaults(self):
        registry.OBSERVERS.register('x', phase='detect', reads='r',
                                    calls=1)(lambda d, since: None)
        self.assertEqual(((), {}), (registry.OBSERVERS.get('x').needs,
                                    registry.OBSERVERS.get('x').schema))
