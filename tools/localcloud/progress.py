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

"""Progress display: each step on its own line with how long it took.

Each step also says how busy the machine's CPUs were meanwhile (from
``/proc/stat``): ``cpu 190%`` on 2 cores is a step bound by computation,
``cpu 20%`` one that waits (network, disk, a server's start-up sleep), and
``iowait`` the share of that wait spent on the disk. The benchmark
(``tools/bench_localcloud.py``) reads these lines.
"""
import contextlib
import os
import sys
import time

PROC_STAT = '/proc/stat'


def cpu_times(path=PROC_STAT):
    """(busy, iowait, total) jiffies summed over every CPU; None if unread.

    busy is user + nice + system + irq + softirq + steal; total adds idle
    and iowait (guest time is already inside user).
    """
    try:
        with open(path) as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != 'cpu':
        return None
    v = [int(x) for x in fields[1:9]] + [0] * max(0, 9 - len(fields))
    user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
    busy = user + nice + system + irq + softirq + steal
    return busy, iowait, busy + idle + iowait


def cpu_usage(before, after, ncpu):
    """'cpu N%, iowait M%' between two ``cpu_times`` (100% = one core)."""
    if not before or not after or after[2] <= before[2]:
        return 'cpu ?'
    total = after[2] - before[2]
    busy = (after[0] - before[0]) * 100.0 * ncpu / total
    iowait = (after[1] - before[1]) * 100.0 * ncpu / total
    return 'cpu %d%%, iowait %d%%' % (round(busy), round(iowait))


def _ncpu():
    return os.cpu_count() or 1


class Progress:

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.started = time.monotonic()
        self.steps = []          # (name, seconds, outcome, cpu usage)
        self._cpu0 = cpu_times()

    def _print(self, text):
        self.stream.write(text + '\n')
        self.stream.flush()

    @contextlib.contextmanager
    def step(self, name):
        t0, cpu0 = time.monotonic(), cpu_times()
        self._print('==> %s ...' % name)
        result = {'note': ''}
        try:
            yield result
        except BaseException:
            dt = time.monotonic() - t0
            usage = cpu_usage(cpu0, cpu_times(), _ncpu())
            self.steps.append((name, dt, 'FAILED', usage))
            self._print('<== %s FAILED after %.1fs (%s)' % (name, dt, usage))
            raise
        dt = time.monotonic() - t0
        usage = cpu_usage(cpu0, cpu_times(), _ncpu())
        self.steps.append((name, dt, 'ok', usage))
        note = (': ' + result['note']) if result['note'] else ''
        self._print('<== %s done in %.1fs (%s)%s' % (name, dt, usage, note))

    def info(self, text):
        self._print('    ' + text)

    def total(self):
        return time.monotonic() - self.started

    def summary(self):
        self._print('---- steps ----')
        for name, dt, outcome, usage in self.steps:
            self._print('%7.1fs  %-4s %-22s %s' % (dt, outcome, usage, name))
        self._print('%7.1fs  total (%s)' % (
            self.total(), cpu_usage(self._cpu0, cpu_times(), _ncpu())))
