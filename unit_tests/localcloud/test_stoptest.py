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

"""The stop test's pure parts: its lines, its verdict, the disk floor."""
from unittest import mock

import testtools

from localcloud import stoptest

INTERRUPTED = {'verdict': 'interrupted', 'interrupted_by': 'kill_switch',
               'result': 'interrupted: kill_switch: /ws/kill-switch exists'}


class TestLines(testtools.TestCase):

    def test_an_interrupted_run(self):
        r = stoptest.Result('kill_switch', 'policy_rebuild_error_server',
                            timeline=INTERRUPTED, after_s=1.26)
        self.assertTrue(r.ok)
        self.assertEqual('stop-test kill_switch: interrupted after 1.3 s: '
                         '/ws/kill-switch exists', stoptest.result_line(r))

    def test_interrupted_by_another_condition_is_not_ok(self):
        r = stoptest.Result('disk_free', 'policy_rebuild_error_server',
                            timeline=INTERRUPTED, after_s=1.0)
        self.assertFalse(r.ok)
        self.assertIn('stop-test disk_free: NOT INTERRUPTED by it',
                      stoptest.result_line(r))
        self.assertIn('interrupted_by kill_switch', stoptest.result_line(r))

    def test_a_run_that_passed_names_its_verdict(self):
        r = stoptest.Result('message_bus', 'policy_rebuild_error_server',
                            timeline={'verdict': 'passed', 'result': 'ok'},
                            problem='the fault\'s entry a-1 still open')
        self.assertEqual(
            "stop-test message_bus: NOT INTERRUPTED by it "
            "(test_policy_rebuild_error_server): verdict passed, "
            "interrupted_by None, result 'ok'; the fault's entry a-1 still "
            "open", stoptest.result_line(r))

    def test_no_timeline(self):
        r = stoptest.Result('computes_up', 't')
        self.assertIn('verdict no timeline', stoptest.result_line(r))

    def test_total_and_verdict(self):
        ok = stoptest.Result('kill_switch', 't', timeline=INTERRUPTED)
        bad = stoptest.Result('disk_free', 't', timeline=INTERRUPTED)
        self.assertEqual(
            'stop-test: conditions tried 2, interrupted by their condition '
            '1; cloud after: every compute up, no kill switch, nothing left '
            'behind', stoptest.total_line([ok, bad], []))
        self.assertEqual(1, stoptest.verdict([ok, bad], []))
        self.assertEqual(0, stoptest.verdict([ok], []))
        self.assertEqual(1, stoptest.verdict([ok], ['host2 down']))


class TestDiskFloor(testtools.TestCase):

    def test_just_under_the_free_space(self):
        usage = mock.Mock(free=10000 * 1024 * 1024)
        with mock.patch('shutil.disk_usage', return_value=usage):
            self.assertEqual(9744, stoptest.disk_floor_mib('/ws'))

    def test_too_little_free_space_is_named(self):
        usage = mock.Mock(free=300 * 1024 * 1024)
        with mock.patch('shutil.disk_usage', return_value=usage):
            e = self.assertRaises(RuntimeError, stoptest.disk_floor_mib,
                                  '/ws')
        self.assertIn('/ws has 300 MiB free', str(e))


class TestReason(testtools.TestCase):

    def test_the_reason_after_the_condition(self):
        self.assertEqual('RabbitMQ at 127.0.0.1:5672: no answer in 5.0 s',
                         stoptest.reason({'result': 'interrupted: '
                                          'message_bus: RabbitMQ at '
                                          '127.0.0.1:5672: no answer in '
                                          '5.0 s'}))
        self.assertEqual('no result', stoptest.reason(None))
