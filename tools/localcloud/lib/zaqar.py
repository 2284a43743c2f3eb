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

"""Zaqar: the queues a flow's alarm posts to (Redis message store)."""
from localcloud import authconf
from localcloud import checks
from localcloud import entrypoints
from localcloud import flows
from localcloud import layout as L
from localcloud import process

PORT = 8888
URL = L.url(PORT)
PORTS = {'zaqar': PORT}
PACKAGES = ('zaqar',)
TUNABLES = ()

install = entrypoints.nothing


def render(lay):
    return {'zaqar/zaqar.conf': flows.with_flows('zaqar/zaqar.conf', {
        'DEFAULT': {'auth_strategy': 'keystone', 'unreliable': True},
        'drivers': {'transport': 'wsgi', 'message_store': 'redis',
                    'management_store': 'sqlalchemy'},
        'drivers:message_store:redis': {'uri': L.REDIS_URL},
        'drivers:management_store:sqlalchemy': {'uri': L.db_url('zaqar')},
        'drivers:transport:wsgi': {'bind': L.HOST, 'port': PORT},
        'notification': {'require_confirmation': False},
        'storage': {'message_pipeline': 'zaqar.notification.notifier'},
        'keystone_authtoken': authconf.authtoken('zaqar'),
        # Without a trustee, trust subscriptions (MistralTrigger) fail: 503.
        'trustee': authconf.trustee('zaqar'),
        # Signed queue URLs (OS::Zaqar::SignedQueueURL): seed 002's Vitrage
        # workflow, a service user's, posts to the project's queue with one.
        'signed_url': {'secret_key': L.PASSWORD},
    })}


prepare = entrypoints.no_changes


DATABASES = ('zaqar',)
DBSYNC = (
    process.create_databases(*DATABASES),
    ('{venv}/bin/zaqar-sql-db-manage',) + process.conf('zaqar')
    + ('upgrade', 'head'),
)


def processes():
    return (process.Service(
        'zaqar', 2, ('{venv}/bin/zaqar-server',) + process.conf('zaqar'),
        checks.Http(L.url(PORT, '/')), ports=(PORT,), project='zaqar'),)


USERS = ('zaqar',)
EXTRA_USERS = ()
CATALOG = (('zaqar', 'messaging', URL),)

register = entrypoints.no_changes
after_start = entrypoints.nothing


def tempest_conf(ctx):
    return {'service_available': {'zaqar': True}}
