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

"""``localcloud job --stop-test``: each stop condition ends a real run.

One run per condition, the condition made true for real while the
run's fault is active: the kill-switch file created, the disk filled
below a floor set just under its free space, RabbitMQ frozen (SIGSTOP)
for a few seconds, host2's compute stopped. For no_other_open_fault a
first run holds a serial host fault while a second Tempest run (its own
lock path, as a second workspace would have) of another serial test
starts: the second must be interrupted before its fault, the first must
pass. Each interrupted run's timeline must say verdict ``interrupted``
and ``interrupted_by`` the condition. The cloud is left as found: every
compute up, no kill switch, nothing left behind.
"""
import dataclasses
import os
import shutil
import signal
import time

from localcloud import api
from localcloud import leaks
from localcloud.lib import nova
from localcloud import tempestconf
from localcloud import tempestrun

CONDITIONS = ('kill_switch', 'disk_free', 'message_bus', 'computes_up',
              'no_other_open_fault')
# The test each single-run condition interrupts: a member fault (no host
# cut off, so computes_up counts host2), whose undo (reset to ACTIVE) is
# an API call that a frozen message bus does not hold up.
MEMBER_TEST = ('policy_rebuild_error_server', 'server_error')
# no_other_open_fault: the first run's serial host fault, and the second
# run's serial test.
HOST_TEST = ('vitrage_host_stop_evacuate', 'host_stop')
SECOND_TEST = 'autoheal_delete_member_aodh_listener_restart'
# These runs' steady window: the fault stays active (and polled) that
# long after the recovery, time for a condition to be seen (a stopped
# compute is down for Nova after service_down_time, 15 s here), and for
# the second run to reach its fault while the first's is open.
STEADY_WINDOW_S = 60
# After the fault's entry opens: the fault has acted.
TRIGGER_AFTER_S = 2.0
ENTRY_TIMEOUT_S = 240
# The interruption undoes the fault: its entry must close by then.
INTERRUPT_TIMEOUT_S = 120
RUN_TIMEOUT_S = 600
# disk_free: the floor this far under the free space, the filler twice it.
DISK_MARGIN_MIB = 256
# message_bus: RabbitMQ frozen at most this long.
BUS_FROZEN_MAX_S = 30
COMPUTES_UP_TIMEOUT_S = 180


@dataclasses.dataclass
class Result:
    condition: str
    test: str
    timeline: dict = None
    after_s: float = None       # from the trigger to the fault undone
    problem: str = None

    @property
    def verdict(self):
        return (self.timeline or {}).get('verdict')

    @property
    def interrupted_by(self):
        return (self.timeline or {}).get('interrupted_by')

    @property
    def ok(self):
        return (self.problem is None and self.verdict == 'interrupted'
                and self.interrupted_by == self.condition)


def reason(timeline):
    """The reason of ``interrupted: <condition>: <reason>`` (its result)."""
    result = (timeline or {}).get('result') or ''
    parts = result.split(': ', 2)
    if len(parts) == 3 and parts[0] == 'interrupted':
        return parts[2]
    return result or 'no result'


def result_line(r):
    if r.ok:
        return 'stop-test %s: interrupted after %s s: %s' % (
            r.condition, '?' if r.after_s is None else '%.1f' % r.after_s,
            reason(r.timeline))
    return ('stop-test %s: NOT INTERRUPTED by it (test_%s): verdict %s, '
            'interrupted_by %s, result %r%s' % (
                r.condition, r.test, r.verdict or 'no timeline',
                r.interrupted_by, (r.timeline or {}).get('result'),
                '; %s' % r.problem if r.problem else ''))


def total_line(results, health):
    return ('stop-test: conditions tried %d, interrupted by their '
            'condition %d; cloud after: %s' % (
                len(results), sum(1 for r in results if r.ok),
                '; '.join(health) or 'every compute up, no kill switch, '
                'nothing left behind'))


def verdict(results, health_problems):
    return 0 if results and all(r.ok for r in results) and \
        not health_problems else 1


def disk_floor_mib(path, margin_mib=DISK_MARGIN_MIB):
    """A floor ``margin_mib`` under the free MiB of ``path``'s disk."""
    free = shutil.disk_usage(path).free // (1024 * 1024)
    if free <= 2 * margin_mib:
        raise RuntimeError('disk_free stop test: %s has %d MiB free, it '
                           'needs more than %d' % (path, free,
                                                   2 * margin_mib))
    return free - margin_mib


# -- the triggers: make a condition true, then false again ------------------
class KillSwitch(object):
    condition = 'kill_switch'

    def __init__(self, c):
        self.path = tempestconf.kill_switch_file(c.lay.workspace)

    def overrides(self):
        return {}

    def pull(self):
        with open(self.path, 'w') as f:
            f.write('stop test\n')
        return 'created %s' % self.path

    def release(self):
        if os.path.exists(self.path):
            os.remove(self.path)


class DiskFree(object):
    condition = 'disk_free'

    def __init__(self, c):
        self.workspace = c.lay.workspace
        self.path = os.path.join(c.lay.workspace, 'stop-test-filler')

    def overrides(self):
        return {'self_healing': {
            'disk_free_floor_mib': disk_floor_mib(self.workspace)}}

    def pull(self):
        size = 2 * DISK_MARGIN_MIB * 1024 * 1024
        fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
        try:
            os.posix_fallocate(fd, 0, size)
        finally:
            os.close(fd)
        return 'wrote %d MiB to %s' % (2 * DISK_MARGIN_MIB, self.path)

    def release(self):
        if os.path.exists(self.path):
            os.remove(self.path)


class MessageBus(object):
    condition = 'message_bus'
    hold_max_s = BUS_FROZEN_MAX_S

    def __init__(self, c):
        self.pidfile = c.lay.pidfile('rabbitmq-beam')
        self.pid = None

    def overrides(self):
        return {}

    def pull(self):
        with open(self.pidfile) as f:
            self.pid = int(f.read().split()[0])
        os.kill(self.pid, signal.SIGSTOP)
        return 'SIGSTOP to RabbitMQ\'s beam (pid %d)' % self.pid

    def release(self):
        if self.pid:
            os.kill(self.pid, signal.SIGCONT)
            self.pid = None


class ComputesUp(object):
    condition = 'computes_up'
    host = 'host2'

    def __init__(self, c):
        self.cloud = c
        self.stopped = False

    def overrides(self):
        return {}

    def pull(self):
        self.stopped = True
        return 'stopped %s: %s' % (self.host, ' '.join(
            self.cloud.host_stop(self.host)))

    def release(self):
        if self.stopped:
            self.cloud.host_start(self.host)
            self.stopped = False
            wait_computes_up()


TRIGGERS = (KillSwitch, DiskFree, MessageBus, ComputesUp)


def wait_computes_up(timeout_s=COMPUTES_UP_TIMEOUT_S):
    nova.wait_hypervisors_up(api.Session(), timeout_s=timeout_s)


# -- the runs ---------------------------------------------------------------
def _log(lay, name):
    return lay.path('logs', 'stop-test', name + '.log')


def _steady(overrides):
    more = dict(overrides)
    more['self_healing'] = dict(overrides.get('self_healing', {}),
                                steady_window_s=STEADY_WINDOW_S)
    return more


def interrupt(c, trigger, say=tempestrun.say):
    """One run of MEMBER_TEST that ``trigger`` interrupts."""
    lay = c.lay
    test, kind = MEMBER_TEST
    r = Result(trigger.condition, test)
    journal, timelines = tempestrun.journal_and_timelines(lay)
    conf = tempestconf.write_variant(lay, 'stop-test',
                                     _steady(trigger.overrides()))
    run = tempestrun.Run(lay, tempestrun.argv(
        lay, tempestrun.test_regex(test), conf=conf),
        _log(lay, trigger.condition))
    say('    %s: started test_%s (conf %s, output %s)' % (
        trigger.condition, test, conf, run.log_path))
    try:
        entry = tempestrun.wait_for_entry(run, journal, kind,
                                          ENTRY_TIMEOUT_S)
        time.sleep(TRIGGER_AFTER_S)
        say('    %s: %s' % (trigger.condition, trigger.pull()))
        r.after_s = tempestrun.wait_entry_closed(journal, entry, getattr(
            trigger, 'hold_max_s', INTERRUPT_TIMEOUT_S))
        if r.after_s is None:
            r.problem = 'the fault\'s entry %s still open after %d s' % (
                entry.get('id'), getattr(trigger, 'hold_max_s',
                                         INTERRUPT_TIMEOUT_S))
    except (TimeoutError, RuntimeError) as e:
        r.problem = str(e)
    finally:
        trigger.release()
    rc = run.wait(RUN_TIMEOUT_S)
    r.timeline = tempestrun.read_timeline(timelines, test,
                                          since=run.started_at)
    say('    %s: run exited %s in %.0f s (output %s)' % (
        trigger.condition, rc, run.elapsed_s(), run.log_path))
    if not r.ok:
        say(run.summary())
    return r


def second_run(c, say=tempestrun.say):
    """no_other_open_fault: a second run while a first holds a host fault."""
    lay = c.lay
    first_test, kind = HOST_TEST
    r = Result('no_other_open_fault', SECOND_TEST)
    journal, timelines = tempestrun.journal_and_timelines(lay)
    first_conf = tempestconf.write_variant(lay, 'stop-test', _steady({}))
    second_conf = tempestconf.write_variant(
        lay, 'stop-test-second', {'oslo_concurrency': {
            'lock_path': os.path.join(lay.workspace, 'stop-test-lock')}})
    os.makedirs(os.path.join(lay.workspace, 'stop-test-lock'),
                exist_ok=True)
    first = tempestrun.Run(lay, tempestrun.argv(
        lay, tempestrun.test_regex(first_test), conf=first_conf),
        _log(lay, 'no_other_open_fault-first'))
    say('    no_other_open_fault: first run test_%s (output %s)' % (
        first_test, first.log_path))
    second = None
    try:
        entry = tempestrun.wait_for_entry(first, journal, kind,
                                          ENTRY_TIMEOUT_S)
        say('    no_other_open_fault: %s entry %s open; second run '
            'test_%s' % (kind, entry.get('id'), SECOND_TEST))
        second = tempestrun.Run(lay, tempestrun.argv(
            lay, tempestrun.test_regex(SECOND_TEST), conf=second_conf),
            _log(lay, 'no_other_open_fault-second'))
        rc = second.wait(RUN_TIMEOUT_S)
        r.after_s = second.elapsed_s()
        r.timeline = tempestrun.read_timeline(timelines, SECOND_TEST,
                                              since=second.started_at)
        say('    no_other_open_fault: second run exited %s in %.0f s; the '
            'first\'s entry %s' % (rc, r.after_s, 'still open' if any(
                e.get('id') == entry.get('id') for e in
                tempestrun.open_entries(tempestrun.read_entries(
                    journal)[0])) else 'closed by then'))
    except (TimeoutError, RuntimeError) as e:
        r.problem = str(e)
    first_rc = first.wait(RUN_TIMEOUT_S)
    first_timeline = tempestrun.read_timeline(timelines, first_test,
                                              since=first.started_at)
    first_verdict = (first_timeline or {}).get('verdict')
    say('    no_other_open_fault: first run exited %s in %.0f s, verdict '
        '%s' % (first_rc, first.elapsed_s(), first_verdict))
    if first_rc != 0 or first_verdict != 'passed':
        r.problem = 'the first run (test_%s) did not pass: exit %s, ' \
            'verdict %s' % (first_test, first_rc, first_verdict)
        say(first.summary())
    if not r.ok and second is not None:
        say(second.summary())
    return r


def health(c):
    """What is wrong with the cloud after the stop test ([] when healthy)."""
    problems = []
    switch = tempestconf.kill_switch_file(c.lay.workspace)
    if os.path.exists(switch):
        problems.append('kill switch %s still there' % switch)
    try:
        wait_computes_up()
    except TimeoutError as e:
        problems.append(str(e))
    return problems


def run(c, only=None, say=tempestrun.say):
    """Every condition (or those of ``only``); the exit code."""
    unknown = sorted(set(only or ()) - set(CONDITIONS))
    if unknown:
        raise RuntimeError('--only: unknown stop condition(s) %s; known: %s'
                           % (', '.join(unknown), ', '.join(CONDITIONS)))
    t0 = time.monotonic()
    say('\n'.join(leaks.snapshot(c.lay)))
    results = []
    triggers = dict((t.condition, t) for t in TRIGGERS)
    for condition in CONDITIONS:
        if only and condition not in only:
            continue
        say('==> stop-test %s (%.0f s into the stop test)' % (
            condition, time.monotonic() - t0))
        if condition in triggers:
            results.append(interrupt(c, triggers[condition](c), say=say))
        else:
            results.append(second_run(c, say=say))
        say(result_line(results[-1]))
    problems = health(c)
    undo_rc, lines = leaks.undo(c.lay)
    say('\n'.join('    ' + line for line in lines))
    if undo_rc:
        problems.append('%s exited %d' % (leaks.UNDO_COMMAND, undo_rc))
    lines, leaked = leaks.compare(c.lay)
    say('\n'.join(lines))
    left = leaks.leaked_count(lines) or int(leaked)
    if left:
        problems.append('%d resource(s) left' % left)
    say('')
    for r in results:
        say(result_line(r))
    say(total_line(results, problems))
    say('stop-test: done in %.0f s' % (time.monotonic() - t0))
    return verdict(results, problems)
