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

"""What a test run left behind: the cloud's resources before and after.

The suite must delete everything it makes (stacks, alarms, workflows,
executions, Vitrage templates, trusts, servers, flavors, traits, the
Tempest projects and users). Tempest's own cleanup sees only the core
services, so ``self-healing-leaks snapshot`` takes an inventory before
``tempest run`` and ``self-healing-leaks compare`` one after: anything new
is a leak, and the command exits 1 naming each one. It reads the admin
credentials and the catalog types from a tempest.conf. The Zuul jobs and
the local cloud (``localcloud job``) both run it.

Zaqar queues are per project and cannot be listed across projects: they
are not in the inventory (each run's projects are, and go with them).
"""

import argparse
import json
import sys

from oslo_config import cfg
from tempest import config as tempest_config
from tempest.lib import auth
from tempest.lib.common import rest_client
from tempest.lib import exceptions as lib_exc

from self_healing_tempest_plugin import config as sh_config

PLACEMENT_TRAITS = {'OpenStack-API-Version': 'placement 1.6'}

# kind -> (service, path, reply key, id key, label keys, headers). The
# service is a key of ``catalog_types``; a reply key None means the reply
# is the list, an id key None a list of names.
KINDS = (
    ('project', 'identity', '/projects', 'projects', 'id', ('name',), None),
    ('user', 'identity', '/users', 'users', 'id', ('name',), None),
    ('trust', 'identity', '/OS-TRUST/trusts', 'trusts', 'id',
     ('trustor_user_id',), None),
    ('server', 'compute', '/servers?all_tenants=1', 'servers', 'id',
     ('name',), None),
    ('flavor', 'compute', '/flavors?is_public=None', 'flavors', 'id',
     ('name',), None),
    ('stack', 'orchestration', '/stacks?global_tenant=True&show_nested=True',
     'stacks', 'id', ('stack_name',), None),
    ('alarm', 'alarming',
     '/v2/alarms?q.field=all_projects&q.op=eq&q.value=true', None,
     'alarm_id', ('name',), None),
    ('workflow', 'workflow', '/workflows?all_projects=true', 'workflows',
     'id', ('name',), None),
    ('execution', 'workflow', '/executions?all_projects=true',
     'executions', 'id', ('workflow_name',), None),
    ('vitrage template', 'rca', '/v1/template/', None, 'uuid', ('name',),
     None),
    ('placement trait', 'placement', '/traits?name=startswith:CUSTOM_',
     'traits', None, (), PLACEMENT_TRAITS),
)
# Keystone's catalog entry names no API version; its paths are v3's.
IDENTITY_API_VERSION = 'v3'


def _ids(items, key='id', label=('name',)):
    found = {}
    for item in items:
        name = next((item.get(k) for k in label if item.get(k)), '')
        found[str(item[key])] = str(name)
    return found


def inventory(session):
    """{kind: {id: label}} of everything the suite could leave behind.

    ``session.get(service, path, headers)`` returns a reply's JSON;
    a service missing from ``session.catalog`` is not asked (Keystone is
    always there).
    """
    found = {}
    for kind, service, path, reply_key, key, label, headers in KINDS:
        if service != 'identity' and service not in session.catalog:
            continue
        reply = session.get(service, path, headers=headers)
        items = reply[reply_key] if reply_key else reply
        if key is None:
            found[kind] = dict((name, name) for name in items)
        else:
            found[kind] = _ids(items, key, label)
    return found


def new_since(before, after):
    """[(kind, id, label)] in ``after`` but not in ``before``."""
    leaked = []
    for kind, items in sorted(after.items()):
        old = before.get(kind, {})
        leaked.extend((kind, i, label) for i, label in sorted(items.items())
                      if i not in old)
    return leaked


def report(leaked, listed=None):
    """Lines naming each leaked resource, or one saying there is none.

    ``listed``: the kinds the inventory could list (a service missing from
    the catalog is not asked, so its kind is not claimed clean).
    """
    if not leaked:
        kinds = [k[0] for k in KINDS if listed is None or k[0] in listed]
        return ['no resource left behind (%s)' % ', '.join(kinds)]
    return ['LEAKED %d resource(s) the run made and did not delete:'
            % len(leaked)] + ['  %s %s (%s)' % item for item in leaked]


# -- the cloud, from a tempest.conf
def load_config(path):
    """The options the inventory needs, from the tempest.conf at ``path``.

    Tempest's own [auth] and [identity] options and the plugin's
    [self_healing] catalog types, with their defaults.
    """
    conf = cfg.ConfigOpts()
    for group, opts in ((tempest_config.auth_group,
                         tempest_config.AuthGroup),
                        (tempest_config.identity_group,
                         tempest_config.IdentityGroup),
                        (sh_config.self_healing_group,
                         sh_config.SelfHealingGroup)):
        conf.register_group(group)
        conf.register_opts(opts, group=group)
    try:
        conf(args=[], project='tempest', default_config_files=[path])
    except cfg.Error as exc:
        raise ValueError('%s: not a readable tempest.conf: %s' % (path, exc))
    missing = [name for name in ('admin_username', 'admin_password',
                                 'admin_project_name')
               if not getattr(conf.auth, name)]
    if missing or not conf.identity.uri_v3:
        raise ValueError('%s: the leak inventory needs [auth] admin '
                         'credentials and [identity] uri_v3; missing: %s'
                         % (path, ', '.join(
                             ['[auth] %s' % m for m in missing] +
                             ([] if conf.identity.uri_v3 else
                              ['[identity] uri_v3']))))
    return conf


def catalog_types(conf):
    """Catalog type of each service the inventory lists."""
    sh = conf.self_healing
    return {
        'identity': conf.identity.catalog_type,
        'compute': 'compute',
        'placement': 'placement',
        'orchestration': sh.orchestration_catalog_type,
        'alarming': sh.alarming_catalog_type,
        'workflow': sh.workflow_catalog_type,
        'rca': sh.rca_catalog_type,
    }


class Session(object):
    """Admin GETs of one cloud, through tempest.lib's REST client."""

    def __init__(self, auth_provider, types, region, endpoint_type,
                 **client_kwargs):
        self.auth_provider = auth_provider
        self.types = types
        self.region = region
        self.endpoint_type = endpoint_type
        self.client_kwargs = client_kwargs
        _, auth_data = auth_provider.get_auth()
        offered = set(entry.get('type') for entry in
                      auth_data.get('catalog', []))
        self.catalog = set(service for service, type_ in types.items()
                           if type_ in offered)

    @classmethod
    def from_config(cls, conf):
        ssl = dict(disable_ssl_certificate_validation=(
            conf.identity.disable_ssl_certificate_validation),
            ca_certs=conf.identity.ca_certificates_file)
        credentials = auth.KeystoneV3Credentials(
            username=conf.auth.admin_username,
            password=conf.auth.admin_password,
            project_name=conf.auth.admin_project_name,
            user_domain_name=conf.auth.admin_domain_name,
            project_domain_name=conf.auth.admin_domain_name)
        provider = auth.KeystoneV3AuthProvider(
            credentials, conf.identity.uri_v3, **ssl)
        return cls(provider, catalog_types(conf), conf.identity.region,
                   conf.identity.v3_endpoint_type, **ssl)

    def client(self, service):
        client = rest_client.RestClient(
            self.auth_provider, self.types[service], self.region,
            endpoint_type=self.endpoint_type, **self.client_kwargs)
        if service == 'identity':
            client.api_version = IDENTITY_API_VERSION
        return client

    def get(self, service, path, headers=None):
        client = self.client(service)
        sent = dict(client.get_headers(), **(headers or {}))
        _, body = client.get(path.lstrip('/'), headers=sent)
        return json.loads(body)


# -- the command
def _read(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError) as exc:
        raise ValueError('%s: no inventory to compare with (%s); take it '
                         'with "self-healing-leaks snapshot" before the run'
                         % (path, exc))


def _write(path, found):
    with open(path, 'w') as handle:
        json.dump(found, handle, indent=1, sort_keys=True)


def build_parser():
    parser = argparse.ArgumentParser(
        prog='self-healing-leaks',
        description='Inventory of the resources a self-healing Tempest run '
                    'could leave behind, before and after the run.')
    parser.add_argument('--config-file', required=True,
                        help='tempest.conf with [auth] admin credentials')
    sub = parser.add_subparsers(dest='command', required=True)
    snap = sub.add_parser('snapshot', help='write the inventory as JSON')
    snap.add_argument('--output', required=True, help='JSON file to write')
    comp = sub.add_parser('compare', help='exit 1 when the cloud holds '
                          'resources the snapshot did not')
    comp.add_argument('--before', required=True,
                      help='JSON file of the snapshot before the run')
    comp.add_argument('--output', help='also write the inventory after the '
                      'run to this JSON file')
    return parser


def main(argv=None, session_factory=None):
    """0: nothing leaked (or snapshot written); 1: leaks; 2: bad input."""
    args = build_parser().parse_args(argv)
    factory = session_factory or (lambda path: Session.from_config(
        load_config(path)))
    try:
        before = _read(args.before) if args.command == 'compare' else None
        session = factory(args.config_file)
        found = inventory(session)
    except ValueError as exc:
        print('self-healing-leaks: %s' % exc, file=sys.stderr)
        return 2
    except (lib_exc.TempestException, OSError) as exc:
        print('self-healing-leaks: could not list the cloud\'s resources '
              '(%s): %s' % (args.config_file, exc), file=sys.stderr)
        return 2
    if args.output:
        _write(args.output, found)
    if args.command == 'snapshot':
        print('inventory of %s written to %s' % (', '.join(
            '%d %s' % (len(items), kind) for kind, items in
            sorted(found.items())), args.output))
        return 0
    leaked = new_since(before, found)
    print('\n'.join(report(leaked, found)))
    return 1 if leaked else 0


if __name__ == '__main__':
    sys.exit(main())
