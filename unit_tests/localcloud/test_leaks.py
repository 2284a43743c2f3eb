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

"""``localcloud job``'s leak check runs the plugin's console script.

A stand-in ``self-healing-leaks`` (a real executable in a temporary venv
layout) records its arguments and answers with a chosen exit code, so the
argv, the files and the verdict are checked without a cloud. What the
inventory lists is unit_tests/cmd/test_leaks.py's.
"""
import os
import stat

import fixtures
import testtools

from localcloud import layout
from localcloud import leaks

STAND_IN = """#!/bin/sh
echo "$@" >> {record}
echo "{say}"
exit {rc}
"""


class TestLeakCheck(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.lay = layout.Layout(self.useFixture(fixtures.TempDir()).path)
        self.record = self.lay.path('argv.txt')

    def stand_in(self, rc, say, command=leaks.COMMAND):
        path = self.lay.bin(command)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as handle:
            handle.write(STAND_IN.format(record=self.record, rc=rc, say=say))
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)

    def argv(self):
        with open(self.record) as handle:
            return [line.split() for line in handle]

    def test_snapshot_writes_before_with_the_clouds_tempest_conf(self):
        self.stand_in(0, 'inventory written')
        self.assertEqual(['inventory written'], leaks.snapshot(self.lay))
        (argv,) = self.argv()
        self.assertEqual(['--config-file', self.lay.tempest_conf,
                          'snapshot', '--output',
                          self.lay.data('leaks', 'before.json')], argv)

    def test_a_failed_snapshot_stops_the_job_naming_the_command(self):
        self.stand_in(2, 'no admin credentials')
        error = self.assertRaises(RuntimeError, leaks.snapshot, self.lay)
        self.assertIn('self-healing-leaks snapshot exited 2', str(error))
        self.assertIn('no admin credentials', str(error))

    def test_compare_against_before_is_a_leak_on_exit_1(self):
        self.stand_in(1, 'LEAKED 1 resource(s)')
        lines, leaked = leaks.compare(self.lay)
        self.assertTrue(leaked)
        self.assertEqual(['LEAKED 1 resource(s)'], lines)
        (argv,) = self.argv()
        self.assertEqual(['compare', '--before',
                          self.lay.data('leaks', 'before.json'), '--output',
                          self.lay.data('leaks', 'after.json')], argv[2:])

    def test_nothing_left_behind_passes(self):
        self.stand_in(0, 'no resource left behind')
        self.assertEqual((['no resource left behind'], False),
                         leaks.compare(self.lay))

    def test_a_compare_that_could_not_list_fails_and_says_so(self):
        self.stand_in(2, 'connection refused')
        lines, leaked = leaks.compare(self.lay)
        self.assertTrue(leaked)
        self.assertIn('exited 2', lines[0])
        self.assertIn('connection refused', lines)

    def test_the_leaked_count_of_a_report(self):
        self.assertEqual(3, leaks.leaked_count([
            'LEAKED 3 resource(s) the run made and did not delete:',
            '  server s-1 (shtp-abc-member)']))
        self.assertEqual(0, leaks.leaked_count(['no resource left behind']))

    def test_replays_and_reaps_with_the_clouds_tempest_conf(self):
        self.stand_in(0, 'removed 1 dead run entry',
                      command=leaks.UNDO_COMMAND)
        self.assertEqual((0, ['removed 1 dead run entry']),
                         leaks.undo(self.lay))
        (argv,) = self.argv()
        self.assertEqual(['--leaks', '--config-file', self.lay.tempest_conf],
                         argv)

    def test_an_undo_that_failed_gives_its_exit_code(self):
        self.stand_in(1, 'host1: Nova refused', command=leaks.UNDO_COMMAND)
        self.assertEqual((1, ['host1: Nova refused']), leaks.undo(self.lay))

    def test_a_plugin_without_the_script_is_skipped_saying_so(self):
        rc, lines = leaks.undo(self.lay)
        self.assertIsNone(rc)
        self.assertIn('self-healing-undo: not in the installed plugin',
                      lines[0])
