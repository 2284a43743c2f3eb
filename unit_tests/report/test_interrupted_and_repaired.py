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

"""The report of runs a stop condition interrupted, and of repairs.

Three timelines as the engine writes them: one interrupted before its
fault (no mark, no sample), one interrupted at a poll, and one that
healed after its journal replay repaired what a dead run left.
"""

from xml.etree import ElementTree

import fixtures
import testtools

from self_healing_tempest_plugin.harness import timeline as tl
from self_healing_tempest_plugin.report import htmlpage
from self_healing_tempest_plugin.report import junit
from self_healing_tempest_plugin.report import table
from self_healing_tempest_plugin.report import timelines as tls

TEST_ID = 'pkg.scenario.AutohealGroupTest.test_%s[id-1,slow]'
T0 = 1767225600.0
REPAIRED = [
    {'entry': '3fa2c0ffee01-1', 'run_id': '3fa2c0ffee01',
     'kind': 'host_stop', 'target': 'host1',
     'did': ['ran start on host1', 'cleared forced_down of host1'],
     'errors': [], 'dry_run': False, 'corrupt': None},
    {'entry': '3fa2c0ffee01-2', 'run_id': '3fa2c0ffee01',
     'kind': 'nic_down', 'target': 'host2', 'did': [],
     'errors': ['ssh: no route to host2'], 'dry_run': False,
     'corrupt': None}]


def interrupted_before_the_fault():
    t = tl.Timeline(TEST_ID % 'autoheal_before')
    t.scenario = {'name': 'autoheal_before', 'fault': 'instance_delete',
                  'stop_conditions': ['kill_switch']}
    t.verdict, t.interrupted_by = tl.INTERRUPTED, 'kill_switch'
    t.result = 'interrupted: kill_switch: kill switch /k exists'
    t.repaired = []
    return t


def interrupted_at_a_poll():
    t = tl.Timeline(TEST_ID % 'autoheal_poll')
    t.scenario = {'name': 'autoheal_poll', 'fault': 'host_stop'}
    t.add_fault({'kind': 'host_stop', 'target': 'host1', 't_fault': T0})
    t.mark(tl.FAULT_INJECTED, at=T0, source='host_stop')
    t.sample([], tl.YELLOW, at=T0 + 4)
    t.verdict, t.interrupted_by = tl.INTERRUPTED, 'computes_up'
    t.result = ('interrupted: computes_up: nova-compute on host2 is down '
                '(was up at the start)')
    return t


def healed_after_a_repair():
    t = tl.Timeline(TEST_ID % 'autoheal_repaired')
    t.scenario = {'name': 'autoheal_repaired', 'fault': 'instance_delete'}
    t.mark(tl.FAULT_INJECTED, at=T0)
    t.mark(tl.DETECTED, at=T0 + 2)
    t.mark(tl.ACTION_STARTED, at=T0 + 3)
    t.mark(tl.RECOVERED, at=T0 + 9)
    t.sample([], tl.GREEN, at=T0 + 9)
    t.verdict, t.result = tl.PASSED, 'healed'
    t.repaired = REPAIRED
    return t


class InterruptedAndRepairedReportTest(testtools.TestCase):

    def setUp(self):
        super(InterruptedAndRepairedReportTest, self).setUp()
        directory = self.useFixture(fixtures.TempDir()).path
        for timeline in (interrupted_before_the_fault(),
                         interrupted_at_a_poll(), healed_after_a_repair()):
            timeline.write(directory)
        entries, problems = tls.read_dir(directory)
        self.assertEqual([], problems)
        self.entries = entries
        self.by_name = dict((e.name, e) for e in entries)

    def test_entries_carry_the_condition_and_the_repairs(self):
        before = self.by_name['autoheal_before']
        self.assertEqual((tls.INTERRUPTED, 'kill_switch', []),
                         (before.verdict, before.interrupted_by,
                          before.repaired))
        self.assertEqual(
            'host_stop on host1 of run 3fa2c0ffee01: ran start on host1; '
            'cleared forced_down of host1; nic_down on host2 of run '
            '3fa2c0ffee01 (undo FAILED: ssh: no route to host2)',
            self.by_name['autoheal_repaired'].repaired_text())

    def test_the_table_counts_interrupted_apart_and_shows_why(self):
        text = table.run_table(self.entries)
        self.assertIn('3 timeline(s): 1 passed, 0 did not, 2 interrupted',
                      text)
        self.assertIn('autoheal_poll: interrupted: computes_up: '
                      'nova-compute on host2 is down (was up at the '
                      'start)', text)
        self.assertIn('autoheal_repaired: repaired before its first '
                      'fault: host_stop on host1 of run 3fa2c0ffee01',
                      text)
        rows = [line for line in text.splitlines()
                if line.startswith('autoheal_before')]
        self.assertIn('INTERRUPTED', rows[0])

    def test_junit_skipped_with_the_condition_and_repairs(self):
        suite = ElementTree.fromstring(junit.to_bytes(
            self.entries)).find('testsuite')
        self.assertEqual(('3', '0', '0', '2'), (
            suite.get('tests'), suite.get('failures'), suite.get('errors'),
            suite.get('skipped')))
        cases = dict((c.get('name'), c) for c in suite.findall('testcase'))
        skipped = cases['autoheal_poll'].find('skipped')
        self.assertEqual('interrupted: computes_up: nova-compute on host2 '
                         'is down (was up at the start)',
                         skipped.get('message'))

        def props(name):
            return dict((p.get('name'), p.get('value'))
                        for p in cases[name].find('properties'))
        self.assertEqual('computes_up',
                         props('autoheal_poll')['interrupted_by'])
        repaired = props('autoheal_repaired')
        self.assertEqual('2', repaired['repaired'])
        self.assertIn('undo FAILED', repaired['repaired_what'])
        self.assertNotIn('repaired', props('autoheal_before'))

    def test_html_in_the_interrupted_colour_with_the_repairs(self):
        page = htmlpage.page('report', self.entries)
        self.assertIn('.INTERRUPTED { background: #e1d5f0; }', page)
        self.assertIn('<td class="INTERRUPTED">INTERRUPTED</td>', page)
        self.assertIn('Interrupted by the stop condition <span '
                      'class="INTERRUPTED">kill_switch</span>', page)
        self.assertIn('<li>host_stop on host1 of run 3fa2c0ffee01: ran '
                      'start on host1; cleared forced_down of host1</li>',
                      page)
        self.assertIn('2 interrupted', page)
