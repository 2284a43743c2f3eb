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

"""TCP forwarding between network namespaces: ``nsproxy.py CONFIG.json``.

A socket belongs to the network namespace it was created in. This process
creates each listening socket in its rule's listen namespace and each
outgoing socket in the connect namespace (``setns`` affects only the
calling thread), then copies bytes both ways. It is the one link between
the compute hosts' namespaces and the control plane on 127.0.0.1, so a
host whose NIC is down is cut off from everything.

Config: ``{"rules": [{"listen_ns", "listen_addr", "listen_port",
"connect_ns", "connect_addr", "connect_port"}, ...]}``; an empty namespace
is this process's own.
"""
import ctypes
import json
import os
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000
CONNECT_TIMEOUT_S = 3
_libc = ctypes.CDLL(None, use_errno=True)
_OWN = os.open('/proc/self/ns/net', os.O_RDONLY)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


class _In:
    """Run the block with this thread in namespace ``name``."""

    def __init__(self, name):
        self.name = name
        self.fd = None

    def __enter__(self):
        if self.name:
            self.fd = os.open('/run/netns/' + self.name, os.O_RDONLY)
            _setns(self.fd)
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            _setns(_OWN)
            os.close(self.fd)


def _pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
        try:
            s.shutdown(how)
        except OSError:
            pass


def _serve(client, rule):
    try:
        with _In(rule['connect_ns']):
            upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        upstream.settimeout(CONNECT_TIMEOUT_S)
        upstream.connect((rule['connect_addr'], rule['connect_port']))
        upstream.settimeout(None)
    except OSError:
        client.close()
        return
    for s in (client, upstream):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    back = threading.Thread(target=_pump, args=(upstream, client),
                            daemon=True)
    back.start()
    _pump(client, upstream)
    back.join()
    client.close()
    upstream.close()


def _accept_loop(listener, rule):
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return      # the listener was shut down
        threading.Thread(target=_serve, args=(client, rule),
                         daemon=True).start()


def listen(rule):
    with _In(rule['listen_ns']):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((rule['listen_addr'], rule['listen_port']))
    s.listen(128)
    return s


def main(argv):
    with open(argv[1]) as f:
        rules = json.load(f)['rules']
    threads = []
    for rule in rules:
        listener = listen(rule)
        print('forwarding %s %s:%d -> %s %s:%d' % (
            rule['listen_ns'] or '(own)', rule['listen_addr'],
            rule['listen_port'], rule['connect_ns'] or '(own)',
            rule['connect_addr'], rule['connect_port']), flush=True)
        t = threading.Thread(target=_accept_loop, args=(listener, rule),
                             daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
