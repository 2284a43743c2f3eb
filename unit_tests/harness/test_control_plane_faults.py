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

"""Service faults: the commands they run (real ones, in a temporary
directory), their undo, expiry and error messages; built from scenario
entries through the registry."""

import os
import sys
from unittest import mock

import fixtures
import testtools

from self_healing_tempest_plugin.harness import control_plane_faults as cpf
from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import sampler as sp
from unit_tests.harness import fakes
from unit_tests.harness import test_run

STATE = sp.ClusterState([sp.Member('a', 'ACTIVE', 'c1')])


def _conf(**overrides):
    """[self_healing] as devstack's defaults, with overrides."""
    values = dict(
        service_kill_command='sudo systemctl kill --signal=SIGKILL {unit}',
        service_start_command='sudo systemctl start {unit}',
        service_restart_command='sudo systemctl restart {unit}',
        service_freeze_command='sudo systemctl kill --signal=SIGSTOP {unit}',
        service_thaw_command='sudo systemctl kill --signal=SIGCONT {unit}',
        service_units={'heat-engine': 'devstack@h-eng'},
        service_fault_timeout_s=120)
    values.update(overrides)
    return mock.Mock(**values)


class Recorder(object):
    """A ``run`` that records each argv and answers like a command."""

    def __init__(self, output='done'):
        self.calls = []
        self.output = output

    def __call__(self, argv, timeout_s):
        self.calls.append((argv, timeout_s))
        return self.output


class UnitAndCommandTest(testtools.TestCase):

    def test_unit_from_service_units_else_devstack(self):
        conf = _conf()
        self.assertEqual('devstack@h-eng', cpf.unit_of(conf, 'heat-engine'))
        self.assertEqual('devstack@aodh-listener',
                         cpf.unit_of(conf, 'aodh-listener'))

    def test_a_service_name_with_a_shell_word_is_refused(self):
        error = self.assertRaises(ValueError, cpf.unit_of, _conf(),
                                  'heat-engine; reboot')
        self.assertIn("service 'heat-engine; reboot' is not a service name",
                      str(error))

    def test_a_bad_unit_in_the_option_names_the_option(self):
        error = self.assertRaises(
            ValueError, cpf.unit_of,
            _conf(service_units={'mistral': 'a b'}), 'mistral')
        self.assertIn("[self_healing] service_units maps mistral to 'a b'",
                      str(error))

    def test_template_without_unit_names_the_option(self):
        error = self.assertRaises(
            ValueError, cpf.command_of,
            _conf(service_kill_command='pkill heat'), cpf.KILL)
        self.assertIn("[self_healing] service_kill_command = 'pkill heat' "
                      "does not say where the unit goes ({unit})",
                      str(error))

    def test_empty_template_names_the_option(self):
        error = self.assertRaises(ValueError, cpf.command_of,
                                  _conf(service_thaw_command=' '), cpf.THAW)
        self.assertIn('[self_healing] service_thaw_command is empty',
                      str(error))

    def test_render_puts_the_unit_in_as_one_word(self):
        self.assertEqual(
            ['/usr/bin/python3', '/x/localcloud', '--base', '/b', 'kill',
             'heat-engine'],
            cpf.render('/usr/bin/python3 /x/localcloud --base /b kill {unit}',
                       'heat-engine'))


class RunCommandTest(testtools.TestCase):
    """run_command runs real commands."""

    def test_output_of_a_command_that_succeeds(self):
        self.assertEqual('out\nerr\n', cpf.run_command(
            ['sh', '-c', 'echo out; echo err >&2'], 10))

    def test_a_failed_command_names_its_exit_code_and_output(self):
        error = self.assertRaises(
            cpf.ServiceCommandError, cpf.run_command,
            ['sh', '-c', 'echo "unknown service(s) heat-engin" >&2; exit 3'],
            10)
        self.assertIn("exited 3; its output: unknown service(s) heat-engin",
                      str(error))
        self.assertIn("sh -c 'echo", str(error))

    def test_a_missing_command_says_so(self):
        error = self.assertRaises(cpf.ServiceCommandError, cpf.run_command,
                                  ['/nonexistent/localcloud', 'kill'], 10)
        self.assertIn('/nonexistent/localcloud kill: no such command',
                      str(error))

    def test_a_command_past_its_timeout_names_the_option(self):
        error = self.assertRaises(
            cpf.ServiceCommandError, cpf.run_command,
            [sys.executable, '-c', 'import time; print("slow", flush=True);'
             ' time.sleep(30)'], 0.5)
        self.assertIn('did not end within 0.5 s ([self_healing] '
                      'service_fault_timeout_s)', str(error))

    def test_a_long_output_is_cut_to_its_tail(self):
        error = self.assertRaises(
            cpf.ServiceCommandError, cpf.run_command,
            [sys.executable, '-c', 'print("x" * 5000 + "END"); exit(1)'], 10)
        self.assertIn('END', str(error))
        self.assertLess(len(str(error)), cpf.OUTPUT_TAIL + 200)


class ServiceKillTest(testtools.TestCase):

    def setUp(self):
        super(ServiceKillTest, self).setUp()
        self.clock = fakes.FakeClock()
        self.test = fakes.FakeTest()
        self.run = Recorder()

    def _kill(self, **kwargs):
        return cpf.ServiceKill(
            'heat-engine', 'devstack@h-eng',
            {cpf.KILL: 'sudo systemctl kill --signal=SIGKILL {unit}',
             cpf.START: 'sudo systemctl start {unit}'}, 120,
            clock=self.clock, run=self.run, **kwargs)

    def test_kill_registers_undo_first_then_kills(self):
        def check(argv, timeout_s):
            self.assertEqual(1, len(self.test.cleanups))
            return ''
        fault = self._kill()
        fault.run = check
        fault.inject(self.test)
        self.assertEqual('service_kill', fault.record['kind'])
        self.assertEqual('heat-engine', fault.record['target'])

    def test_kill_command_then_start_on_undo(self):
        fault = self._kill()
        record = fault.inject(self.test)
        self.assertEqual(
            [(['sudo', 'systemctl', 'kill', '--signal=SIGKILL',
               'devstack@h-eng'], 120)], self.run.calls)
        self.assertEqual('SIGKILL to heat-engine (devstack@h-eng)',
                         record['did'])
        self.assertEqual('sudo systemctl kill --signal=SIGKILL '
                         'devstack@h-eng', record['killed_command'])
        self.assertEqual([], self.test.run_cleanups())
        self.assertEqual(['sudo', 'systemctl', 'start', 'devstack@h-eng'],
                         self.run.calls[1][0])
        self.assertIn('started_at', record)
        self.assertEqual(set(), fault.hosts_cut_off())

    def test_expiry_only_with_a_duration_and_never_self_undoing(self):
        lasting = self._kill()
        lasting.inject(self.test)
        self.assertIsNone(lasting.expires_at)
        timed = self._kill(duration_s=30)
        timed.inject(self.test)
        self.assertEqual(self.clock.now + 30, timed.expires_at)
        self.assertFalse(timed.self_undoing)

    def test_undo_twice_starts_once(self):
        fault = self._kill()
        fault.inject(self.test)
        fault.undo()
        fault.undo()
        self.assertEqual(2, len(self.run.calls))

    def test_a_failed_start_fails_the_undo_with_the_command_error(self):
        fault = self._kill()
        fault.inject(self.test)

        def fail(argv, timeout_s):
            raise cpf.ServiceCommandError('sudo systemctl start '
                                          'devstack@h-eng exited 5; its '
                                          'output: Unit not found')
        fault.run = fail
        error = self.assertRaises(RuntimeError, fault.undo)
        self.assertIn('undo of service_kill failed: start heat-engine '
                      '(devstack@h-eng): sudo systemctl start '
                      'devstack@h-eng exited 5', str(error))


class ServiceRestartTest(testtools.TestCase):

    def test_restart_runs_once_and_undo_does_nothing(self):
        clock = fakes.FakeClock()
        test = fakes.FakeTest()

        def restart(argv, timeout_s):
            clock.tick(4.5)        # the command returns once it is back
            run.calls.append(argv)
            return 'heat-engine healthy'
        run = mock.Mock(calls=[])
        fault = cpf.ServiceRestart(
            'heat-engine', 'heat-engine',
            {cpf.RESTART: 'localcloud restart {unit}',
             cpf.START: 'localcloud start {unit}'}, 60, clock=clock,
            run=restart)
        record = fault.inject(test)
        self.assertEqual([['localcloud', 'restart', 'heat-engine']],
                         run.calls)
        self.assertEqual(4.5, record['restarted_took_s'])
        self.assertEqual('restarted heat-engine (heat-engine) in 4.5 s',
                         record['did'])
        self.assertEqual([], test.run_cleanups())
        self.assertEqual(1, len(run.calls))
        self.assertEqual(['nothing to restore after a restart'],
                         record['undo'])

    def test_missing_command_is_named(self):
        error = self.assertRaises(ValueError, cpf.ServiceRestart,
                                  'heat-engine', 'u', {}, 60)
        self.assertIn('a service_restart fault needs [self_healing] '
                      'service_restart_command', str(error))


class ServiceFreezeTest(testtools.TestCase):
    """Real commands: each one appends its unit to a file."""

    def setUp(self):
        super(ServiceFreezeTest, self).setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.log = os.path.join(self.dir, 'signals')
        self.clock = fakes.FakeClock()
        self.test = fakes.FakeTest()
        self.detached = []

    def _freeze(self, duration_s=20):
        fault = cpf.ServiceFreeze(
            'mistral-engine', 'mistral',
            {cpf.FREEZE: "sh -c 'echo STOP $0 >> %s' {unit}" % self.log,
             cpf.THAW: "sh -c 'echo CONT $0 >> %s' {unit}" % self.log},
            10, duration_s=duration_s, clock=self.clock)
        return fault

    def _signals(self):
        with open(self.log) as handle:
            return handle.read().split('\n')[:-1]

    def test_freeze_then_a_detached_thaw_after_the_duration(self):
        fault = self._freeze()
        with mock.patch.object(cpf, 'start_detached',
                               side_effect=lambda argv: self.detached.append(
                                   argv) or 4242):
            record = fault.inject(self.test)
        self.assertEqual(['STOP mistral'], self._signals())
        argv, = self.detached
        self.assertEqual(['sh', '-c'], argv[:2])
        self.assertTrue(argv[2].startswith('sleep 20; exec sh -c '),
                        argv[2])
        self.assertIn('mistral', argv[2])
        self.assertEqual(4242, record['thaw_later_pid'])
        self.assertTrue(fault.self_undoing)
        self.assertEqual(self.clock.now + 20, fault.expires_at)
        self.assertEqual('SIGSTOP to mistral-engine (mistral) for 20 s',
                         record['did'])

    def test_the_detached_thaw_command_thaws(self):
        fault = self._freeze(duration_s=0.01)
        argv = fault._thaw_later_argv()
        cpf.run_command(argv, 10)
        self.assertEqual(['CONT mistral'], self._signals())

    def test_undo_thaws_at_once(self):
        fault = self._freeze()
        with mock.patch.object(cpf, 'start_detached', return_value=1):
            fault.inject(self.test)
        self.assertEqual([], self.test.run_cleanups())
        self.assertEqual(['STOP mistral', 'CONT mistral'], self._signals())

    def test_freeze_needs_a_duration(self):
        error = self.assertRaises(ValueError, self._freeze, None)
        self.assertIn('a service_freeze of mistral-engine needs duration_s',
                      str(error))

    def test_a_failed_freeze_starts_no_thaw_and_names_the_exit(self):
        fault = cpf.ServiceFreeze(
            'mistral-engine', 'mistral',
            {cpf.FREEZE: "sh -c 'echo no such unit $0; exit 4' {unit}",
             cpf.THAW: 'true {unit}'}, 10, duration_s=5, clock=self.clock)
        with mock.patch.object(cpf, 'start_detached') as detach:
            error = self.assertRaises(cpf.ServiceCommandError, fault.inject,
                                      self.test)
        detach.assert_not_called()
        self.assertIn('exited 4; its output: no such unit mistral',
                      str(error))


class FromSpecTest(testtools.TestCase):

    def setUp(self):
        super(FromSpecTest, self).setUp()
        self.clock = fakes.FakeClock()

    def _build(self, conf, *specs):
        ctx = faults.FaultContext(conf, clock=self.clock)
        return faults.from_specs(list(specs), STATE, ctx)

    def test_kinds_are_registered_with_their_meta(self):
        self.assertEqual(
            [('service_freeze', registry.SERVICE, 'service_fault', True,
              'required'),
             ('service_kill', registry.SERVICE, 'service_fault', True, True),
             ('service_restart', registry.SERVICE, 'service_fault', True,
              False)],
            [(e.name, e.target, e.feature, e.serial, e.duration)
             for e in registry.FAULTS.entries()
             if e.cls.__module__ == cpf.__name__])

    def test_service_target_with_its_unit_commands_and_timeout(self):
        kill, restart = self._build(
            _conf(service_fault_timeout_s=90),
            {'kind': 'service_kill', 'target': 'service:heat-engine',
             'duration_s': 15},
            {'kind': 'service_restart', 'target': 'service:aodh-listener',
             'on': 'detect'})
        self.assertEqual(('heat-engine', 'devstack@h-eng', 90, 15),
                         (kill.fault.service, kill.fault.unit,
                          kill.fault.timeout_s, kill.fault.duration_s))
        self.assertEqual(['sudo', 'systemctl', 'start', 'devstack@h-eng'],
                         kill.fault.argv(cpf.START))
        self.assertEqual(('devstack@aodh-listener', 'detect'),
                         (restart.fault.unit, restart.on_phase))
        self.assertIs(self.clock, restart.fault.clock)

    def test_a_member_target_is_refused(self):
        error = self.assertRaises(
            ValueError, self._build, _conf(),
            {'kind': 'service_restart', 'target': 'member'})
        self.assertIn('a service_restart fault takes a service target',
                      str(error))

    def test_a_broken_command_option_fails_before_anything_runs(self):
        error = self.assertRaises(
            ValueError, self._build, _conf(service_freeze_command='kill'),
            {'kind': 'service_freeze', 'target': 'service:mistral-engine',
             'duration_s': 10})
        self.assertIn('service_freeze_command', str(error))


class EngineTest(test_run.RunFixtures):
    """The engine runs a service fault beside a member fault.

    It undoes a timed kill once its duration has passed.
    """

    def test_kill_undone_by_the_engine_at_expiry(self):
        started = []

        def recorded(argv, timeout_s):
            started.append((argv[0], self.clock() - self.cloud.t_fault))
            return ''
        kill = cpf.ServiceKill(
            'heat-engine', 'heat-engine',
            {cpf.KILL: 'kill {unit}', cpf.START: 'start {unit}'}, 60,
            duration_s=10, clock=self.clock, run=recorded)
        timeline = self._run(faults=[faults.ScheduledFault(self.fault),
                                     faults.ScheduledFault(kill)]).run()
        self.assertEqual('healed', timeline.result)
        self.assertEqual('kill', started[0][0])
        self.assertEqual(0.0, started[0][1])
        self.assertEqual('start', started[1][0])
        self.assertGreaterEqual(started[1][1], 10)
        self.assertLess(started[1][1], 12)
        self.assertEqual('engine, at expires_at', kill.record['undone_by'])
        self.assertEqual(['instance_delete', 'service_kill'],
                         [f['kind'] for f in timeline.faults])
