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

"""The undo journal: what each fault did and how to undo it, on disk.

A fault writes its entry before it acts (``Journal.open``), as data a
fresh process can act on: a list of ``Step``s, each an action of
``UNDO_ACTIONS`` with its arguments, no live object. Its undo removes the
entry (``close``); an undo that failed keeps it (``keep_failed``). So a
run killed while a fault was active leaves the entry behind, and the
next run (or ``self-healing-undo``) replays it: ``replay`` runs the steps
of every entry whose run is dead (``runs``), never a live run's.

Each entry is one file, ``entries/<run_id>-<n>.json``, written
atomically (a temporary file, fsync, rename) and only ever by its own
run, or by a replayer once that run is dead, under ``replay.lock``: no
two writers share a file. A file that cannot be read as an entry is
named in ``corrupt`` and skipped; the others replay.
"""

import fcntl
import json
import logging
import os
import time

from tempest.lib import exceptions as lib_exc

from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import runs
from self_healing_tempest_plugin.harness import timeline as tl

LOG = logging.getLogger(__name__)

FORMAT = 1
OPEN, UNDO_FAILED = STATES = ('open', 'undo_failed')
REPLAY_LOCK = 'replay.lock'
ENTRY_KEYS = ('format', 'id', 'run_id', 'kind', 'target', 'opened_at',
              'lasts', 'undo', 'state')
# What the ``lasts`` of an entry says of a fault with no duration.
NO_DURATION = 'until undone: no duration'

# An undo action: ``f(ctx, **args)``, ctx a faults.FaultContext. The
# fault modules register theirs next to the code they share with the
# live undo; ``registry.load()`` imports them all.
UNDO_ACTIONS = registry.Registry('undo action')


@UNDO_ACTIONS.register('noop')
def noop(ctx, **args):
    """Nothing to do (a delete cannot be undone: healing replaces it)."""


class Step(object):
    """One undo step as data: an action, its words and its arguments."""

    def __init__(self, action, description, **args):
        self.action = action
        self.description = description
        self.args = args

    def to_dict(self):
        return {'action': self.action, 'description': self.description,
                'args': dict(self.args)}

    @classmethod
    def from_dict(cls, data):
        """A Step; ValueError saying what is wrong with ``data``."""
        if not isinstance(data, dict):
            raise ValueError('an undo step is %s, not an object'
                             % type(data).__name__)
        missing = [k for k in ('action', 'description', 'args')
                   if k not in data]
        if missing:
            raise ValueError('an undo step lacks %s' % ', '.join(missing))
        if not isinstance(data['args'], dict):
            raise ValueError('the args of undo step %r are not an object'
                             % data['action'])
        registry.load()
        if data['action'] not in UNDO_ACTIONS:
            raise ValueError('unknown undo action %r; known: %s' % (
                data['action'], ', '.join(UNDO_ACTIONS.names())))
        return cls(data['action'], data['description'], **data['args'])

    def run(self, ctx):
        return UNDO_ACTIONS.get(self.action).cls(ctx, **self.args)

    def __eq__(self, other):
        return isinstance(other, Step) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return 'Step(%r, %r, **%r)' % (self.action, self.description,
                                       self.args)


class Entry(object):
    """One journal file, read: its data and whose run it is."""

    def __init__(self, data, path, alive, mine):
        self.data = data
        self.path = path
        self.id = data['id']
        self.run_id = data['run_id']
        self.kind = data['kind']
        self.target = data['target']
        self.alive = alive
        self.mine = mine

    @property
    def steps(self):
        return [Step.from_dict(s) for s in self.data['undo']]

    def __repr__(self):
        return 'Entry(%s, %s on %s)' % (self.id, self.kind, self.target)


def validate(data):
    """ValueError saying why ``data`` is not a journal entry."""
    if not isinstance(data, dict):
        raise ValueError('not a JSON object')
    missing = [k for k in ENTRY_KEYS if k not in data]
    if missing:
        raise ValueError('missing %s' % ', '.join(missing))
    if data['format'] != FORMAT:
        raise ValueError('format %r, expected %d' % (data['format'],
                                                     FORMAT))
    if data['state'] not in STATES:
        raise ValueError('state %r, expected %s' % (data['state'],
                                                    ' or '.join(STATES)))
    if not isinstance(data['undo'], list):
        raise ValueError('undo is not a list of steps')
    for step in data['undo']:
        Step.from_dict(step)


def replay_order(entries):
    """The order a replay undoes ``entries`` in.

    First the healers a dead run left armed (``disarm_first``, in the
    order they were opened): left in place they would act again on what
    the replay repairs. Then the rest latest first, as a live test's
    cleanups would have run.
    """
    first = [e for e in entries if e.data.get('disarm_first')]
    rest = [e for e in entries if not e.data.get('disarm_first')]
    first.sort(key=lambda e: (e.data['opened_at'], e.id))
    rest.sort(key=lambda e: (e.data['opened_at'], e.id), reverse=True)
    return first + rest


def current(conf):
    """The Journal of ``[self_healing] fault_journal_dir`` ('' : None)."""
    directory = (conf.fault_journal_dir or '').strip()
    return Journal(directory) if directory else None


class Journal(object):
    """The journal in ``directory``, as written and read by ``run``.

    :param run: the writer's ``runs.Run`` (this process's by default).
    """

    def __init__(self, directory, run=None, clock=time.time):
        self.directory = directory
        self.entries_dir = os.path.join(directory, runs.ENTRIES)
        runs.make_dirs(self.entries_dir)
        self.run = run or runs.current(directory)
        self.clock = clock
        self.corrupt = []

    def path(self, entry_id):
        return os.path.join(self.entries_dir, entry_id + '.json')

    # -- the writer's side -----------------------------------------------
    def open(self, fault, test_id=None):
        """Write ``fault``'s entry (before it acts); its id."""
        return self.open_steps(
            fault.kind, fault.record.get('target'), fault.journal_undo(),
            fault.lasts(), test_id=test_id, opened_at=fault.t_fault,
            self_undoing=fault.self_undoing, expires_at=fault.expires_at)

    def open_steps(self, kind, target, steps, lasts, test_id=None,
                   opened_at=None, self_undoing=False, expires_at=None,
                   disarm_first=False):
        """Write an entry of undo ``steps`` (journal.Step); its id.

        A fault's entry comes through ``open``; a flow journals here what
        it must repair that no fault of the harness did (a host Vitrage
        fenced while it healed), ``kind`` naming it. ``disarm_first``: a
        healer the flow deployed, which a replay removes before anything
        else (``replay_order``).
        """
        entry_id = '%s-%d' % (self.run.id, self.run.next_number())
        opened_at = self.clock() if opened_at is None else opened_at
        data = {
            'format': FORMAT, 'id': entry_id, 'run_id': self.run.id,
            'kind': kind, 'target': target,
            'test_id': test_id, 'opened_at': opened_at,
            'opened_at_utc': tl.utc_text(opened_at),
            'self_undoing': bool(self_undoing),
            'expires_at': expires_at, 'lasts': lasts,
            'undo': [s.to_dict() for s in steps],
            'disarm_first': bool(disarm_first), 'state': OPEN,
            'undo_errors': [], 'attempts': []}
        runs.write_atomically(self.path(entry_id), data)
        return entry_id

    def close(self, entry_id):
        """The undo succeeded: the entry goes."""
        try:
            os.remove(self.path(entry_id))
        except FileNotFoundError:
            pass

    def keep_failed(self, entry_id, errors, did=()):
        """The undo failed: keep the entry, state undo_failed, errors."""
        path = self.path(entry_id)
        try:
            with open(path) as handle:
                data = json.load(handle)
        except (OSError, ValueError) as exc:
            LOG.warning('journal entry %s could not be read to keep its '
                        'failed undo (%s): %s', path, exc, '; '.join(errors))
            return
        self._note_failure(data, errors, did)
        runs.write_atomically(path, data)

    def _note_failure(self, data, errors, did):
        now = self.clock()
        data['state'] = UNDO_FAILED
        data['undo_errors'] = list(data.get('undo_errors') or []) + list(
            errors)
        data.setdefault('attempts', []).append({
            'at': now, 'at_utc': tl.utc_text(now), 'by_run': self.run.id,
            'did': list(did), 'errors': list(errors)})

    # -- everyone's side ------------------------------------------------
    def entries(self):
        """[Entry] of every readable entry file; ``corrupt`` the others.
        """
        self.corrupt = []
        try:
            names = sorted(os.listdir(self.entries_dir))
        except FileNotFoundError:
            names = []
        found = []
        alive = {}
        for name in names:
            if name.startswith('.') or not name.endswith('.json'):
                continue
            path = os.path.join(self.entries_dir, name)
            try:
                with open(path) as handle:
                    data = json.load(handle)
                validate(data)
            except FileNotFoundError:
                continue  # closed while we listed
            except (OSError, ValueError) as exc:
                self.corrupt.append((path, str(exc)))
                continue
            run_id = data['run_id']
            if run_id not in alive:
                alive[run_id] = runs.is_alive(self.directory, run_id)
            found.append(Entry(data, path, alive[run_id],
                               run_id == self.run.id))
        return sorted(found, key=lambda e: (e.data['opened_at'], e.id))

    def replay(self, ctx, dry_run=False):
        """Undo what dead runs left: one dict per entry (see CONTRACTS).

        In ``replay_order``. Runs every step of each entry in order, each
        even if another
        failed, NotFound tolerated; success removes the entry, failure
        keeps it (undo_failed, errors appended). A corrupt file gets a
        dict naming why, and is left alone.
        """
        with self._replay_lock():
            dead = [e for e in self.entries() if not e.alive and not e.mine]
            results = [self._replay_entry(entry, ctx, dry_run)
                       for entry in replay_order(dead)]
            for path, reason in self.corrupt:
                LOG.warning('journal file %s is corrupt, skipped: %s',
                            path, reason)
                results.append({
                    'entry': os.path.basename(path), 'path': path,
                    'run_id': None, 'kind': None, 'target': None,
                    'did': [], 'errors': [], 'dry_run': dry_run,
                    'corrupt': reason})
            if not dry_run:
                runs.reap_dead(self.directory)
        return results

    def _replay_lock(self):
        return _Flock(os.path.join(self.directory, REPLAY_LOCK))

    def _replay_entry(self, entry, ctx, dry_run):
        result = {'entry': entry.id, 'path': entry.path,
                  'run_id': entry.run_id, 'kind': entry.kind,
                  'target': entry.target, 'lasts': entry.data['lasts'],
                  'did': [], 'errors': [], 'dry_run': dry_run,
                  'corrupt': None}
        if dry_run:
            result['did'] = [s.description for s in entry.steps]
            return result
        for step in entry.steps:
            try:
                step.run(ctx)
                result['did'].append(step.description)
            except lib_exc.NotFound:
                result['did'].append('%s: already gone' % step.description)
            except Exception as exc:
                result['errors'].append('%s: %s' % (step.description, exc))
        if result['errors']:
            self._note_failure(entry.data, result['errors'], result['did'])
            runs.write_atomically(entry.path, entry.data)
            LOG.warning('undo of %s on %s left by dead run %s (journal '
                        'entry %s) FAILED, entry kept: %s', entry.kind,
                        entry.target, entry.run_id, entry.path,
                        '; '.join(result['errors']))
        else:
            self.close(entry.id)
            LOG.info('repaired %s on %s left by dead run %s (journal entry '
                     '%s): %s', entry.kind, entry.target, entry.run_id,
                     entry.id, '; '.join(result['did']))
        return result


class _Flock(object):
    """An exclusive flock on ``path`` for a ``with`` block (it waits)."""

    def __init__(self, path):
        self.path = path
        self.fd = None

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc_info):
        os.close(self.fd)
        self.fd = None
