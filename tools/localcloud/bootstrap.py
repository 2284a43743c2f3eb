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

"""Register the cloud in Keystone, then an image and flavors (idempotent).

The users and catalog entries are the service modules' (services.MODULES:
USERS, CATALOG, then each module's ``register``).
"""
import os

from localcloud import api
from localcloud import identity as ks
from localcloud import layout as L
from localcloud.lib import vitrage
from localcloud import services

SERVICE_PROJECT = 'service'
# The monitor's user (Vitrage's basic auth): see lib/vitrage.py.
MONITOR_USER = vitrage.MONITOR_USER
MONITOR_ROLE = vitrage.MONITOR_ROLE
ROLES = ('service', 'member', 'reader', 'heat_stack_owner', 'heat_stack_user')

IMAGE_NAME = 'localcloud-fake'
# (id, name, ram MiB, disk GiB, vcpus)
FLAVORS = (('lc-nano', 'localcloud.nano', 64, 1, 1),
           ('lc-micro', 'localcloud.micro', 128, 1, 1))


def service_users():
    return tuple(u for m in services.MODULES for u in m.USERS)


def catalog():
    """[(name, type, {interface: URL})] of every service module."""
    return [(name, stype, urls if isinstance(urls, dict)
             else ks.endpoints(urls))
            for m in services.MODULES for name, stype, urls in m.CATALOG]


def identity(sess):
    """Projects, roles, service users, catalog, each service's own part."""
    service = ks.ensure(sess, 'projects', 'projects',
                        {'name': SERVICE_PROJECT, 'domain_id': 'default'},
                        name=SERVICE_PROJECT, domain_id='default')
    roles = {}
    for name in ROLES + ('admin',):
        roles[name] = ks.ensure(sess, 'roles', 'roles', {'name': name},
                                name=name)['id']
    for name in service_users():
        user = ks.ensure_user(sess, name, service['id'])
        ks.grant(sess, service['id'], user['id'], roles['admin'])
        ks.grant(sess, service['id'], user['id'], roles['service'])
    changed = []
    for name, stype, urls in catalog():
        changed += ks.register_service(sess, name, stype, urls)
    for module in services.MODULES:
        changed += module.register(sess)
    return {'service_project_id': service['id'], 'changed': changed}


def rehash_passwords(sess, extra_users=()):
    """Store the tool's users' passwords at Keystone's configured cost.

    Keystone checks a password at the cost it was stored with, so a user
    made under an earlier setting stays slow until its password is set
    again. The admin goes last: the change revokes its tokens, so the
    session authenticates again, until a new token is accepted (Keystone
    compares revocations by the second). ``extra_users``: more names in
    the default domain. Returns the users rehashed.
    """
    wanted = [(name, 'default') for name in
              service_users() + tuple(extra_users)]
    for module in services.MODULES:
        for name, domain_name in module.EXTRA_USERS:
            if domain_name is None:
                wanted.append((name, 'default'))
                continue
            domain = ks.find(sess, 'domains', 'domains', name=domain_name)
            if domain:
                wanted.append((name, domain['id']))
    wanted.append(('admin', 'default'))
    done = []
    for name, domain_id in wanted:
        user = ks.find(sess, 'users', 'users', name=name, domain_id=domain_id)
        if user:
            sess.request('PATCH', 'identity', '/users/%s' % user['id'],
                         {'user': {'password': L.PASSWORD}})
            done.append(name)

    def accepted():
        sess.authenticate()
        return sess.request('GET', 'identity', '/users' + ks.query(
            name='admin'), expect=None)[0] == 200
    api.wait_for(accepted, 30, interval=0.5,
                 what='an admin token after its password was set again')
    return done


def image(sess, lay):
    """A small public raw image (the fake driver never reads it)."""
    found = sess.get('image', '/v2/images'
                     + ks.query(name=IMAGE_NAME))['images']
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
