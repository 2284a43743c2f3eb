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

"""The compute host of a host-fault flow: chosen up, repaired after.

``HostRepair`` is held by the flows whose fault hits a compute host while
Vitrage watches it (``vitrage_host``, ``integrated``). It picks the host
to fault once its compute service is up beside another one, and, after
the flow healed, repairs the host as an operator would and waits until it
is healthy again: its compute service up and no monitor alarm on it in
Vitrage. That repair is journaled before the fault (kind ``host_repair``):
a run killed after Vitrage fenced the host leaves the entry, and the next
run restarts the host's nova-compute and clears the fencing before its
own deploy.
"""

from tempest import config

from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import journal as jn
from self_healing_tempest_plugin.harness import remote

CONF = config.CONF
# The journal entry of a host the flow must repair once it healed.
REPAIR_KIND = 'host_repair'


def down_hosts(services_client):
    """Hosts whose nova-compute service Nova reports down."""
    return set(s['host'] for s in faults.compute_services(services_client)
               if s['state'] != 'up')


def repair_fenced(services_client, conf, host, waiter,
                  ssh_client_factory=None):
    """Restart a fenced host's nova-compute, then clear its forced_down.

    After an evacuation Nova lets a host's compute service be forced up
    only once it has restarted (it then cleans up the evacuated
    instances): restart nova-compute over SSH ([self_healing]
    compute_restart_command; stopping the whole host would make the
    monitor alarm and Vitrage fence it again), then clear Vitrage's
    fencing, retried while Nova refuses. Nothing when it is not fenced.
    """
    fenced = [s for s in faults.compute_services(services_client, host=host)
              if s.get('forced_down')]
    if fenced:
        connect = ssh_client_factory or remote.host_client
        connect(conf, host).exec_command(conf.compute_restart_command)
        for service in fenced:
            faults.clear_forced_down(services_client, service['id'], host,
                                     waiter)
    return bool(fenced)


def wait_healthy(services_client, rca_client, conf, host, waiter):
    """Wait until ``host`` is healthy, and has stayed so long enough.

    Healthy: its nova-compute is up with a heartbeat newer than the one
    at the call (the restarted process has finished starting: servers
    scheduled before that go to ERROR), and Vitrage has no monitor alarm
    on it ([self_healing] host_alarm_name). It must hold for
    [self_healing] monitor_latency_s: an alarm for the outage may still be
    on its way from the monitor, and a template loaded when it arrives
    acts at once on the next run's servers (it evacuates them).
    """
    _, stale = faults.compute_heartbeat(services_client, host)
    clock = waiter.clock
    healthy_since = []

    def health():
        state, beat = faults.compute_heartbeat(services_client, host)
        alarms = len([a for a in rca_client.list_alarms(all_tenants=True)
                      if a.get('name') == conf.host_alarm_name])
        ok = state == 'up' and beat != stale and not alarms
        if not ok:
            del healthy_since[:]
        elif not healthy_since:
            healthy_since.append(clock())
        held = clock() - healthy_since[0] if healthy_since else 0.0
        return state, beat != stale, alarms, held

    waiter.until(
        health, lambda h: h[0] == 'up' and h[1] and h[2] == 0 and
        h[3] >= conf.monitor_latency_s,
        'compute host %s' % host,
        'service up with a new heartbeat, no monitor alarm, for %s s'
        % conf.monitor_latency_s,
        describe=lambda h: 'service %s, %s heartbeat, %d monitor alarm(s)'
        % (h[0], 'new' if h[1] else 'no new', h[2]))


@jn.UNDO_ACTIONS.register('wait_host_healthy')
def _wait_host_healthy_action(ctx, host):
    wait_healthy(ctx.require('services_client', 'replayed ' + REPAIR_KIND),
                 ctx.require('rca_client', 'replayed ' + REPAIR_KIND),
                 ctx.conf, host, faults.service_waiter(ctx))


@jn.UNDO_ACTIONS.register('repair_fenced_host')
def _repair_fenced_host_action(ctx, host):
    repair_fenced(ctx.require('services_client', 'replayed ' + REPAIR_KIND),
                  ctx.conf, host, faults.service_waiter(ctx),
                  ssh_client_factory=ctx.ssh_client_factory)


class HostRepair(object):
    """Chooses the faulted host, and repairs it once the flow healed.

    :param test: the running test (admin services and Vitrage clients,
        waiter, skipException).
    """

    def __init__(self, test, journal=None):
        self.test = test
        self.services = test.admin_services_client
        self._journal = journal
        self._entries = {}
        # Hosts guarded and not yet repaired: the flow's restore and the
        # cleanup guard() registers both ask; the second finds it done.
        self._unrepaired = set()

    @property
    def journal(self):
        """The run's undo journal, opened when first used (or None)."""
        if self._journal is None:
            self._journal = jn.current(CONF.self_healing) or False
        return self._journal or None

    def guard(self, host):
        """Before any fault: journal the repair, register it as a cleanup.

        The cleanup runs after the faults' undos, on every exit path; the
        journal entry covers the one path no cleanup sees, a killed run.
        """
        if self.journal and host not in self._entries:
            self._entries[host] = self.journal.open_steps(
                REPAIR_KIND, host, [
                    jn.Step('repair_fenced_host', 'restart nova-compute on '
                            '%s and clear its forced_down if Vitrage fenced '
                            'it' % host, host=host),
                    jn.Step('wait_host_healthy', 'wait until nova-compute '
                            'on %s is up and Vitrage has no monitor alarm on '
                            'it' % host, host=host)],
                'until the flow repairs %s after healing (Vitrage may '
                'fence it while it heals)' % host, test_id=self.test.id())
        self._unrepaired.add(host)
        self.test.addCleanup(self.restore, host)

    def computes(self, **filters):
        """The nova-compute services Nova lists (ids, forced_down)."""
        return faults.compute_services(self.services, **filters)

    def target_host(self):
        """The first faultable host, once its compute service is up.

        Faultable: listed in [self_healing] compute_hosts; another compute
        service must be up beside it to take its instances. A host the
        previous test repaired may still be coming back: wait for it
        (service_timeout_s); a cloud that never gets there fails, naming
        the services it saw up.
        """
        hosts = CONF.self_healing.compute_hosts
        if not hosts:
            raise self.test.skipException('a host fault needs '
                                          '[self_healing] compute_hosts')

        def up():
            return [s['host'] for s in self.computes()
                    if s['state'] == 'up' and s['status'] == 'enabled']
        seen = self.test.waiter(CONF.self_healing.service_timeout_s).until(
            up, lambda up: len(up) >= 2 and set(hosts) & set(up),
            'nova-compute services', 'two up, one of them in '
            '[self_healing] compute_hosts %s' % hosts,
            describe=lambda up: 'up: %s' % up)
        return [h for h in hosts if h in seen][0]

    def restore(self, host):
        """Repair ``host`` as an operator would; wait until healthy.

        ``repair_fenced``, then healthy: the compute service is up and
        Vitrage has no monitor alarm on it. Its journal entry is closed
        once the host is healthy. A host not guarded, or already repaired,
        is left alone: the wait costs [self_healing] monitor_latency_s.
        """
        if host not in self._unrepaired:
            return
        conf = CONF.self_healing
        repair_fenced(self.services, conf, host,
                      self.test.waiter(conf.service_timeout_s))

        wait_healthy(self.services, self.test.admin_rca_client, conf, host,
                     self.test.waiter(conf.service_timeout_s))
        self._unrepaired.discard(host)
        entry = self._entries.pop(host, None)
        if entry is not None:
            self.journal.close(entry)
