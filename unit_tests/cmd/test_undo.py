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

"""self-healing-undo: one line per entry, its exit codes, --leaks."""

import io
import os
import subprocess
import sys
import types
from unittest import mock

import fixtures
import testtools

from self_healing_tempest_plugin.cmd import undo
from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import journal as jn
from unit_tests.harness import test_journal as tj


class UndoCommandTest(testtools.TestCase):

    def setUp(self):
        super(UndoCommandTest, self).setUp()
        self.directory = self.useFixture(fixtures.TempDir()).path
        self.dead = jn.Journal(self.directory, run=tj.DeadRun())
        self.admin = mock.Mock()
        self.admin.show_server.return_value = {
            'server': {'status': 'SHUTOFF'}}
        self.conf = mock.Mock(fault_journal_dir=self.directory)
        self.loaded = []
        self.lines = []
        self.stderr = self.useFixture(fixtures.MockPatchObject(
            sys, 'stderr', io.StringIO())).mock

    def load(self, path):
        self.loaded.append(path)
        ctx = faults.FaultContext(self.conf, admin_servers_client=self.admin)
        return undo.Cloud(self.conf, mock.Mock(name='admin manager'), ctx,
                          path)

    def main(self, *argv):
        return undo.main(['--config-file', 'tempest.conf'] + list(argv),
                         load=self.load, out=self.lines.append)

    def stop_entry(self, server_id='srv-1'):
        fault = faults.ServerStop(mock.Mock(), server_id)
        fault.t_fault = 1767225600.0
        return self.dead.open(fault)

    def test_everything_undone_is_0_with_a_line_each(self):
        entry_id = self.stop_entry()
        self.assertEqual(0, self.main())
        self.assertEqual(['tempest.conf'], self.loaded)
        self.admin.start_server.assert_called_once_with('srv-1')
        self.assertEqual(
            'repaired server_stop on srv-1 (entry %s of dead run '
            'deadbeef0001): start server srv-1 if SHUTOFF' % entry_id,
            self.lines[0])
        self.assertIn('repaired 1, failed 0, corrupt 0', self.lines[-1])
        # Neither the dead run nor the command's own run is left.
        self.assertEqual([], os.listdir(os.path.join(self.directory,
                                                     'runs')))

    def test_dry_run_says_what_it_would_do_and_does_nothing(self):
        self.stop_entry()
        self.assertEqual(0, self.main('--dry-run'))
        self.admin.start_server.assert_not_called()
        self.assertIn('would repair server_stop on srv-1', self.lines[0])
        self.assertIn('lasts until undone: no duration', self.lines[0])
        self.assertEqual(1, len(self.dead.entries()))

    def test_a_failed_undo_is_1_and_says_why(self):
        self.stop_entry()
        self.admin.start_server.side_effect = RuntimeError('HTTP 503')
        self.assertEqual(1, self.main())
        self.assertIn('FAILED to repair server_stop on srv-1', self.lines[0])
        self.assertIn('HTTP 503', self.lines[0])
        self.assertEqual('undo_failed',
                         self.dead.entries()[0].data['state'])

    def test_a_corrupt_file_is_1_and_named(self):
        self.stop_entry()
        path = os.path.join(self.dead.entries_dir, 'deadbeef0001-5.json')
        with open(path, 'w') as handle:
            handle.write('{')
        self.assertEqual(1, self.main())
        self.assertIn('CORRUPT journal file %s skipped' % path,
                      '\n'.join(self.lines))
        self.admin.start_server.assert_called_once_with('srv-1')

    def test_the_journal_option_wins_and_a_missing_one_is_nothing(self):
        missing = os.path.join(self.directory, 'nowhere')
        self.assertEqual(0, self.main('--journal', missing))
        self.assertIn('%s does not exist' % missing, self.lines[0])

    def test_no_journal_configured_is_2_naming_the_option(self):
        self.conf.fault_journal_dir = ''
        self.assertEqual(2, self.main())
        self.assertIn('[self_healing] fault_journal_dir is empty',
                      self.stderr.getvalue())

    def test_a_missing_config_file_is_2_naming_it(self):
        missing = os.path.join(self.directory, 'tempest.conf')
        self.assertEqual(2, undo.main(['--config-file', missing],
                                      out=self.lines.append))
        self.assertIn('%s: no such tempest.conf' % missing,
                      self.stderr.getvalue())

    def test_leaks_without_the_reaper_is_2_and_says_so(self):
        self.useFixture(fixtures.MockPatchObject(
            undo, 'REAP_MODULE', 'self_healing_tempest_plugin.cmd.no_reap'))
        self.assertEqual(2, self.main('--leaks'))
        self.assertIn('--leaks needs self_healing_tempest_plugin.cmd.no_reap',
                      self.stderr.getvalue())

    def test_leaks_calls_the_reaper_after_the_replay(self):
        calls = []
        reap = types.ModuleType(undo.REAP_MODULE)

        def reap_leaks(conf, admin_manager, directory, dry_run, out):
            calls.append((conf, directory, dry_run))
            out('deleted server shtp-x-1')
            return [{'kind': 'server', 'action': 'failed: HTTP 409'}]
        reap.reap_leaks = reap_leaks
        self.useFixture(fixtures.MockPatchObject(
            sys, 'modules', dict(sys.modules, **{undo.REAP_MODULE: reap})))
        self.stop_entry()
        self.assertEqual(1, self.main('--leaks', '--dry-run'))
        self.assertEqual([(self.conf, self.directory, True)], calls)
        self.assertEqual('deleted server shtp-x-1', self.lines[-1])


TEMPEST_CONF = """[auth]
admin_username = admin
admin_password = %(password)s
admin_project_name = admin
admin_domain_name = Default
[identity]
uri_v3 = http://127.0.0.1:9/v3
auth_version = v3
[service_available]
vitrage = false
[self_healing]
fault_journal_dir = %(journal)s
"""
PASSWORD = 'never-printed-7f3a'


class RealConfigTest(testtools.TestCase):
    """The command as a user runs it, in a process of its own.

    Tempest reads the tempest.conf there (its CONF is global); a dry run
    sends nothing.
    """

    def _run(self, text, *argv):
        directory = self.useFixture(fixtures.TempDir()).path
        journal = os.path.join(directory, 'journal')
        dead = jn.Journal(journal, run=tj.DeadRun())
        fault = faults.ServerStop(mock.Mock(), 'srv-9')
        fault.t_fault = 1767225600.0
        dead.open(fault)
        path = os.path.join(directory, 'tempest.conf')
        with open(path, 'w') as handle:
            handle.write(text % {'password': PASSWORD, 'journal': journal})
        done = subprocess.run(
            [sys.executable, '-m', 'self_healing_tempest_plugin.cmd.undo',
             '--config-file', path] + list(argv),
            capture_output=True, text=True, timeout=120, cwd=directory)
        return done

    def test_a_dry_run_builds_the_admin_clients_and_prints_the_entry(self):
        done = self._run(TEMPEST_CONF, '--dry-run')
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertIn('would repair server_stop on srv-9', done.stdout)
        self.assertNotIn(PASSWORD, done.stdout + done.stderr)

    def test_missing_admin_credentials_are_2_naming_them(self):
        done = self._run(TEMPEST_CONF.replace('admin_username = admin\n',
                                              ''), '--dry-run')
        self.assertEqual(2, done.returncode, done.stdout + done.stderr)
        self.assertIn('the admin credentials ([auth] admin_username',
                      done.stderr)
        self.assertNotIn(PASSWORD, done.stdout + done.stderr)
