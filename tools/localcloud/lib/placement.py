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

"""Placement: the resource providers the scheduler picks compute hosts from."""
from localcloud import authconf
from localcloud import entrypoints
from localcloud import ini
from localcloud import layout as L
from localcloud import process

PORT = 8778
URL = L.url(PORT)
PORTS = {'placement': PORT}
PACKAGES = ('openstack-placement',)
TUNABLES = ()

install = entrypoints.nothing


def render(lay):
    return {'placement/placement.conf': ini.render({
        'api': {'auth_strategy': 'keystone'},
        'placement_database': {'connection': L.db_url('placement')},
        'keystone_authtoken': authconf.authtoken('placement'),
    })}


prepare = entrypoints.no_changes


DATABASES = ('placement',)
DBSYNC = (
    process.create_databases(*DATABASES),
    ('{venv}/bin/placement-manage',) + process.conf('placement')
    + ('db', 'sync'),
)


def processes():
    return (process.wsgi(
        'placement', PORT, 'placement.wsgi.api:application', 'placement',
        env=(('OS_PLACEMENT_CONFIG_DIR', '{etc}/placement'),)),)


USERS = ('placement',)
EXTRA_USERS = ()
CATALOG = (('placement', 'placement', URL),)

register = entrypoints.no_changes
after_start = entrypoints.nothing
tempest_conf = entrypoints.no_options
