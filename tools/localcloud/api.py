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

"""A small OpenStack REST client on urllib (stdlib only)."""
import json
import time
import urllib.error
import urllib.request

from localcloud import layout as L
from localcloud.lib import keystone


class ApiError(RuntimeError):
    def __init__(self, method, url, status, body):
        super().__init__('%s %s -> %s: %s' % (method, url, status, body[:500]))
        self.status = status
        self.body = body


class Session:
    """A project-scoped token and the catalog that came with it."""

    def __init__(self, username='admin', password=L.PASSWORD,
                 project='admin', auth_url=None, timeout=60):
        self.auth_url = auth_url or keystone.V3
        self.username = username
        self.password = password
        self.project = project
        self.timeout = timeout
        self.token = None
        self.catalog = {}
        self.project_id = None
        self.user_id = None
        self.authenticate()

    def authenticate(self):
        body = {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': self.username, 'domain': {'id': 'default'},
                'password': self.password}}},
            'scope': {'project': {'name': self.project,
                                  'domain': {'id': 'default'}}}}}
        status, headers, data = raw_request(
            'POST', self.auth_url + '/auth/tokens', body, timeout=self.timeout)
        self.token = headers['X-Subject-Token']
        tok = data['token']
        self.project_id = tok['project']['id']
        self.user_id = tok['user']['id']
        self.catalog = {}
        for svc in tok.get('catalog', []):
            for ep in svc['endpoints']:
                if ep['interface'] == 'public':
                    self.catalog[svc['type']] = ep['url']

    def endpoint(self, service_type):
        if service_type == 'identity':
            return self.auth_url
        try:
            return self.catalog[service_type].rstrip('/')
        except KeyError:
            raise RuntimeError('no %s endpoint in the catalog'
                               % service_type) from None

    def request(self, method, service_type, path, body=None, headers=None,
                raw_body=None, expect=(200, 201, 202, 204)):
        url = self.endpoint(service_type) + path
        hdrs = {'X-Auth-Token': self.token}
        hdrs.update(headers or {})
        status, _, data = raw_request(method, url, body, hdrs,
                                      raw_body=raw_body, timeout=self.timeout)
        if expect and status not in expect:
            raise ApiError(method, url, status, json.dumps(data))
        return status, data

    def get(self, service_type, path, **kw):
        return self.request('GET', service_type, path, **kw)[1]

    def post(self, service_type, path, body, **kw):
        return self.request('POST', service_type, path, body, **kw)[1]

    def delete(self, service_type, path, **kw):
        kw.setdefault('expect', (200, 202, 204, 404))
        return self.request('DELETE', service_type, path, **kw)[0]


def raw_request(method, url, body=None, headers=None, raw_body=None,
                timeout=60):
    """Returns (status, headers, decoded JSON or text). HTTP errors too."""
    hdrs = {'Accept': 'application/json'}
    data = None
    if raw_body is not None:
        data = raw_body
        hdrs['Content-Type'] = 'application/octet-stream'
    elif body is not None:
        data = json.dumps(body).encode()
        hdrs['Content-Type'] = 'application/json'
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, _decode(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers, _decode(e.read())


def _decode(data):
    if not data:
        return {}
    try:
        return json.loads(data)
    except ValueError:
        return data.decode(errors='replace')


def wait_for(predicate, timeout, interval=1.0, what='condition'):
    """Poll ``predicate`` until it returns a truthy value or time runs out."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, ApiError, RuntimeError, KeyError) as e:
            last_exc = e
        if time.monotonic() >= deadline:
            raise TimeoutError('timed out after %ds waiting for %s%s' % (
                timeout, what, (' (last error: %s)' % last_exc)
                if last_exc else ''))
        time.sleep(interval)
