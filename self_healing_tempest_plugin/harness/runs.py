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

"""Runs: which harness processes are alive, told by a lock they hold.

Every process that journals a fault is a ``Run`` with its own id; it
holds an exclusive ``flock`` on ``<directory>/runs/<id>.lock`` for as
long as it lives, and the kernel drops that lock when the process dies,
however it dies (SIGKILL and the OOM killer included). A lock that can
be taken is a dead run's: unlike a pid, that cannot be mistaken for
another process that got the same pid later. The lock file is locked
before it takes its name, so no one ever sees a live run's lock free.
"""

import fcntl
import itertools
import json
import os
import socket
import sys
import threading
import time
import uuid

RUNS = 'runs'
# The journal's entries: <directory>/entries/<run_id>-<n>.json.
ENTRIES = 'entries'
LOCK_SUFFIX = '.lock'
INFO_SUFFIX = '.json'
DIR_MODE = 0o755

_CURRENT = {}
_CURRENT_LOCK = threading.Lock()


def runs_dir(directory):
    return os.path.join(directory, RUNS)


def lock_path(directory, run_id):
    return os.path.join(runs_dir(directory), run_id + LOCK_SUFFIX)


def info_path(directory, run_id):
    return os.path.join(runs_dir(directory), run_id + INFO_SUFFIX)


def make_dirs(path):
    """``os.makedirs``; a failure names the directory and the option."""
    try:
        os.makedirs(path, mode=DIR_MODE, exist_ok=True)
    except OSError as exc:
        raise OSError(exc.errno, 'cannot create the journal directory %s '
                      '([self_healing] fault_journal_dir): %s'
                      % (path, exc.strerror))


def write_atomically(path, data):
    """Write ``data`` as JSON to ``path``: a reader sees all or nothing.

    A temporary file in the same directory, fsync, then ``os.replace``;
    its name holds the pid, so two writers never share it.
    """
    tmp = os.path.join(os.path.dirname(path), '.%s.%d.tmp' % (
        os.path.basename(path), os.getpid()))
    with open(tmp, 'w') as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(os.path.dirname(path))


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Run(object):
    """This process's run: id, start time, and the lock it holds."""

    def __init__(self, directory, clock=time.time):
        self.directory = directory
        self.id = uuid.uuid4().hex[:12]
        self.pid = os.getpid()
        self.started_at = clock()
        self._numbers = itertools.count(1)
        self._numbers_lock = threading.Lock()
        self.info = {'id': self.id, 'pid': self.pid,
                     'hostname': socket.gethostname(),
                     'started_at': self.started_at,
                     'argv': list(sys.argv)}
        make_dirs(runs_dir(directory))
        self._lock_fd = self._hold_lock()
        write_atomically(info_path(directory, self.id), self.info)

    def _hold_lock(self):
        final = lock_path(self.directory, self.id)
        tmp = os.path.join(os.path.dirname(final),
                           '.%s.%d.tmp' % (os.path.basename(final),
                                           os.getpid()))
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, json.dumps(self.info).encode())
        os.fsync(fd)
        os.replace(tmp, final)
        return fd

    def tag(self, prefix):
        """The run tag of the resources it creates: '<prefix>-<id>'."""
        return '%s-%s' % (prefix, self.id)

    def end(self):
        """End the run before its process does: its files go, if no entry
        of its own is left (a short-lived command's run, such as
        self-healing-undo's, leaves nothing behind).

        :returns: whether it ended.
        """
        if self._lock_fd is None or _has_entries(self.directory, self.id):
            return False
        for path in (info_path(self.directory, self.id),
                     lock_path(self.directory, self.id)):
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
        os.close(self._lock_fd)
        self._lock_fd = None
        with _CURRENT_LOCK:
            key = os.path.realpath(self.directory)
            if _CURRENT.get(key) is self:
                del _CURRENT[key]
        return True

    def next_number(self):
        """1, 2, ...: the numbers of its journal entries, never twice."""
        with self._numbers_lock:
            return next(self._numbers)

    def __repr__(self):
        return 'Run(%s, pid %d)' % (self.id, self.pid)


def current(directory):
    """The Run of this process in ``directory`` (made on the first call).

    A child forked from a process with a Run gets its own.
    """
    key = os.path.realpath(directory)
    with _CURRENT_LOCK:
        run = _CURRENT.get(key)
        if run is None or run.pid != os.getpid():
            run = _CURRENT[key] = Run(directory)
        return run


def _lock_is_held(path):
    """True while a live process holds ``path``'s lock; False if free."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock taken here
    return False


def _run_ids(directory):
    try:
        names = os.listdir(runs_dir(directory))
    except FileNotFoundError:
        return []
    ids = set()
    for name in names:
        if name.startswith('.'):
            continue
        for suffix in (LOCK_SUFFIX, INFO_SUFFIX):
            if name.endswith(suffix):
                ids.add(name[:-len(suffix)])
    return sorted(ids)


def _started_at(directory, run_id):
    for path in (lock_path(directory, run_id), info_path(directory, run_id)):
        try:
            with open(path) as handle:
                return float(json.load(handle)['started_at'])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def is_alive(directory, run_id):
    """Whether the run ``run_id`` still holds its lock."""
    return _lock_is_held(lock_path(directory, run_id))


def live(directory):
    """{run_id: started_at} of the runs alive now."""
    return dict((run_id, _started_at(directory, run_id))
                for run_id in _run_ids(directory)
                if is_alive(directory, run_id))


def _has_entries(directory, run_id):
    try:
        names = os.listdir(os.path.join(directory, ENTRIES))
    except FileNotFoundError:
        return False
    return any(n.startswith(run_id + '-') for n in names)


def reap_dead(directory):
    """Remove the files of dead runs that have no journal entry left.

    :returns: the ids of the runs removed.
    """
    removed = []
    for run_id in _run_ids(directory):
        if is_alive(directory, run_id) or _has_entries(directory, run_id):
            continue
        for path in (info_path(directory, run_id),
                     lock_path(directory, run_id)):
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
        removed.append(run_id)
    return removed
