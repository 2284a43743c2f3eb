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

"""The undo journal: entries written, replayed, kept when their undo
fails, never a live run's; two worker processes; corrupt files."""

import json
import multiprocessing
import os
import threading

import fixtures
from tempest.lib import exceptions as lib_exc
import testtools

from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import journal as jn
from self_healing_tempest_plugin.harness import runs
from unit_tests.harness import fakes

# What the probe actions did, in order: (action, args).
DONE = []
# Raised by the ``unit_fail`` action: what a refused undo says.
REFUSAL = 'Nova refuses: evacuation of host1 unfinished'


@jn.UNDO_ACTIONS.register('unit_note')
def _note(ctx, **args):
    DONE.append(('unit_note', args))


@jn.UNDO_ACTIONS.register('unit_fail')
def _fail(ctx, **args):
    DONE.append(('unit_fail', args))
    raise RuntimeError(REFUSAL)


@jn.UNDO_ACTIONS.register('unit_gone')
def _gone(ctx, **args):
    raise lib_exc.NotFound('server gone')


class Probe(faults.Fault):
    """A fault whose journal undo is the steps it is given."""

    kind = 'unit_probe'

    def __init__(self, target='host1', steps=None, duration_s=None,
                 clock=None):
        super(Probe, self).__init__(target=target, duration_s=duration_s,
                                    clock=clock or fakes.FakeClock())
        self.steps = steps or [jn.Step('unit_note', 'note it', n=1)]
        self.acted = []

    def _act(self):
        self.acted.append(self.clock())

    def journal_undo(self):
        return self.steps


class DeadRun(object):
    """The run of a process that died: an id, no lock."""

    def __init__(self, run_id='deadbeef0001'):
        self.id = run_id
        self._n = 0

    def next_number(self):
        self._n += 1
        return self._n


def _opened(journal, fault):
    fault.t_fault = fault.clock()
    return journal.open(fault, test_id='pkg.Class.test_it')


class JournalTestBase(testtools.TestCase):

    def setUp(self):
        super(JournalTestBase, self).setUp()
        self.directory = self.useFixture(fixtures.TempDir()).path
        self.clock = fakes.FakeClock()
        self.ctx = faults.FaultContext(None, clock=self.clock,
                                       sleep=self.clock.sleep)
        self.dead = jn.Journal(self.directory, run=DeadRun(),
                               clock=self.clock)
        self.journal = jn.Journal(self.directory,
                                  run=runs.Run(self.directory),
                                  clock=self.clock)
        self.log = self.useFixture(fixtures.FakeLogger(name=jn.__name__))
        del DONE[:]

    def read(self, entry_id):
        with open(self.journal.path(entry_id)) as handle:
            return json.load(handle)


class WriteTest(JournalTestBase):

    def test_an_entry_is_data_a_fresh_process_can_read(self):
        fault = Probe(steps=[jn.Step('unit_note', 'start host1', host='h')])
        entry_id = _opened(self.journal, fault)
        self.assertEqual('%s-1' % self.journal.run.id, entry_id)
        data = self.read(entry_id)
        self.assertEqual(
            {'format': 1, 'id': entry_id, 'run_id': self.journal.run.id,
             'kind': 'unit_probe', 'target': 'host1',
             'test_id': 'pkg.Class.test_it', 'opened_at': self.clock.now,
             'opened_at_utc': '2026-01-01T00:00:00+00:00',
             'self_undoing': False, 'expires_at': None,
             'lasts': 'until undone: no duration',
             'undo': [{'action': 'unit_note', 'description': 'start host1',
                       'args': {'host': 'h'}}],
             'disarm_first': False, 'state': 'open', 'undo_errors': [],
             'attempts': []}, data)
        self.assertEqual([entry_id + '.json'],
                         os.listdir(self.journal.entries_dir))

    def test_close_removes_it_and_keep_failed_keeps_the_errors(self):
        first = _opened(self.journal, Probe())
        second = _opened(self.journal, Probe())
        self.assertNotEqual(first, second)
        self.journal.close(first)
        self.journal.close(first)   # twice is fine
        self.journal.keep_failed(second, ['start host1: refused'])
        self.assertFalse(os.path.exists(self.journal.path(first)))
        data = self.read(second)
        self.assertEqual(('undo_failed', ['start host1: refused']),
                         (data['state'], data['undo_errors']))
        self.assertEqual(self.journal.run.id, data['attempts'][0]['by_run'])

    def test_entries_say_whose_and_whether_alive(self):
        mine = _opened(self.journal, Probe())
        dead = _opened(self.dead, Probe(target='host2'))
        found = dict((e.id, e) for e in self.journal.entries())
        self.assertEqual((True, True), (found[mine].alive, found[mine].mine))
        self.assertEqual((False, False),
                         (found[dead].alive, found[dead].mine))
        self.assertEqual('host2', found[dead].target)
        self.assertEqual([], self.journal.corrupt)

    def test_current_follows_the_option(self):
        self.assertIsNone(jn.current(type('C', (), {
            'fault_journal_dir': ''})()))
        journal = jn.current(type('C', (), {
            'fault_journal_dir': self.directory})())
        self.assertEqual(self.directory, journal.directory)
        self.assertIs(runs.current(self.directory), journal.run)

    def test_a_step_round_trips_and_an_unknown_action_is_named(self):
        step = jn.Step('ssh_command', 'start it', host='h', command='c')
        self.assertEqual(step, jn.Step.from_dict(step.to_dict()))
        error = self.assertRaises(ValueError, jn.Step.from_dict, {
            'action': 'rm_rf', 'description': 'x', 'args': {}})
        self.assertIn("unknown undo action 'rm_rf'", str(error))
        self.assertIn('clear_forced_down', str(error))

    def test_the_actions_the_contract_lists_are_registered(self):
        jn.registry.load()
        self.assertEqual(set(), {
            'noop', 'ssh_command', 'local_command',
            'start_server_if_shutoff', 'reset_server_active_if_error',
            'clear_forced_down', 'wait_compute_up', 'resolve_alert'} - set(
                jn.UNDO_ACTIONS.names()))


class ReplayTest(JournalTestBase):

    def test_a_dead_runs_entry_is_undone_removed_and_logged(self):
        entry_id = _opened(self.dead, Probe(steps=[
            jn.Step('unit_note', 'start host1', n=1),
            jn.Step('unit_note', 'clear forced_down of host1', n=2)]))
        results = self.journal.replay(self.ctx)
        self.assertEqual([('unit_note', {'n': 1}), ('unit_note', {'n': 2})],
                         DONE)
        self.assertEqual([{
            'entry': entry_id, 'path': self.journal.path(entry_id),
            'run_id': 'deadbeef0001', 'kind': 'unit_probe',
            'target': 'host1', 'lasts': 'until undone: no duration',
            'did': ['start host1', 'clear forced_down of host1'],
            'errors': [], 'dry_run': False, 'corrupt': None}], results)
        self.assertEqual([], os.listdir(self.journal.entries_dir))
        self.assertIn('repaired unit_probe on host1 left by dead run '
                      'deadbeef0001', self.log.output)

    def test_live_and_own_entries_are_never_replayed(self):
        other = jn.Journal(self.directory, run=runs.Run(self.directory))
        _opened(other, Probe())
        _opened(self.journal, Probe())
        self.assertEqual([], self.journal.replay(self.ctx))
        self.assertEqual([], DONE)
        self.assertEqual(2, len(self.journal.entries()))

    def test_a_failed_undo_is_kept_reported_and_retried(self):
        entry_id = _opened(self.dead, Probe(steps=[
            jn.Step('unit_fail', 'clear forced_down of host1'),
            jn.Step('unit_note', 'wait until host1 is up')]))
        result, = self.journal.replay(self.ctx)
        expected = ['clear forced_down of host1: %s' % REFUSAL]
        self.assertEqual(expected, result['errors'])
        # The step after the failed one still ran.
        self.assertEqual(['wait until host1 is up'], result['did'])
        data = self.read(entry_id)
        self.assertEqual(('undo_failed', expected),
                         (data['state'], data['undo_errors']))
        self.assertEqual(1, len(data['attempts']))
        self.assertIn('FAILED, entry kept: %s' % expected[0],
                      self.log.output)
        # The next replay tries again and keeps every error seen.
        self.journal.replay(self.ctx)
        data = self.read(entry_id)
        self.assertEqual(expected * 2, data['undo_errors'])
        self.assertEqual(2, len(data['attempts']))

    def test_not_found_is_tolerated(self):
        _opened(self.dead, Probe(steps=[jn.Step('unit_gone', 'start srv')]))
        result, = self.journal.replay(self.ctx)
        self.assertEqual((['start srv: already gone'], []),
                         (result['did'], result['errors']))
        self.assertEqual([], self.journal.entries())

    def test_dry_run_changes_nothing(self):
        entry_id = _opened(self.dead, Probe(steps=[
            jn.Step('unit_note', 'start host1')]))
        result, = self.journal.replay(self.ctx, dry_run=True)
        self.assertEqual((['start host1'], True),
                         (result['did'], result['dry_run']))
        self.assertEqual([], DONE)
        self.assertEqual('open', self.read(entry_id)['state'])

    def test_corrupt_files_are_named_skipped_and_the_rest_replayed(self):
        good = _opened(self.dead, Probe())
        bad = dict(self.read(good), id='deadbeef0001-9',
                   undo=[{'action': 'rm_rf', 'description': 'x',
                          'args': {}}])
        files = {
            'deadbeef0001-7.json': '{"format": 1, "id": ',
            'deadbeef0001-8.json': json.dumps({'format': 1}),
            'deadbeef0001-9.json': json.dumps(bad),
        }
        for name, text in files.items():
            with open(os.path.join(self.journal.entries_dir, name),
                      'w') as handle:
                handle.write(text)
        results = self.journal.replay(self.ctx)
        replayed = [r for r in results if not r['corrupt']]
        corrupt = dict((os.path.basename(r['path']), r['corrupt'])
                       for r in results if r['corrupt'])
        self.assertEqual([good], [r['entry'] for r in replayed])
        self.assertEqual(sorted(files), sorted(corrupt))
        self.assertIn('Expecting value', corrupt['deadbeef0001-7.json'])
        self.assertIn('missing id, run_id', corrupt['deadbeef0001-8.json'])
        self.assertIn("unknown undo action 'rm_rf'",
                      corrupt['deadbeef0001-9.json'])
        # Named, left in place for a human, and in the log.
        self.assertEqual(sorted(files), sorted(os.listdir(
            self.journal.entries_dir)))
        self.assertIn('deadbeef0001-8.json is corrupt, skipped',
                      self.log.output)

    def test_the_dead_runs_files_go_with_its_last_entry(self):
        run_id = _dead_run_with_entries(self.directory, 1)
        self.assertIn(run_id + '.lock', os.listdir(
            runs.runs_dir(self.directory)))
        self.journal.replay(self.ctx)
        self.assertNotIn(run_id + '.lock', os.listdir(
            runs.runs_dir(self.directory)))
        self.assertEqual([], self.journal.entries())

    def test_two_replayers_never_undo_an_entry_twice(self):
        entered = threading.Event()
        release = threading.Event()
        calls = []

        @jn.UNDO_ACTIONS.register('unit_block')
        def block(ctx):
            calls.append(threading.current_thread().name)
            entered.set()
            release.wait(30)
        _opened(self.dead, Probe(steps=[jn.Step('unit_block', 'slow')]))
        other = jn.Journal(self.directory, run=runs.Run(self.directory))
        results = {}
        first = threading.Thread(name='first', target=lambda: results.update(
            first=self.journal.replay(self.ctx)))
        second = threading.Thread(name='second', target=lambda: results.update(
            second=other.replay(self.ctx)))
        first.start()
        self.assertTrue(entered.wait(30))
        second.start()
        second.join(0.5)
        self.assertTrue(second.is_alive(), 'the second replayer did not '
                        'wait for the first one\'s replay.lock')
        release.set()
        first.join(30)
        second.join(30)
        self.assertEqual(['first'], calls)
        self.assertEqual((1, 0), (len(results['first']),
                                  len(results['second'])))


def _worker(directory, count, barrier, queue, stop):
    """A worker process: its run, ``count`` entries, then wait or die."""
    journal = jn.Journal(directory)
    barrier.wait(30)
    ids = [journal.open(Probe(target='host-%d' % n,
                              steps=[jn.Step('unit_note', 'undo %d' % n,
                                             worker=os.getpid(), n=n)]))
           for n in range(count)]
    queue.put((journal.run.id, ids))
    if stop is not None:
        stop.wait(60)


def _dead_run_with_entries(directory, count):
    context = multiprocessing.get_context('fork')
    queue = context.Queue()
    barrier = context.Barrier(1)
    child = context.Process(target=_worker, args=(directory, count, barrier,
                                                  queue, None))
    child.start()
    run_id, _ = queue.get(timeout=30)
    child.join(30)
    return run_id


class TwoWorkersTest(JournalTestBase):
    """Two real processes journal at once; a third replays."""

    COUNT = 25

    def test_only_the_dead_workers_entries_are_replayed(self):
        context = multiprocessing.get_context('fork')
        queue = context.Queue()
        barrier = context.Barrier(2)
        stop = context.Event()
        dies = context.Process(target=_worker, args=(
            self.directory, self.COUNT, barrier, queue, None))
        lives = context.Process(target=_worker, args=(
            self.directory, self.COUNT, barrier, queue, stop))
        self.addCleanup(stop.set)
        dies.start()
        lives.start()
        written = dict(queue.get(timeout=60) for _ in range(2))
        dies.join(30)
        self.assertEqual(0, dies.exitcode)
        self.assertTrue(lives.is_alive())
        dead_run = [r for r in written if not runs.is_alive(
            self.directory, r)]
        self.assertEqual(1, len(dead_run), written)
        dead_run = dead_run[0]
        live_run, = set(written) - {dead_run}

        # Every entry of both is whole and its own file.
        entries = self.journal.entries()
        self.assertEqual([], self.journal.corrupt)
        self.assertEqual(sorted(written[dead_run] + written[live_run]),
                         sorted(e.id for e in entries))

        results = self.journal.replay(self.ctx)
        self.assertEqual(sorted(written[dead_run]),
                         sorted(r['entry'] for r in results))
        self.assertEqual({dies.pid}, set(a['worker'] for _, a in DONE))
        self.assertEqual(sorted(written[live_run]),
                         sorted(e.id for e in self.journal.entries()))

        stop.set()
        lives.join(30)
        results = self.journal.replay(self.ctx)
        self.assertEqual(sorted(written[live_run]),
                         sorted(r['entry'] for r in results))
        self.assertEqual([], self.journal.entries())
        self.assertEqual([self.journal.run.id],
                         sorted(runs.live(self.directory)))
