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

"""Benchmark of the harness's request rate while it waits for healing.

Issue goal: while waiting, the harness sends at most about one request per
second per test. For every timeline of the last suite run, this counts the
requests Tempest logged between the fault and the last cluster sample (the
end of the steady window) and prints their mean rate and the peak rate over
any 10 s stretch. It reads a workspace a serial run (``--concurrency 1``,
the job's default) wrote, so every request in a test's window is its own.

    python3 tools/bench_requests.py [--workspace DIR] [--window-s 10]
"""
import argparse
import datetime
import glob
import json
import os
import re
import sys

DEFAULT_WORKSPACE = '/opt/self-healing-localcloud/tempest'
# Tempest's rest_client line of every request it made:
# "2026-11-22 18:55:20.691 8626 INFO tempest.lib.common.rest_client [...]
#  Request (main): 200 GET http://127.0.0.1:8004/v1/... 0.024s"
REQUEST = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) .*'
                     r'tempest\.lib\.common\.rest_client .*Request \(')


def request_times(log_path):
    """Epoch time of every request in Tempest's log (local clock)."""
    times = []
    with open(log_path, errors='replace') as handle:
        for line in handle:
            match = REQUEST.match(line)
            if match:
                stamp = datetime.datetime.strptime(match.group(1),
                                                   '%Y-%m-%d %H:%M:%S.%f')
                times.append(stamp.timestamp())
    return times


def windows(timeline_dir):
    """(test name, fault epoch, last sample epoch) of every timeline."""
    found = []
    for path in sorted(glob.glob(os.path.join(timeline_dir, '*.json'))):
        with open(path) as handle:
            data = json.load(handle)
        faults = [m for m in data.get('marks', [])
                  if m.get('name') == 'FAULT_INJECTED']
        samples = data.get('samples') or []
        if not faults or not samples:
            continue
        name = data.get('scenario', {}).get('name') or os.path.basename(path)
        found.append((name, faults[0]['harness_time'], samples[-1]['t']))
    return found


def peak_rate(times, start, end, span_s):
    """Most requests in any ``span_s`` stretch of [start, end], per second."""
    inside = [t for t in times if start <= t <= end]
    best, first = 0, 0
    for last, t in enumerate(inside):
        while t - inside[first] > span_s:
            first += 1
        best = max(best, last - first + 1)
    return best / float(min(span_s, max(end - start, 1e-9)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--workspace', default=DEFAULT_WORKSPACE,
                        help='the Tempest workspace of the run')
    parser.add_argument('--window-s', type=float, default=10.0,
                        help='stretch of the peak rate, in seconds')
    opts = parser.parse_args()
    log_path = os.path.join(opts.workspace, 'logs', 'tempest.log')
    timeline_dir = os.path.join(opts.workspace, 'timelines')
    if not os.path.exists(log_path):
        print('no Tempest log at %s' % log_path, file=sys.stderr)
        return 2
    runs = windows(timeline_dir)
    if not runs:
        print('no timeline with a fault in %s' % timeline_dir,
              file=sys.stderr)
        return 2
    times = request_times(log_path)
    print('%-40s %8s %8s %8s %8s' % ('scenario', 'wait s', 'requests',
                                     'mean r/s', 'peak r/s'))
    worst_mean = worst_peak = 0.0
    for name, start, end in runs:
        count = sum(1 for t in times if start <= t <= end)
        duration = max(end - start, 1e-9)
        mean = count / duration
        peak = peak_rate(times, start, end, opts.window_s)
        worst_mean, worst_peak = max(worst_mean, mean), max(worst_peak, peak)
        print('%-40s %8.1f %8d %8.2f %8.2f'
              % (name, duration, count, mean, peak))
    print('highest mean %.2f r/s, highest %g s peak %.2f r/s (goal: about '
          '1 r/s per test)' % (worst_mean, opts.window_s, worst_peak))
    return 0


if __name__ == '__main__':
    sys.exit(main())
