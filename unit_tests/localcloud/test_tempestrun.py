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

"""Single test runs: the regex, the journal's entries, the timelines."""
import json
import os
import re
import sys
import time

import fixtures
import testtools

from localcloud import layout
from localcloud import procs
from localcloud import tempestconf
from localcloud import tempestrun

TEST_ID = ('self_healing_tempest_plugin.tests.scenario.test_vitrage_host.'
           'VitrageHostSerialTest.test_vitrage_host_stop_evacuate'
           '[id-9d2c6b1a-7e43-4f05-8a1c-3e6b5d9f2c84,slow]')


class TestRegex(testtools.TestCase):

    def test_selects_the_test_and_not_a_longer_name(self):
        regex = re.compile(tempestrun.test_regex('vitrage_host_stop'))
        self.assertIsNone(regex.search(TEST_ID))
        regex = re.compile(tempestrun.test_regex(
            'vitrage_host_stop_evacuate'))
        self.assertIsNotNone(regex.search(TEST_ID))
        self.assertIsNone(regex.search(TEST_ID.replace(
            'evacuate[', 'evacuate_repeat_2[')))


def entry(n, kind='host_stop', state='open', opened_at=100.0):
    return {'format': 1, 'id': 'run1-%d' % n, 'run_id': 'run1',
            'kind': kind, 'target': 'host1', 'state': state,
            'opened_at': opened_at, 'undo': []}


class TestJournalEntries(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        os.makedirs(os.path.join(self.dir, 'entries'))

    def write(self, name, data):
        with open(os.path.join(self.dir, 'entries', name), 'w') as f:
            f.write(data if isinstance(data, str) else json.dumps(data))

    def test_readable_entries_and_the_unreadable_named(self):
        self.write('run1-1.json', entry(1))
        self.write('run1-2.json', '{"kind": "nic_')
        self.write('run1-2.json.tmp', 'not an entry')
        entries, unreadable = tempestrun.read_entries(self.dir)
        self.assertEqual(['run1-1'], [e['id'] for e in entries])
        self.assertEqual('run1-1.json', entries[0]['file'])
        self.assertEqual(['run1-2.json'], [u[0] for u in unreadable])

    def test_no_journal_yet(self):
        self.assertEqual(([], []), tempestrun.read_entries(
            os.path.join(self.dir, 'nothing')))

    def test_open_entries_of_a_kind_since_a_time(self):
        entries = [entry(1, opened_at=50.0), entry(2),
                   entry(3, state='undo_failed'), entry(4, kind='nic_down')]
        self.assertEqual(
            ['run1-2'], [e['id'] for e in tempestrun.open_entries(
                entries, 'host_stop', since=99.0)])
        self.assertEqual(3, len(tempestrun.open_entries(entries)))

    def test_describe_names_what_the_journal_held(self):
        self.assertEqual(
            'host_stop host1 open, x.json unreadable (bad JSON)',
            tempestrun.describe_entries([entry(1)], [('x.json',
                                                      'bad JSON')]))
        self.assertEqual('no entry', tempestrun.describe_entries([]))


class FakeRun(object):

    def __init__(self, rc=None):
        self.started_at = time.time()
        self.rc = rc

    def poll(self):
        return self.rc


class TestWaitForEntry(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        os.makedirs(os.path.join(self.dir, 'entries'))

    def test_returns_the_run_s_open_entry(self):
        with open(os.path.join(self.dir, 'entries', 'a-1.json'), 'w') as f:
            json.dump(entry(1, opened_at=time.time()), f)
        found = tempestrun.wait_for_entry(FakeRun(), self.dir, 'host_stop',
                                          5, interval_s=0.01)
        self.assertEqual('run1-1', found['id'])

    def test_the_timeout_names_what_it_saw(self):
        with open(os.path.join(self.dir, 'entries', 'a-1.json'), 'w') as f:
            json.dump(entry(1, kind='nic_down', opened_at=time.time()), f)
        e = self.assertRaises(TimeoutError, tempestrun.wait_for_entry,
                              FakeRun(), self.dir, 'host_stop', 0.05,
                              interval_s=0.01)
        self.assertIn('no open host_stop entry', str(e))
        self.assertIn('nic_down host1 open', str(e))

    def test_an_old_entry_is_not_this_run_s(self):
        with open(os.path.join(self.dir, 'entries', 'a-1.json'), 'w') as f:
            json.dump(entry(1, opened_at=time.time() - 3600), f)
        self.assertRaises(TimeoutError, tempestrun.wait_for_entry,
                          FakeRun(), self.dir, 'host_stop', 0.05,
                          interval_s=0.01)

    def test_a_run_that_ended_first_says_so(self):
        e = self.assertRaises(RuntimeError, tempestrun.wait_for_entry,
                              FakeRun(rc=1), self.dir, 'host_stop', 5,
                              interval_s=0.01)
        self.assertIn('ended (exit 1) before a host_stop entry', str(e))


class TestTimeline(testtools.TestCase):

    def test_finds_the_test_s_timeline_written_since(self):
        directory = self.useFixture(fixtures.TempDir()).path
        name = re.sub(r'[^A-Za-z0-9_.-]+', '_', TEST_ID) + '.json'
        with open(os.path.join(directory, name), 'w') as f:
            json.dump({'verdict': 'passed'}, f)
        self.assertEqual({'verdict': 'passed'}, tempestrun.read_timeline(
            directory, 'vitrage_host_stop_evacuate'))
        self.assertIsNone(tempestrun.read_timeline(
            directory, 'vitrage_host_stop_evacuate',
            since=time.time() + 60))
        self.assertIsNone(tempestrun.read_timeline(directory,
                                                   'vitrage_host_stop'))


class TestRun(testtools.TestCase):

    def test_kill_group_ends_the_run_and_its_children(self):
        lay = layout.Layout(self.useFixture(fixtures.TempDir()).path)
        os.makedirs(lay.workspace)
        script = ('import subprocess, sys, time\n'
                  'c = subprocess.Popen([sys.executable, "-c", '
                  '"import time; time.sleep(600)"])\n'
                  'print(c.pid, flush=True)\n'
                  'time.sleep(600)\n')
        run = tempestrun.Run(lay, [sys.executable, '-c', script],
                             os.path.join(lay.workspace, 'logs', 'run.log'))
        for _ in range(100):
            with open(run.log_path) as f:
                text = f.read()
            if text.strip():
                break
            time.sleep(0.05)
        child = int(text.split()[0])
        run.kill_group()
        self.assertEqual(-9, run.wait(10))
        for _ in range(100):
            if not procs.pid_alive(child):
                break
            time.sleep(0.05)
        else:
            self.fail('child %d outlived its process group\'s SIGKILL'
                      % child)


class TestConf(testtools.TestCase):

    def test_the_journal_and_timelines_of_the_workspace_conf(self):
        lay = layout.Layout(self.useFixture(fixtures.TempDir()).path)
        os.makedirs(os.path.dirname(lay.tempest_conf))
        with open(lay.tempest_conf, 'w') as f:
            f.write(tempestconf.render('img', ['fl'], lay.workspace))
        self.assertEqual(
            (os.path.join(lay.workspace, 'journal'),
             os.path.join(lay.workspace, 'timelines')),
            tempestrun.journal_and_timelines(lay))
