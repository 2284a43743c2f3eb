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

import http.server
import os
import socket
import tempfile
import threading

import testtools

from localcloud import checks


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(int(self.path.strip('/')))
        self.end_headers()

    def log_message(self, *args):
        pass


class TestChecks(testtools.TestCase):

    def test_http_counts_auth_errors_as_up_and_5xx_as_down(self):
        server = http.server.HTTPServer(('127.0.0.1', 0), _Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.shutdown)
        port = server.server_address[1]
        url = 'http://127.0.0.1:%d/%%d' % port
        self.assertTrue(checks.Http(url % 200).probe(None))
        self.assertTrue(checks.Http(url % 401).probe(None))
        self.assertFalse(checks.Http(url % 503).probe(None))

    def test_tcp(self):
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        self.assertTrue(checks.Tcp(port).probe(None))
        sock.close()
        self.assertFalse(checks.Tcp(port).probe(None))

    def test_parse_list_queues(self):
        out = 'name\tconsumers\nconductor\t1\ncompute.host1\t0\nnoise\n'
        self.assertEqual({'conductor': 1, 'compute.host1': 0},
                         checks.parse_list_queues(out))

    def test_queue_check_needs_a_consumer(self):
        class Ctx:
            def queue_consumers(self):
                return {'a': 1, 'b': 0}
        self.assertTrue(checks.Queue('a').probe(Ctx()))
        self.assertFalse(checks.Queue('b').probe(Ctx()))
        self.assertFalse(checks.Queue('c').probe(Ctx()))

    def test_log_line_only_after_the_last_start(self):
        fd, path = tempfile.mkstemp()
        self.addCleanup(os.unlink, path)
        with os.fdopen(fd, 'w') as f:
            f.write('==== start 1\nready\n==== start 2\nbooting\n')
        ctx = checks.ProbeContext([], {}, lambda svc: path)
        self.assertFalse(checks.LogLine('ready').probe(ctx))
        self.assertTrue(checks.LogLine('boot').probe(ctx))

    def test_all_needs_every_check(self):
        class Yes:
            def probe(self, ctx):
                return True

            def describe(self):
                return 'yes'

        class No(Yes):
            def probe(self, ctx):
                return False
        self.assertTrue(checks.All((Yes(), Yes())).probe(None))
        self.assertFalse(checks.All((Yes(), No())).probe(None))
