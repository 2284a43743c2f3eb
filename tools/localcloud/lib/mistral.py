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

"""Mistral: the flows' workflows (``mistral-server --server api,engine``).

The event-engine of mistral-server spins a core: not started. The executor
is of type local (actions run inside the engine process), so no separate
executor server either; nor the notifier server, which only serves
executions that ask for webhook notifications (add it to the ``--server``
list if a flow needs it).
"""
from localcloud import authconf
from localcloud import checks
from localcloud import entrypoints
from localcloud import flows
from localcloud import layout as L
from localcloud import process

PORT = 8989
URL = L.url(PORT, '/v2')
PORTS = {'mistral': PORT}
PACKAGES = ('mistral', 'mistral-extra')
TUNABLES = (
    L.Tunable('mistral', 'api', 'api_workers', 1, 'CPU count',
              'one API worker'),
    L.Tunable('mistral', 'executor', 'type', 'local', 'remote',
              'the executor runs inside the one mistral-server process'),
)
_TUN = {t.option: t.local for t in TUNABLES}

install = entrypoints.nothing


def render(lay):
    return {'mistral/mistral.conf': flows.with_flows('mistral/mistral.conf', {
        'DEFAULT': {'transport_url': L.TRANSPORT_URL},
        'api': {'host': L.HOST, 'port': PORT,
                'api_workers': _TUN['api_workers']},
        'database': {'connection': L.db_url('mistral')},
        'pecan': {'auth_enable': True},
        'executor': {'type': _TUN['type']},
        # Cron triggers (unused here) run in the API's master process, and
        # every Mistral DB transaction holds one process-wide lock: a fork
        # of the API and engine workers while the master's cron loop was in
        # a transaction left both workers holding a lock no thread of theirs
        # owns, and Mistral never answered again (Heat stacks stuck
        # creating or deleting their workflows).
        'cron_trigger': {'enabled': False},
        # std.http refuses loopback by default (SSRF), and this cloud's APIs
        # are all on loopback: seed 002's service-side workflow posts to
        # Zaqar there. The allow-list keeps every other host out (the
        # metadata address included), so the loopback deny goes.
        'action_std_http': {'allowed_hosts': L.HOST, 'denied_cidrs': ''},
        'oslo_messaging_notifications': {'driver': 'noop'},
        'keystone_authtoken': authconf.authtoken('mistral'),
    })}


prepare = entrypoints.no_changes


DATABASES = ('mistral',)
MANAGE = ('{venv}/bin/mistral-db-manage',) + process.conf('mistral')
DBSYNC = (
    process.create_databases(*DATABASES),
    MANAGE + ('upgrade', 'head'),
    MANAGE + ('populate',),
)


def processes():
    return (process.Service(
        'mistral', 2, ('{venv}/bin/mistral-server', '--server',
                       'api,engine') + process.conf('mistral'),
        checks.All((checks.Http(L.url(PORT, '/')),
                    checks.Queue('mistral_engine'))),
        ports=(PORT,), project='mistral'),)


USERS = ('mistral',)
EXTRA_USERS = ()
CATALOG = (('mistral', 'workflowv2', URL),)

register = entrypoints.no_changes
after_start = entrypoints.nothing


def tempest_conf(ctx):
    return {'service_available': {'mistral': True}}
