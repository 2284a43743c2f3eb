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

"""Register the cloud in Keystone, then an image and flavors (idempotent)."""
import os
import urllib.parse

from localcloud import api
from localcloud import layout as L

# service name -> (catalog type, endpoint URL)
CATALOG = {
    'placement': ('placement', L.url('placement')),
    'nova': ('compute', L.url('nova-api', '/v2.1')),
    'glance': ('image', L.url('glance')),
    'neutron': ('network', L.url('neutron')),
    'heat': ('orchestration', L.url('heat-api', '/v1/%(tenant_id)s')),
    'mistral': ('workflowv2', L.url('mistral', '/v2')),
    'zaqar': ('messaging', L.url('zaqar')),
    'aodh': ('alarming', L.url('aodh-api')),
    'vitrage': ('rca', L.url('vitrage-api')),
}
SERVICE_USERS = ('placement', 'nova', 'glance', 'neutron', 'heat', 'mistral',
                 'zaqar', 'aodh', 'ceilometer', 'vitrage')
MONITOR_USER = 'alertmanager'
# Vitrage's basic auth scopes the monitor's password to its
# [service_credentials] project_name: the monitor needs a role there. The
# devstack plugin gives its monitor user the same role in the project it
# names there (unit_tests/devstack/test_plugin_sh.py proves they agree).
SERVICE_PROJECT = 'service'
MONITOR_ROLE = 'admin'
ROLES = ('service', 'member', 'reader', 'heat_stack_owner', 'heat_stack_user')

IMAGE_NAME = 'localcloud-fake'
# (id, name, ram MiB, disk GiB, vcpus)
FLAVORS = (('lc-nano', 'localcloud.nano', 64, 1, 1),
           ('lc-micro', 'localcloud.micro', 128, 1, 1))


def _q(**params):
    return '?' + urllib.parse.urlencode(params)


def _find(sess, collection, key, **params):
    items = sess.get('identity', '/%s%s' % (collection, _q(**params)))[key]
    return items[0] if items else None


def _ensure(sess, collection, key, create_body, **find):
    found = _find(sess, collection, key, **find)
    if found:
        return found
    return sess.post('identity', '/' + collection,
                     {key[:-1]: create_body})[key[:-1]]


def _grant(sess, project_id, user_id, role_id, target='projects'):
    sess.request('PUT', 'identity', '/%s/%s/users/%s/roles/%s' % (
        target, project_id, user_id, role_id), expect=(200, 201, 204))


def identity(sess):
    """Projects, roles, service users, catalog, Heat's stack user domain."""
    service = _ensure(sess, 'projects', 'projects',
                      {'name': SERVICE_PROJECT, 'domain_id': 'default'},
                      name=SERVICE_PROJECT, domain_id='default')
    roles = {}
    for name in ROLES + ('admin',):
        roles[name] = _ensure(sess, 'roles', 'roles', {'name': name},
                              name=name)['id']
    for name in SERVICE_USERS:
        user = _ensure(sess, 'users', 'users', {
            'name': name, 'password': L.PASSWORD, 'domain_id': 'default',
            'default_project_id': service['id']},
            name=name, domain_id='default')
        _grant(sess, service['id'], user['id'], roles['admin'])
        _grant(sess, service['id'], user['id'], roles['service'])
    # The monitor posts alerts to Vitrage with basic auth; Vitrage takes the
    # user's first role, so it has exactly one.
    monitor = _ensure(sess, 'users', 'users', {
        'name': MONITOR_USER, 'password': L.PASSWORD, 'domain_id': 'default',
        'default_project_id': service['id']},
        name=MONITOR_USER, domain_id='default')
    _grant(sess, service['id'], monitor['id'], roles[MONITOR_ROLE])
    for name, (stype, url) in CATALOG.items():
        svc = _ensure(sess, 'services', 'services',
                      {'name': name, 'type': stype, 'enabled': True},
                      type=stype)
        have = {e['interface'] for e in sess.get(
            'identity', '/endpoints' + _q(service_id=svc['id']))['endpoints']}
        for iface in ('public', 'internal', 'admin'):
            if iface not in have:
                sess.post('identity', '/endpoints', {'endpoint': {
                    'service_id': svc['id'], 'interface': iface, 'url': url,
                    'region_id': L.REGION, 'enabled': True}})
    domain = _ensure(sess, 'domains', 'domains',
                     {'name': 'heat', 'description': 'Heat stack users'},
                     name='heat')
    hda = _ensure(sess, 'users', 'users', {
        'name': 'heat_domain_admin', 'password': L.PASSWORD,
        'domain_id': domain['id']},
        name='heat_domain_admin', domain_id=domain['id'])
    _grant(sess, domain['id'], hda['id'], roles['admin'], target='domains')
    return {'service_project_id': service['id']}


def rehash_passwords(sess, extra_users=()):
    """Store the tool's users' passwords at Keystone's configured cost.

    Keystone checks a password at the cost it was stored with, so a user
    made under an earlier setting stays slow until its password is set
    again. The admin goes last: the change revokes its tokens, so the
    session authenticates again, until a new token is accepted (Keystone
    compares revocations by the second). Returns the users rehashed.
    """
    wanted = [(name, 'default') for name in
              SERVICE_USERS + (MONITOR_USER,) + tuple(extra_users)]
    heat = _find(sess, 'domains', 'domains', name='heat')
    if heat:
        wanted.append(('heat_domain_admin', heat['id']))
    wanted.append(('admin', 'default'))
    done = []
    for name, domain_id in wanted:
        user = _find(sess, 'users', 'users', name=name, domain_id=domain_id)
        if user:
            sess.request('PATCH', 'identity', '/users/%s' % user['id'],
                         {'user': {'password': L.PASSWORD}})
            done.append(name)

    def accepted():
        sess.authenticate()
        return sess.request('GET', 'identity', '/users' + _q(name='admin'),
                            expect=None)[0] == 200
    api.wait_for(accepted, 30, interval=0.5,
                 what='an admin token after its password was set again')
    return done


def image(sess, lay):
    """A small public raw image (the fake driver never reads it)."""
    found = sess.get('image', '/v2/images' + _q(name=IMAGE_NAME))['images']
    active = [i for i in found if i['status'] == 'active']
    if active:
        return active[0]['id']
    for stale in found:
        sess.delete('image', '/v2/images/%s' % stale['id'])
    img = sess.post('image', '/v2/images', {
        'name': IMAGE_NAME, 'disk_format': 'raw', 'container_format': 'bare',
        'visibility': 'public', 'min_disk': 0, 'min_ram': 0})
    path = lay.data('localcloud-fake.img')
    if not os.path.exists(path):
        with open(path, 'wb') as f:
            f.write(os.urandom(1 << 20))
    with open(path, 'rb') as f:
        sess.request('PUT', 'image', '/v2/images/%s/file' % img['id'],
                     raw_body=f.read(), expect=(204,))
    return img['id']


def flavors(sess):
    have = {f['id'] for f in sess.get(
        'compute', '/flavors?is_public=None')['flavors']}
    for fid, name, ram, disk, vcpus in FLAVORS:
        if fid not in have:
            sess.post('compute', '/flavors', {'flavor': {
                'id': fid, 'name': name, 'ram': ram, 'disk': disk,
                'vcpus': vcpus}})
    return [f[0] for f in FLAVORS]


def hypervisors_up(sess, hosts):
    """True once every compute host is an enabled, up hypervisor."""
    data = sess.get('compute', '/os-hypervisors/detail',
                    headers={'OpenStack-API-Version': 'compute 2.53'})
    up = {h['service']['host'] for h in data['hypervisors']
          if h['state'] == 'up' and h['status'] == 'enabled'}
    return set(hosts) <= up
