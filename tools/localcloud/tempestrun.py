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

"""Tempest runs of single scenario tests, and what they leave on disk.

The kill test and the stop test drive one scenario test at a time, in
its own process group, and read what the plugin writes: the undo
journal's entries (``<fault_journal_dir>/entries/*.json``) while it
runs, its timeline (``<timeline_dir>/<test id>.json``) once it ended.
The local cloud never imports the plugin: both are read as JSON files
with the fields the plugin's contract names.
"""
import glob
import json
import os
import re
import signal
import subprocess
import time

from localcloud import ini

# The plugin's test ids: <module>.<Class>.test_<scenario name>[id-...,slow]
TEST_PREFIX = 'self_healing_tempest_plugin.'


def say(text=''):
    """Print at once: the runs' own output goes to their log files."""
    print(text, flush=True)


def env(lay):
    """The environment of ``tempest run`` on this cloud."""
    return dict(os.environ, HOME=lay.data('tempest-home'),
                PATH=os.path.join(lay.venv, 'bin') + ':'
                + os.environ.get('PATH', ''))


def argv(lay, regex, conf=None, concurrency=1):
    """``tempest run`` of the tests ``regex`` selects."""
    args = [lay.bin('tempest'), 'run', '--regex', regex]
    if conf:
        args += ['--config-file', conf]
    return args + ['--concurrency', str(concurrency)]


def test_regex(scenario_name):
    """The regex that selects exactly one scenario's test (repeat 1)."""
    return r'^%s.*\.test_%s\b' % (re.escape(TEST_PREFIX),
                                  re.escape(scenario_name))


def run_bounded(args, timeout_s, **kwargs):
    """The command's exit code, or None after killing it at timeout_s.

    It runs in its own session so that its workers (stestr's) go with it.
    """
    proc = subprocess.Popen(args, start_new_session=True, **kwargs)
    try:
        return proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return None


class Run(object):
    """One ``tempest run`` in its own process group, output to a log."""

    def __init__(self, lay, args, log_path):
        self.args = args
        self.log_path = log_path
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        self._log = open(log_path, 'w')
        self.started_at = time.time()
        self.proc = subprocess.Popen(
            args, start_new_session=True, cwd=lay.workspace, env=env(lay),
            stdout=self._log, stderr=subprocess.STDOUT)

    def elapsed_s(self, at=None):
        return (time.time() if at is None else at) - self.started_at

    def poll(self):
        return self.proc.poll()

    def wait(self, timeout_s):
        """Its exit code; None after stopping its group at timeout_s."""
        try:
            rc = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill_group(signal.SIGKILL)
                self.proc.wait()
            rc = None
        self._log.close()
        return rc

    def kill_group(self, sig=signal.SIGKILL):
        """Signal the whole process group (tempest, stestr, its workers)."""
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def summary(self, lines=40):
        """Its output without the captured logging: results, tracebacks.

        A failed test's output holds its whole log; the lines before
        and after that section say what failed.
        """
        kept, skipping = [], False
        with open(self.log_path, errors='replace') as f:
            for line in f:
                if line.startswith('Captured pythonlogging:'):
                    skipping = True
                elif skipping and line.startswith(('{', '=====')):
                    skipping = False
                if not skipping and line.strip() and \
                        not line.startswith('~~~'):
                    kept.append(line)
        return ''.join(kept[:lines])


def conf_option(path, section, option):
    """An option's value in a tempest.conf (None when not set)."""
    with open(path) as f:
        return ini.parse(f.read()).get(section, {}).get(option)


def journal_and_timelines(lay):
    """([self_healing] fault_journal_dir, timeline_dir) of the workspace."""
    return tuple(conf_option(lay.tempest_conf, 'self_healing', option)
                 for option in ('fault_journal_dir', 'timeline_dir'))


# -- the undo journal, as files ---------------------------------------------
def read_entries(directory):
    """(entries, unreadable) of ``<directory>/entries/*.json``.

    ``entries``: the JSON of each readable entry, its file name under
    ``file``; ``unreadable``: [(file name, reason)] (a file being
    written, or a corrupt one). Never raises for a file's content.
    """
    entries, unreadable = [], []
    for path in sorted(glob.glob(os.path.join(directory, 'entries',
                                              '*.json'))):
        name = os.path.basename(path)
        try:
            with open(path) as f:
                data = json.load(f)
        except FileNotFoundError:
            continue        # closed while we listed
        except (OSError, ValueError) as e:
            unreadable.append((name, str(e)))
            continue
        if not isinstance(data, dict):
            unreadable.append((name, 'not a JSON object'))
            continue
        entries.append(dict(data, file=name))
    return entries, unreadable


def open_entries(entries, kind=None, since=None):
    """The open entries of ``kind`` opened at or after ``since``."""
    found = []
    for entry in entries:
        if entry.get('state') != 'open':
            continue
        if kind is not None and entry.get('kind') != kind:
            continue
        opened = entry.get('opened_at')
        if since is not None and not (isinstance(opened, (int, float))
                                      and opened >= since):
            continue
        found.append(entry)
    return found


def describe_entries(entries, unreadable=()):
    """What the journal held, for a message: 'host_stop host1 open, ...'."""
    parts = ['%s %s %s' % (e.get('kind', '?'), e.get('target', '?'),
                           e.get('state', '?')) for e in entries]
    parts += ['%s unreadable (%s)' % item for item in unreadable]
    return ', '.join(parts) or 'no entry'


def wait_for_entry(run, directory, kind, timeout_s, interval_s=0.5):
    """The first open journal entry of ``kind`` this run opened.

    Raises TimeoutError naming what the journal held, or RuntimeError
    when the run ended before any such entry was opened.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        entries, unreadable = read_entries(directory)
        found = open_entries(entries, kind, since=run.started_at - 1)
        if found:
            return found[0]
        rc = run.poll()
        if rc is not None:
            raise RuntimeError(
                'the run ended (exit %d) before a %s entry was opened in '
                '%s; the journal held: %s' % (
                    rc, kind, directory,
                    describe_entries(entries, unreadable)))
        if time.monotonic() > deadline:
            raise TimeoutError(
                'no open %s entry in %s within %d s of the start; the '
                'journal held: %s' % (kind, os.path.join(
                    directory, 'entries'), timeout_s,
                    describe_entries(entries, unreadable)))
        time.sleep(interval_s)


def wait_entry_closed(directory, entry, timeout_s, interval_s=0.5):
    """Seconds until ``entry`` is no longer open (None at the timeout)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        entries, _ = read_entries(directory)
        still = [e for e in open_entries(entries)
                 if e.get('id') == entry.get('id')]
        if not still:
            return time.monotonic() - t0
        time.sleep(interval_s)
    return None


# -- timelines --------------------------------------------------------------
def timeline_path(directory, scenario_name):
    """The timeline file of a scenario's test in ``directory`` (or None).

    Its name is the test id made safe: ``...test_<name>_id-<uuid>_slow_``.
    """
    pattern = os.path.join(directory, '%s*.test_%s_id-*.json' % (
        TEST_PREFIX, scenario_name))
    found = sorted(glob.glob(pattern), key=os.path.getmtime)
    return found[-1] if found else None


def read_timeline(directory, scenario_name, since=None):
    """The test's timeline JSON written at or after ``since`` (or None)."""
    path = timeline_path(directory, scenario_name)
    if path is None or (since is not None
                        and os.path.getmtime(path) < since):
        return None
    with open(path) as f:
        return json.load(f)
