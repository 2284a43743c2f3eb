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

"""Neutron: the real neutron-server, ML2 with no mechanism driver, no agents.

Servers on this cloud have no ports; Nova still asks the Networking API
for ports and security groups.
"""
import os

from localcloud import authconf
from localcloud import entrypoints
from localcloud import files
from localcloud import flows
from localcloud import layout as L
from localcloud import process

PORT = 9696
URL = L.url(PORT)
PORTS = {'neutron': PORT}
PACKAGES = ('neutron',)
TUNABLES = (
    L.Tunable('neutron', 'DEFAULT', 'rpc_workers', 0, 'half the CPUs',
              'no agents, so no RPC workers'),
)


install = entrypoints.nothing


def render(lay):
    return {'neutron/neutron.conf': flows.with_flows('neutron/neutron.conf', {
        'DEFAULT': {
            'core_plugin': 'ml2',
            'service_plugins': '',
            'auth_strategy': 'keystone',
            'transport_url': L.TRANSPORT_URL,
            'api_paste_config': lay.etc('neutron', 'api-paste.ini'),
            'api_workers': 1,
            'rpc_workers': TUNABLES[0].local,
            'rpc_state_report_workers': 0,
            'notify_nova_on_port_status_changes': False,
            'notify_nova_on_port_data_changes': False,
            'state_path': lay.data('neutron'),
        },
        'database': {'connection': L.db_url('neutron')},
        'keystone_authtoken': authconf.authtoken('neutron'),
        'oslo_concurrency': {'lock_path': lay.data('neutron', 'locks')},
        'ml2': {'type_drivers': 'flat,vlan', 'tenant_network_types': '',
                'mechanism_drivers': '', 'extension_drivers': 'port_security'},
        'ml2_type_flat': {'flat_networks': '*'},
        'nova': authconf.service_auth('nova'),
    })}


def prepare(lay):
    files.copy(os.path.join(lay.venv, 'etc', 'neutron', 'api-paste.ini'),
               lay.etc('neutron', 'api-paste.ini'))
    return []


DATABASES = ('neutron',)
DBSYNC = (
    process.create_databases(*DATABASES),
    ('{venv}/bin/neutron-db-manage',) + process.conf('neutron')
    + ('upgrade', 'heads'),
)


def processes():
    return (process.wsgi('neutron', PORT, 'neutron.wsgi.api:application',
                         'neutron', app_args=process.conf('neutron')),)


USERS = ('neutron',)
EXTRA_USERS = ()
CATALOG = (('neutron', 'network', URL),)

register = entrypoints.no_changes
after_start = entrypoints.nothing


def tempest_conf(ctx):
    return {
        'network': {
            'project_networks_reachable': False,
            'shared_physical_network': False,
            'public_network_id': '',
            'floating_network_name': '',
            'region': L.REGION,
        },
        'network-feature-enabled': {'ipv6': False, 'floating_ips': False},
        'service_available': {'neutron': True},
    }
