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

"""The engine's stop conditions: the "interrupted" verdict; fake clock."""

import os
import unittest
from unittest import mock

from self_healing_tempest_plugin.harness import stop_conditions as stops
from self_healing_tempest_plugin.harness import timeline as tl
from unit_tests.harness import test_run

INTERRUPTED_TEXT = 'interrupted: disk_free: 812 MiB free on /var/tmp'


class Scripted(object):
    """A stop condition violated from ``after_s`` seconds since the fault.

    ``None``: never; ``-1``: already before the fault. Records each
    check's view.
    """

    def __init__(self, cloud, after_s, name='disk_free', calls=0,
                 reason='812 MiB free on /var/tmp'):
        self.cloud, self.after_s = cloud, after_s
        self.name, self.calls, self.reason = name, calls, reason
        self.views = []

    def check(self, view):
        self.views.append((len(view.injected), len(view.pending)))
        since = self.cloud.since()
        if self.after_s is None:
            return None
        if self.after_s < 0 or (since is not None and
                                since >= self.after_s):
            return self.reason
        return None


class FailingUndo(test_run.FakeFault):

    def undo(self):
        self.record['undo_errors'] = ['ssh: no route to host1']
        raise RuntimeError('undo of host_stop failed: ssh: no route')


class InterruptedRunTest(test_run.RunFixtures):

    def setUp(self):
        super(InterruptedRunTest, self).setUp()
        self.log = []

    def _fault(self, kind, **kwargs):
        return test_run.FakeFault(self.clock, kind, cloud=self.cloud,
                                  log=self.log, **kwargs)

    def _interrupted(self, **kwargs):
        error = self.assertRaises(unittest.SkipTest,
                                  self._run(**kwargs).run)
        return str(error)

    def test_before_the_fault_nothing_is_injected(self):
        fault = self._fault('instance_delete', hits={'a'})
        condition = Scripted(self.cloud, -1)
        text = self._interrupted(faults=[fault],
                                 stop_conditions=[condition])
        self.assertEqual(INTERRUPTED_TEXT, text)
        self.assertEqual([], self.log)
        self.assertIsNone(fault.t_fault)
        self.assertEqual([(0, 1)], condition.views)
        data = self._written()
        self.assertEqual(('interrupted', 'disk_free', INTERRUPTED_TEXT),
                         (data['verdict'], data['interrupted_by'],
                          data['result']))
        self.assertEqual([], data['marks'])
        self.assertEqual(['disk_free'],
                         data['scenario']['stop_conditions'])

    def test_at_a_poll_every_active_fault_is_undone_latest_first(self):
        first = self._fault('instance_delete', hits={'a'})
        second = self._fault('service_kill')
        text = self._interrupted(faults=[first, second],
                                 stop_conditions=[Scripted(self.cloud, 3)])
        self.assertEqual(INTERRUPTED_TEXT, text)
        undone = [e for e in self.log if e[0] == 'undo']
        self.assertEqual(['service_kill', 'instance_delete'],
                         [e[1] for e in undone])
        # Undone at the poll, before the test's cleanups (the write, the
        # critical path, the two undos) ran.
        self.assertGreaterEqual(undone[0][2] - first.t_fault, 3)
        self.assertEqual(4, len(self.test.cleanups))
        self.assertEqual('engine, interrupted by disk_free',
                         first.record['undone_by'])
        data = self._written()
        self.assertEqual(('interrupted', 'disk_free'),
                         (data['verdict'], data['interrupted_by']))
        self.assertEqual([True, True],
                         ['undone_at' in f for f in data['faults']])
        self.assertNotIn(tl.RECOVERED, [m['name'] for m in data['marks']])

    def test_an_undo_that_fails_is_kept_and_tried_again(self):
        broken = FailingUndo(self.clock, 'host_stop', hits={'a'},
                             cloud=self.cloud, log=self.log)
        self._interrupted(faults=[broken],
                          stop_conditions=[Scripted(self.cloud, 2)])
        self.assertEqual('RuntimeError: undo of host_stop failed: ssh: no '
                         'route', broken.record['interrupt_undo_error'])
        # The cleanup tries again, and its error is not swallowed.
        errors = self.test.run_cleanups()
        self.assertEqual(['undo of host_stop failed: ssh: no route'],
                         [str(e) for e in errors])
        path = os.path.join(self.dir, 'pkg.module.Class.test_flow.json')
        data = tl.Timeline.from_json(open(path).read())
        self.assertEqual(['ssh: no route to host1'],
                         data.faults[0]['undo_errors'])

    def test_the_kill_switch_blocks_a_later_fault(self):
        switch = os.path.join(self.dir, 'kill-switch')
        kill = stops.KillSwitch(mock.Mock(kill_switch_file=switch), None)
        first = self._fault('instance_delete', hits={'a'})
        later = self._fault('instance_delete', hits={'b'})
        state = self.cloud.state

        def touch_at_4_s():
            if self.cloud.since() is not None and self.cloud.since() >= 4:
                open(switch, 'w').close()
            return state()
        self.cloud.state = touch_at_4_s
        text = self._interrupted(faults=[first, test_run.Scheduled(
            later, at_s=7)], stop_conditions=[kill])
        self.assertEqual('interrupted: kill_switch: kill switch %s exists'
                         % switch, text)
        self.assertIsNone(later.t_fault)
        self.assertEqual([('inject', 'instance_delete'),
                          ('undo', 'instance_delete')],
                         [e[:2] for e in self.log])
        self.assertLess(self.clock() - first.t_fault, 7)

    def test_a_condition_that_holds_changes_nothing(self):
        condition = Scripted(self.cloud, None, calls=1)
        timeline = self._run(stop_conditions=[condition],
                             repaired=[]).run()
        self.assertEqual(('healed', 'passed', None),
                         (timeline.result, timeline.verdict,
                          timeline.interrupted_by))
        self.assertEqual([], timeline.repaired)
        # Checked before the baseline and at every poll.
        self.assertEqual(len(timeline.samples), len(condition.views))
        # Its request rides on top: the spacing is cluster 1 + observer 1,
        # as without it (sampled more slowly, a fast healing looked as if
        # the group never left green).
        self.assertEqual(2.0, self.clock.sleeps[0])

    def test_the_repairs_are_in_the_timeline(self):
        repaired = [{'entry': 'dead-1', 'run_id': 'dead', 'kind':
                     'host_stop', 'target': 'host1', 'did': ['start'],
                     'errors': [], 'dry_run': False, 'corrupt': None}]
        self._run(repaired=repaired).run()
        self.assertEqual(repaired, self._written()['repaired'])
