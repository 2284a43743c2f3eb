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

"""Keystone: the identity service every other service registers through.

Its dbsync makes the fernet and credential keys and bootstraps the admin,
the region and the identity endpoint; it starts alone (stage 1), before
every other service.
"""
import dataclasses
import os

from localcloud import entrypoints
from localcloud import ini
from localcloud import layout as L
from localcloud import process

PORT = 5000
URL = L.url(PORT)
V3 = L.url(PORT, '/v3')
PORTS = {'keystone': PORT}

PACKAGES = ('keystone',)

install = entrypoints.nothing


TUNABLES = (
    L.Tunable('keystone', 'identity', 'password_hash_rounds', 4, 12,
              'a password check costs 1 ms, not 0.3 s of CPU: every token, '
              'trust and user the services and Tempest ask for needs one'),
    # Not for speed: the exception to the other APIs' 4 threads.
    L.Tunable('keystone', '-', 'WSGI threads of keystone', 1, '1 (uWSGI)',
              'keystone\'s auth middleware keeps the token it validated on '
              'itself, shared by the threads: two requests at once mix '
              'their tokens up (seen: a project token refused '
              'identity:create_trust as domain-scoped, a Heat stack '
              'failed); devstack runs uWSGI processes of one thread'),
)
HASH_ROUNDS = TUNABLES[0].local
THREADS_TUNABLE = TUNABLES[1]


def render(lay):
    keys = lay.data('keystone')
    return {'keystone/keystone.conf': ini.render({
        'DEFAULT': {},
        'database': {'connection': L.db_url('keystone')},
        'identity': {'password_hash_rounds': HASH_ROUNDS},
        'token': {'provider': 'fernet'},
        'fernet_tokens': {'key_repository': os.path.join(keys, 'fernet')},
        'fernet_receipts': {'key_repository': os.path.join(keys, 'fernet')},
        'credential': {'key_repository': os.path.join(keys, 'credential')},
        'cache': {'enabled': True, 'backend': 'dogpile.cache.pymemcache',
                  'memcache_servers': L.MEMCACHED},
    })}


prepare = entrypoints.no_changes


DATABASES = ('keystone',)
MANAGE = ('{venv}/bin/keystone-manage',) + process.conf('keystone')
DBSYNC = (
    process.create_databases(*DATABASES),
    MANAGE + ('db_sync',),
    MANAGE + ('fernet_setup', '--keystone-user', 'root',
              '--keystone-group', 'root'),
    MANAGE + ('credential_setup', '--keystone-user', 'root',
              '--keystone-group', 'root'),
    MANAGE + ('bootstrap', '--bootstrap-password', L.PASSWORD,
              '--bootstrap-admin-url', V3,
              '--bootstrap-internal-url', V3,
              '--bootstrap-public-url', V3,
              '--bootstrap-region-id', L.REGION),
)


def processes():
    api = process.wsgi('keystone', PORT, 'keystone.wsgi.api:application',
                       'keystone',
                       env=(('OS_KEYSTONE_CONFIG_DIR', '{etc}/keystone'),),
                       threads=THREADS_TUNABLE.local)
    return (dataclasses.replace(api, stage=1),)


USERS = ()
EXTRA_USERS = ()
CATALOG = ()        # keystone-manage bootstrap registers the identity API

register = entrypoints.no_changes
after_start = entrypoints.nothing


def tempest_conf(ctx):
    return {
        'identity': {
            'uri_v3': V3,
            'auth_version': 'v3',
            'region': L.REGION,
            'v3_endpoint_type': 'public',
        },
        'identity-feature-enabled': {'api_v2': False},
    }
