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

"""A small JSON REST client base shared by the self-healing service clients.

Every service client sends JSON (or, where the API says so, text), checks the
exact success code the API documents and hands back the body as the service
wrote it: no top-level key is stripped, so a test reads the same shape it
would find in the API reference.
"""

import urllib.parse

from oslo_serialization import jsonutils as json
from tempest.lib.common import rest_client


def quote(segment):
    """Quote one path segment: names may hold spaces, '/' or ':'."""
    return urllib.parse.quote(str(segment), safe='')


def _query_value(value):
    # Every API here parses booleans with a lowercase 'true'/'false'.
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return value


def query_string(params=None):
    """Build '?a=1&b=2' from a dict or a list of pairs, dropping None.

    A list value repeats its key, which is how WSME (Aodh) reads lists of
    query objects such as q.field/q.op/q.value.
    """
    if not params:
        return ''
    items = params.items() if hasattr(params, 'items') else params
    pairs = []
    for key, value in items:
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            pairs.extend((key, _query_value(v)) for v in value)
        else:
            pairs.append((key, _query_value(value)))
    if not pairs:
        return ''
    return '?' + urllib.parse.urlencode(pairs)


def parse_body(resp, body):
    """Wrap a decoded body so callers always get the response with it.

    Lists come back as ResponseBodyList, objects as ResponseBody, anything
    else (a bare JSON string such as an Aodh alarm state, or text) as
    ResponseBodyData.
    """
    if isinstance(body, bytes):
        body = body.decode('utf-8')
    if not body:
        return rest_client.ResponseBody(resp, {})
    try:
        data = json.loads(body)
    except ValueError:
        return rest_client.ResponseBodyData(resp, body)
    if data is None:
        return rest_client.ResponseBody(resp, {})
    if isinstance(data, dict):
        return rest_client.ResponseBody(resp, data)
    if isinstance(data, list):
        return rest_client.ResponseBodyList(resp, data)
    return rest_client.ResponseBodyData(resp, data)


class JsonRestClient(rest_client.RestClient):
    """RestClient with JSON helpers that check exact success codes.

    Error codes (4xx/5xx) are turned into tempest.lib exceptions by
    RestClient itself (NotFound, BadRequest, Conflict, Unauthorized,
    ServerFault, ...); a success code the API does not document for the
    call raises exceptions.InvalidHttpSuccessCode.
    """

    def json_request(self, method, path, expected, body=None, params=None,
                     headers=None, raw_body=False):
        """Send one request and return its parsed body.

        :param expected: the success code, or a list of them, the API
            documents for this call.
        :param body: serialised to JSON unless raw_body is true (then it is
            sent as is, e.g. Mistral's YAML text).
        :param params: query parameters, see query_string().
        :param headers: added to (and overriding) the client's defaults.
        """
        request_headers = self.get_headers()
        request_headers.update(headers or {})
        if body is not None and not raw_body:
            body = json.dumps(body)
        url = path + query_string(params)
        resp, resp_body = self.request(method, url, headers=request_headers,
                                       body=body)
        self.expected_success(expected, resp.status)
        return parse_body(resp, resp_body)

    def get_json(self, path, expected=200, params=None, headers=None):
        return self.json_request('GET', path, expected, params=params,
                                 headers=headers)

    def post_json(self, path, body, expected, params=None, headers=None,
                  raw_body=False):
        return self.json_request('POST', path, expected, body=body,
                                 params=params, headers=headers,
                                 raw_body=raw_body)

    def put_json(self, path, body, expected, params=None, headers=None):
        return self.json_request('PUT', path, expected, body=body,
                                 params=params, headers=headers)

    def patch_json(self, path, body, expected, params=None, headers=None):
        return self.json_request('PATCH', path, expected, body=body,
                                 params=params, headers=headers)

    def delete_json(self, path, expected=204, body=None, params=None,
                    headers=None):
        return self.json_request('DELETE', path, expected, body=body,
                                 params=params, headers=headers)
