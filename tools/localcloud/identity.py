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

"""Keystone v3 calls the tool makes: find, ensure, grant, endpoints.

A leaf module (it imports no service module): bootstrap and the service
modules that register something of their own call it. Every function is
idempotent.
"""
import urllib.parse

from localcloud import layout as L

INTERFACES = ('public', 'internal', 'admin')


def query(**params):
    return '?' + urllib.parse.urlencode(params)


def find(sess, collection, key, **params):
    """The first item of ``collection`` matching ``params``, or None."""
    items = sess.get('identity', '/%s%s' % (collection, query(**params)))[key]
    return items[0] if items else None


def ensure(sess, collection, key, create_body, **find_params):
    """The item ``find`` finds, created from ``create_body`` if none."""
    found = find(sess, collection, key, **find_params)
    if found:
        return found
    return sess.post('identity', '/' + collection,
                     {key[:-1]: create_body})[key[:-1]]


def grant(sess, project_id, user_id, role_id, target='projects'):
    sess.request('PUT', 'identity', '/%s/%s/users/%s/roles/%s' % (
        target, project_id, user_id, role_id), expect=(200, 201, 204))


def ensure_user(sess, name, project_id=None, domain_id='default'):
    """A user with the cloud's password (in ``project_id`` by default)."""
    body = {'name': name, 'password': L.PASSWORD, 'domain_id': domain_id}
    if project_id:
        body['default_project_id'] = project_id
    return ensure(sess, 'users', 'users', body, name=name,
                  domain_id=domain_id)


def endpoints(url, internal=None):
    """{interface: URL}: ``url`` everywhere, or ``internal`` for internal."""
    urls = dict.fromkeys(INTERFACES, url)
    if internal:
        urls['internal'] = internal
    return urls


def set_endpoints(sess, service_id, urls):
    """Create or move the service's endpoints to ``urls`` {interface: URL}.

    Returns what changed, e.g. ['internal http://10.77.0.1:8774/v2.1'].
    """
    have = {e['interface']: e for e in sess.get(
        'identity', '/endpoints' + query(service_id=service_id))['endpoints']}
    changed = []
    for iface, url in urls.items():
        ep = have.get(iface)
        if ep is None:
            sess.post('identity', '/endpoints', {'endpoint': {
                'service_id': service_id, 'interface': iface, 'url': url,
                'region_id': L.REGION, 'enabled': True}})
        elif ep['url'] != url:
            sess.request('PATCH', 'identity', '/endpoints/%s' % ep['id'],
                         {'endpoint': {'url': url}})
        else:
            continue
        changed.append('%s %s' % (iface, url))
    return changed


def register_service(sess, name, stype, urls):
    """A catalog entry: the service (found by type) and its endpoints."""
    svc = ensure(sess, 'services', 'services',
                 {'name': name, 'type': stype, 'enabled': True}, type=stype)
    return set_endpoints(sess, svc['id'], urls)


def unregister_service(sess, stype):
    svc = find(sess, 'services', 'services', type=stype)
    if svc:
        for ep in sess.get('identity', '/endpoints' + query(
                service_id=svc['id']))['endpoints']:
            sess.delete('identity', '/endpoints/%s' % ep['id'])
        sess.delete('identity', '/services/%s' % svc['id'])
