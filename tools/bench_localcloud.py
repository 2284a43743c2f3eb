#!/usr/bin/env python3
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

"""Benchmark of the local cloud: each figure of its speed and memory.

    bench_localcloud.py                      # down, then up (data kept)
    bench_localcloud.py --scratch            # fresh: delete the base dir
    bench_localcloud.py --scratch --kept     # and then down + up again
    bench_localcloud.py --suite 1 --suite 2  # the suite, 1 and 2 workers
    bench_localcloud.py --uv-cache /tmp/x    # venvs from a cold uv cache

It prints: ``down``; ``up`` with its per-step breakdown (each step's seconds
and how busy the CPUs were meanwhile: ``cpu 190%`` on 2 cores is a step
bound by computation, a low figure one that waits) and the CPU-seconds the
whole ``up`` used; ``up`` when already up; with ``--kept`` a ``down`` then
an ``up`` that keeps the data; with ``--suite N`` the suite's wall time with
N Tempest workers (``localcloud job --concurrency N``), its exit code and
memory after it. The apt step is only a fresh machine's when the Debian
packages are not installed yet (``--scratch`` keeps them).

Memory is measured as ``free`` used before (cloud down) vs after (cloud up
and settled, and after each suite), and as the sum of RSS and PSS over every
process the tool started (its sessions and anything carrying its owner
mark); beside each service, the CPU-seconds its processes used so far
(after an ``up``: what starting it cost).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from localcloud import layout  # noqa: E402
from localcloud import procs  # noqa: E402
from localcloud import progress  # noqa: E402
from localcloud import services  # noqa: E402

TOOL = [sys.executable, os.path.join(HERE, 'localcloud')]
STEP = re.compile(r'^<== (.*) done in ([\d.]+)s(?: \((cpu [^)]*)\))?')


def free_used_mib():
    """What free(1) of procps 4 reports as used: total - available."""
    with open('/proc/meminfo') as f:
        info = dict((k, int(v.split()[0])) for k, v in
                    (line.split(':', 1) for line in f))
    return (info['MemTotal'] - info['MemAvailable']) // 1024


def cpu_s(pid):
    """CPU-seconds (user + system) a live process has used so far."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
    except OSError:
        return 0.0
    # fields[0] is field 3 of proc(5): utime is 14, stime 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def memory(lay):
    sessions = [p for p in (procs.read_pid(lay.pidfile(s.name))
                            for s in services.SERVICES) if p]
    pids = procs.owned_pids(lay.base, sessions)
    per_service = {}
    for svc in services.SERVICES:
        leader = procs.read_pid(lay.pidfile(svc.name))
        members = [p for p in pids if procs.session_of(p) == leader]
        per_service[svc.name] = {
            'processes': len(members),
            'rss_mib': sum(procs.rss_kib(p) for p in members) // 1024,
            'pss_mib': sum(procs.pss_kib(p) for p in members) // 1024,
            'cpu_s': round(sum(cpu_s(p) for p in members), 1),
        }
    return {
        'processes': len(pids),
        'rss_mib': sum(procs.rss_kib(p) for p in pids) // 1024,
        'pss_mib': sum(procs.pss_kib(p) for p in pids) // 1024,
        'cpu_s': round(sum(cpu_s(p) for p in pids)),
        'per_service': per_service,
    }


def run_tool(args, log, env=None):
    """Run the tool; (exit code, wall s, {step: (s, cpu usage)}, CPU-s)."""
    t0, cpu0 = time.monotonic(), progress.cpu_times()
    steps = {}
    with open(log, 'a') as out:
        out.write('\n#### localcloud %s\n' % ' '.join(args))
        proc = subprocess.Popen(TOOL + args, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True,
                                env=env)
        for line in proc.stdout:
            out.write(line)
            m = STEP.match(line)
            if m:
                steps[m.group(1)] = (float(m.group(2)), m.group(3) or '')
        rc = proc.wait()
    cpu1 = progress.cpu_times()
    cpu_s = ((cpu1[0] - cpu0[0]) / os.sysconf('SC_CLK_TCK')
             if cpu0 and cpu1 else 0.0)
    return rc, time.monotonic() - t0, steps, cpu_s


def timed_up(name, log, result, env=None):
    """One ``up``: its wall time, steps and CPU-seconds into ``result``."""
    rc, wall, steps, cpu_s = run_tool(['up'], log, env)
    if rc:
        raise SystemExit('%s failed (exit %d); see %s' % (name, rc, log))
    result[name] = {'wall_s': round(wall, 1), 'cpu_s': round(cpu_s),
                    'steps': steps}


def print_up(title, up):
    print('%-34s %6.1f s (CPU %d s on %d cores)' % (
        title, up['wall_s'], up['cpu_s'], os.cpu_count() or 1))
    for name, (secs, usage) in up['steps'].items():
        print('  %6.1f s  %-22s %s' % (secs, usage, name))


def print_memory(title, before, after, mem):
    print('%-34s %d / %d MiB (%+d MiB)' % (
        'free used ' + title, before, after, after - before))
    print('%-34s %d processes, RSS %d MiB, PSS %d MiB, CPU %d s so far' % (
        'services ' + title, mem['processes'], mem['rss_mib'],
        mem['pss_mib'], mem['cpu_s']))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--scratch', action='store_true',
                   help='delete the base dir (venvs, data) before up')
    p.add_argument('--kept', action='store_true',
                   help='after the first up: down, then up with the data kept')
    p.add_argument('--suite', type=int, action='append', default=[],
                   metavar='WORKERS',
                   help='run the suite with this many Tempest workers '
                        '(repeatable: --suite 1 --suite 2)')
    p.add_argument('--uv-cache', metavar='DIR',
                   help="uv's cache for the venvs (an empty dir: cold cache)")
    p.add_argument('--settle', type=int, default=30,
                   help='seconds to let services settle before measuring')
    p.add_argument('--json', help='also write the results here')
    p.add_argument('--log', default='/tmp/bench-localcloud.log',
                   help="the tool's output (appended)")
    opts = p.parse_args()
    lay = layout.Layout()
    log = opts.log
    env = dict(os.environ, UV_CACHE_DIR=opts.uv_cache) if opts.uv_cache \
        else None
    result = {'base': lay.base}

    rc, wall, _, _ = run_tool(['down'], log)
    result['down_s'] = round(wall, 1)
    if opts.scratch and os.path.isdir(lay.base):
        shutil.rmtree(lay.base)
    time.sleep(2)
    result['free_used_before_mib'] = free_used_mib()

    timed_up('up', log, result, env)
    rc, noop, _, _ = run_tool(['up'], log)
    result['up_again_s'] = round(noop, 1)
    if opts.kept:
        rc, wall, _, _ = run_tool(['down'], log)
        result['down_after_up_s'] = round(wall, 1)
        timed_up('up_kept', log, result)

    time.sleep(opts.settle)
    result['free_used_after_mib'] = free_used_mib()
    result['memory'] = memory(lay)

    result['suites'] = []
    for workers in opts.suite:
        rc, wall, steps, cpu_s = run_tool(
            ['job', '--concurrency', str(workers)], log)
        result['suites'].append({
            'workers': workers, 'exit': rc, 'job_wall_s': round(wall, 1),
            'suite_wall_s': round(steps.get('tempest run', (wall,))[0], 1),
            'cpu_s': round(cpu_s), 'free_used_after_mib': free_used_mib(),
            'memory': memory(lay)})

    print('base dir                           %s' % lay.base)
    print('down (before)                      %6.1f s' % result['down_s'])
    print_up('up%s' % (' from scratch' if opts.scratch else ''),
             result['up'])
    print('up when already up                 %6.1f s' % result['up_again_s'])
    if opts.kept:
        print('down                               %6.1f s'
              % result['down_after_up_s'])
        print_up('up with the data kept', result['up_kept'])
    print_memory('after up', result['free_used_before_mib'],
                 result['free_used_after_mib'], result['memory'])
    for name, row in sorted(result['memory']['per_service'].items(),
                            key=lambda kv: -kv[1]['pss_mib']):
        print('  %-26s %2d proc  RSS %4d  PSS %4d MiB  CPU %5.1f s' % (
            name, row['processes'], row['rss_mib'], row['pss_mib'],
            row['cpu_s']))
    for suite in result['suites']:
        print('suite, %d worker(s)                 %6.1f s (exit %d, '
              'job %.1f s, CPU %d s)' % (
                  suite['workers'], suite['suite_wall_s'], suite['exit'],
                  suite['job_wall_s'], suite['cpu_s']))
        print_memory('after it', result['free_used_before_mib'],
                     suite['free_used_after_mib'], suite['memory'])
    if opts.json:
        with open(opts.json, 'w') as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
