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

"""``localcloud job --kill-test``: a killed run leaves nothing behind.

For each fault kind, the shortest scenario test that uses it runs in its
own process group until the undo journal holds an open entry of that
kind; the whole group gets SIGKILL while the fault is active (no
cleanup runs: the fault stays as it is). Then the same test runs again
the normal way: it must replay the dead run's entry itself (nothing is
undone for it in between) and pass; ``self-healing-undo --leaks`` then
deletes what the dead run left, and the inventory must match the one
taken before the killed run.
"""
import dataclasses
import os
import signal
import time

from localcloud import api
from localcloud import layout as L
from localcloud import leaks
from localcloud.lib import nova
from localcloud import tempestrun

# The fault kinds of the plugin's registries (faults.py,
# control_plane_faults.py, reported_faults.py) the scenario files use.
KINDS = ('host_stop', 'nic_down', 'instance_delete', 'server_stop',
         'server_error', 'service_restart', 'service_freeze',
         'service_kill', 'external_event')
SCENARIO_DIR = os.path.join(L.REPO, 'scenarios')
# Seconds each test took (start to end) in the last CI's suite run: the
# kill test runs the shortest test of each kind. A test not listed ranks
# after the listed ones.
CI_TEST_S = {
    'policy_rebuild_error_server': 24,
    'policy_reboot_stopped_server': 28,
    'autoheal_delete_member': 37,
    'vitrage_host_stop_evacuate': 38,
    'autoheal_delete_member_aodh_listener_restart': 40,
    'vitrage_heat_reported_host_down_replace': 40,
    'vitrage_nic_down_evacuate': 42,
    'autoheal_delete_member_aodh_notifier_freeze': 53,
    'autoheal_delete_member_aodh_listener_kill': 57,
}
# The killed run: how long it may take to open its fault's entry (the
# flow deploys first), and how long the fault acts before the kill.
ENTRY_TIMEOUT_S = 240
FAULT_ACTIVE_S = 3.0
# The run after the kill (one test; it may first wait for a host to
# come back while it replays the dead run's entry).
RERUN_TIMEOUT_S = 600
KILL_WAIT_S = 60
# After each kind every compute host must be up again: a host left down
# fails every later kind (after its own wait for two hosts).
COMPUTES_UP_TIMEOUT_S = 90


# -- which test per kind (pure) ---------------------------------------------
def _top_level_blocks(text, keys):
    """{key: its block's text} of the top-level ``keys`` of a YAML text."""
    blocks, current = {}, None
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith('#'):
            key = line.split(':', 1)[0].strip()
            current = key if key in keys else None
        if current is not None:
            blocks.setdefault(current, []).append(line)
    return dict((k, '\n'.join(v) + '\n') for k, v in blocks.items())


def read_scenario(text, name='<scenario>'):
    """{name, kinds, negative} of a scenario file's text.

    Only the keys it needs are parsed (the flow-settings YAML subset
    reads them); a file without a name or a fault kind is an error
    naming the file.
    """
    parse = L.FLOW_SETTINGS.parse_yaml
    blocks = _top_level_blocks(text, ('name', 'fault', 'faults', 'expect'))
    data = {}
    for block in blocks.values():
        data.update(parse(block, name) or {})
    faults = data.get('faults') or ([data['fault']] if data.get('fault')
                                    else [])
    kinds = [f.get('kind') for f in faults if isinstance(f, dict)]
    if not data.get('name') or not kinds or None in kinds:
        raise ValueError('%s: expected a name and a kind in each of '
                         'fault/faults, got name %r, kinds %r'
                         % (name, data.get('name'), kinds))
    return {'name': data['name'], 'kinds': kinds,
            'negative': bool((data.get('expect') or {}).get(
                'missed_phase'))}


def load_scenarios(directory=SCENARIO_DIR):
    """Every scenario file of ``directory`` (not its artifact subdirs)."""
    found = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name.endswith('.yaml') and os.path.isfile(path):
            with open(path) as f:
                found.append(read_scenario(f.read(), path))
    return found


def pick_tests(scenarios, kinds=KINDS, timings=None):
    """[(kind, scenario name or None)]: the shortest positive test of each.

    Shortest by ``timings`` (seconds; unlisted tests after the listed
    ones), then by fewer faults, then by name.
    """
    timings = CI_TEST_S if timings is None else timings
    picked = []
    for kind in kinds:
        candidates = [s for s in scenarios
                      if kind in s['kinds'] and not s['negative']]
        candidates.sort(key=lambda s: (
            timings.get(s['name']) is None, timings.get(s['name'], 0),
            len(s['kinds']), s['name']))
        picked.append((kind, candidates[0]['name'] if candidates else None))
    return picked


# -- the result of one kind (pure) ------------------------------------------
@dataclasses.dataclass
class Result:
    kind: str
    test: str = None
    killed_at_s: float = None   # after the killed run's start
    active_s: float = None      # the fault's entry open until the kill
    repaired: list = dataclasses.field(default_factory=list)
    entry: dict = None          # the dead run's open entry, as read
    next_passed: bool = False
    leftovers: int = 0
    problem: str = None         # why the kind could not be tried fully
    not_tried: str = None       # why it was not started at all

    @property
    def was_repaired(self):
        return was_repaired(self.repaired, self.entry)

    @property
    def ok(self):
        return (self.problem is None and self.was_repaired
                and self.next_passed and self.leftovers == 0)


def was_repaired(items, entry):
    """Whether the rerun's replay undid ``entry`` without an error."""
    if not entry:
        return False
    for item in items or ():
        if not isinstance(item, dict):
            continue
        if item.get('entry') == entry.get('id') or (
                entry.get('id') is None
                and item.get('run_id') == entry.get('run_id')
                and item.get('kind') == entry.get('kind')):
            return not item.get('errors') and not item.get('corrupt')
    return False


def _cut(text, limit):
    text = str(text)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def replayed_without_timeline(journal, entry):
    """What the journal says of ``entry`` when the rerun left no timeline.

    A run that fails before its faults (its deploy) writes none; its
    replay ran first all the same: the entry is gone, or kept with its
    undo errors.
    """
    entries, _ = tempestrun.read_entries(journal)
    kept = [e for e in entries if e.get('id') == entry.get('id')]
    if not kept:
        return [dict(entry=entry.get('id'), run_id=entry.get('run_id'),
                     kind=entry.get('kind'), target=entry.get('target'),
                     did=['entry gone from the journal (the next run '
                          'wrote no timeline)'], errors=[])]
    return [dict(entry=entry.get('id'), run_id=entry.get('run_id'),
                 kind=entry.get('kind'), target=entry.get('target'),
                 did=[], errors=kept[0].get('undo_errors') or [
                     'entry still %s in the journal' % kept[0].get('state')])]


def short_repaired(items, limit=200, step_limit=48):
    """The rerun timeline's ``repaired`` list, in one short text.

    Each entry as ``<kind> <target>: <step>; <step>`` (a long target or
    step cut), an undo error as ``FAILED: ...``.
    """
    parts = []
    for item in items or ():
        if not isinstance(item, dict):
            parts.append(_cut(item, step_limit))
            continue
        text = '%s %s' % (item.get('kind', '?'),
                          _cut(item.get('target', '?'), 14))
        did = item.get('did') or []
        if did:
            text += ': %s' % '; '.join(_cut(d, step_limit) for d in did)
        if item.get('errors'):
            text += ' FAILED: %s' % '; '.join(
                _cut(e, step_limit) for e in item['errors'])
        parts.append(text)
    return _cut(', '.join(parts) or 'nothing', limit)


def _seconds(value):
    return '?' if value is None else '%.1f' % value


def result_line(r):
    """``kill-test <kind>: killed at ... , leftovers: <n>``."""
    if r.test is None:
        return 'kill-test %s: no positive scenario uses it: not tried' % (
            r.kind)
    if r.not_tried:
        return 'kill-test %s: not tried (%s): %s' % (
            r.kind, r.test, r.not_tried)
    if r.killed_at_s is None:
        head = 'kill-test %s: NOT KILLED (%s): %s' % (
            r.kind, r.test, r.problem)
    else:
        head = ('kill-test %s: killed at %s s after start (%s), fault '
                'active %s s' % (r.kind, _seconds(r.killed_at_s), r.test,
                                 _seconds(r.active_s)))
    line = '%s, repaired: %s, next run: %s, leftovers: %d' % (
        head, short_repaired(r.repaired),
        'passed' if r.next_passed else 'FAILED', r.leftovers)
    if r.problem and r.killed_at_s is not None:
        line += ' (%s)' % r.problem
    return line


def tried(results):
    return [r for r in results if r.test is not None and not r.not_tried]


def total_line(results):
    done = tried(results)
    return ('kill-test: kinds tried %d, repaired %d, next run passed %d, '
            'resources left %d' % (
                len(done), sum(1 for r in done if r.was_repaired),
                sum(1 for r in done if r.next_passed),
                sum(r.leftovers for r in done)))


def verdict(results):
    """0 when every kind was tried, repaired, passed and left nothing."""
    return 0 if results and all(r.test is not None and r.ok
                                for r in results) else 1


# -- on the cloud -----------------------------------------------------------
def _log(lay, name):
    return lay.path('logs', 'kill-test', name + '.log')


def kill_and_rerun(lay, kind, test, say=tempestrun.say,
                   fault_active_s=FAULT_ACTIVE_S,
                   entry_timeout_s=ENTRY_TIMEOUT_S):
    """Kill a run of ``test`` while its ``kind`` fault is active, rerun."""
    r = Result(kind, test)
    journal, timelines = tempestrun.journal_and_timelines(lay)
    argv = tempestrun.argv(lay, tempestrun.test_regex(test))
    say('\n'.join(leaks.snapshot(lay)))
    killed = tempestrun.Run(lay, argv, _log(lay, kind + '-killed'))
    say('    %s: started test_%s (output %s)' % (
        kind, test, killed.log_path))
    try:
        r.entry = tempestrun.wait_for_entry(killed, journal, kind,
                                            entry_timeout_s)
    except (TimeoutError, RuntimeError) as e:
        r.problem = str(e)
        killed.kill_group(signal.SIGKILL)
        killed.wait(KILL_WAIT_S)
        say(killed.summary())
    else:
        # Let the fault act (its entry is written before it does).
        time.sleep(fault_active_s)
        at = time.time()
        killed.kill_group(signal.SIGKILL)
        killed.wait(KILL_WAIT_S)
        r.killed_at_s = killed.elapsed_s(at)
        opened = r.entry.get('opened_at')
        r.active_s = at - opened if isinstance(opened, (int, float)) \
            else None
        say('    %s: SIGKILL to process group %d at %.1f s (entry %s, %s '
            '%s)' % (kind, killed.proc.pid, r.killed_at_s,
                     r.entry.get('id'), kind, r.entry.get('target')))
    rerun = tempestrun.Run(lay, argv, _log(lay, kind + '-next'))
    rc = rerun.wait(RERUN_TIMEOUT_S)
    timeline = tempestrun.read_timeline(timelines, test,
                                        since=rerun.started_at)
    if timeline is not None:
        r.repaired = timeline.get('repaired') or []
    elif r.entry is not None:
        r.repaired = replayed_without_timeline(journal, r.entry)
    r.next_passed = rc == 0 and bool(timeline) and \
        timeline.get('verdict') == 'passed'
    say('    %s: next run exited %s in %.0f s, verdict %s (output %s)' % (
        kind, rc, rerun.elapsed_s(), (timeline or {}).get(
            'verdict', 'no timeline'), rerun.log_path))
    if not r.next_passed:
        say(rerun.summary())
    undo_rc, lines = leaks.undo(lay)
    say('\n'.join('    ' + line for line in lines))
    if undo_rc:
        r.problem = '; '.join(filter(None, (r.problem, '%s exited %d' % (
            leaks.UNDO_COMMAND, undo_rc))))
    lines, leaked = leaks.compare(lay)
    say('\n'.join(lines))
    r.leftovers = leaks.leaked_count(lines) or int(leaked)
    return r


def restore_computes(c, timeout_s=COMPUTES_UP_TIMEOUT_S):
    """None when every compute is up; else what was down, after repair.

    A kind whose next run left a compute host down (stopped, or forced
    down) fails; the host is started and its forced-down cleared, as an
    operator would, so that the next kinds are judged on their own.
    Raises TimeoutError when it does not come back.
    """
    sess = api.Session()
    try:
        nova.wait_hypervisors_up(sess, timeout_s=timeout_s)
        return None
    except TimeoutError:
        down = nova.computes_not_up(sess)
    for host, service in sorted(down.items()):
        c.host_start(host)
        if service.get('forced_down'):
            nova.clear_forced_down(sess, service)
    nova.wait_hypervisors_up(sess, timeout_s=timeout_s)
    return 'it left nova-compute of %s (the kill test started %s and ' \
        'cleared its forced-down to go on)' % (', '.join(
            '%s %s%s' % (h, s.get('state', 'not listed'),
                         ', forced down' if s.get('forced_down') else '')
            for h, s in sorted(down.items())), ' and '.join(sorted(down)))


def run(c, only=None, say=tempestrun.say):
    """Every kind (or those of ``only``) on cloud ``c``; the exit code."""
    t0 = time.monotonic()
    unknown = sorted(set(only or ()) - set(KINDS))
    if unknown:
        raise RuntimeError('--only: unknown fault kind(s) %s; known: %s'
                           % (', '.join(unknown), ', '.join(KINDS)))
    picked = pick_tests(load_scenarios(), kinds=only or KINDS)
    results, unhealthy = [], None
    for kind, test in picked:
        if test is None:
            results.append(Result(kind))
        elif unhealthy:
            results.append(Result(kind, test, not_tried=unhealthy))
        else:
            say('==> kill-test %s: test_%s (%.0f s into the kill test)'
                % (kind, test, time.monotonic() - t0))
            results.append(kill_and_rerun(c.lay, kind, test, say=say))
            try:
                left = restore_computes(c)
            except TimeoutError as e:
                left = unhealthy = 'the cloud was left unhealthy by %s: ' \
                    '%s' % (kind, e)
            if left:
                results[-1].problem = '; '.join(filter(None, (
                    results[-1].problem, left)))
        say(result_line(results[-1]))
    say('')
    for r in results:
        say(result_line(r))
    say(total_line(results))
    say('kill-test: done in %.0f s' % (time.monotonic() - t0))
    return verdict(results)
