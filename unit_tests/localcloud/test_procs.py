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

import os
import subprocess
import sys
import tempfile
import time

import testtools

from localcloud import checks
from localcloud import layout
from localcloud import procs


class TestPidFiles(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp()
        self.addCleanup(subprocess.call, ['rm', '-rf', self.dir])
        self.pidfile = os.path.join(self.dir, 'run', 'x.pid')

    def test_round_trip_with_start_time(self):
        procs.write_pid(self.pidfile, os.getpid())
        pid, start = procs.read_pidfile(self.pidfile)
        self.assertEqual(os.getpid(), pid)
        self.assertIsNotNone(start)
        self.assertEqual(os.getpid(), procs.running_pid(self.pidfile))

    def test_missing_or_garbage(self):
        self.assertIsNone(procs.read_pid(self.pidfile))
        os.makedirs(os.path.dirname(self.pidfile))
        for text in ('', 'abc', '-3', '0'):
            with open(self.pidfile, 'w') as f:
                f.write(text)
            self.assertIsNone(procs.read_pid(self.pidfile), text)
            self.assertIsNone(procs.running_pid(self.pidfile), text)

    def test_reused_pid_is_not_ours(self):
        procs.write_pid(self.pidfile, os.getpid(), start=1)
        self.assertIsNone(procs.running_pid(self.pidfile))

    def test_dead_process_is_not_running(self):
        proc = subprocess.Popen(['true'])
        proc.wait()
        procs.write_pid(self.pidfile, proc.pid, start=0)
        self.assertIsNone(procs.running_pid(self.pidfile))


class TestStartStop(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.base = tempfile.mkdtemp()
        self.addCleanup(subprocess.call, ['rm', '-rf', self.base])
        self.lay = layout.Layout(self.base)
        self.addCleanup(procs.sweep, self.base)

    def _start(self, name, script):
        return procs.start(name, ['/bin/sh', '-c', script], self.base,
                           self.lay.log(name), self.lay.pidfile(name))

    def test_stop_ends_the_whole_group_and_leaves_nothing(self):
        pid = self._start('tree', 'sleep 300 & sleep 300 & wait')
        self.assertEqual(pid, procs.running_pid(self.lay.pidfile('tree')))
        deadline = time.monotonic() + 5
        while len(procs.owned_pids(self.base)) < 3 and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(3, len(procs.owned_pids(self.base)))
        procs.stop([self.lay.pidfile('tree')], self.base, term_timeout=5)
        self.assertEqual([], procs.owned_pids(self.base))
        self.assertFalse(os.path.exists(self.lay.pidfile('tree')))

    def test_sigterm_ignored_then_sigkill(self):
        self._start('stubborn', "trap '' TERM; sleep 300 & wait; sleep 300")
        time.sleep(0.3)
        killed = procs.stop([self.lay.pidfile('stubborn')], self.base,
                            term_timeout=0.5)
        self.assertEqual(1, len(killed))
        self.assertEqual([], procs.owned_pids(self.base))

    def test_sweep_finds_a_process_that_left_the_session(self):
        pid = self._start('escape', '%s -c "import os, time; os.setsid(); '
                          'time.sleep(300)" & wait' % sys.executable)
        deadline = time.monotonic() + 10
        found = []
        while not found and time.monotonic() < deadline:
            found = [p for p in procs.owned_pids(self.base)
                     if procs.session_of(p) not in (pid, None)]
            time.sleep(0.05)
        self.assertEqual(1, len(found))
        procs.stop([self.lay.pidfile('escape')], self.base, term_timeout=2)
        # The group is gone, the process that left it is not...
        self.assertEqual(found, procs.owned_pids(self.base))
        # ...until the sweep.
        self.assertEqual(found, procs.sweep(self.base))
        time.sleep(0.2)
        self.assertEqual([], procs.owned_pids(self.base))

    def test_start_writes_a_start_marker_to_the_log(self):
        self._start('echo', 'echo hello')
        deadline = time.monotonic() + 5
        text = ''
        while 'hello' not in text and time.monotonic() < deadline:
            time.sleep(0.05)
            text = checks.log_since_last_start(self.lay.log('echo'))
        self.assertTrue(text.startswith(checks.START_MARK))
        self.assertIn('hello', text)


class TestOwnerMark(testtools.TestCase):

    def test_other_processes_are_not_ours(self):
        proc = subprocess.Popen([sys.executable, '-c',
                                 'import time; time.sleep(30)'])
        self.addCleanup(proc.kill)
        self.assertFalse(procs.owned_by(proc.pid, '/nonexistent-base'))
