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

"""Heat: the stacks of every flow (AutoScalingGroups, alarms, triggers).

Heat finds its stack user domain by name (``stack_user_domain_name =
heat``), so its config does not depend on an id made at bootstrap.
"""
import os

from localcloud import authconf
from localcloud import checks
from localcloud import entrypoints
from localcloud import files
from localcloud import flows
from localcloud import identity
from localcloud import layout as L
from localcloud.lib import keystone
from localcloud import process

PORT = 8004
URL = L.url(PORT, '/v1/%(tenant_id)s')
PORTS = {'heat-api': PORT}
PACKAGES = ('openstack-heat',)
TUNABLES = (
    L.Tunable('heat', 'DEFAULT', 'num_engine_workers', 1, 'CPU count',
              'one engine worker on 2 cores'),
)
STACK_DOMAIN = 'heat'
STACK_DOMAIN_ADMIN = 'heat_domain_admin'

install = entrypoints.nothing


def render(lay):
    conf = {
        'DEFAULT': {
            'transport_url': L.TRANSPORT_URL,
            'heat_metadata_server_url': 'http://%s:8000' % L.HOST,
            'heat_waitcondition_server_url':
                'http://%s:8000/v1/waitcondition' % L.HOST,
            'stack_domain_admin': STACK_DOMAIN_ADMIN,
            'stack_domain_admin_password': L.PASSWORD,
            'stack_user_domain_name': STACK_DOMAIN,
            'num_engine_workers': TUNABLES[0].local,
            'region_name_for_services': L.REGION,
            'environment_dir': lay.etc('heat', 'environment.d'),
            'template_dir': lay.etc('heat', 'templates'),
            'convergence_engine': True,
        },
        'database': {'connection': L.db_url('heat')},
        'paste_deploy': {'api_paste_config': lay.etc('heat', 'api-paste.ini')},
        'heat_api': {'bind_host': L.HOST, 'workers': 1},
        'trustee': authconf.trustee('heat'),
        'clients_keystone': {'auth_uri': keystone.URL},
        'clients': {'endpoint_type': 'public'},
        'oslo_messaging_notifications': {'driver': 'messagingv2'},
        'keystone_authtoken': authconf.authtoken('heat'),
        'oslo_policy': {'policy_file': lay.etc('heat', 'policy.yaml')},
    }
    return {'heat/heat.conf': flows.with_flows('heat/heat.conf', conf),
            # The job's leak check lists every project's stacks (Heat
            # denies that to everybody by default).
            'heat/policy.yaml': '"stacks:global_index": "role:admin"\n'}


def prepare(lay):
    for item in ('api-paste.ini', 'environment.d', 'templates'):
        files.copy(os.path.join(lay.venv, 'etc', 'heat', item),
                   lay.etc('heat', item))
    return []


DATABASES = ('heat',)
DBSYNC = (
    process.create_databases(*DATABASES),
    ('{venv}/bin/heat-manage',) + process.conf('heat') + ('db_sync',),
)


def processes():
    return (
        process.wsgi('heat-api', PORT, 'heat.wsgi.api:application', 'heat',
                     app_args=process.conf('heat')),
        # heat-engine stops serving RPC when run without fork: it keeps its
        # supervising parent.
        process.Service('heat-engine', 2,
                        ('{venv}/bin/heat-engine',) + process.conf('heat'),
                        checks.Queue('engine'), project='heat'),
    )


USERS = ('heat',)
# (name, domain name) of users made by ``register``: their passwords are
# set again when Keystone's hash cost changes.
EXTRA_USERS = ((STACK_DOMAIN_ADMIN, STACK_DOMAIN),)
CATALOG = (('heat', 'orchestration', URL),)


def register(sess):
    """Heat's stack user domain and its admin."""
    admin = identity.find(sess, 'roles', 'roles', name='admin')
    domain = identity.ensure(sess, 'domains', 'domains',
                             {'name': STACK_DOMAIN,
                              'description': 'Heat stack users'},
                             name=STACK_DOMAIN)
    hda = identity.ensure_user(sess, STACK_DOMAIN_ADMIN,
                               domain_id=domain['id'])
    identity.grant(sess, domain['id'], hda['id'], admin['id'],
                   target='domains')
    return []


after_start = entrypoints.nothing


def tempest_conf(ctx):
    return {'orchestration': {'instance_type': ctx['flavor'],
                              'image_ref': ctx['image_id'],
                              'region': L.REGION,
                              'stack_owner_role': 'member'},
            'service_available': {'heat': True}}
