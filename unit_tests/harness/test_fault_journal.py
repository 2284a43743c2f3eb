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

"""Faults and the journal: the entry is on disk before the act, each
kind's undo as data replays from a fresh process, and a host stop with
a duration brings its host back by itself."""

import os
import time
from unittest import mock

import fixtures
from tempest.lib.common import ssh
import testtools

from self_healing_tempest_plugin.common import waiters
from self_healing_tempest_plugin.harness import control_plane_faults as cpf
from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import journal as jn
from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import reported_faults as rf
from self_healing_tempest_plugin.harness import runs
from self_healing_tempest_plugin.harness import sampler as sp
from unit_tests.harness import fakes
from unit_tests.harness import sshd
from unit_tests.harness import test_journal as tj
from unit_tests.harness import test_reported_faults as trf
from unit_tests.scenario import test_flow_runner as tfr

STATE = sp.ClusterState([sp.Member('srv-1', 'ACTIVE', 'c1'),
                         sp.Member('srv-2', 'ACTIVE', 'c2')])


class Killed(BaseException):
    """What SIGKILL does to a run: nothing after it, no cleanup."""


class _Base(testtools.TestCase):

    def setUp(self):
        super(_Base, self).setUp()
        self.directory = self.useFixture(fixtures.TempDir()).path
        self.clock = fakes.FakeClock()
        self.test = fakes.FakeTest()
        # The run that injects dies without a trace but its entries: it
        # holds no lock.
        self.dying = jn.Journal(self.directory, run=tj.DeadRun(),
                                clock=self.clock)
        self.replayer = jn.Journal(self.directory,
                                   run=runs.Run(self.directory),
                                   clock=self.clock)

    def conf(self, **values):
        defaults = dict(poll_interval_s=1.0, service_timeout_s=30,
                        host_addresses={'c1': '127.0.0.1'})
        defaults.update(values)
        return mock.Mock(**defaults)

    def ctx(self, **clients):
        return faults.FaultContext(self.conf(), clock=self.clock,
                                   sleep=self.clock.sleep, **clients)

    def entry(self, fault):
        """The one entry of the journal, read as a fresh process would."""
        entry, = self.replayer.entries()
        self.assertEqual(fault.entry_id, entry.id)
        return entry

    def inject_and_die(self, fault):
        """Inject with the journal; the run is killed as the act runs."""
        fault.journal = self.dying
        fault._act = mock.Mock(side_effect=Killed())
        self.assertRaises(Killed, fault.inject, self.test)
        return self.entry(fault)


class OrderTest(_Base):

    def test_the_entry_is_written_after_the_cleanup_before_the_act(self):
        fault = tj.Probe(clock=self.clock)
        fault.journal = self.replayer
        seen = []
        fault._act = lambda: seen.append(
            (len(self.test.cleanups), os.listdir(self.replayer.entries_dir)))
        record = fault.inject(self.test)
        self.assertEqual([(1, [fault.entry_id + '.json'])], seen)
        self.assertEqual(fault.entry_id, record['journal_entry'])
        self.assertEqual([], self.test.run_cleanups())
        self.assertEqual([], os.listdir(self.replayer.entries_dir))

    def test_a_failed_undo_keeps_the_entry_and_a_later_one_closes_it(self):
        services = _services({'c1': ['up', False], 'c2': ['up', False]},
                             self.clock)
        fault = faults.HostStop('c1', services, poll_interval_s=1,
                                service_timeout_s=5, clock=self.clock,
                                sleep=self.clock.sleep)
        fault.journal = self.replayer
        fault.inject(self.test)
        answers = iter([RuntimeError('Nova is down')])
        update = services.update_service.side_effect

        def update_once_refused(service_id, forced_down):
            error = next(answers, None)
            if error:
                raise error
            return update(service_id, forced_down)
        services.update_service.side_effect = update_once_refused
        self.assertRaises(RuntimeError, fault.undo)
        data = self.entry(fault).data
        self.assertEqual('undo_failed', data['state'])
        self.assertIn('Nova is down', data['undo_errors'][0])
        fault.undo()
        self.assertEqual([], self.replayer.entries())

    def test_no_journal_no_entry(self):
        fault = tj.Probe(clock=self.clock)
        fault.inject(self.test)
        self.assertIsNone(fault.entry_id)
        self.assertEqual([], self.test.run_cleanups())

    def test_from_specs_gives_each_fault_the_contexts_journal(self):
        ctx = faults.FaultContext(self.conf(), servers_client=mock.Mock(),
                                  journal=self.replayer)
        scheduled = faults.from_specs(
            [{'kind': 'server_stop', 'target': 'member', 'count': 2}],
            STATE, ctx)
        self.assertEqual([self.replayer] * 2,
                         [s.fault.journal for s in scheduled])


class FlowRunnerContextTest(_Base):

    def test_the_flows_context_journals_in_the_configured_directory(self):
        flow = tfr.UnitFlow(tfr.FakeTest(), None,
                            conf=self.conf(fault_journal_dir=self.directory))
        ctx = flow.fault_context()
        self.assertEqual(self.directory, ctx.journal.directory)
        self.assertIs(runs.current(self.directory), ctx.journal.run)

    def test_an_empty_option_keeps_no_journal(self):
        flow = tfr.UnitFlow(tfr.FakeTest(), None,
                            conf=self.conf(fault_journal_dir=''))
        self.assertIsNone(flow.fault_context().journal)


class ServerKindsTest(_Base):

    def test_a_kill_before_the_stop_replays_harmlessly(self):
        # The entry is there; the server never stopped: nothing to start.
        admin = mock.Mock()
        admin.show_server.return_value = {'server': {'status': 'ACTIVE'}}
        entry = self.inject_and_die(faults.ServerStop(mock.Mock(), 'srv-1'))
        result, = self.replayer.replay(self.ctx(admin_servers_client=admin))
        self.assertEqual(['start server srv-1 if SHUTOFF'], result['did'])
        admin.start_server.assert_not_called()
        self.assertFalse(os.path.exists(entry.path))

    def test_a_stopped_server_is_started_by_the_admin(self):
        admin = mock.Mock()
        admin.show_server.return_value = {'server': {'status': 'SHUTOFF'}}
        self.inject_and_die(faults.ServerStop(mock.Mock(), 'srv-1'))
        self.replayer.replay(self.ctx(admin_servers_client=admin))
        admin.start_server.assert_called_once_with('srv-1')

    def test_an_errored_server_is_reset_active(self):
        admin = mock.Mock()
        admin.show_server.return_value = {'server': {'status': 'ERROR'}}
        entry = self.inject_and_die(faults.ServerResetError(mock.Mock(),
                                                            'srv-1'))
        self.assertEqual('until undone: no duration', entry.data['lasts'])
        self.replayer.replay(self.ctx(admin_servers_client=admin))
        admin.reset_state.assert_called_once_with('srv-1', state='active')

    def test_a_delete_says_it_cannot_be_undone(self):
        entry = self.inject_and_die(faults.InstanceDelete(mock.Mock(),
                                                          'srv-1'))
        self.assertIn('cannot be undone', entry.data['lasts'])
        result, = self.replayer.replay(self.ctx())
        self.assertEqual(['nothing to restore: a delete of server srv-1 '
                          'cannot be undone'], result['did'])


class NicDownJournalTest(_Base):

    def test_without_a_duration_the_replay_brings_the_link_up(self):
        client = mock.Mock()
        factory = mock.Mock(return_value=client)
        fault = faults.NicDown(mock.Mock(), 'eth1', host='c1',
                               carries_ssh=False, clock=self.clock)
        entry = self.inject_and_die(fault)
        self.assertEqual('until undone: no duration', entry.data['lasts'])
        self.replayer.replay(self.ctx(ssh_client_factory=factory))
        factory.assert_called_once_with(mock.ANY, 'c1')
        client.exec_command.assert_called_once_with('ip link set eth1 up')

    def test_with_a_duration_it_ends_by_itself_and_the_replay_waits(self):
        client = mock.Mock()
        fault = faults.NicDown(mock.Mock(), 'eth1', host='c1', duration_s=40,
                               carries_ssh=True, clock=self.clock)
        entry = self.inject_and_die(fault)
        self.assertTrue(entry.data['self_undoing'])
        self.assertEqual(self.clock.now + 40, entry.data['expires_at'])
        self.assertEqual('ends by itself at 2026-01-01T00:00:40+00:00: '
                         'detached job on c1', entry.data['lasts'])
        self.clock.tick(10)
        self.replayer.replay(self.ctx(
            ssh_client_factory=mock.Mock(return_value=client)))
        # The SSH session rides on the link: not before it is back.
        self.assertEqual([30.0], self.clock.sleeps)
        client.exec_command.assert_called_once_with('ip link set eth1 up')


def _services(states, clock, report_interval_s=2):
    """A services client over ``states`` {host: [state, forced_down]}.

    Its heartbeats move with ``clock``.
    """
    services = mock.Mock()

    def list_services(binary, host=None):
        return {'services': [
            {'id': 'id-' + h, 'host': h, 'state': s[0],
             'forced_down': s[1], 'binary': binary,
             'updated_at': fakes.heartbeat(clock, report_interval_s)}
            for h, s in sorted(states.items()) if host in (None, h)]}

    def update_service(service_id, forced_down):
        states[service_id[3:]][1] = forced_down
        # The host's services run again: once not forced, it is up.
        states[service_id[3:]][0] = 'down' if forced_down else 'up'
    services.list_services.side_effect = list_services
    services.update_service.side_effect = update_service
    return services


class HostStopJournalTest(_Base):

    def _fault(self, **kwargs):
        self.states = {'c1': ['up', False], 'c2': ['up', False]}
        self.services = _services(self.states, self.clock)
        params = dict(ssh_client=mock.Mock(), stop_command='stop-it',
                      start_command='start-it', poll_interval_s=1,
                      service_timeout_s=30, clock=self.clock,
                      sleep=self.clock.sleep)
        params.update(kwargs)
        return faults.HostStop('c1', self.services, **params)

    def test_registered_with_a_duration(self):
        registry.load()
        self.assertIs(True, registry.FAULTS.get('host_stop').duration)

    def test_with_a_duration_the_stop_is_a_detached_job(self):
        fault = self._fault(duration_s=60)
        fault.journal = self.replayer
        record = fault.inject(self.test)
        command = ("nohup sh -c 'stop-it; sleep 60; start-it; rm -f "
                   "/tmp/self-healing-host-stop-c1.pid' >/dev/null 2>&1 & "
                   "echo $! > /tmp/self-healing-host-stop-c1.pid")
        fault.ssh.exec_command.assert_called_once_with(command)
        self.assertEqual((command, True), (record['command'],
                                           record['detached']))
        self.assertTrue(fault.self_undoing)
        self.assertEqual([True, 'down'], [self.states['c1'][1],
                                          self.states['c1'][0]])
        entry = self.entry(fault)
        self.assertEqual(
            'services come back at 2026-01-01T00:01:00+00:00: detached job '
            'on c1; force-down lasts until a run replays this entry',
            entry.data['lasts'])
        self.assertEqual(['ssh_command', 'clear_forced_down',
                          'wait_compute_up'],
                         [s.action for s in entry.steps])

    def test_without_a_duration_it_says_so_and_is_not_self_undoing(self):
        fault = self._fault()
        fault.journal = self.replayer
        fault.inject(self.test)
        fault.ssh.exec_command.assert_called_once_with('stop-it')
        self.assertFalse(fault.self_undoing)
        self.assertEqual('until undone: no duration',
                         self.entry(fault).data['lasts'])

    def test_a_force_down_only_stop_with_a_duration_is_the_engines(self):
        fault = self._fault(ssh_client=None, stop_command=None,
                            duration_s=60)
        self.assertFalse(fault.self_undoing)
        self.assertIn('the engine undoes it', fault.lasts())

    def test_a_fresh_process_starts_the_host_and_clears_the_force_down(self):
        entry = self.inject_and_die(self._fault(duration_s=60))
        # What the act would have done, then the run died.
        self.states['c1'] = ['down', True]
        ssh_client = mock.Mock()
        factory = mock.Mock(return_value=ssh_client)
        result, = self.replayer.replay(self.ctx(
            services_client=self.services, ssh_client_factory=factory))
        self.assertEqual([], result['errors'])
        self.assertEqual(["run 'start-it' on c1",
                          'clear forced_down of nova-compute on c1',
                          'wait until nova-compute on c1 is up'],
                         result['did'])
        # A job still waiting is ended first: its late start would hit
        # the next run's fault of this host.
        pid = '/tmp/self-healing-host-stop-c1.pid'
        ssh_client.exec_command.assert_called_once_with(
            'if [ -f %s ]; then kill "$(cat %s)" 2>/dev/null; rm -f %s; fi; '
            'start-it' % (pid, pid, pid))
        self.assertEqual(['up', False], self.states['c1'])
        self.assertFalse(os.path.exists(entry.path))

    def test_the_replay_retries_while_nova_refuses_then_keeps_it(self):
        self.inject_and_die(self._fault(ssh_client=None, stop_command=None))
        self.services.update_service.side_effect = faults.lib_exc.BadRequest(
            'evacuations unfinished')
        result, = self.replayer.replay(self.ctx(
            services_client=self.services))
        self.assertIn('clear forced_down of nova-compute on c1',
                      result['errors'][0])
        self.assertIn('evacuations unfinished', result['errors'][0])
        self.assertGreater(self.services.update_service.call_count, 1)
        self.assertEqual('undo_failed',
                         self.replayer.entries()[0].data['state'])


class DetachedHostStopTest(testtools.TestCase):
    """The detached job on a real SSH server, its commands recorded."""

    def setUp(self):
        super(DetachedHostStopTest, self).setUp()
        self.server = self.useFixture(sshd.SSHServerFixture())
        self.client = ssh.Client('127.0.0.1', self.server.user,
                                 pkey=self.server.private_key_text(),
                                 port=self.server.port, timeout=10,
                                 look_for_keys=False, ssh_allow_agent=False)

    def _fault(self, duration_s):
        services = _services({'c1': ['up', False], 'c2': ['up', False]},
                             time.time, report_interval_s=0.2)
        return faults.HostStop('c1', services, ssh_client=self.client,
                               stop_command='ip host stop',
                               start_command='ip host start',
                               duration_s=duration_s, force_down=False,
                               poll_interval_s=0.1, service_timeout_s=5,
                               log_dir=self.server.workdir)

    def _hosts(self):
        return [(t, c) for t, c in self.server.calls()
                if c.startswith('host')]

    def _wait_hosts(self, count):
        return waiters.Waiter(0.1, 30).until(
            self._hosts, lambda h: len(h) >= count, 'the host commands',
            '%d of them' % count)

    def test_the_host_comes_back_after_the_duration_without_the_harness(
            self):
        record = self._fault(1).inject(fakes.FakeTest())
        # No undo: the job on the host alone starts it again.
        (stopped, stop), (started, start) = self._wait_hosts(2)
        self.assertEqual(('host stop', 'host start'), (stop, start))
        self.assertGreaterEqual(started - stopped, 0.9)
        self.assertLess(record['returned_at'], started)

    def test_an_undo_before_the_end_ends_the_job_first(self):
        fault = self._fault(300)
        test = fakes.FakeTest()
        fault.inject(test)
        self._wait_hosts(1)
        with open(fault.pid_path) as handle:
            job = int(handle.read())
        self.assertEqual([], test.run_cleanups())
        self.assertEqual(['host stop', 'host start'],
                         [c for _, c in self._hosts()])
        waiters.Waiter(0.1, 10).until(
            lambda: _running(job), lambda running: not running,
            'the detached job %d' % job, 'ended')
        self.assertFalse(os.path.exists(fault.pid_path))


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (not reaped yet by its parent) has ended too.
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().split(') ')[1][0] != 'Z'
    except FileNotFoundError:
        return False


class ControlPlaneJournalTest(_Base):

    def _fault(self, cls, start='true {unit}', **kwargs):
        commands = {cpf.KILL: 'kill {unit}', cpf.START: start,
                    cpf.RESTART: 'true {unit}', cpf.FREEZE: 'true {unit}',
                    cpf.THAW: start}
        return cls('heat-engine', 'h-eng', commands, 12,
                   run=mock.Mock(return_value=''), clock=self.clock,
                   **kwargs)

    def test_each_kind_starts_or_thaws_it_here(self):
        for cls, word in ((cpf.ServiceKill, 'start'),
                          (cpf.ServiceRestart, 'start'),
                          (cpf.ServiceFreeze, 'thaw')):
            kwargs = {'duration_s': 5} if cls is cpf.ServiceFreeze else {}
            step, = self._fault(cls, start='localcloud %s {unit}' % word,
                                **kwargs).journal_undo()
            self.assertEqual(('local_command', ['localcloud', word, 'h-eng'],
                              12), (step.action, step.args['argv'],
                                    step.args['timeout_s']), cls)

    def test_a_restart_killed_half_way_is_started_by_the_replay(self):
        entry = self.inject_and_die(self._fault(cpf.ServiceRestart))
        self.assertIn('killed mid-restart', entry.data['lasts'])
        result, = self.replayer.replay(self.ctx())
        self.assertEqual(([], 1), (result['errors'], len(result['did'])))
        self.assertEqual([], self.replayer.entries())

    def test_a_failing_start_is_kept_with_its_exit(self):
        self.inject_and_die(self._fault(cpf.ServiceKill, start='false {unit}'))
        result, = self.replayer.replay(self.ctx())
        self.assertIn('false h-eng exited 1', result['errors'][0])

    def test_a_freeze_ends_by_its_detached_thaw(self):
        fault = self._fault(cpf.ServiceFreeze, duration_s=5)
        fault.t_fault = self.clock.now
        self.assertEqual('ends by itself at 2026-01-01T00:00:05+00:00: '
                         'detached thaw on the node running Tempest',
                         fault.lasts())


class ExternalEventJournalTest(_Base):

    def test_the_replay_resolves_the_same_alert(self):
        http = trf.FakeHttp()
        self.useFixture(fixtures.MockPatch('urllib3.PoolManager',
                                           return_value=http))
        fault = rf.ExternalEvent(
            'c1', rf.ALERTMANAGER, rf.AlertmanagerClient('http://am:9093'),
            'ComputeHostUnreachable', lifetime_s=600, clock=self.clock)
        entry = self.inject_and_die(fault)
        self.assertIn('Alertmanager ends it 600 s after the post',
                      entry.data['lasts'])
        self.clock.tick(30)
        result, = self.replayer.replay(self.ctx())
        self.assertEqual([], result['errors'])
        (method, url, body, _, _), = http.requests
        self.assertEqual(('POST', 'http://am:9093/api/v2/alerts'),
                         (method, url))
        alert, = body
        self.assertEqual(trf.T0_TEXT, alert['startsAt'])
        self.assertEqual('2026-01-01T00:00:30.000000Z', alert['endsAt'])
        self.assertEqual(('ComputeHostUnreachable', 'c1'), (
            alert['labels']['alertname'], alert['labels']['hostname']))

    def test_via_vitrage_the_rca_client_posts_it_resolved(self):
        rca = mock.Mock()
        fault = rf.ExternalEvent('c1', rf.VITRAGE, mock.Mock(),
                                 'ComputeHostUnreachable', lifetime_s=600,
                                 clock=self.clock)
        self.inject_and_die(fault)
        self.replayer.replay(self.ctx(rca_client=rca))
        event_type, body = rca.post_event.call_args[0]
        self.assertEqual((rf.VITRAGE_EVENT_TYPE, 'resolved'),
                         (event_type, body['status']))
