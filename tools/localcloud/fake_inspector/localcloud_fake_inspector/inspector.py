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

"""Per-instance statistics for servers of Nova's fake virt driver.

HONESTY NOTE: nothing here measures anything. Nova's ``fake`` compute driver
runs no guest, so there is no hypervisor to ask; this inspector stands in for
the hypervisor exactly as the fake driver stands in for it on the Nova side.
What is real is everything around it: the Ceilometer polling agent runs on
the compute host (in that host's network namespace), discovers the host's
instances through the Nova API, polls this inspector on its interval and
sends the samples over the message bus; when the host (and so its agent)
stops, the samples stop.

The numbers are plausible and deterministic:

- ``cpu_time`` (ns) grows with wall-clock time at ``util`` x vCPUs, where
  ``util`` is the server's metadata ``localcloud.cpu_util`` in percent
  (default 10). Changing that metadata changes the slope from the next
  discovery on, so a test can drive a server above or below a threshold.
  It starts from the server's launch time, so a restarted agent continues
  about where it left off.
- memory: the flavor's RAM; usage is ``localcloud.mem_util`` percent of it
  (default 25), resident the same.
- power state: running for an ACTIVE server; a stopped (SHUTOFF) server
  raises InstanceShutOffException, as libvirt's inspector does.
"""
import time

from ceilometer.compute.virt import inspector as virt_inspector

from localcloud_fake_inspector import stats


class FakeInspector(virt_inspector.Inspector):
    """The stand-in hypervisor of a fake-driver compute host."""

    def __init__(self, conf, clock=time.time):
        super().__init__(conf)
        self._clock = clock
        self.cpu = stats.CpuClock(clock)

    def inspect_instance(self, instance, duration=None):
        try:
            values = stats.instance_stats(instance, self.cpu, self._clock())
        except ValueError as e:
            raise virt_inspector.InstanceShutOffException(str(e))
        return virt_inspector.InstanceStats(**values)

    # A fake-driver server has no NICs nor disks to read: no samples.
    def inspect_vnics(self, instance, duration):
        return []

    def inspect_vnic_rates(self, instance, duration):
        return []

    def inspect_disks(self, instance, duration):
        return []

    def inspect_disk_rates(self, instance, duration):
        return []

    def inspect_disk_info(self, instance, duration):
        return []
