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

"""Compute-API faults and the host stop, with clients mocked per method;
building them from scenario entries through the registry."""

import unittest
from unittest import mock

from tempest.lib import exceptions as lib_exc
from tempest.lib.services.compute import base_compute_client
import testtools

from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import registry
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
        self.assertEqual('srv-1', record['target'])
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


def _service(host, state, id_, updated_at=None):
    return {'id': id_, 'host': host, 'state': state,
            'binary': 'nova-compute', 'updated_at': updated_at}


class HostStopTest(testtools.TestCase):

    def setUp(self):
        super(HostStopTest, self).setUp()
        self.clock = fakes.FakeClock()
        self.services = mock.Mock()
        self.states = {'c1': 'up', 'c2': 'up'}
        self.microversions = []

        def list_services(binary, host=None):
            self.microversions.append(
                base_compute_client.COMPUTE_MICROVERSION)
            return {'services': [
                _service(h, s, 'id-' + h, fakes.heartbeat(self.clock))
                for h, s in sorted(self.states.items())
                if host in (None, h)]}
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
        return faults.HostStop('c1', self.services, **params)

    def test_stop_and_undo(self):
        fault = self._fault()
        record = fault.inject(self.test)
        self.ssh.exec_command.assert_called_once_with('stop-it')
        self.services.update_service.assert_called_once_with(
            'id-c1', forced_down=True)
        self.assertEqual('down', self.states['c1'])
        self.assertEqual('c1', record['target'])
        self.assertEqual(['c1', 'c2'], record['computes_up_before'])
        self.assertEqual({'2.53'}, set(self.microversions))
        self.assertIsNone(base_compute_client.COMPUTE_MICROVERSION)
        self.assertEqual([], self.test.run_cleanups())
        self.ssh.exec_command.assert_called_with('start-it')
        self.services.update_service.assert_called_with(
            'id-c1', forced_down=False)
        self.assertEqual('up', self.states['c1'])
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

    def test_undo_waits_until_the_service_reports_up(self):
        fault = self._fault(ssh_client=None, stop_command=None)
        fault.inject(self.test)
        # The first answer is the heartbeat the wait starts from.
        answers = iter([('down', 'b0'), ('down', 'b0'), ('down', 'b0'),
                        ('up', 'b1')])

        def update_service(service_id, forced_down):
            pass  # the service comes up later, on its own heartbeat

        self.services.update_service.side_effect = update_service
        self.services.list_services.side_effect = (
            lambda binary, host=None: {'services': [
                _service('c1', *self._answer(answers))]})
        fault.undo()
        self.assertEqual([1, 1], self.clock.sleeps)

    @staticmethod
    def _answer(answers):
        state, beat = next(answers)
        return state, 'id-c1', beat

    def test_undo_waits_for_a_heartbeat_of_the_started_process(self):
        # Nova says up for service_down_time after the last heartbeat: the
        # old process's. Servers scheduled to a compute still starting go
        # to ERROR, so only a new heartbeat ends the wait.
        fault = self._fault(ssh_client=None, stop_command=None)
        fault.inject(self.test)
        answers = iter([('up', 'b0'), ('up', 'b0'), ('up', 'b0'),
                        ('up', 'b1')])
        self.services.update_service.side_effect = None
        self.services.list_services.side_effect = (
            lambda binary, host=None: {'services': [
                _service('c1', *self._answer(answers))]})
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

    def test_undo_fails_when_the_service_stays_down(self):
        fault = self._fault(service_timeout_s=3)
        fault.inject(self.test)
        self.services.update_service.side_effect = None
        error = self.assertRaises(RuntimeError, fault.undo)
        self.assertIn('nova-compute service on c1', str(error))
        self.assertTrue(fault.active)

    def test_force_down_failing_mid_way_still_restarts(self):
        self.services.update_service.side_effect = [
            lib_exc.ServerFault(), None]
        fault = self._fault()
        self.assertRaises(lib_exc.ServerFault, fault.inject, self.test)
        # The SSH stop had run: the undo must start it again.
        self.states['c1'] = 'up'
        self.assertEqual([], self.test.run_cleanups())
        self.ssh.exec_command.assert_called_with('start-it')

    def test_undo_twice_and_not_found_tolerated(self):
        fault = self._fault()
        fault.inject(self.test)
        self.ssh.exec_command.side_effect = lib_exc.NotFound()
        fault.undo()
        fault.undo()
        self.assertEqual(2, self.ssh.exec_command.call_count)

    def test_unknown_host(self):
        fault = faults.HostStop('c9', self.services)
        error = self.assertRaises(ValueError, fault.inject, self.test)
        self.assertIn("no nova-compute service on host 'c9'", str(error))
        self.assertEqual([], self.test.cleanups)

    def test_needs_a_way_to_stop(self):
        self.assertRaises(ValueError, faults.HostStop, 'c1', self.services,
                          force_down=False)

    def test_affected_members_on_the_host(self):
        state = sp.ClusterState([sp.Member('a', 'ACTIVE', 'c1'),
                                 sp.Member('b', 'ACTIVE', 'c2')])
        self.assertEqual({'a'}, self._fault().affected(state))


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

    def test_with_a_duration_it_undoes_itself_and_expires(self):
        fault = self._injected(host='c1', duration_s=30)
        self.assertTrue(fault.self_undoing)
        self.assertEqual(self.clock.now + 30, fault.expires_at)
        self.assertEqual('c1', fault.record['target'])

    def test_without_a_duration_it_lasts(self):
        fault = self._injected(host='c1')
        self.assertFalse(fault.self_undoing)
        self.assertIsNone(fault.expires_at)
        self.clock.sleep(3600)
        self.assertEqual({'c1'}, fault.hosts_cut_off())

    def test_a_zero_duration_is_refused(self):
        self.assertRaises(ValueError, faults.NicDown, mock.Mock(), 'eth0',
                          duration_s=0)


STATE = sp.ClusterState([sp.Member('b', 'ACTIVE', 'c2'),
                         sp.Member('a', 'ACTIVE', 'c1'),
                         sp.Member('c', 'ACTIVE', 'c2')])


class FromSpecsTest(testtools.TestCase):
    """A scenario's fault entries become faults through the registry."""

    def setUp(self):
        super(FromSpecsTest, self).setUp()
        self.conf = mock.Mock(
            host_nic='eth0', poll_interval_s=1.0, host_ssh_timeout_s=20,
            host_stop_command='stop', host_start_command='start',
            service_timeout_s=60)
        self.ssh = mock.Mock()
        self.factory = mock.Mock(return_value=self.ssh)
        self.clock = fakes.FakeClock()
        self.ctx = faults.FaultContext(
            self.conf, servers_client='primary',
            admin_servers_client='admin', services_client='services',
            ssh_client_factory=self.factory, clock=self.clock,
            sleep=self.clock.sleep)

    def _build(self, *specs):
        return faults.from_specs(list(specs), STATE, self.ctx)

    def test_every_kind_is_registered_with_its_meta(self):
        self.assertEqual(
            [('host_stop', registry.HOST, 'host_fault', True),
             ('instance_delete', registry.MEMBER, 'instance_delete_fault',
              False),
             ('nic_down', registry.HOST, 'nic_fault', True),
             ('server_error', registry.MEMBER, 'server_update_fault', False),
             ('server_stop', registry.MEMBER, 'server_update_fault', False)],
            [(e.name, e.target, e.feature, e.serial)
             for e in registry.FAULTS.entries()
             if e.cls.__module__ == faults.__name__])
        self.assertEqual('host_stop', faults.HostStop.kind)
        self.assertTrue(registry.FAULTS.get('nic_down').duration)

    def test_member_faults_pick_the_smallest_ids_and_their_client(self):
        delete, stop, error = self._build(
            {'kind': 'instance_delete', 'target': 'member'},
            {'kind': 'server_stop', 'target': 'member'},
            {'kind': 'server_error', 'target': 'member'})
        self.assertIsInstance(delete.fault, faults.InstanceDelete)
        self.assertEqual([('a', 'primary'), ('b', 'primary'),
                          ('c', 'admin')],
                         [(s.fault.server_id, s.fault.client)
                          for s in (delete, stop, error)])

    def test_count_hits_that_many_members(self):
        built = self._build({'kind': 'instance_delete', 'target': 'member',
                             'count': 2})
        self.assertEqual(['a', 'b'], [s.fault.server_id for s in built])
        self.assertEqual([0.0, 0.0], [s.at_s for s in built])

    def test_more_members_than_the_cluster_has_is_named(self):
        error = self.assertRaises(
            ValueError, self._build, {'kind': 'server_stop',
                                      'target': 'member', 'count': 4})
        self.assertIn('server_stop fault on 4 member(s)', str(error))
        self.assertIn('the cluster has 3 (a, b, c)', str(error))

    def test_schedule_offset_and_phase(self):
        first, later, on_act = self._build(
            {'kind': 'instance_delete', 'target': 'member'},
            {'kind': 'instance_delete', 'target': 'member', 'at_s': 30},
            {'kind': 'server_stop', 'target': 'member', 'on': 'act'})
        self.assertEqual((0.0, None), (first.at_s, first.on_phase))
        self.assertEqual((30.0, None), (later.at_s, later.on_phase))
        self.assertEqual((0.0, 'act'), (on_act.at_s, on_act.on_phase))

    def test_nic_down_on_the_host_of_the_first_untaken_member(self):
        delete, nic = self._build(
            {'kind': 'instance_delete', 'target': 'member'},
            {'kind': 'nic_down', 'target': 'member_host', 'duration_s': 30})
        self.factory.assert_called_once_with(self.conf, 'c2')
        self.assertEqual(('eth0', 30, 'c2', 21.0),
                         (nic.fault.nic, nic.fault.duration_s,
                          nic.fault.host, nic.fault.reconnect_timeout_s))
        self.assertIs(self.clock, nic.fault.clock)

    def test_host_stop_on_a_named_host_without_ssh(self):
        stop, = self._build({'kind': 'host_stop', 'target': 'host:c2',
                             'ssh_stop': False})
        self.assertEqual(('c2', None, True, 'services'),
                         (stop.fault.host, stop.fault.ssh,
                          stop.fault.force_down, stop.fault.services))
        self.factory.assert_not_called()

    def test_host_stop_over_ssh_takes_the_commands(self):
        stop, = self._build({'kind': 'host_stop', 'target': 'member_host'})
        self.assertEqual(('c1', self.ssh, 'stop', 'start'),
                         (stop.fault.host, stop.fault.ssh,
                          stop.fault.stop_command, stop.fault.start_command))

    def test_host_stop_with_no_way_to_stop_is_a_spec_error(self):
        self.assertEqual(
            [('force_down', 'a host_stop needs force_down or ssh_stop (both '
                            'are false)')],
            faults.HostStop.spec_errors({'force_down': False,
                                         'ssh_stop': False}))
        self.assertEqual([], faults.HostStop.spec_errors({}))

    def test_a_missing_client_names_the_kind(self):
        self.ctx.admin_servers_client = None
        error = self.assertRaises(
            ValueError, self._build, {'kind': 'server_error',
                                      'target': 'member'})
        self.assertIn("a server_error fault needs the FaultContext's "
                      "admin_servers_client", str(error))

    def test_unknown_kind_names_the_known(self):
        error = self.assertRaises(KeyError, self._build,
                                  {'kind': 'meteor', 'target': 'member'})
        self.assertIn("unknown fault kind 'meteor'; known: ", str(error))

    def test_member_host_needs_hosts(self):
        state = sp.ClusterState([sp.Member('a', 'ACTIVE')])
        error = self.assertRaises(
            ValueError, faults.from_specs,
            [{'kind': 'host_stop', 'target': 'member_host'}], state,
            self.ctx)
        self.assertIn('admin server view', str(error))


class ScheduledFaultTest(testtools.TestCase):

    def test_offset_and_phase_exclude_each_other(self):
        fault = faults.InstanceDelete(mock.Mock(), 's1')
        error = self.assertRaises(ValueError, faults.ScheduledFault, fault,
                                  at_s=5, on_phase='detect')
        self.assertIn('give one', str(error))
        self.assertRaises(ValueError, faults.ScheduledFault, fault, at_s=-1)
        self.assertEqual(0.0, faults.ScheduledFault(fault).at_s)

    def test_a_member_fault_cuts_no_host_off_and_lasts(self):
        fault = faults.ServerStop(mock.Mock(), 's1')
        fault.inject(fakes.FakeTest())
        self.assertEqual(set(), fault.hosts_cut_off())
        self.assertIsNone(fault.expires_at)
        self.assertFalse(fault.self_undoing)
