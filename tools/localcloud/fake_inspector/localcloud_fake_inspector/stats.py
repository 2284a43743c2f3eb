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

"""The fake hypervisor's numbers (pure: no Ceilometer import; unit-tested).

See inspector.py for what they stand for.
"""
import datetime
import threading
import time

CPU_UTIL_KEY = 'localcloud.cpu_util'
MEM_UTIL_KEY = 'localcloud.mem_util'
DEFAULT_CPU_UTIL = 10.0
DEFAULT_MEM_UTIL = 25.0
RUNNING = 1        # nova.compute.power_state.RUNNING
PAUSED = 3
SUSPENDED = 7


def _percent(metadata, key, default):
    try:
        value = float((metadata or {}).get(key, default))
    except (TypeError, ValueError):
        return default
    return min(max(value, 0.0), 100.0)


def _launched_at(instance, now):
    text = getattr(instance, 'OS-SRV-USG:launched_at', None) or getattr(
        instance, 'created', None)
    if not text:
        return now
    try:
        when = datetime.datetime.fromisoformat(str(text).replace('Z', ''))
    except ValueError:
        return now
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return min(when.timestamp(), now)


def _flavor(instance):
    flavor = getattr(instance, 'flavor', None) or {}
    return (int(flavor.get('vcpus') or 1), int(flavor.get('ram') or 0))


class CpuClock:
    """Cumulative CPU time per instance: integrates util x vCPUs over time."""

    def __init__(self, clock=time.time):
        self._clock = clock
        self._state = {}          # id -> (last wall time, cpu ns)
        self._lock = threading.Lock()

    def read(self, instance_id, started_at, vcpus, util):
        now = self._clock()
        rate = vcpus * util / 100.0 * 1e9       # ns of CPU per second
        with self._lock:
            last, cpu = self._state.get(
                instance_id, (started_at, 0.0))
            cpu += max(0.0, now - last) * rate
            self._state[instance_id] = (now, cpu)
        return int(cpu)


def instance_stats(instance, cpu, now):
    """The stats of one server (a novaclient Server) as a dict.

    Raises ValueError for a server that is not running (stopped, shelved).
    """
    vm_state = getattr(instance, 'OS-EXT-STS:vm_state', None)
    if vm_state in ('stopped', 'shelved', 'shelved_offloaded'):
        raise ValueError('instance %s is %s' % (instance.id, vm_state))
    metadata = getattr(instance, 'metadata', None) or {}
    vcpus, ram = _flavor(instance)
    util = _percent(metadata, CPU_UTIL_KEY, DEFAULT_CPU_UTIL)
    if vm_state in ('paused', 'suspended'):
        util = 0.0
    mem_used = int(ram * _percent(metadata, MEM_UTIL_KEY,
                                  DEFAULT_MEM_UTIL) / 100.0)
    return {
        'power_state': {'paused': PAUSED,
                        'suspended': SUSPENDED}.get(vm_state, RUNNING),
        'cpu_number': vcpus,
        'cpu_time': cpu.read(instance.id, _launched_at(instance, now),
                             vcpus, util),
        'memory_actual': ram,
        'memory_available': ram - mem_used,
        'memory_usage': mem_used,
        'memory_resident': mem_used,
        'memory_swap_in': 0,
        'memory_swap_out': 0,
    }
