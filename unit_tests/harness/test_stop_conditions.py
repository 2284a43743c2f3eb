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

"""Stop conditions: each one held and violated, saying what it saw.

The message bus condition talks to real TCP servers on 127.0.0.1: one
that answers the AMQP header with a Connection.Start frame, one that
accepts and stays silent (a frozen broker), one that answers something
else.
"""

import collections
import os
import socket
import struct
import threading
import types
from unittest import mock

import fixtures
import testtools

from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import stop_conditions as stops


def conf(**changes):
    """[self_healing] with the stop conditions' options."""
    values = dict(
        stop_conditions=[], message_bus_address='', message_bus_timeout_s=5.0,
        disk_free_path='/var/tmp', disk_free_floor_mib=1024,
        kill_switch_file='/var/tmp/self-healing-tempest/kill-switch',
        fault_journal_dir='/var/tmp/self-healing-tempest/journal')
    values.update(changes)
    return types.SimpleNamespace(**values)


class Services(object):
    """The compute services client: scripted lists, calls counted."""

    def __init__(self, *lists):
        self.lists = list(lists)
        self.calls = 0

    def list_services(self, **filters):
        self.calls += 1
        assert filters == {'binary': 'nova-compute'}, filters
        states = self.lists[min(self.calls, len(self.lists)) - 1]
        return {'services': [{'id': i, 'host': h, 'state': s}
                             for i, (h, s) in enumerate(states)]}


class Fault(object):
    """A fault as a view holds it."""

    def __init__(self, kind, host=None, active=True, entry_id=None):
        self.kind, self.host, self.active = kind, host, active
        self.entry_id = entry_id

    def hosts_cut_off(self):
        return {self.host} if self.active and self.host else set()


Entry = collections.namedtuple('Entry', 'id run_id kind target alive mine')


class Journal(object):
    """The journal as a condition reads it (CONTRACTS C1)."""

    def __init__(self, *entries):
        self._entries = list(entries)

    def entries(self):
        return list(self._entries)


def context(**attributes):
    values = dict(services_client=None, journal=None)
    values.update(attributes)
    return types.SimpleNamespace(**values)


class ComputesUpTest(testtools.TestCase):

    def _condition(self, services):
        return stops.ComputesUp(conf(), context(services_client=services))

    def test_holds_while_the_computes_up_at_the_start_stay_up(self):
        services = Services([('host1', 'up'), ('host2', 'up')])
        condition = self._condition(services)
        self.assertIsNone(condition.check(stops.View()))
        self.assertIsNone(condition.check(stops.View()))
        self.assertEqual(2, services.calls)
        self.assertEqual(1, condition.calls)

    def test_a_compute_going_down_is_named(self):
        condition = self._condition(Services(
            [('host1', 'up'), ('host2', 'up'), ('host3', 'down')],
            [('host1', 'up'), ('host2', 'down'), ('host3', 'down')]))
        self.assertIsNone(condition.check(stops.View()))
        self.assertEqual('nova-compute on host2 is down (was up at the '
                         'start)', condition.check(stops.View()))

    def test_one_gone_from_the_list_is_named(self):
        condition = self._condition(Services(
            [('host1', 'up'), ('host2', 'up')], [('host1', 'up')]))
        condition.check(stops.View())
        self.assertEqual('nova-compute on host2 is not listed (was up at '
                         'the start)', condition.check(stops.View()))

    def test_the_runs_own_fault_hosts_are_left_out(self):
        condition = self._condition(Services(
            [('host1', 'up'), ('host2', 'up')],
            [('host1', 'down'), ('host2', 'up')]))
        stop = Fault('host_stop', host='host1')
        self.assertIsNone(condition.check(stops.View(pending=[stop])))
        self.assertIsNone(condition.check(stops.View([stop])))
        # Undone, its host may still be down until its next heartbeat.
        stop.active = False
        self.assertIsNone(condition.check(stops.View([stop])))

    def test_none_up_is_violated_even_on_the_runs_own_host(self):
        condition = self._condition(Services(
            [('host1', 'up')], [('host1', 'down')]))
        condition.check(stops.View())
        self.assertEqual(
            'no nova-compute service is up (host1 down)',
            condition.check(stops.View([Fault('host_stop', 'host1')])))

    def test_a_failing_list_is_violated_with_the_error(self):
        services = mock.Mock()
        services.list_services.side_effect = RuntimeError('503 from Nova')
        reason = self._condition(services).check(stops.View())
        self.assertEqual('the nova-compute services could not be listed: '
                         'RuntimeError: 503 from Nova', reason)

    def test_needs_the_services_client(self):
        error = self.assertRaises(ValueError, stops.ComputesUp, conf(),
                                  context())
        self.assertIn('computes_up needs the compute services client',
                      str(error))


class Broker(object):
    """A TCP server on 127.0.0.1 that answers each connection ``how``.

    ``answer``: Connection.Start after the header; ``silent``: accepts,
    reads, never writes (SIGSTOPped RabbitMQ); ``other``: a protocol
    header back (a broker of another AMQP version); ``heartbeat``: a
    heartbeat frame, not a Connection.Start.
    """

    START = struct.pack('>BHIHH', 1, 0, 20, 10, 10) + b'\x00' * 16 + b'\xce'

    def __init__(self, how):
        self.how = how
        self.server = socket.socket()
        self.server.bind(('127.0.0.1', 0))
        self.server.listen(4)
        self.port = self.server.getsockname()[1]
        self.received = []
        self.held = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return '127.0.0.1:%d' % self.port

    def _serve(self):
        while True:
            try:
                peer, _ = self.server.accept()
            except OSError:
                return
            self.held.append(peer)
            self.received.append(peer.recv(8))
            if self.how == 'answer':
                peer.sendall(self.START)
            elif self.how == 'heartbeat':
                peer.sendall(struct.pack('>BHIHH', 8, 0, 0, 0xce00, 0))
            elif self.how == 'other':
                peer.sendall(b'AMQP\x00\x00\x09\x00')
                peer.close()

    def close(self):
        self.server.close()
        for peer in self.held:
            peer.close()


class MessageBusTest(testtools.TestCase):

    def _broker(self, how):
        broker = Broker(how)
        self.addCleanup(broker.close)
        return broker

    def _condition(self, address, timeout_s=0.3):
        return stops.MessageBus(conf(message_bus_address=address,
                                     message_bus_timeout_s=timeout_s),
                                context())

    def test_a_broker_answering_connection_start_holds(self):
        broker = self._broker('answer')
        self.assertIsNone(self._condition(broker.address).check(
            stops.View()))
        self.assertEqual([stops.AMQP_HEADER], broker.received)

    def test_a_silent_broker_is_violated_within_the_timeout(self):
        broker = self._broker('silent')
        reason = self._condition(broker.address).check(stops.View())
        self.assertEqual('no AMQP answer from %s within 0.3 s'
                         % broker.address, reason)

    def test_another_answer_is_named(self):
        broker = self._broker('other')
        reason = self._condition(broker.address).check(stops.View())
        self.assertIn('the message bus at %s closed the connection after 8 '
                      'byte(s)' % broker.address, reason)

    def test_a_frame_that_is_not_connection_start_is_named(self):
        broker = self._broker('heartbeat')
        reason = self._condition(broker.address).check(stops.View())
        self.assertEqual(
            "the message bus at %s answered b'\\x08\\x00\\x00\\x00\\x00"
            "\\x00\\x00\\xce\\x00\\x00\\x00', not an AMQP 0-9-1 "
            "Connection.Start" % broker.address, reason)

    def test_nobody_listening_is_violated(self):
        probe = socket.socket()
        probe.bind(('127.0.0.1', 0))
        address = '127.0.0.1:%d' % probe.getsockname()[1]
        probe.close()
        reason = self._condition(address).check(stops.View())
        self.assertEqual('cannot reach the message bus at %s: Connection '
                         'refused' % address, reason)

    def test_the_scenario_keys_override_the_options(self):
        condition = stops.MessageBus(
            conf(message_bus_address='10.0.0.1:5672'), context(),
            address='[::1]:5673', timeout_s=2)
        self.assertEqual(('::1', 5673, 2.0), (
            condition.host, condition.port, condition.timeout_s))

    def test_without_an_address_it_names_the_option(self):
        error = self.assertRaises(ValueError, stops.MessageBus, conf(),
                                  context())
        self.assertIn('stop condition message_bus cannot work: '
                      '[self_healing] message_bus_address is empty',
                      str(error))
        error = self.assertRaises(ValueError, stops.MessageBus, conf(
            message_bus_address='rabbit'), context())
        self.assertIn("[self_healing] message_bus_address must be "
                      "host:port, got 'rabbit'", str(error))


class NoOtherOpenFaultTest(testtools.TestCase):

    def _check(self, view, *entries):
        return stops.NoOtherOpenFault(
            conf(), context(journal=Journal(*entries))).check(view)

    def test_another_live_runs_serial_fault_is_violated(self):
        reason = self._check(
            stops.View(pending=[Fault('instance_delete')]),
            Entry('3fa2-1', '3fa2c0ffee01', 'host_stop', 'host1', True,
                  False))
        self.assertEqual('run 3fa2c0ffee01 has host_stop on host1 open',
                         reason)

    def test_a_serial_fault_of_this_run_with_any_other_open(self):
        entry = Entry('77-1', '77aa', 'instance_delete', 'srv-1', True,
                      False)
        self.assertIsNone(self._check(
            stops.View(pending=[Fault('instance_delete')]), entry))
        reason = self._check(stops.View(pending=[Fault('nic_down')]), entry)
        self.assertEqual("run 77aa has instance_delete on srv-1 open, and "
                         "this run's nic_down must run alone", reason)

    def test_own_and_dead_runs_entries_are_left_out(self):
        view = stops.View([Fault('host_stop', 'host1', entry_id='me-1')])
        self.assertIsNone(self._check(
            view,
            Entry('me-1', 'me', 'host_stop', 'host1', True, True),
            Entry('dead-1', 'dead', 'host_stop', 'host2', False, False)))

    def test_an_unknown_kind_counts_as_serial(self):
        registry.load()
        self.assertTrue(stops.is_serial('a_kind_from_a_newer_plugin'))
        self.assertFalse(stops.is_serial('instance_delete'))

    def test_without_a_journal_dir_it_names_the_option(self):
        error = self.assertRaises(
            ValueError, stops.NoOtherOpenFault, conf(fault_journal_dir=''),
            context())
        self.assertIn('[self_healing] fault_journal_dir is empty',
                      str(error))


class DiskFreeTest(testtools.TestCase):

    def _statvfs(self, free_mib):
        return mock.patch.object(os, 'statvfs', return_value=mock.Mock(
            f_bavail=free_mib * 256, f_frsize=4096))

    def test_below_the_floor_says_how_much(self):
        condition = stops.DiskFree(conf(), context())
        with self._statvfs(812) as statvfs:
            self.assertEqual('812 MiB free on /var/tmp, floor 1024 MiB',
                             condition.check(stops.View()))
        statvfs.assert_called_once_with('/var/tmp')
        with self._statvfs(1024):
            self.assertIsNone(condition.check(stops.View()))

    def test_scenario_keys_and_a_real_filesystem(self):
        path = self.useFixture(fixtures.TempDir()).path
        self.assertIsNone(stops.DiskFree(conf(), context(), path=path,
                                         floor_mib=0).check(stops.View()))
        reason = stops.DiskFree(conf(), context(), path=path,
                                floor_mib=2 ** 40).check(stops.View())
        self.assertRegex(reason, r'^\d+ MiB free on %s, floor %d MiB$'
                         % (path, 2 ** 40))

    def test_a_missing_path_is_violated(self):
        reason = stops.DiskFree(conf(disk_free_path='/no/such/dir'),
                                context()).check(stops.View())
        self.assertEqual('free space of /no/such/dir cannot be read: No '
                         'such file or directory', reason)


class KillSwitchTest(testtools.TestCase):

    def test_the_file_present_is_violated(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'kill-switch')
        condition = stops.KillSwitch(conf(kill_switch_file=path), context())
        self.assertIsNone(condition.check(stops.View()))
        open(path, 'w').close()
        self.assertEqual('kill switch %s exists' % path,
                         condition.check(stops.View()))

    def test_an_empty_option_is_named(self):
        error = self.assertRaises(ValueError, stops.KillSwitch, conf(
            kill_switch_file=''), context())
        self.assertIn('[self_healing] kill_switch_file is empty',
                      str(error))


class BuildTest(testtools.TestCase):

    def test_the_options_list_then_the_scenarios(self):
        built = stops.build(
            conf(stop_conditions=['kill_switch', 'disk_free'],
                 message_bus_address='127.0.0.1:5672'),
            ['message_bus', {'name': 'disk_free', 'floor_mib': 10}],
            context())
        self.assertEqual(['kill_switch', 'disk_free', 'message_bus'],
                         [c.name for c in built])
        self.assertEqual((10, '/var/tmp'), (built[1].floor_mib,
                                            built[1].path))

    def test_every_condition_is_registered(self):
        registry.load()
        self.assertEqual(['computes_up', 'disk_free', 'kill_switch',
                          'message_bus', 'no_other_open_fault'],
                         registry.STOP_CONDITIONS.names())
        self.assertIs(registry.STOP_CONDITIONS, stops.STOP_CONDITIONS)

    def test_bad_names_keys_and_options_are_named(self):
        error = self.assertRaises(ValueError, stops.build, conf(
            stop_conditions=['kill_swtich']), (), context())
        self.assertIn("[self_healing] stop_conditions: unknown stop "
                      "condition 'kill_swtich'; known: computes_up",
                      str(error))
        error = self.assertRaises(ValueError, stops.build, conf(), [
            {'name': 'kill_switch', 'path': '/x'}], context())
        self.assertIn('kill_switch takes no path', str(error))
        error = self.assertRaises(ValueError, stops.build, conf(
            stop_conditions=['message_bus']), (), context())
        self.assertIn('[self_healing] message_bus_address', str(error))

    def test_a_raising_check_is_violated(self):
        class Broken(object):
            name = 'broken'

            def check(self, view):
                raise KeyError('state')
        found = stops.first_violated([Broken()], stops.View())
        self.assertEqual("its check raised KeyError: 'state'", found[1])
