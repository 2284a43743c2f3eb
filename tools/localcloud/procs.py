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

"""Processes the tool starts: pid files, start, stop, ownership, memory.

Every process is started in its own session (so its pid is its process group
id) with ``LOCALCLOUD_OWNER=<base>`` in its environment. Stopping sends
SIGTERM to the whole group, then SIGKILL; a final sweep kills any process
still carrying our owner mark (e.g. a daemon that left the group).
"""
import os
import signal
import subprocess
import time

from localcloud import layout


def read_pidfile(pidfile):
    """(pid, start time) from ``pidfile``; (None, None) if missing/garbage."""
    try:
        with open(pidfile) as f:
            parts = f.read().split()
    except OSError:
        return None, None
    if not parts or not parts[0].isdigit() or int(parts[0]) <= 0:
        return None, None
    start = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    return int(parts[0]), start


def read_pid(pidfile):
    return read_pidfile(pidfile)[0]


def write_pid(pidfile, pid, start=None):
    """Record a pid and its kernel start time (guards against pid reuse)."""
    os.makedirs(os.path.dirname(pidfile), exist_ok=True)
    if start is None:
        start = _stat(pid)['start']
    tmp = pidfile + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d %s\n' % (pid, start if start is not None else ''))
    os.replace(tmp, pidfile)


def _stat(pid):
    """state, pgid, session and start time of a process (None if gone)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
    except OSError:
        return {'state': None, 'pgid': None, 'sid': None, 'start': None}
    # fields[0] is field 3 of proc(5): state; pgrp 5, session 6, start 22
    return {'state': fields[0], 'pgid': int(fields[2]), 'sid': int(fields[3]),
            'start': int(fields[19])}


def pid_alive(pid):
    if not pid:
        return False
    return _stat(pid)['state'] not in (None, 'Z', 'X')


def _environ(pid):
    try:
        with open('/proc/%d/environ' % pid, 'rb') as f:
            return f.read().split(b'\0')
    except OSError:
        return []


def owned_by(pid, base):
    """Whether the process carries our owner mark.

    Some servers overwrite their environ when they set their process title,
    so this is a second line of defence beside sessions and pid files.
    """
    mark = ('%s=%s' % (layout.OWNER_ENV, base)).encode()
    return mark in _environ(pid)


def running_pid(pidfile, base=None):
    """The pid from ``pidfile`` if that very process still runs.

    The start time recorded beside the pid guards against pid reuse.
    """
    pid, start = read_pidfile(pidfile)
    if not pid:
        return None
    st = _stat(pid)
    if st['state'] in (None, 'Z', 'X'):
        return None
    if start is not None and st['start'] != start:
        return None          # the pid was reused by another process
    return pid


def owned_pids(base, sessions=()):
    """Live processes in one of our sessions or carrying our owner mark."""
    sessions = set(sessions)
    pids = []
    for name in os.listdir('/proc'):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        pid = int(name)
        st = _stat(pid)
        if st['state'] in (None, 'Z', 'X'):
            continue
        if st['sid'] in sessions or owned_by(pid, base):
            pids.append(pid)
    return sorted(pids)


def session_of(pid):
    return _stat(pid)['sid']


def start(name, argv, base, logfile, pidfile, env=None, cwd=None):
    """Start ``argv`` detached in a new session; record its pid."""
    os.makedirs(os.path.dirname(logfile), exist_ok=True)
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env[layout.OWNER_ENV] = base
    with open(logfile, 'ab') as out:
        out.write(('\n==== %s start %s: %s\n' % (
            time.strftime('%F %T'), name, ' '.join(argv))).encode())
        out.flush()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, env=full_env, cwd=cwd or base,
            start_new_session=True, close_fds=True)
    write_pid(pidfile, proc.pid)
    return proc.pid


def _live_groups():
    groups = set()
    for name in os.listdir('/proc'):
        if name.isdigit():
            st = _stat(int(name))
            if st['state'] not in (None, 'Z', 'X'):
                groups.add(st['pgid'])
    return groups


def _signal_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def stop_groups(pgids, term_timeout=8.0):
    """SIGTERM whole process groups, wait, then SIGKILL the ones left.

    Returns the groups that needed SIGKILL.
    """
    pgids = set(pgids)
    for pgid in pgids:
        _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + term_timeout
    left = pgids & _live_groups()
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left &= _live_groups()
    for pgid in left:
        _signal_group(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while (pgids & _live_groups()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return sorted(left)


def stop(pidfiles, base, term_timeout=8.0):
    """Stop the groups recorded in ``pidfiles``; remove the files.

    Returns the pids whose group needed SIGKILL.
    """
    pids = [p for p in (running_pid(f, base) for f in pidfiles) if p]
    killed = stop_groups(pids, term_timeout)
    for pidfile in pidfiles:
        try:
            os.unlink(pidfile)
        except FileNotFoundError:
            pass
    return killed


def sweep(base, sessions=()):
    """Kill every process left in our sessions or carrying our owner mark.

    Returns their pids.
    """
    left = owned_pids(base, sessions)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def _proc_kib(pid, filename, field):
    try:
        with open('/proc/%d/%s' % (pid, filename)) as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kib(pid):
    """Resident set size of one process, KiB."""
    return _proc_kib(pid, 'status', 'VmRSS')


def pss_kib(pid):
    """Proportional set size (shared pages split among sharers), KiB."""
    return _proc_kib(pid, 'smaps_rollup', 'Pss')


def describe(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return f.read().replace(b'\0', b' ').decode(errors='replace')
    except OSError:
        return '?'
