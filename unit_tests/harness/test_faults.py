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

"""Compute-API faults and the host stop, with clients mocked per method."""

import subprocess
import sys
import unittest
from unittest import mock

import fixtures
from tempest.lib import exceptions as lib_exc
from tempest.lib.services.compute import base_compute_client
import testtools

from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import locks
from self_healing_tempest_plugin.harness import sampler as sp
from unit_tests.harness import fakes


def _server(status):
    return {'server': {'id': 'srv-1', 'status': status}}


class ServerFaultTest(testtools.TestCase):

    def setUp(self):
        super(ServerFaultTest, self).setUp()
        self.clock = fakes.FakeClock()
        self.client = mock.Mock()
        self.test = fakes.FakeTest()

    def _registered_first(self, method):
        """Make ``method`` assert the undo was already a cleanup."""
        def check(*args, **kwargs):
            self.assertEqual(1, len(self.test.cleanups))
        getattr(self.client, method).side_effect = check

    def test_delete_registers_undo_first_and_records(self):
        self._registered_first('delete_server')
        fault = faults.InstanceDelete(self.client, 'srv-1', clock=self.clock)
        record = fault.inject(self.test)
        self.client.delete_server.assert_called_once_with('srv-1')
        self.assertEqual(self.clock.now, record['t_fault'])
        self.assertEqual('instance_delete', record['kind'])
        self.assertIn('DELETE /servers/srv-1', record['did'])
        self.assertEqual([], self.test.run_cleanups())
        self.assertIn('undone_at', record)

    def test_delete_failing_mid_way_still_undoes(self):
        self.client.delete_server.side_effect = lib_exc.ServerFault()
        fault = faults.InstanceDelete(self.client, 'srv-1', clock=self.clock)
        self.assertRaises(lib_exc.ServerFault, fault.inject, self.test)
        self.assertEqual([], self.test.run_cleanups())
        self.assertIn('undone_at', fault.record)

    def test_inject_twice_refused(self):
        fault = faults.InstanceDelete(self.client, 'srv-1')
        fault.inject(self.test)
        self.assertRaises(RuntimeError, fault.inject, self.test)

    def test_affected_is_the_server(self):
        fault = faults.InstanceDelete(self.client, 'srv-1')
        state = sp.ClusterState([sp.Member('srv-1', 'ACTIVE'),
                                 sp.Member('srv-2', 'ACTIVE')])
        self.assertEqual({'srv-1'}, fault.affected(state))

    def test_stop_undo_starts_a_stopped_server(self):
        self._registered_first('stop_server')
        self.client.show_server.return_value = _server('SHUTOFF')
        fault = faults.ServerStop(self.client, 'srv-1', clock=self.clock)
        fault.inject(self.test)
        self.client.stop_server.assert_called_once_with('srv-1')
        self.assertEqual([], self.test.run_cleanups())
        self.client.start_server.assert_called_once_with('srv-1')

    def test_stop_undo_twice_starts_once(self):
        self.client.show_server.return_value = _server('SHUTOFF')
        fault = faults.ServerStop(self.client, 'srv-1')
        fault.inject(self.test)
        fault.undo()
        fault.undo()
        self.assertEqual(1, self.client.start_server.call_count)

    def test_stop_undo_tolerates_not_found(self):
        self.client.show_server.side_effect = lib_exc.NotFound()
        fault = faults.ServerStop(self.client, 'srv-1')
        fault.inject(self.test)
        fault.undo()
        self.assertIn('already gone', fault.record['undo'][0])
        self.client.start_server.assert_not_called()

    def test_stop_undo_tolerates_conflict(self):
        self.client.show_server.return_value = _server('SHUTOFF')
        self.client.start_server.side_effect = lib_exc.Conflict()
        fault = faults.ServerStop(self.client, 'srv-1')
        fault.inject(self.test)
        fault.undo()
        self.assertEqual([], fault.undo_errors)

    def test_stop_failing_mid_way_leaves_an_active_server_alone(self):
        self.client.stop_server.side_effect = lib_exc.ServerFault()
        self.client.show_server.return_value = _server('ACTIVE')
        fault = faults.ServerStop(self.client, 'srv-1')
        self.assertRaises(lib_exc.ServerFault, fault.inject, self.test)
        self.assertEqual([], self.test.run_cleanups())
        self.client.start_server.assert_not_called()

    def test_undo_error_is_reported_and_retried(self):
        self.client.show_server.side_effect = [lib_exc.ServerFault(),
                                               _server('SHUTOFF')]
        fault = faults.ServerStop(self.client, 'srv-1')
        fault.inject(self.test)
        error = self.assertRaises(RuntimeError, fault.undo)
        self.assertIn('undo of server_stop failed', str(error))
        fault.undo()
        self.client.start_server.assert_called_once_with('srv-1')

    def test_reset_error_and_undo(self):
        self._registered_first('reset_state')
        self.client.show_server.return_value = _server('ERROR')
        fault = faults.ServerResetError(self.client, 'srv-1')
        fault.inject(self.test)
        self.client.reset_state.assert_called_once_with('srv-1',
                                                        state='error')
        self.client.reset_state.side_effect = None
        fault.undo()
        self.client.reset_state.assert_called_with('srv-1', state='active')

    def test_reset_error_undo_tolerates_not_found_and_twice(self):
        self.client.show_server.side_effect = lib_exc.NotFound()
        fault = faults.ServerResetError(self.client, 'srv-1')
        fault.inject(self.test)
        fault.undo()
        fault.undo()
        self.assertEqual(1, self.client.show_server.call_count)
        self.assertEqual(1, self.client.reset_state.call_count)


def _service(host, state, id_):
    return {'id': id_, 'host': host, 'state': state,
            'binary': 'nova-compute'}


class HostStopTest(testtools.TestCase):

    def setUp(self):
        super(HostStopTest, self).setUp()
        self.clock = fakes.FakeClock()
        self.lockdir = self.useFixture(fixtures.TempDir()).path
        self.lock = locks.InterProcessLock(self.lockdir)
        self.services = mock.Mock()
        self.states = {'c1': 'up', 'c2': 'up'}
        self.microversions = []

        def list_services(binary, host=None):
            self.microversions.append(
                base_compute_client.COMPUTE_MICROVERSION)
            return {'services': [
                _service(h, s, 'id-' + h) for h, s in
                sorted(self.states.items()) if host in (None, h)]}
        self.services.list_services.side_effect = list_services

        def update_service(service_id, forced_down):
            self.microversions.append(
                base_compute_client.COMPUTE_MICROVERSION)
            self.states[service_id[3:]] = 'down' if forced_down else 'up'
        self.services.update_service.side_effect = update_service
        self.ssh = mock.Mock()
        self.test = fakes.FakeTest()

    def _fault(self, **kwargs):
        params = dict(ssh_client=self.ssh, stop_command='stop-it',
                      start_command='start-it', poll_interval_s=1,
                      service_timeout_s=30, clock=self.clock,
                      sleep=self.clock.sleep)
        params.update(kwargs)
        return faults.HostStop('c1', self.services, self.lock, **params)

    def test_stop_and_undo(self):
        fault = self._fault()
        record = fault.inject(self.test)
        self.ssh.exec_command.assert_called_once_with('stop-it')
        self.services.update_service.assert_called_once_with(
            'id-c1', forced_down=True)
        self.assertEqual('down', self.states['c1'])
        self.assertTrue(self.lock.held)
        self.assertEqual(['c1', 'c2'], record['computes_up_before'])
        self.assertEqual({'2.53'}, set(self.microversions))
        self.assertIsNone(base_compute_client.COMPUTE_MICROVERSION)
        self.assertEqual([], self.test.run_cleanups())
        self.ssh.exec_command.assert_called_with('start-it')
        self.services.update_service.assert_called_with(
            'id-c1', forced_down=False)
        self.assertEqual('up', self.states['c1'])
        self.assertFalse(self.lock.held)
        self.assertIn('service_up_at', record)

    def test_cuts_its_host_off_from_inject_to_undo(self):
        fault = self._fault()
        self.assertEqual(set(), fault.hosts_cut_off())
        fault.inject(self.test)
        self.assertEqual({'c1'}, fault.hosts_cut_off())
        self.assertEqual([], self.test.run_cleanups())
        self.assertEqual(set(), fault.hosts_cut_off())

    def test_refuses_with_one_compute_up(self):
        self.states['c2'] = 'down'
        fault = self._fault()
        error = self.assertRaises(unittest.SkipTest, fault.inject, self.test)
        self.assertIn('at least two compute services up, found 1: c1',
                      str(error))
        self.assertEqual([], self.test.cleanups)
        self.ssh.exec_command.assert_not_called()
        self.services.update_service.assert_not_called()
        self.assertFalse(self.lock.held)

    def test_undo_waits_until_the_service_reports_up(self):
        fault = self._fault(ssh_client=None, stop_command=None)
        fault.inject(self.test)
        answers = iter(['down', 'down', 'up'])

        def update_service(service_id, forced_down):
            pass  # the service comes up later, on its own heartbeat

        def list_services(binary, host=None):
            return {'services': [_service('c1', next(answers), 'id-c1')]}
        self.services.update_service.side_effect = update_service
        self.services.list_services.side_effect = list_services
        fault.undo()
        self.assertEqual([1, 1], self.clock.sleeps)

    def test_undo_retries_while_nova_refuses_to_force_up(self):
        fault = self._fault()
        fault.inject(self.test)
        refusals = iter([lib_exc.BadRequest('evacuations remain'),
                         lib_exc.BadRequest('evacuations remain')])

        def update_service(service_id, forced_down):
            error = next(refusals, None)
            if error:
                raise error
            self.states['c1'] = 'up'
        self.services.update_service.side_effect = update_service
        fault.undo()
        self.assertEqual('up', self.states['c1'])
        self.assertIn('evacuations remain', fault.record['force_up_refused'])
        force_ups = [c for c in self.services.update_service.call_args_list
                     if c == mock.call('id-c1', forced_down=False)]
        self.assertEqual(3, len(force_ups))

    def test_undo_fails_when_the_service_stays_down_and_frees_lock(self):
        fault = self._fault(service_timeout_s=3)
        fault.inject(self.test)
        self.services.update_service.side_effect = None
        error = self.assertRaises(RuntimeError, fault.undo)
        self.assertIn('nova-compute service on c1', str(error))
        self.assertFalse(self.lock.held)

    def test_force_down_failing_mid_way_still_restarts(self):
        self.services.update_service.side_effect = [
            lib_exc.ServerFault(), None]
        fault = self._fault()
        self.assertRaises(lib_exc.ServerFault, fault.inject, self.test)
        # The SSH stop had run: the undo must start it again.
        self.states['c1'] = 'up'
        self.assertEqual([], self.test.run_cleanups())
        self.ssh.exec_command.assert_called_with('start-it')
        self.assertFalse(self.lock.held)

    def test_undo_twice_and_not_found_tolerated(self):
        fault = self._fault()
        fault.inject(self.test)
        self.ssh.exec_command.side_effect = lib_exc.NotFound()
        fault.undo()
        fault.undo()
        self.assertEqual(2, self.ssh.exec_command.call_count)

    def test_waits_for_the_lock_no_longer_than_its_timeout(self):
        other_worker = locks.InterProcessLock(self.lockdir)
        self.assertTrue(other_worker.acquire(blocking=False))
        self.addCleanup(other_worker.release)
        fault = self._fault(lock_timeout_s=3)
        error = self.assertRaises(lib_exc.TimeoutException, fault.inject,
                                  self.test)
        self.assertIn('host-fault lock %s was not free' % self.lock.path,
                      str(error))
        self.assertIn("held by another worker's host fault", str(error))
        self.assertEqual([], self.test.cleanups)
        self.ssh.exec_command.assert_not_called()
        self.assertFalse(self.lock.held)

    def test_takes_the_lock_once_the_other_worker_frees_it(self):
        other_worker = locks.InterProcessLock(self.lockdir)
        other_worker.acquire()
        real_sleep = self.clock.sleep

        def sleep(seconds):
            real_sleep(seconds)
            other_worker.release()
        fault = self._fault(lock_timeout_s=30, sleep=sleep)
        fault.inject(self.test)
        self.assertTrue(self.lock.held)
        self.assertEqual(self.clock.now, fault.record['lock_taken_at'])
        self.assertEqual([], self.test.run_cleanups())

    def test_unknown_host(self):
        fault = faults.HostStop('c9', self.services, self.lock)
        error = self.assertRaises(ValueError, fault.inject, self.test)
        self.assertIn("no nova-compute service on host 'c9'", str(error))
        self.assertFalse(self.lock.held)

    def test_needs_a_way_to_stop(self):
        self.assertRaises(ValueError, faults.HostStop, 'c1', self.services,
                          self.lock, force_down=False)

    def test_affected_members_on_the_host(self):
        state = sp.ClusterState([sp.Member('a', 'ACTIVE', 'c1'),
                                 sp.Member('b', 'ACTIVE', 'c2')])
        self.assertEqual({'a'}, self._fault().affected(state))


_HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print('held', flush=True)
sys.stdin.readline()
"""


class InterProcessLockTest(testtools.TestCase):

    def test_serializes_across_processes(self):
        directory = self.useFixture(fixtures.TempDir()).path
        lock = locks.InterProcessLock(directory)
        holder = subprocess.Popen(
            [sys.executable, '-c', _HOLD, lock.path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(holder.wait)
        self.assertEqual('held', holder.stdout.readline().strip())
        self.assertFalse(lock.acquire(blocking=False))
        holder.stdin.close()
        holder.wait()
        self.assertTrue(lock.acquire(blocking=False))
        lock.release()
        lock.release()
        self.assertFalse(lock.held)

    def test_lock_dir_from_config(self):
        conf = mock.Mock(fault_lock_dir='/some/dir')
        self.assertEqual('/some/dir', locks.lock_dir(conf))
        conf.fault_lock_dir = ''
        self.assertTrue(locks.lock_dir(conf))


class NicDownCutOffTest(testtools.TestCase):
    """Which host a NIC fault cuts off, and until when (no SSH needed)."""

    def setUp(self):
        super(NicDownCutOffTest, self).setUp()
        self.clock = fakes.FakeClock()

    def _injected(self, **kwargs):
        ssh_client = mock.Mock(**{'exec_command.return_value': ''})
        fault = faults.NicDown(ssh_client, 'eth0', carries_ssh=False,
                               clock=self.clock, sleep=self.clock.sleep,
                               **kwargs)
        self.assertEqual(set(), fault.hosts_cut_off())
        fault.inject(fakes.FakeTest())
        return fault

    def test_its_host_until_the_link_comes_back(self):
        fault = self._injected(host='c1', duration_s=30)
        self.assertEqual({'c1'}, fault.hosts_cut_off())
        self.clock.sleep(31)
        self.assertEqual(set(), fault.hosts_cut_off())

    def test_a_guest_nic_cuts_no_host_off(self):
        fault = self._injected(host='c1', server_id='s1')
        self.assertEqual(set(), fault.hosts_cut_off())
