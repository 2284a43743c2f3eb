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

"""The kill test's pure parts: the test per kind, its lines, its verdict."""
import json
import os

import fixtures
import testtools

from localcloud import killtest

ONE_FAULT = """name: plain
id: 1
description: >
  Folded text: with a colon, and
  more lines.
fault:
  kind: server_stop
  target: member
recovery:
  identity: keep
"""

TWO_FAULTS = """name: two
flow: autoheal_group
faults:
  - kind: instance_delete
    target: member
  - kind: service_freeze
    target: service:aodh-notifier
    duration_s: 15
"""

NEGATIVE = """name: negative_plain
fault:
  kind: server_stop
  target: member
expect:
  missed_phase: act
"""


def scenario(name, kinds, negative=False):
    return {'name': name, 'kinds': kinds, 'negative': negative}


class TestReadScenario(testtools.TestCase):

    def test_one_fault(self):
        self.assertEqual(scenario('plain', ['server_stop']),
                         killtest.read_scenario(ONE_FAULT))

    def test_a_list_of_faults(self):
        self.assertEqual(
            scenario('two', ['instance_delete', 'service_freeze']),
            killtest.read_scenario(TWO_FAULTS))

    def test_a_negative_check_is_marked(self):
        self.assertTrue(killtest.read_scenario(NEGATIVE)['negative'])

    def test_no_fault_is_an_error_naming_the_file(self):
        e = self.assertRaises(ValueError, killtest.read_scenario,
                              'name: x\nflow: y\n', 'scenarios/x.yaml')
        self.assertIn('scenarios/x.yaml', str(e))

    def test_the_shipped_scenarios_cover_every_kind(self):
        picked = dict(killtest.pick_tests(killtest.load_scenarios()))
        self.assertEqual([], [k for k, t in picked.items() if t is None])
        self.assertEqual('vitrage_host_stop_evacuate', picked['host_stop'])
        self.assertEqual('policy_rebuild_error_server',
                         picked['server_error'])


class TestPickTests(testtools.TestCase):

    def test_the_shortest_positive_test_of_each_kind(self):
        scenarios = [
            scenario('slow_stop', ['server_stop']),
            scenario('fast_stop', ['server_stop']),
            scenario('negative_stop', ['server_stop'], negative=True),
            scenario('delete_then_freeze', ['instance_delete',
                                            'service_freeze']),
        ]
        timings = {'slow_stop': 50, 'fast_stop': 20, 'negative_stop': 5,
                   'delete_then_freeze': 60}
        self.assertEqual(
            [('server_stop', 'fast_stop'),
             ('service_freeze', 'delete_then_freeze'),
             ('nic_down', None)],
            killtest.pick_tests(scenarios, ('server_stop', 'service_freeze',
                                            'nic_down'), timings))

    def test_a_measured_test_before_an_unmeasured_one(self):
        scenarios = [scenario('a_unmeasured', ['host_stop']),
                     scenario('z_measured', ['host_stop'])]
        self.assertEqual(
            [('host_stop', 'z_measured')],
            killtest.pick_tests(scenarios, ('host_stop',),
                                {'z_measured': 300}))

    def test_then_fewer_faults(self):
        scenarios = [scenario('a', ['instance_delete', 'service_restart']),
                     scenario('b', ['instance_delete'])]
        self.assertEqual([('instance_delete', 'b')],
                         killtest.pick_tests(scenarios, ('instance_delete',),
                                             {}))


ENTRY = {'id': 'abc-1', 'run_id': 'abc', 'kind': 'host_stop',
         'target': 'host1'}


class TestLines(testtools.TestCase):

    def result(self, **kw):
        values = dict(kind='host_stop', test='vitrage_host_stop_evacuate',
                      killed_at_s=31.24, active_s=3.06, entry=ENTRY,
                      repaired=[{'entry': 'abc-1', 'run_id': 'abc',
                                 'kind': 'host_stop', 'target': 'host1',
                                 'did': ['started host1',
                                         'cleared forced-down'],
                                 'errors': []}],
                      next_passed=True, leftovers=0)
        values.update(kw)
        return killtest.Result(**values)

    def test_a_kind_that_passed(self):
        r = self.result()
        self.assertTrue(r.ok)
        self.assertEqual(
            'kill-test host_stop: killed at 31.2 s after start '
            '(vitrage_host_stop_evacuate), fault active 3.1 s, repaired: '
            'host_stop host1: started host1; cleared forced-down, next '
            'run: passed, leftovers: 0', killtest.result_line(r))

    def test_an_undo_that_failed_is_not_repaired(self):
        r = self.result(repaired=[dict(self.result().repaired[0],
                                       errors=['Nova refused'])])
        self.assertFalse(r.was_repaired)
        self.assertFalse(r.ok)
        self.assertIn('FAILED: Nova refused', killtest.result_line(r))

    def test_a_repair_of_another_entry_does_not_count(self):
        r = self.result(repaired=[dict(self.result().repaired[0],
                                       entry='zzz-9')])
        self.assertFalse(r.was_repaired)

    def test_a_kind_not_killed_names_why(self):
        r = self.result(killed_at_s=None, entry=None, repaired=[],
                        next_passed=False,
                        problem='no open host_stop entry in /j within 240 s')
        self.assertEqual(
            'kill-test host_stop: NOT KILLED (vitrage_host_stop_evacuate): '
            'no open host_stop entry in /j within 240 s, repaired: nothing, '
            'next run: FAILED, leftovers: 0', killtest.result_line(r))

    def test_a_long_repair_list_is_cut(self):
        text = killtest.short_repaired([{'kind': 'k', 'target': 't',
                                         'did': ['x' * 300]}], limit=50)
        self.assertEqual(50, len(text))
        self.assertTrue(text.endswith('...'))

    def test_a_long_target_and_step_are_cut(self):
        self.assertEqual(
            'server_error 95ded062-f9...: reset server 95ded062-f9a8-45cd-'
            '8c60-99160157...',
            killtest.short_repaired([{
                'kind': 'server_error',
                'target': '95ded062-f9a8-45cd-8c60-991601579e30',
                'did': ['reset server 95ded062-f9a8-45cd-8c60-991601579e30 '
                        'to active if ERROR']}]))

    def test_total_and_verdict(self):
        results = [self.result(),
                   self.result(kind='nic_down', next_passed=False,
                               leftovers=2),
                   killtest.Result('external_event')]
        self.assertEqual(
            'kill-test: kinds tried 2, repaired 2, next run passed 1, '
            'resources left 2', killtest.total_line(results))
        self.assertEqual(1, killtest.verdict(results))
        self.assertEqual(0, killtest.verdict([self.result()]))

    def test_a_kind_without_a_scenario_fails_the_verdict(self):
        self.assertEqual(1, killtest.verdict(
            [self.result(), killtest.Result('external_event')]))
        self.assertEqual(1, killtest.verdict([]))

    def test_a_kind_after_the_cloud_broke_is_not_tried(self):
        r = self.result(killed_at_s=None, entry=None, repaired=[],
                        next_passed=False,
                        not_tried='the cloud was left unhealthy by nic_down')
        self.assertEqual(
            'kill-test host_stop: not tried (vitrage_host_stop_evacuate): '
            'the cloud was left unhealthy by nic_down',
            killtest.result_line(r))
        self.assertEqual([], killtest.tried([r]))
        self.assertEqual(1, killtest.verdict([self.result(), r]))


class TestReplayedWithoutTimeline(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        os.makedirs(os.path.join(self.dir, 'entries'))

    def test_an_entry_gone_was_replayed(self):
        items = killtest.replayed_without_timeline(self.dir, ENTRY)
        self.assertTrue(killtest.was_repaired(items, ENTRY))
        self.assertIn('entry gone from the journal',
                      killtest.short_repaired(items))

    def test_an_entry_still_open_was_not(self):
        with open(os.path.join(self.dir, 'entries', 'abc-1.json'),
                  'w') as f:
            json.dump(dict(ENTRY, state='open'), f)
        items = killtest.replayed_without_timeline(self.dir, ENTRY)
        self.assertFalse(killtest.was_repaired(items, ENTRY))
        self.assertIn('FAILED: entry still open in the journal',
                      killtest.short_repaired(items))
