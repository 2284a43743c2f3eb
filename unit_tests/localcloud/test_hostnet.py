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

import json
import socket
import threading

import testtools

from localcloud import hostnet
from localcloud import layout
from localcloud.lib import hosts
from localcloud import nsproxy


class TestTopology(testtools.TestCase):

    def test_hosts_have_distinct_addresses_and_ports(self):
        hosts = hostnet.HOSTS
        self.assertEqual(list(layout.COMPUTE_HOSTS), [h.name for h in hosts])
        for attr in ('address', 'mgmt_address', 'ssh_port', 'exporter_port',
                     'netns'):
            values = [getattr(h, attr) for h in hosts]
            self.assertEqual(len(values), len(set(values)), attr)
        self.assertEqual('10.77.0.11', hostnet.host('host1').address)

    def test_unknown_host_is_named(self):
        e = self.assertRaises(KeyError, hostnet.host, 'host9')
        self.assertIn('host9', str(e))
        self.assertIn('host1', str(e))

    def test_every_build_step_stays_in_our_namespaces(self):
        ours = set(hostnet.namespaces())
        for check, build in hostnet.plan():
            self.assertEqual('ip', build[0])
            if build[1] == '-n':
                self.assertIn(build[2], ours, build)
            else:
                self.assertEqual(('netns', 'add'), build[1:3])
                self.assertIn(build[3], ours)

    def test_each_host_gets_a_data_and_a_management_nic(self):
        builds = [' '.join(b) for _, b in hostnet.plan()]
        for h in hostnet.HOSTS:
            self.assertIn('ip -n lc-ctl link add d-%s type veth peer name '
                          'eth0 netns %s' % (h.name, h.netns), builds)
            self.assertIn('ip -n %s addr add %s/24 dev eth0'
                          % (h.netns, h.address), builds)
            self.assertIn('ip -n %s addr add %s/24 dev mgmt0'
                          % (h.netns, h.mgmt_address), builds)

    def test_proxy_rules_hosts_reach_only_the_controller(self):
        rules = hostnet.proxy_rules(hosts.CONTROLLER_PORTS)
        inbound = [r for r in rules if r[0] == hostnet.CONTROLLER_NS]
        self.assertEqual(set(hosts.CONTROLLER_PORTS),
                         {r[2] for r in inbound})
        for r in inbound:
            self.assertEqual((hostnet.CONTROLLER, '', '127.0.0.1'),
                             (r[1], r[3], r[4]))
        outbound = [r for r in rules if r[0] == '']
        for r in outbound:
            self.assertEqual('127.0.0.1', r[1])
            self.assertEqual(hostnet.CONTROLLER_NS, r[3])
        self.assertEqual(len(rules), len(
            json.loads(hostnet.proxy_config(hosts.CONTROLLER_PORTS))['rules']))

    def test_sshd_listens_on_the_management_address_only(self):
        h = hostnet.host('host2')
        text = hostnet.sshd_config(layout.Layout('/srv/lc'), h)
        self.assertIn('ListenAddress 10.78.0.12', text)
        self.assertIn('PasswordAuthentication no', text)
        self.assertIn('/srv/lc/data/hostnet/authorized_keys', text)


class TestProxy(testtools.TestCase):
    """The forwarding itself, within this process's own namespace."""

    def _echo_server(self):
        srv = socket.socket()
        srv.bind(('127.0.0.1', 0))
        srv.listen(1)
        self.addCleanup(srv.close)

        def serve():
            conn, _ = srv.accept()
            with conn:
                while True:
                    data = conn.recv(1024)
                    if not data:
                        break
                    conn.sendall(data.upper())
        threading.Thread(target=serve, daemon=True).start()
        return srv.getsockname()[1]

    def _serve(self, rule):
        """A forwarding listener, shut and its thread ended at cleanup.

        Closed only after its accept loop ended: a closed descriptor is
        reused at once, and a loop still accepting on it would steal
        another test's connections.
        """
        listener = nsproxy.listen(rule)
        loop = threading.Thread(target=nsproxy._accept_loop,
                                args=(listener, rule), daemon=True)
        loop.start()

        def stop():
            listener.shutdown(socket.SHUT_RDWR)
            loop.join(5)
            listener.close()
        self.addCleanup(stop)
        return listener

    def test_bytes_go_both_ways_and_eof_is_passed_on(self):
        port = self._echo_server()
        rule = {'listen_ns': '', 'listen_addr': '127.0.0.1',
                'listen_port': 0, 'connect_ns': '',
                'connect_addr': '127.0.0.1', 'connect_port': port}
        listener = self._serve(rule)
        with socket.create_connection(listener.getsockname(), 5) as c:
            c.sendall(b'heal')
            c.shutdown(socket.SHUT_WR)
            got = b''
            while True:
                data = c.recv(1024)
                if not data:
                    break
                got += data
        self.assertEqual(b'HEAL', got)

    def test_unreachable_upstream_closes_the_client(self):
        free = socket.socket()
        free.bind(('127.0.0.1', 0))
        port = free.getsockname()[1]
        free.close()
        rule = {'listen_ns': '', 'listen_addr': '127.0.0.1',
                'listen_port': 0, 'connect_ns': '',
                'connect_addr': '127.0.0.1', 'connect_port': port}
        listener = self._serve(rule)
        with socket.create_connection(listener.getsockname(), 5) as c:
            c.settimeout(5)
            self.assertEqual(b'', c.recv(10))
