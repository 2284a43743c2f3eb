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

"""Seed 001: templates act on the run's own instances; the host waited for."""

import os
from unittest import mock

import fixtures
from tempest.lib import exceptions as lib_exc
import testtools
import yaml

from self_healing_tempest_plugin.common import waiters
from self_healing_tempest_plugin.flows import host_repair
from self_healing_tempest_plugin.flows import mistral
from self_healing_tempest_plugin.flows import vitrage
from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import journal as jn
from self_healing_tempest_plugin.harness import runs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
VITRAGE = os.path.join(ROOT, 'scenarios', 'vitrage')


def _template(name):
    with open(os.path.join(VITRAGE, name)) as handle:
        return yaml.safe_load(handle)


class ScopeToProjectTest(testtools.TestCase):

    def test_every_seed_001_template_is_scoped(self):
        for name in ('host_unreachable_evacuate.yaml',
                     'host_unreachable_alarms.yaml'):
            template = vitrage.scope_to_project(_template(name), 'proj')
            self.assertEqual('proj', template['entities']['instance'][
                'project_id'], name)
            self.assertEqual('nova.instance',
                             template['entities']['instance']['type'], name)

    def test_a_template_without_instance_entity_is_named(self):
        template = _template('host_unreachable_evacuate.yaml')
        del template['entities']['instance']
        error = self.assertRaises(ValueError, vitrage.scope_to_project,
                                  template, 'proj')
        self.assertIn('sh_host_unreachable_evacuate', str(error))
        self.assertIn('instance', str(error))


class FakeClock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class TargetHostTest(testtools.TestCase):
    """The faulted host is waited for while a repaired one comes back."""

    def setUp(self):
        super(TargetHostTest, self).setUp()
        self.clock = FakeClock()
        self.replies = []
        self.test = mock.Mock(spec=['admin_services_client', 'waiter',
                                    'skipException'])
        self.test.skipException = testtools.TestCase.skipException
        self.test.waiter = lambda timeout: waiters.Waiter(
            1.0, timeout, clock=self.clock, sleep=self.clock.sleep)
        self.test.admin_services_client.list_services.side_effect = (
            lambda **kw: {'services': self.replies.pop(0)
                          if len(self.replies) > 1 else self.replies[0]})
        # The module's CONF is replaced, not read: reading tempest's CONF
        # loads every plugin into tempest's process-wide registries.
        self.conf = mock.Mock()
        self.conf.self_healing.compute_hosts = ['host1', 'host2']
        self.conf.self_healing.service_timeout_s = 30
        self.conf.self_healing.fault_journal_dir = ''
        self.useFixture(fixtures.MockPatchObject(host_repair, 'CONF',
                                                 self.conf))

    def _services(self, **states):
        return [{'host': h, 'state': s, 'status': 'enabled'}
                for h, s in sorted(states.items())]

    def test_waits_for_a_host_coming_back(self):
        self.replies = [self._services(host1='down', host2='up')] * 3 + [
            self._services(host1='up', host2='up')]
        self.assertEqual('host1',
                         host_repair.HostRepair(self.test).target_host())
        self.assertEqual(3.0, self.clock.now)

    def test_fails_naming_what_it_saw(self):
        self.replies = [self._services(host1='down', host2='up')]
        error = self.assertRaises(
            lib_exc.TimeoutException,
            host_repair.HostRepair(self.test).target_host)
        self.assertIn("up: ['host2']", str(error))
        self.assertIn('compute_hosts', str(error))

    def test_without_compute_hosts_it_skips(self):
        self.conf.self_healing.compute_hosts = []
        self.assertRaises(testtools.TestCase.skipException,
                          host_repair.HostRepair(self.test).target_host)


class DeadRun(object):
    """The run of a killed process: an id, no lock held."""

    id = 'deadbeef0002'

    def __init__(self):
        self._n = 0

    def next_number(self):
        self._n += 1
        return self._n


class HostRepairJournalTest(testtools.TestCase):
    """A killed run's fenced host is repaired by the next run."""

    def setUp(self):
        super(HostRepairJournalTest, self).setUp()
        self.directory = self.useFixture(fixtures.TempDir()).path
        self.clock = FakeClock()
        self.conf = mock.Mock()
        self.conf.self_healing.service_timeout_s = 30
        self.conf.self_healing.poll_interval_s = 1.0
        self.conf.self_healing.compute_restart_command = 'restart-compute'
        self.conf.self_healing.monitor_latency_s = 10
        self.useFixture(fixtures.MockPatchObject(host_repair, 'CONF',
                                                 self.conf))
        self.forced = {'host1': True}
        self.services = mock.Mock()
        self.services.list_services.side_effect = self._list
        self.services.update_service.side_effect = self._update
        self.ssh = mock.Mock()
        self.ssh.exec_command.return_value = ''

    def _list(self, binary=None, host=None):
        return {'services': [
            {'id': 'id-%s' % h, 'host': h, 'forced_down': f,
             'state': 'down' if f else 'up', 'status': 'enabled',
             'updated_at': 'beat-%d' % (self.clock() // 2)}
            for h, f in sorted(self.forced.items())
            if host in (None, h)]}

    def _update(self, service_id, forced_down):
        self.forced[service_id[len('id-'):]] = forced_down
        return {}

    def _test(self):
        test = mock.Mock(spec=['admin_services_client', 'admin_rca_client',
                               'waiter', 'addCleanup', 'id'])
        test.admin_services_client = self.services
        test.id.return_value = 'pkg.VitrageHostSerialTest.test_it'
        return test

    def _replay(self):
        rca = mock.Mock()
        rca.list_alarms.return_value = []
        self.conf.self_healing.host_alarm_name = 'ComputeHostUnreachable'
        ctx = faults.FaultContext(
            self.conf.self_healing, services_client=self.services,
            rca_client=rca,
            ssh_client_factory=lambda conf, host: self.ssh,
            clock=self.clock, sleep=self.clock.sleep)
        return jn.Journal(self.directory,
                          run=runs.Run(self.directory)).replay(ctx)

    def test_the_guard_journals_the_repair_before_any_fault(self):
        dead = jn.Journal(self.directory, run=DeadRun())
        test = self._test()
        host_repair.HostRepair(test, journal=dead).guard('host1')
        test.addCleanup.assert_called_once()
        entry, = dead.entries()
        self.assertEqual((host_repair.REPAIR_KIND, 'host1'),
                         (entry.kind, entry.target))
        self.assertEqual(['repair_fenced_host', 'wait_host_healthy'],
                         [s.action for s in entry.steps])
        self.assertIn('Vitrage may fence it', entry.data['lasts'])

    def test_a_killed_runs_fenced_host_is_restarted_and_unfenced(self):
        dead = jn.Journal(self.directory, run=DeadRun())
        host_repair.HostRepair(self._test(), journal=dead).guard('host1')
        repaired, = self._replay()
        self.assertEqual([], repaired['errors'])
        self.ssh.exec_command.assert_called_once_with('restart-compute')
        self.assertFalse(self.forced['host1'])
        self.assertEqual([], dead.entries())

    def test_a_host_nobody_fenced_is_not_restarted(self):
        self.forced = {'host1': False}
        dead = jn.Journal(self.directory, run=DeadRun())
        host_repair.HostRepair(self._test(), journal=dead).guard('host1')
        repaired, = self._replay()
        self.assertEqual([], repaired['errors'])
        self.ssh.exec_command.assert_not_called()
        self.services.update_service.assert_not_called()

    def test_a_healthy_restore_closes_the_entry(self):
        journal = jn.Journal(self.directory, run=runs.Run(self.directory))
        test = self._test()
        test.admin_rca_client = mock.Mock()
        test.admin_rca_client.list_alarms.return_value = []
        test.waiter = lambda timeout: waiters.Waiter(
            1.0, timeout, clock=self.clock, sleep=self.clock.sleep)
        self.conf.self_healing.host_alarm_name = 'ComputeHostUnreachable'
        repair = host_repair.HostRepair(test, journal=journal)
        repair.guard('host1')
        self.useFixture(fixtures.MockPatchObject(
            host_repair.remote, 'host_client',
            lambda conf, host: self.ssh))
        repair.restore('host1')
        self.assertFalse(self.forced['host1'])
        self.assertEqual([], journal.entries())
        # The flow's restore, then the guard's cleanup: one repair.
        asked = self.services.list_services.call_count
        held = self.clock.now
        repair.restore('host1')
        self.assertEqual(asked, self.services.list_services.call_count)
        self.assertEqual(held, self.clock.now)
        self.ssh.exec_command.assert_called_once_with('restart-compute')


class WaitHealthyTest(testtools.TestCase):
    """A repaired host is trusted once healthy for the monitor's latency."""

    def setUp(self):
        super(WaitHealthyTest, self).setUp()
        self.clock = FakeClock()
        self.conf = mock.Mock()
        self.conf.host_alarm_name = 'ComputeHostUnreachable'
        self.conf.monitor_latency_s = 10
        # (state, heartbeat, alarms) per poll; the first is the heartbeat
        # the wait starts from.
        self.answers = []
        self.services = mock.Mock()
        self.services.list_services.side_effect = self._list
        self.rca = mock.Mock()
        self.rca.list_alarms.side_effect = self._alarms

    def _now(self):
        return self.answers[min(int(self.clock()), len(self.answers) - 1)]

    def _list(self, binary=None, host=None):
        state, beat, _ = self._now()
        return {'services': [{'id': 'id-host1', 'host': 'host1',
                              'state': state, 'updated_at': beat}]}

    def _alarms(self, all_tenants=False):
        return [{'name': 'ComputeHostUnreachable'}] * self._now()[2]

    def _wait(self, timeout=60):
        host_repair.wait_healthy(
            self.services, self.rca, self.conf, 'host1', waiters.Waiter(
                1.0, timeout, clock=self.clock, sleep=self.clock.sleep))

    def test_an_alarm_arriving_late_restarts_the_hold(self):
        # The monitor's alarm for the outage comes 4 s after the host
        # looked healthy: the hold starts again once it has cleared.
        self.answers = ([('up', 'b0', 0)] + [('up', 'b1', 0)] * 4 +
                        [('up', 'b1', 1)] * 3 + [('up', 'b2', 0)] * 20)
        self._wait()
        self.assertEqual(18.0, self.clock.now)

    def test_up_without_a_new_heartbeat_is_not_healthy(self):
        # "up" is Nova's reading of the last heartbeat, the old process's.
        self.answers = [('up', 'b0', 0)] * 6 + [('up', 'b1', 0)] * 20
        self._wait()
        self.assertEqual(16.0, self.clock.now)

    def test_the_timeout_names_what_it_saw(self):
        self.answers = [('up', 'b0', 0), ('up', 'b1', 2)]
        error = self.assertRaises(lib_exc.TimeoutException, self._wait, 5)
        self.assertIn('service up, new heartbeat, 2 monitor alarm(s)',
                      str(error))
        self.assertIn('for 10 s', str(error))


class TemplateJournalTest(testtools.TestCase):
    """A killed run's Vitrage template is deleted by the next run."""

    def setUp(self):
        super(TemplateJournalTest, self).setUp()
        self.directory = self.useFixture(fixtures.TempDir()).path
        self.dead = jn.Journal(self.directory, run=DeadRun())
        self.useFixture(fixtures.MockPatchObject(
            jn, 'current', lambda conf: self.dead))
        self.rca = mock.Mock()
        self.rca.add_template.return_value = [
            {'uuid': 'tpl-1', 'status': 'LOADING'}]
        self.rca.list_templates.return_value = [
            {'name': 'heal_host', 'status': 'ACTIVE'}]
        self.test = mock.Mock()
        self.test.admin_rca_client = self.rca
        self.test.id.return_value = 'pkg.VitrageHostSerialTest.test_it'
        clock = FakeClock()
        self.test.waiter = lambda timeout: waiters.Waiter(
            1.0, timeout, clock=clock, sleep=clock.sleep)

    def _deploy(self):
        vitrage.VitrageBinder(self.test).deploy_template(
            {'metadata': {'name': 'heal_host'}})

    def test_a_loaded_template_is_journaled_until_its_cleanup(self):
        self._deploy()
        entry, = self.dead.entries()
        self.assertEqual((vitrage.TEMPLATE_KIND, 'heal_host'),
                         (entry.kind, entry.target))
        cleanup, = [c[0][0] for c in self.test.addCleanup.call_args_list]
        cleanup()
        self.rca.delete_template.assert_called_once_with(['tpl-1'])
        self.assertEqual([], self.dead.entries())

    def test_the_next_run_deletes_a_killed_runs_template(self):
        self._deploy()
        ctx = faults.FaultContext(None, rca_client=self.rca)
        repaired, = jn.Journal(self.directory,
                               run=runs.Run(self.directory)).replay(ctx)
        self.assertEqual([], repaired['errors'])
        self.rca.delete_template.assert_called_once_with(['tpl-1'])
        self.assertEqual([], self.dead.entries())

    def test_the_next_run_deletes_a_killed_runs_workflow_first(self):
        workflows = mock.Mock()
        workflows.list_executions.return_value = {'executions': [
            {'id': 'ex-1', 'workflow_name': 'wf'},
            {'id': 'ex-other', 'workflow_name': 'not-ours'}]}
        self.test.admin_workflow_client = workflows
        binder = vitrage.VitrageBinder(self.test)
        entry_id = binder._journal(mistral.WORKFLOW_KIND, 'wf', [jn.Step(
            'delete_mistral_workflow', 'delete wf', workflow='wf')])
        self._deploy()
        ctx = faults.FaultContext(None, rca_client=self.rca,
                                  workflow_client=workflows)
        repaired = jn.Journal(self.directory,
                              run=runs.Run(self.directory)).replay(ctx)
        self.assertEqual(entry_id, repaired[0]['entry'])
        self.assertEqual([mistral.WORKFLOW_KIND, vitrage.TEMPLATE_KIND],
                         [r['kind'] for r in repaired])
        workflows.delete_workflow.assert_called_once_with('wf')
        self.assertEqual([mock.call('ex-1', force=True)] * 2,
                         workflows.delete_execution.call_args_list)


class ReplayOrderTest(testtools.TestCase):
    """Healers go first, then the rest latest first, as cleanups would."""

    def test_healers_first_then_latest_first(self):
        directory = self.useFixture(fixtures.TempDir()).path
        clock = FakeClock()
        dead = jn.Journal(directory, run=DeadRun(), clock=clock)
        opened = []
        for kind, first in (('mistral_workflow', True),
                            ('vitrage_template', True),
                            ('host_repair', False), ('host_stop', False)):
            clock.sleep(1)
            opened.append(dead.open_steps(kind, 'host1', [], 'until undone',
                                          disarm_first=first))
        self.assertEqual(
            ['mistral_workflow', 'vitrage_template', 'host_stop',
             'host_repair'],
            [e.kind for e in jn.replay_order(dead.entries())])
