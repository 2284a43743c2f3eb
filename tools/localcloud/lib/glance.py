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

"""Glance: images on the file store (the fake driver never reads them)."""
import os

from localcloud import authconf
from localcloud import entrypoints
from localcloud import files
from localcloud import hostnet
from localcloud import ini
from localcloud import layout as L
from localcloud import process

PORT = 9292
URL = L.url(PORT)
PORTS = {'glance': PORT}
PACKAGES = ('glance',)
TUNABLES = ()

install = entrypoints.nothing


def render(lay):
    return {'glance/glance-api.conf': ini.render({
        'DEFAULT': {'enabled_backends': 'fs:file',
                    'transport_url': L.TRANSPORT_URL},
        'glance_store': {'default_backend': 'fs'},
        'fs': {'filesystem_store_datadir': lay.data('glance', 'images')},
        'os_glance_staging_store': {
            'filesystem_store_datadir': lay.data('glance', 'staging')},
        'os_glance_tasks_store': {
            'filesystem_store_datadir': lay.data('glance', 'tasks')},
        'database': {'connection': L.db_url('glance')},
        'paste_deploy': {'flavor': 'keystone'},
        'oslo_messaging_notifications': {'driver': 'noop'},
        'keystone_authtoken': authconf.authtoken('glance'),
    })}


def prepare(lay):
    files.copy(os.path.join(lay.venv, 'etc', 'glance', 'glance-api-paste.ini'),
               lay.etc('glance', 'glance-api-paste.ini'))
    return []


DATABASES = ('glance',)
DBSYNC = (
    process.create_databases(*DATABASES),
    ('{venv}/bin/glance-manage', '--config-dir', '{etc}/glance', 'db_sync'),
)


def processes():
    return (process.wsgi(
        'glance', PORT, 'glance.wsgi.api:application', 'glance',
        env=(('OS_GLANCE_CONFIG_DIR', '{etc}/glance'),)),)


USERS = ('glance',)
EXTRA_USERS = ()
# The internal endpoint is the compute hosts' (their polling agents look
# each server's image up there): at the controller address.
CATALOG = (('glance', 'image', {
    'public': URL, 'admin': URL,
    'internal': hostnet.controller_url(PORT)}),)


register = entrypoints.no_changes
after_start = entrypoints.nothing


def tempest_conf(ctx):
    return {'image': {'region': L.REGION},
            'service_available': {'glance': True}}
