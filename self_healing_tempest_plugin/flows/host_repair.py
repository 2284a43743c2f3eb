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
Vitrage.
"""

from tempest import config
from tempest.lib import exceptions as lib_exc

from self_healing_tempest_plugin.common import microversion
from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import remote

CONF = config.CONF


def compute_services(services_client, **filters):
    """The nova-compute services Nova lists (ids, forced_down: 2.53)."""
    with microversion.requests_at(microversion.COMPUTE,
                                  faults.SERVICE_UPDATE_MICROVERSION):
        return services_client.list_services(
            binary=faults.COMPUTE_BINARY, **filters)['services']


def down_hosts(services_client):
    """Hosts whose nova-compute service Nova reports down."""
    return set(s['host'] for s in compute_services(services_client)
               if s['state'] != 'up')


def clear_forced_down(services_client, service_id, host, waiter):
    """Clear forced_down, retried while Nova refuses (BadRequest).

    Nova refuses while evacuations from the host are unfinished; those
    end when the restarted compute service has cleaned up the evacuated
    instances.
    """
    refused = []

    def cleared():
        try:
            with microversion.requests_at(
                    microversion.COMPUTE,
                    faults.SERVICE_UPDATE_MICROVERSION):
                services_client.update_service(service_id,
                                               forced_down=False)
        except lib_exc.BadRequest as exc:
            refused[:] = [str(exc)]
            return False
        return True
    waiter.until(cleared, bool, 'forced_down of %s service on %s' % (
        faults.COMPUTE_BINARY, host), 'cleared',
        describe=lambda _: 'Nova refuses: %s' % (refused or ['-'])[0])


class HostRepair(object):
    """Chooses the faulted host, and repairs it once the flow healed.

    :param test: the running test (admin services and Vitrage clients,
        waiter, skipException).
    """

    def __init__(self, test):
        self.test = test
        self.services = test.admin_services_client

    def computes(self, **filters):
        """The nova-compute services Nova lists (ids, forced_down)."""
        return compute_services(self.services, **filters)

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

        After an evacuation Nova lets a host's compute service be forced
        up only once it has restarted (it then cleans up the evacuated
        instances): restart nova-compute over SSH
        ([self_healing] compute_restart_command; stopping the whole host
        would make the monitor alarm and Vitrage fence it again), then
        clear Vitrage's fencing (forced_down), retried while Nova refuses.
        Healthy: the compute service is up and Vitrage has no monitor
        alarm on it. A cleanup registered before the fault, so it runs
        after the fault's own undo, on every exit path.
        """
        conf = CONF.self_healing
        fenced = [s for s in self.computes(host=host)
                  if s.get('forced_down')]
        if fenced:
            remote.host_client(conf, host).exec_command(
                conf.compute_restart_command)
            for service in fenced:
                clear_forced_down(self.services, service['id'], host,
                                  self.test.waiter(conf.service_timeout_s))

        def health():
            state = [s['state'] for s in self.computes(host=host)]
            alarms = [a for a in self.test.admin_rca_client.list_alarms(
                all_tenants=True) if a.get('name') == conf.host_alarm_name]
            return state, len(alarms)
        self.test.waiter(conf.service_timeout_s).until(
            health, lambda h: h[0] == ['up'] and h[1] == 0,
            'compute host %s' % host, 'service up, no monitor alarm',
            describe=lambda h: 'service %s, %d monitor alarm(s)' % h)
