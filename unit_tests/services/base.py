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

"""Fakes at the HTTP boundary and a table runner for the client tests.

Only the HTTP layer (the client's http_obj.request) and the auth provider
are fake: URL joining, api_version handling, headers, status checks and
error mapping all run through tempest.lib's RestClient as in a real job.

A test class lists CASES, one per client call, and @with_cases turns each
into three tests: the request sent and the body returned, error statuses
mapped to tempest.lib exceptions, and an undocumented success status
refused.
"""

import urllib.parse

from oslo_serialization import jsonutils as json
from tempest.lib import auth
from tempest.lib import exceptions
import testtools

TOKEN = 'fake-token'
NO_BODY = object()

ERRORS = (
    (400, exceptions.BadRequest),
    (401, exceptions.Unauthorized),
    (404, exceptions.NotFound),
    (409, exceptions.Conflict),
    (500, exceptions.ServerFault),
)


class FakeAuthProvider(object):
    """Joins catalog URL and path the way KeystoneAuthProvider does."""

    def __init__(self, catalog_url):
        self.catalog_url = catalog_url

    def base_url(self, filters, auth_data=None):
        return auth.apply_url_filters(self.catalog_url, filters)

    def auth_request(self, method, url, headers=None, body=None,
                     filters=None):
        headers = dict(headers or {}, **{'X-Auth-Token': TOKEN})
        return '%s/%s' % (self.base_url(filters), url), headers, body

    def get_token(self):
        return TOKEN


class FakeResponse(dict):
    """What tempest.lib.common.http hands back: headers dict + status."""

    def __init__(self, status, headers=None):
        super(FakeResponse, self).__init__(
            (k.lower(), v) for k, v in (headers or {}).items())
        self.status = status
        self['status'] = str(status)
        self.reason = 'fake'


class FakeHttp(object):
    """Records each request and answers from a queue of responses."""

    def __init__(self, responses):
        self.responses = list(responses)
        self.requests = []

    def request(self, url, method, headers=None, body=None, **kwargs):
        self.requests.append({'url': url, 'method': method,
                              'headers': headers, 'body': body})
        if len(self.responses) > 1:
            return self.responses.pop(0)
        return self.responses[0]


def response(status, body=None, headers=None):
    """A (response, body) pair; JSON-encodes the body unless it is text."""
    all_headers = {'content-type': 'application/json'}
    all_headers.update(headers or {})
    if body is None:
        text = b''
    elif isinstance(body, bytes):
        text = body
    else:
        text = json.dumps(body).encode('utf-8')
    return FakeResponse(status, all_headers), text


class Exchange(object):
    """One request a call must send and the answer it gets.

    :param query: expected query parameters (value or list of values).
    :param body: expected request body: JSON-comparable data, text when
        raw is true, NO_BODY for none.
    :param headers: expected request headers (a subset).
    :param expected: the success codes the client must accept; defaults
        to [status].
    """

    def __init__(self, method, path, status=200, reply=None, query=None,
                 body=NO_BODY, headers=None, raw=False, expected=None,
                 reply_headers=None):
        self.method = method
        self.path = path
        self.status = status
        self.reply = reply
        self.query = query or {}
        self.body = body
        self.headers = headers or {}
        self.raw = raw
        self.expected = expected or [status]
        self.reply_headers = reply_headers


class Case(object):
    """A client call and the exchanges it must make, in order."""

    def __init__(self, name, call, args=(), kwargs=None, exchanges=(),
                 **exchange):
        self.__name__ = name
        self.call = call
        self.args = args
        self.kwargs = kwargs or {}
        self.exchanges = list(exchanges)
        if exchange:
            self.exchanges.append(Exchange(**exchange))


def unexpected_success(expected):
    return next(code for code in (200, 201, 202, 204, 206)
                if code not in expected)


class ClientTestCase(testtools.TestCase):
    """Base of the table-driven client tests.

    Subclasses set client_class, catalog_url (the URL of the service in
    the catalog), path_prefix (what the client must put before each case
    path, e.g. '/v2/') and CASES; common_headers are expected on every
    request.
    """

    client_class = None
    catalog_url = None
    path_prefix = '/'
    common_headers = {}
    CASES = ()

    def make_client(self):
        return self.client_class(FakeAuthProvider(self.catalog_url),
                                 'fake-service', 'RegionOne')

    def run_call(self, case, responses):
        client = self.make_client()
        fake = FakeHttp(responses)
        self.patch(client.http_obj, 'request', fake.request)
        call = getattr(client, case.call)
        return fake, lambda: call(*case.args, **case.kwargs)

    def check_request(self, case):
        fake, call = self.run_call(
            case, [response(x.status, x.reply, x.reply_headers)
                   for x in case.exchanges])
        result = call()
        self.assertEqual(len(case.exchanges), len(fake.requests))
        for exchange, sent in zip(case.exchanges, fake.requests):
            self.assert_sent(exchange, sent)
        self.assert_returned(case.exchanges[-1], result)

    def assert_sent(self, exchange, sent):
        self.assertEqual(exchange.method, sent['method'])
        url = urllib.parse.urlsplit(sent['url'])
        expected_url = urllib.parse.urlsplit(self.catalog_url)
        self.assertEqual((expected_url.scheme, expected_url.netloc),
                         (url.scheme, url.netloc))
        self.assertEqual(self.path_prefix + exchange.path, url.path)
        expected_query = {
            key: [str(v) for v in (value if isinstance(value, list)
                                   else [value])]
            for key, value in exchange.query.items()}
        self.assertEqual(expected_query, urllib.parse.parse_qs(
            url.query, keep_blank_values=True))
        headers = dict({'X-Auth-Token': TOKEN}, **self.common_headers)
        if exchange.body is not NO_BODY and not exchange.raw:
            headers['Content-Type'] = 'application/json'
        headers.update(exchange.headers)
        for name, value in headers.items():
            self.assertEqual(value, sent['headers'].get(name), name)
        if exchange.body is NO_BODY:
            self.assertIsNone(sent['body'])
        elif exchange.raw:
            self.assertEqual(exchange.body, sent['body'])
        else:
            self.assertEqual(exchange.body, json.loads(sent['body']))

    def assert_returned(self, exchange, result):
        self.assertEqual(exchange.status, result.response.status)
        reply = exchange.reply
        if isinstance(reply, str):
            self.assertEqual(reply, result.data)
        elif reply is None:
            self.assertEqual({}, result)
        else:
            self.assertEqual(reply, result)

    def check_errors(self, case):
        for status, error in ERRORS:
            fake, call = self.run_call(
                case, [response(status, {'error': {'message': 'boom'}})])
            raised = self.assertRaises(error, call)
            self.assertEqual(status, raised.resp.status)
            self.assertEqual(1, len(fake.requests))

    def check_unexpected_success(self, case):
        first = case.exchanges[0]
        fake, call = self.run_call(
            case, [response(unexpected_success(first.expected))])
        self.assertRaises(exceptions.InvalidHttpSuccessCode, call)
        self.assertEqual(1, len(fake.requests))


def with_cases(cls):
    """Add the three generated tests of every case in cls.CASES."""
    def make(check, case):
        return lambda self: getattr(self, check)(case)

    for case in cls.CASES:
        for suffix, check in (('', 'check_request'),
                              ('_errors', 'check_errors'),
                              ('_unexpected_success',
                               'check_unexpected_success')):
            name = 'test_%s%s' % (case.__name__, suffix)
            if hasattr(cls, name):
                raise ValueError('duplicate case name %s' % name)
            setattr(cls, name, make(check, case))
    return cls
