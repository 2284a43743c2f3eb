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

"""The coverage matrix: flow x fault kind, so that a gap is visible.

A cell lists the scenario files of that flow and fault kind (from the
scenario directory), how many of them ran in this run, how many passed,
and which are negative checks (a flow deployed without its trigger that
must miss a deadline). A scenario of several faults counts in the cell
of each of its kinds. A cell without a scenario is a gap (``-``).

The flow of a scenario is the one its file names (``flow:``, a key of
harness/registry.FLOWS), shown by the names of devstack/flow-settings.yaml;
the fault kinds are the registered ones (harness/registry.FAULTS), and a
scenario with several kinds counts in each of their cells.
"""

from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.report import table

AUTOHEAL = 'autoheal'        # seed 000, flow autoheal_group
POLICIES = 'policies'        # seed 004, flow recovery_policy
VITRAGE = 'vitrage'          # seed 001, flow vitrage_host
INTEGRATED = 'integrated'    # seed 002, flow integrated
PER_VM = 'per_vm'            # seed 003, flow per_vm_group
FLOWS = (AUTOHEAL, POLICIES, VITRAGE, INTEGRATED, PER_VM)
# The flow-settings name of each registered flow.
REGISTERED_FLOWS = {'autoheal_group': AUTOHEAL,
                    'recovery_policy': POLICIES,
                    'vitrage_host': VITRAGE,
                    'integrated': INTEGRATED,
                    'per_vm_group': PER_VM}
# The test module of each flow (tests/scenario/test_<flow>.py): names the
# flow of a timeline whose scenario file is not in the scenario directory.
TEST_MODULES = dict(('test_%s' % name, flow)
                    for name, flow in REGISTERED_FLOWS.items())

GAP = '-'


def fault_kinds(scenario):
    """The kinds of a scenario's faults, each once, in order."""
    kinds = []
    for fault in getattr(scenario, 'faults', None) or [scenario.fault]:
        if fault['kind'] not in kinds:
            kinds.append(fault['kind'])
    return kinds


def flow_of(scenario):
    """The flow-settings name of the flow ``scenario`` names (or None)."""
    return REGISTERED_FLOWS.get(scenario.flow)


def flow_of_entry(entry, scenarios_by_name):
    """The flow of a timeline: its scenario file's, else its test module's.
    """
    scenario = scenarios_by_name.get(entry.name)
    if scenario is not None:
        return flow_of(scenario)
    module = entry.test_id.split('[', 1)[0].rsplit('.', 3)
    return TEST_MODULES.get(module[-3] if len(module) >= 3 else '')


class Cell(object):
    """One flow x fault kind cell."""

    def __init__(self):
        self.scenarios = []      # names of the positive scenarios
        self.negatives = []      # names of the negative checks
        self.ran = set()         # scenario names with a timeline
        self.passed = set()      # ... whose every timeline passed
        self.failed = set()      # ... with a timeline that did not

    @property
    def empty(self):
        return not (self.scenarios or self.negatives)

    def _count(self, label, names):
        ran = [n for n in names if n in self.ran]
        passed = [n for n in ran if n in self.passed]
        if not ran:
            return '%s %d: not run' % (label, len(names))
        return '%s %d: ran %d, ok %d' % (
            label, len(names), len(ran), len(passed))

    @property
    def status(self):
        """gap | not run | passed | failed | partly run."""
        if self.empty:
            return 'gap'
        everything = self.scenarios + self.negatives
        if not any(n in self.ran for n in everything):
            return 'not run'
        if any(n in self.failed for n in everything):
            return 'failed'
        if all(n in self.ran for n in everything):
            return 'passed'
        return 'partly run'

    def text(self):
        """'sc 2: ran 2, ok 1 / neg 1: not run', or '-' for a gap."""
        if self.empty:
            return GAP
        return ' / '.join(self._count(label, names) for label, names in (
            ('sc', self.scenarios), ('neg', self.negatives)) if names)


class Matrix(object):
    """cells[flow][kind], from the scenario files and one run's entries."""

    def __init__(self, scenarios, entries=()):
        registry.load()
        # The member kinds, then the host kinds, then the service kinds.
        self.kinds = [e.name for e in sorted(
            registry.FAULTS.entries(), key=lambda e: (
                registry.TARGET_KINDS.index(e.target), e.name))]
        self.flows = list(FLOWS)
        self.cells = dict((f, dict((k, Cell()) for k in self.kinds))
                          for f in self.flows)
        by_name = {}
        self.without_flow = []
        for scenario in scenarios:
            flow = flow_of(scenario)
            if flow is None:
                self.without_flow.append(scenario.name)
                continue
            by_name[scenario.name] = scenario
            for kind in fault_kinds(scenario):
                cell = self.cells[flow][kind]
                (cell.negatives if scenario.expect_missed_phase
                 else cell.scenarios).append(scenario.name)
        self.not_in_files = []
        for entry in entries:
            scenario = by_name.get(entry.name)
            if scenario is None:
                if entry.name not in self.not_in_files:
                    self.not_in_files.append(entry.name)
                continue
            if table.is_interrupted(entry):
                continue        # ran, but measured nothing
            for kind in fault_kinds(scenario):
                cell = self.cells[flow_of(scenario)][kind]
                cell.ran.add(entry.name)
                if entry.passed:
                    if entry.name not in cell.failed:
                        cell.passed.add(entry.name)
                else:
                    cell.failed.add(entry.name)
                    cell.passed.discard(entry.name)

    def cell(self, flow, kind):
        return self.cells[flow][kind]

    def gaps(self):
        return [(f, k) for f in self.flows for k in self.kinds
                if self.cells[f][k].empty]

    def headers(self):
        return ['flow \\ fault'] + list(self.kinds)

    def rows(self):
        return [[flow] + [self.cells[flow][k].text() for k in self.kinds]
                for flow in self.flows]

    def text(self):
        text = table.render(self.headers(), self.rows())
        text += ('\n\nsc: scenarios, neg: negative checks (ran: with a '
                 'timeline, ok: every timeline passed); %d of %d cells '
                 'have no scenario (-)' % (len(self.gaps()),
                                           len(self.flows) *
                                           len(self.kinds)))
        if self.not_in_files:
            text += ('\nran but not in the scenario files: %s'
                     % ', '.join(self.not_in_files))
        return text

    def properties(self):
        """[(name, value)] for JUnit: coverage_<flow>_<kind> = status."""
        return [('coverage_%s_%s' % (f, k), self.cells[f][k].status)
                for f in self.flows for k in self.kinds]
