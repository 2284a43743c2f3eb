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

"""Benchmark of the local cloud: install time, time to all services up,
resident memory of all services, and (with --suite) the suite's wall time.

    python3 tools/bench_localcloud.py             # down, then up (warm)
    python3 tools/bench_localcloud.py --scratch   # also delete the base dir
    python3 tools/bench_localcloud.py --suite     # and time the suite

Memory is measured twice: ``free`` used before (cloud down) vs after (cloud
up and settled), and the sum of RSS and PSS over every process the tool
started (its sessions and anything carrying its owner mark).
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
from localcloud import services  # noqa: E402

TOOL = [sys.executable, os.path.join(HERE, 'localcloud')]
STEP = re.compile(r'^<== (.*) done in ([\d.]+)s')


def free_used_mib():
    """What free(1) of procps 4 reports as used: total - available."""
    with open('/proc/meminfo') as f:
        info = dict((k, int(v.split()[0])) for k, v in
                    (line.split(':', 1) for line in f))
    return (info['MemTotal'] - info['MemAvailable']) // 1024


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
        }
    return {
        'processes': len(pids),
        'rss_mib': sum(procs.rss_kib(p) for p in pids) // 1024,
        'pss_mib': sum(procs.pss_kib(p) for p in pids) // 1024,
        'per_service': per_service,
    }


def run_tool(args, log):
    t0 = time.monotonic()
    steps = {}
    with open(log, 'a') as out:
        proc = subprocess.Popen(TOOL + args, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            out.write(line)
            m = STEP.match(line)
            if m:
                steps[m.group(1)] = float(m.group(2))
        rc = proc.wait()
    return rc, time.monotonic() - t0, steps


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--scratch', action='store_true',
                   help='delete the base dir (venvs, data) before up')
    p.add_argument('--suite', action='store_true',
                   help='also run the suite (localcloud job) and time it')
    p.add_argument('--settle', type=int, default=30,
                   help='seconds to let services settle before measuring')
    p.add_argument('--json', help='also write the results here')
    opts = p.parse_args()
    lay = layout.Layout()
    log = os.path.join('/tmp', 'bench-localcloud.log')
    result = {'base': lay.base}

    run_tool(['down'], log)
    if opts.scratch and os.path.isdir(lay.base):
        shutil.rmtree(lay.base)
    time.sleep(2)
    result['free_used_before_mib'] = free_used_mib()

    rc, wall, steps = run_tool(['up'], log)
    if rc:
        print('up failed (exit %d); see %s' % (rc, log))
        return rc
    result['up_wall_s'] = round(wall, 1)
    result['steps_s'] = steps
    result['install_s'] = round(sum(v for k, v in steps.items()
                                    if k.startswith(('Debian', 'Python'))), 1)
    result['services_up_s'] = round(wall - result['install_s'], 1)

    rc, noop, _ = run_tool(['up'], log)
    result['up_again_s'] = round(noop, 1)

    time.sleep(opts.settle)
    result['free_used_after_mib'] = free_used_mib()
    result['free_used_delta_mib'] = (result['free_used_after_mib']
                                     - result['free_used_before_mib'])
    result['memory'] = memory(lay)

    if opts.suite:
        rc, suite, steps = run_tool(['job'], log)
        result['suite_wall_s'] = round(steps.get('tempest run', suite), 1)
        result['suite_exit'] = rc

    print('base dir                %s' % lay.base)
    print('install (apt + venvs)   %6.1f s' % result['install_s'])
    print('all services up         %6.1f s (up total %.1f s)' % (
        result['services_up_s'], result['up_wall_s']))
    print('up when already up      %6.1f s' % result['up_again_s'])
    print('free used before/after  %d / %d MiB (+%d MiB)' % (
        result['free_used_before_mib'], result['free_used_after_mib'],
        result['free_used_delta_mib']))
    mem = result['memory']
    print('services                %d processes, RSS %d MiB, PSS %d MiB' % (
        mem['processes'], mem['rss_mib'], mem['pss_mib']))
    for name, row in sorted(mem['per_service'].items(),
                            key=lambda kv: -kv[1]['pss_mib']):
        print('  %-26s %2d proc  RSS %4d  PSS %4d MiB' % (
            name, row['processes'], row['rss_mib'], row['pss_mib']))
    for name, secs in result['steps_s'].items():
        print('  step %-48s %6.1f s' % (name, secs))
    if opts.suite:
        print('suite wall time         %6.1f s (exit %d)' % (
            result['suite_wall_s'], result['suite_exit']))
    if opts.json:
        with open(opts.json, 'w') as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
