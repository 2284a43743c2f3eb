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

"""Runs and their liveness: a lock held for life, seen from elsewhere."""

import json
import multiprocessing
import os
import re

import fixtures
import testtools

from self_healing_tempest_plugin.harness import runs


def _start_run_and_exit(directory, queue):
    """In a child process: become a run, say its id, and die."""
    queue.put(runs.current(directory).id)


class RunTest(testtools.TestCase):

    def setUp(self):
        super(RunTest, self).setUp()
        self.directory = self.useFixture(fixtures.TempDir()).path

    def _dead_run_id(self):
        """The id of a run made by a child process that has exited."""
        context = multiprocessing.get_context('fork')
        queue = context.Queue()
        child = context.Process(target=_start_run_and_exit,
                                args=(self.directory, queue))
        child.start()
        run_id = queue.get(timeout=30)
        child.join(30)
        self.assertEqual(0, child.exitcode)
        return run_id

    def test_current_is_one_run_per_process_and_directory(self):
        run = runs.current(self.directory)
        self.assertIs(run, runs.current(self.directory))
        self.assertIsNot(run, runs.current(
            self.useFixture(fixtures.TempDir()).path))
        self.assertTrue(re.match(r'^[0-9a-f]{12}$', run.id), run.id)
        self.assertEqual('shtp-%s' % run.id, run.tag('shtp'))
        with open(runs.info_path(self.directory, run.id)) as handle:
            info = json.load(handle)
        self.assertEqual((run.id, os.getpid(), run.started_at),
                         (info['id'], info['pid'], info['started_at']))
        self.assertIn('hostname', info)
        self.assertIsInstance(info['argv'], list)

    def test_its_entry_numbers_never_repeat(self):
        run = runs.Run(self.directory)
        self.assertEqual([1, 2, 3], [run.next_number() for _ in range(3)])

    def test_a_live_run_is_seen_alive_with_its_start(self):
        run = runs.Run(self.directory)
        self.assertTrue(runs.is_alive(self.directory, run.id))
        self.assertEqual({run.id: run.started_at}, runs.live(self.directory))
        # Looking did not release it.
        self.assertTrue(runs.is_alive(self.directory, run.id))

    def test_a_run_whose_process_died_is_dead(self):
        mine = runs.Run(self.directory)
        dead = self._dead_run_id()
        self.assertFalse(runs.is_alive(self.directory, dead))
        self.assertEqual([mine.id], list(runs.live(self.directory)))

    def test_a_reused_pid_does_not_make_a_dead_run_alive(self):
        # A run file naming this very (live) pid, with its lock free:
        # the pid says alive, the lock says dead, the lock is right.
        dead = 'a' * 12
        os.makedirs(runs.runs_dir(self.directory))
        for path in (runs.info_path(self.directory, dead),
                     runs.lock_path(self.directory, dead)):
            with open(path, 'w') as handle:
                json.dump({'id': dead, 'pid': os.getpid(),
                           'started_at': 1.0}, handle)
        self.assertFalse(runs.is_alive(self.directory, dead))
        self.assertEqual({}, runs.live(self.directory))

    def test_a_run_that_ends_leaves_nothing_and_the_next_is_new(self):
        run = runs.current(self.directory)
        self.assertTrue(run.end())
        self.assertEqual([], os.listdir(runs.runs_dir(self.directory)))
        self.assertIsNot(run, runs.current(self.directory))

    def test_a_run_with_an_entry_left_does_not_end(self):
        run = runs.Run(self.directory)
        os.makedirs(os.path.join(self.directory, runs.ENTRIES))
        with open(os.path.join(self.directory, runs.ENTRIES,
                               run.id + '-1.json'), 'w'):
            pass
        self.assertFalse(run.end())
        self.assertTrue(runs.is_alive(self.directory, run.id))

    def test_an_unknown_run_is_dead(self):
        self.assertFalse(runs.is_alive(self.directory, 'b' * 12))

    def test_reap_removes_dead_runs_without_entries_only(self):
        mine = runs.Run(self.directory)
        dead_clean = self._dead_run_id()
        dead_with_entry = self._dead_run_id()
        os.makedirs(os.path.join(self.directory, runs.ENTRIES))
        with open(os.path.join(self.directory, runs.ENTRIES,
                               dead_with_entry + '-1.json'), 'w'):
            pass
        self.assertEqual([dead_clean], runs.reap_dead(self.directory))
        left = sorted(os.listdir(runs.runs_dir(self.directory)))
        self.assertEqual(sorted([
            mine.id + '.json', mine.id + '.lock',
            dead_with_entry + '.json', dead_with_entry + '.lock']), left)

    def test_an_unwritable_directory_names_the_option(self):
        blocker = os.path.join(self.directory, 'file')
        with open(blocker, 'w'):
            pass
        error = self.assertRaises(OSError, runs.Run,
                                  os.path.join(blocker, 'journal'))
        self.assertIn('[self_healing] fault_journal_dir', str(error))
        self.assertIn(blocker, str(error))

    def test_atomic_write_leaves_no_temporary_file(self):
        path = os.path.join(self.directory, 'x.json')
        runs.write_atomically(path, {'a': 1})
        runs.write_atomically(path, {'a': 2})
        self.assertEqual(['x.json'], os.listdir(self.directory))
        with open(path) as handle:
            self.assertEqual({'a': 2}, json.load(handle))
