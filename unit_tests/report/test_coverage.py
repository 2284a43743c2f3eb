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

"""The coverage matrix over the shipped scenarios, and each cell's state.
"""

import json
import os
import subprocess
import sys
from unittest import mock

import fixtures
import testtools

from self_healing_tempest_plugin.harness import scenario as sc
from self_healing_tempest_plugin.report import coverage
from unit_tests.report import synth

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# Lists the generated test methods of each scenario test module.
LIST_TESTS = '''
import importlib, json, sys
found = {}
for module in sys.argv[1:]:
    mod = importlib.import_module(
        'self_healing_tempest_plugin.tests.scenario.' + module)
    names = found.setdefault(module, [])
    for value in vars(mod).values():
        if isinstance(value, type) and value.__module__ == mod.__name__:
            names.extend(n for n in dir(value) if n.startswith('test_'))
print(json.dumps(found))
'''


def shipped():
    scenarios, broken = sc.load_all(sc.find_directory())
    assert not broken, broken
    return scenarios


class FlowOfTest(testtools.TestCase):

    def test_flow_of_every_shipped_scenario_is_its_test_module(self):
        # The test classes select the scenarios; flow_of must agree with
        # them, for each scenario file the plugin ships.
        workspace = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(workspace, 'tempest.conf'), 'w') as stream:
            stream.write('[self_healing]\n')
        env = dict(os.environ, TEMPEST_CONFIG_DIR=workspace,
                   TEMPEST_CONFIG='tempest.conf')
        out = subprocess.run(
            [sys.executable, '-c', LIST_TESTS] + sorted(
                coverage.TEST_MODULES), cwd=workspace, env=dict(
                env, PYTHONPATH=TOP), capture_output=True, text=True,
            check=True)
        tests = json.loads(out.stdout.splitlines()[-1])
        scenarios = shipped()
        self.assertGreater(len(scenarios), 15)
        for scenario in scenarios:
            modules = [m for m, names in tests.items()
                       if 'test_%s' % scenario.name in names]
            self.assertEqual(1, len(modules), (scenario.name, modules))
            self.assertEqual(coverage.TEST_MODULES[modules[0]],
                             coverage.flow_of(scenario), scenario.name)

    def test_flow_of_entry_falls_back_to_the_test_module(self):
        entry = synth.entry(*synth.timeline(1e9, 1.0, 2.0, 3.0,
                                            name='not_a_file'))
        self.assertEqual(coverage.AUTOHEAL, coverage.flow_of_entry(entry,
                                                                   {}))


class MatrixTest(testtools.TestCase):

    def setUp(self):
        super(MatrixTest, self).setUp()
        self.scenarios = shipped()

    def test_cells_of_the_shipped_scenarios(self):
        matrix = coverage.Matrix(self.scenarios)
        cell = matrix.cell(coverage.AUTOHEAL, 'instance_delete')
        # Every scenario with an instance_delete among its faults (the
        # healer restarts and the two-member loss delete members too).
        deleting = sorted(s.name for s in self.scenarios
                          if s.flow == 'autoheal_group' and not s.negative
                          and 'instance_delete' in [
                              e.name for e in s.fault_kinds])
        self.assertIn('autoheal_delete_member', deleting)
        self.assertEqual((deleting, ['negative_autoheal_delete_member']),
                         (cell.scenarios, cell.negatives))
        self.assertEqual('not run', cell.status)
        self.assertEqual('sc %d: not run / neg 1: not run' % len(deleting),
                         cell.text())
        self.assertEqual(2, len(matrix.cell(coverage.POLICIES,
                                            'server_stop').scenarios))
        self.assertEqual(['negative_policy_reboot_no_trigger'],
                         matrix.cell(coverage.POLICIES,
                                     'server_stop').negatives)
        # A gap is visible: no member fault for the host flows, no host
        # fault for the member flows.
        self.assertEqual('gap', matrix.cell(coverage.AUTOHEAL,
                                            'host_stop').status)
        self.assertEqual('-', matrix.cell(coverage.PER_VM,
                                          'nic_down').text())
        self.assertIn((coverage.INTEGRATED, 'nic_down'), matrix.gaps())
        filled = set((coverage.flow_of(s), k) for s in self.scenarios
                     for k in coverage.fault_kinds(s))
        self.assertEqual(len(matrix.flows) * len(matrix.kinds) -
                         len(filled), len(matrix.gaps()))
        self.assertEqual([], matrix.without_flow)

    def test_ran_passed_failed(self):
        healed = synth.entry(*synth.timeline(
            1e9, 1.5, 4.0, 20.0, name='autoheal_stop_member'))
        t, fields = synth.timeline(
            1e9, 1.5, None, None, name='autoheal_delete_member',
            result="failed: healing phase 'act' missed its deadline: not "
                   "seen within 180 s of the fault")
        failed = synth.entry(t, fields)
        healed_again = synth.entry(*synth.timeline(
            1e9, 1.5, 4.0, 20.0, name='autoheal_delete_member', index=2))
        stray = synth.entry(*synth.timeline(1e9, 1.0, 2.0, 3.0,
                                            name='somebody_elses'))
        matrix = coverage.Matrix(self.scenarios, [healed, failed,
                                                  healed_again, stray])
        stop = matrix.cell(coverage.AUTOHEAL, 'server_stop')
        self.assertEqual(('passed', 'sc 1: ran 1, ok 1'),
                         (stop.status, stop.text()))
        delete = matrix.cell(coverage.AUTOHEAL, 'instance_delete')
        deleting = len(delete.scenarios)
        # One repetition failed: the scenario did not pass.
        self.assertEqual(('failed', 'sc %d: ran 1, ok 0 / neg 1: not run'
                          % deleting), (delete.status, delete.text()))
        self.assertEqual(['somebody_elses'], matrix.not_in_files)
        text = matrix.text()
        # The member kinds first: instance_delete, server_error,
        # server_stop.
        self.assertRegex(text, r'autoheal +sc %d: ran 1, ok 0 / neg 1: not '
                               r'run +sc 1: not run +sc 1: ran 1, ok 1 '
                         % deleting)
        self.assertIn('%d of %d cells have no scenario' % (
            len(matrix.gaps()), len(matrix.flows) * len(matrix.kinds)),
            text)
        self.assertIn('ran but not in the scenario files: somebody_elses',
                      text)
        props = dict(matrix.properties())
        self.assertEqual('failed', props['coverage_autoheal_instance_delete'])
        self.assertEqual('passed', props['coverage_autoheal_server_stop'])
        self.assertEqual('gap', props['coverage_per_vm_server_stop'])
        self.assertEqual('not run', props['coverage_vitrage_nic_down'])

    def test_interrupted_did_not_run(self):
        t, fields = synth.timeline(1e9, 1.5, None, None,
                                   name='autoheal_stop_member',
                                   result='interrupted')
        fields['verdict'] = 'interrupted'
        matrix = coverage.Matrix(self.scenarios, [synth.entry(t, fields)])
        self.assertEqual('not run', matrix.cell(coverage.AUTOHEAL,
                                                'server_stop').status)


class SeveralFaultsTest(testtools.TestCase):
    """A scenario of several faults counts in the cell of each kind."""

    def test_each_kind_of_its_faults(self):
        scenario = mock.Mock(flow='autoheal_group',
                             expect_missed_phase=None, faults=[
                                 {'kind': 'instance_delete'},
                                 {'kind': 'instance_delete'},
                                 {'kind': 'server_stop'}])
        scenario.name = 'autoheal_two_kinds'
        healed = synth.entry(*synth.timeline(
            1e9, 1.5, 4.0, 20.0, name='autoheal_two_kinds'))
        matrix = coverage.Matrix([scenario], [healed])
        for kind in ('instance_delete', 'server_stop'):
            self.assertEqual(('passed', 'sc 1: ran 1, ok 1'), (
                matrix.cell(coverage.AUTOHEAL, kind).status,
                matrix.cell(coverage.AUTOHEAL, kind).text()))
