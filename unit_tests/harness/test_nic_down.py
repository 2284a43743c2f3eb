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

"""The NIC-down fault against a real SSH server on 127.0.0.1."""

import time

from tempest.lib.common import ssh
import testtools

from self_healing_tempest_plugin.common import waiters
from self_healing_tempest_plugin.harness import faults
from unit_tests.harness import fakes
from unit_tests.harness import sshd


class NicDownTest(testtools.TestCase):

    def _server(self, session_dev='lo'):
        server = self.useFixture(sshd.SSHServerFixture(session_dev))
        client = ssh.Client('127.0.0.1', server.user,
                            pkey=server.private_key_text(),
                            port=server.port, timeout=10,
                            look_for_keys=False, ssh_allow_agent=False)
        return server, client

    def _links(self, server):
        return [call for _, call in server.calls()
                if call.startswith('link')]

    def test_down_then_undo_brings_it_up(self):
        server, client = self._server()
        test = fakes.FakeTest()
        fault = faults.NicDown(client, 'eth1', host='compute1',
                               log_dir=server.workdir)
        before = time.time()
        record = fault.inject(test)
        self.assertEqual(['link set eth1 down'], self._links(server))
        self.assertFalse(record['carries_ssh'])
        # The remote side said when the link went down, on its own clock
        # and converted to the harness clock.
        self.assertGreaterEqual(record['remote_down_at'], before)
        self.assertLessEqual(record['remote_down_at'], time.time())
        self.assertAlmostEqual(record['remote_down_at'],
                               record['link_down_at'], delta=1.0)
        self.assertEqual([], test.run_cleanups())
        self.assertEqual(['link set eth1 down', 'link set eth1 up'],
                         self._links(server))
        self.assertIn('undone_at', record)

    def test_undo_registered_before_the_command_runs(self):
        server, client = self._server()
        test = fakes.FakeTest()
        seen = []
        real = client.exec_command

        def spy(command):
            if 'down' in command:
                seen.append(len(test.cleanups))
            return real(command)
        client.exec_command = spy
        faults.NicDown(client, 'eth1', log_dir=server.workdir).inject(test)
        self.assertEqual([1], seen)

    def test_undo_twice_runs_once(self):
        server, client = self._server()
        test = fakes.FakeTest()
        fault = faults.NicDown(client, 'eth1', log_dir=server.workdir)
        fault.inject(test)
        fault.undo()
        fault.undo()
        self.assertEqual(1, self._links(server).count('link set eth1 up'))

    def test_refuses_to_cut_its_own_session_without_duration(self):
        server, client = self._server(session_dev='eth1')
        test = fakes.FakeTest()
        fault = faults.NicDown(client, 'eth1', log_dir=server.workdir)
        error = self.assertRaises(ValueError, fault.inject, test)
        self.assertIn('carries the SSH session', str(error))
        self.assertEqual([], self._links(server))
        self.assertEqual([], test.cleanups)

    def test_detached_fault_ends_by_itself(self):
        server, client = self._server(session_dev='eth1')
        test = fakes.FakeTest()
        fault = faults.NicDown(client, 'eth1', duration_s=3,
                               log_dir=server.workdir)
        record = fault.inject(test)
        self.assertTrue(record['carries_ssh'])
        self.assertTrue(record['detached'])
        self.assertIn('nohup sh -c', record['command'])
        # No undo: the remote job alone brings the link back up.
        waiters.Waiter(0.1, 30).until(
            lambda: self._links(server), lambda links: len(links) >= 2,
            'the links the remote job set', 'down then up')
        calls = [c for c in server.calls() if c[1].startswith('link')]
        self.assertEqual(['link set eth1 down', 'link set eth1 up'],
                         [c for _, c in calls])
        self.assertGreaterEqual(calls[1][0] - calls[0][0], 2.9)
        # The command returned before the link came back: it did not
        # wait for the duration.
        self.assertLess(record['returned_at'], calls[1][0])

    def test_detached_undo_reads_when_the_link_went_down(self):
        server, client = self._server(session_dev='eth1')
        test = fakes.FakeTest()
        fault = faults.NicDown(client, 'eth1', duration_s=1,
                               poll_interval_s=0.2, log_dir=server.workdir)
        record = fault.inject(test)
        self.assertEqual([], test.run_cleanups())
        downs = [t for t, c in server.calls() if c == 'link set eth1 down']
        self.assertEqual(1, len(downs))
        self.assertAlmostEqual(downs[0], record['remote_down_at'],
                               delta=0.5)
        self.assertIn('link_down_at', record)
        self.assertEqual('link set eth1 up', self._links(server)[-1])
