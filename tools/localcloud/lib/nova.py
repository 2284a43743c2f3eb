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

"""Nova: API, conductor, scheduler, and one compute per host.

A compute host is a unit of its own (``compute_processes(host)``): its own
config layer (``etc/nova/compute-HOST.conf``), state directory and
processes, inside its network namespace (hostnet.py), so that taking the
host's NIC down really cuts it off. The driver is
``fake.FakeDriverWithoutFakeNodes`` with a stable ``compute_id`` per host.
"""
import os
import subprocess
import uuid

from localcloud import api
from localcloud import authconf
from localcloud import checks
from localcloud import entrypoints
from localcloud import files
from localcloud import flows
from localcloud import hostnet
from localcloud import ini
from localcloud import layout as L
from localcloud.lib import glance
from localcloud.lib import keystone
from localcloud.lib import neutron
from localcloud.lib import placement
from localcloud import process

PORT = 8774
URL = L.url(PORT, '/v2.1')
PORTS = {'nova-api': PORT}
PACKAGES = ('nova',)
TUNABLES = (
    L.Tunable('nova', 'DEFAULT', 'report_interval', 2, 10,
              'computes report state often, so a stopped host is seen soon'),
    L.Tunable('nova', 'DEFAULT', 'service_down_time', 15, 60,
              'a compute that stopped reporting is down after 15 s'),
    L.Tunable('nova', 'scheduler', 'discover_hosts_in_cells_interval', 10,
              -1, 'new compute hosts are mapped without nova-manage'),
    L.Tunable('nova', 'DEFAULT', 'heal_instance_info_cache_interval', -1, 60,
              'no periodic Networking calls for servers without ports'),
)
_TUN = {t.option: t.local for t in TUNABLES}
# nova.conf's [glance]: its keystoneauth default is ``internal, public``,
# and the image service's internal endpoint is the hosts' (at the
# controller address, which the machine's namespace cannot reach).
NOVA_GLANCE = {'valid_interfaces': 'public'}

install = entrypoints.nothing


# Nova's notifications (format, topics) are rows of the flow-settings
# table: Ceilometer's event traits read the legacy payload, and Vitrage has
# a topic of its own so that it does not compete with Ceilometer for the
# messages of the shared ``notifications`` queue.
def render(lay):
    files_ = {'nova/nova.conf': flows.with_flows('nova/nova.conf', {
        'DEFAULT': {
            'transport_url': L.TRANSPORT_URL,
            'my_ip': L.HOST,
            'state_path': lay.data('nova'),
            'compute_driver': 'fake.FakeDriverWithoutFakeNodes',
            'report_interval': _TUN['report_interval'],
            'service_down_time': _TUN['service_down_time'],
            'heal_instance_info_cache_interval':
                _TUN['heal_instance_info_cache_interval'],
            'osapi_compute_workers': 1,
            'metadata_workers': 1,
            'use_rootwrap_daemon': False,
        },
        'api': {'auth_strategy': 'keystone'},
        'wsgi': {'api_paste_config': lay.etc('nova', 'api-paste.ini')},
        'api_database': {'connection': L.db_url('nova_api')},
        'database': {'connection': L.db_url('nova')},
        'conductor': {'workers': 1},
        'scheduler': {
            'workers': 1,
            'discover_hosts_in_cells_interval':
                _TUN['discover_hosts_in_cells_interval'],
        },
        'filter_scheduler': {'enabled_filters': [
            'ComputeFilter', 'ComputeCapabilitiesFilter',
            'ImagePropertiesFilter']},
        'oslo_concurrency': {'lock_path': lay.data('nova', 'locks')},
        'oslo_messaging_notifications': {'driver': flows.FLOW,
                                         'topics': flows.FLOW},
        'notifications': {'notification_format': flows.FLOW,
                          'notify_on_state_change': flows.FLOW},
        'glance': dict(NOVA_GLANCE, region_name=L.REGION),
        'vnc': {'enabled': False},
        'spice': {'enabled': False},
        'keystone_authtoken': authconf.authtoken('nova'),
        'service_user': dict(authconf.service_auth('nova'),
                             send_service_user_token=True),
        'placement': authconf.service_auth('placement'),
        'neutron': authconf.service_auth('nova'),
    })}
    for host in L.COMPUTE_HOSTS:
        files_['nova/compute-%s.conf' % host] = compute_host_conf(lay, host)
    return files_


def compute_host_conf(lay, host):
    """The per-host layer over nova.conf: a compute host is one unit.

    The host lives in its own network namespace: everything it calls goes
    to the controller address (the namespace proxy), never to 127.0.0.1.
    """
    state = lay.compute_state(host)
    h = hostnet.host(host)
    identity = hostnet.controller_url(keystone.PORT, '/v3')

    def via_controller(section, port):
        return dict(section, auth_url=identity,
                    endpoint_override=hostnet.controller_url(port))
    return ini.render({
        'DEFAULT': {
            'host': host,
            'my_ip': h.address,
            'state_path': state,
            'instances_path': os.path.join(state, 'instances'),
            'transport_url': L.TRANSPORT_URL.replace(
                L.HOST, hostnet.CONTROLLER),
        },
        'oslo_concurrency': {'lock_path': os.path.join(state, 'locks')},
        # A compute host has no database access (it asks the conductor).
        # Nova still tries the cells' databases once at start (minimum
        # service version): fail at once instead of retrying for a minute.
        'database': {'connection': '', 'max_retries': 0},
        'api_database': {'connection': ''},
        'placement': via_controller(authconf.service_auth('placement'),
                                    placement.PORT),
        'neutron': via_controller(authconf.service_auth('nova'),
                                  neutron.PORT),
        'glance': {'region_name': L.REGION,
                   'endpoint_override': hostnet.controller_url(glance.PORT)},
        'service_user': dict(authconf.service_auth('nova'),
                             auth_url=identity, send_service_user_token=True),
    })


def prepare(lay):
    """The paste file, and a stable node identity per compute host (so a
    host restarts: ``fake.FakeDriver`` cannot, "No local node identity
    found").
    """
    files.copy(os.path.join(lay.venv, 'etc', 'nova', 'api-paste.ini'),
               lay.etc('nova', 'api-paste.ini'))
    for host in L.COMPUTE_HOSTS:
        path = os.path.join(lay.compute_state(host), 'compute_id')
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            node = uuid.uuid5(uuid.NAMESPACE_URL,
                              'localcloud:%s:%s' % (lay.base, host))
            with open(path, 'w') as f:
                f.write(str(node))
    return []


DATABASES = ('nova_api', 'nova', 'nova_cell0')
MANAGE = ('{venv}/bin/nova-manage',) + process.conf('nova')
DBSYNC = (
    process.create_databases(*DATABASES),
    MANAGE + ('api_db', 'sync'),
    MANAGE + ('cell_v2', 'map_cell0', '--database_connection',
              L.db_url('nova_cell0')),
    MANAGE + ('cell_v2', 'create_cell', '--name', 'cell1'),
    MANAGE + ('db', 'sync'),
)


def compute_processes(name):
    """The nova-compute of one compute host, inside its network namespace."""
    h = hostnet.host(name)
    return (process.Service(
        'nova-compute-%s' % name, 2, h.wrap(
            ('{venv}/bin/nova-compute',) + process.conf(
                'nova', '{etc}/nova/compute-%s.conf' % name)),
        checks.Queue('compute.%s' % name), project='nova', host=name),)


def processes():
    return (
        process.wsgi('nova-api', PORT, 'nova.wsgi.osapi_compute:application',
                     'nova', env=(('OS_NOVA_CONFIG_DIR', '{etc}/nova'),)),
        process.Service('nova-conductor', 2, process.single(
            'nova-conductor', 'nova.cmd.conductor:main',
            *process.conf('nova')),
            checks.Queue('conductor'), project='nova'),
        process.Service('nova-scheduler', 2, process.single(
            'nova-scheduler', 'nova.cmd.scheduler:main',
            *process.conf('nova')),
            checks.Queue('scheduler'), project='nova'),
    ) + tuple(s for h in L.COMPUTE_HOSTS for s in compute_processes(h))


USERS = ('nova',)
EXTRA_USERS = ()
# The internal endpoint is the compute hosts' (their polling agents list
# the host's servers there): at the controller address.
CATALOG = (('nova', 'compute', {
    'public': URL, 'admin': URL,
    'internal': hostnet.controller_url(PORT, '/v2.1')}),)


register = entrypoints.no_changes


def hypervisors_up(sess, hosts):
    """True once every compute host is an enabled, up hypervisor."""
    data = sess.get('compute', '/os-hypervisors/detail',
                    headers={'OpenStack-API-Version': 'compute 2.53'})
    up = {h['service']['host'] for h in data['hypervisors']
          if h['state'] == 'up' and h['status'] == 'enabled'}
    return set(hosts) <= up


# Forced-down services (and the services' ids) in the API.
SERVICES_MICROVERSION = {'OpenStack-API-Version': 'compute 2.53'}


def computes_not_up(sess, hosts=L.COMPUTE_HOSTS):
    """{host: service} of the hosts whose nova-compute is not up."""
    data = sess.get('compute', '/os-services?binary=nova-compute',
                    headers=SERVICES_MICROVERSION)
    found = dict((s['host'], s) for s in data['services'])
    return dict((h, found.get(h, {})) for h in hosts
                if found.get(h, {}).get('state') != 'up'
                or found.get(h, {}).get('forced_down'))


def clear_forced_down(sess, service):
    """Mark a nova-compute service no longer forced down."""
    sess.request('PUT', 'compute', '/os-services/%s' % service['id'],
                 {'forced_down': False}, headers=SERVICES_MICROVERSION)


def wait_hypervisors_up(sess, hosts=L.COMPUTE_HOSTS, timeout_s=120):
    """Wait until every compute host is an enabled, up hypervisor."""
    api.wait_for(lambda: hypervisors_up(sess, hosts), timeout_s, interval=2,
                 what='compute hosts %s up' % ', '.join(hosts))
    return 'compute hosts %s up' % ', '.join(hosts)


def after_start(lay, paths, sess):
    """Map the compute hosts into the cell; wait until both are up."""
    manage = [a.format(**paths) for a in MANAGE] + [
        'cell_v2', 'discover_hosts']

    def mapped():
        with open(lay.log('setup-nova'), 'ab') as out:
            subprocess.call(manage, stdout=out, stderr=subprocess.STDOUT)
        return hypervisors_up(sess, L.COMPUTE_HOSTS)
    api.wait_for(mapped, 120, interval=2,
                 what='compute hosts %s up' % ', '.join(L.COMPUTE_HOSTS))
    return 'compute hosts %s up' % ', '.join(L.COMPUTE_HOSTS)


def tempest_conf(ctx):
    return {
        'compute': {
            'image_ref': ctx['image_id'],
            'image_ref_alt': ctx['image_id'],
            'flavor_ref': ctx['flavor'],
            'flavor_ref_alt': ctx['flavor_alt'],
            'min_compute_nodes': len(ctx['hosts']),
            'min_microversion': '2.1',
            'max_microversion': 'latest',
            'region': L.REGION,
            'build_timeout': 120,
        },
        'compute-feature-enabled': {
            'console_output': False,
            'resize': True,
            'cold_migration': True,
            'live_migration': False,
            'rescue': False,
            'suspend': True,
            'pause': True,
            'shelve': False,
            'change_password': False,
            'interface_attach': False,
            'metadata_service': False,
            'config_drive': False,
            'personality': False,
            'vnc_console': False,
            'spice_console': False,
            'serial_console': False,
            'attach_encrypted_volume': False,
            'snapshot': False,
        },
        'service_available': {'nova': True},
        'self_healing': {'compute_microversion': '2.37',
                         'compute_hosts': list(ctx['hosts'])},
    }
