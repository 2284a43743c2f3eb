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

"""A real SSH server on 127.0.0.1 for the NIC fault tests (paramiko).

It accepts one public key, runs each exec'd command with ``sh -c`` and a
PATH whose ``ip`` is a fake script recording its arguments (with the time)
in a calls file, and sets SSH_CONNECTION like sshd does.
"""

import os
import socket
import subprocess
import tempfile
import threading
import time

import fixtures
import paramiko

FAKE_IP = """#!/bin/sh
echo "$(date +%%s.%%N) $*" >> %(calls)s
if [ "$1" = "-o" ] && [ "$2" = "route" ]; then
    echo "$4 dev ${FAKE_SESSION_DEV:-lo} src 127.0.0.1 uid 0"
fi
"""


_KEYS = []


def _keys():
    """A host key and a client key, generated once per process."""
    if not _KEYS:
        _KEYS.extend([paramiko.RSAKey.generate(2048),
                      paramiko.RSAKey.generate(2048)])
    return _KEYS


class _Server(paramiko.ServerInterface):

    def __init__(self, sshd):
        self.sshd = sshd
        self.command = None
        self.event = threading.Event()

    def check_auth_publickey(self, username, key):
        if (username == self.sshd.user and
                key.get_base64() == self.sshd.client_key.get_base64()):
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def get_allowed_auths(self, username):
        return 'publickey'

    def check_channel_request(self, kind, chanid):
        if kind == 'session':
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel, command):
        self.command = command.decode()
        self.event.set()
        return True


class SSHServerFixture(fixtures.Fixture):
    """An SSH server; ``calls()`` lists what the fake ``ip`` was run with.

    :param session_dev: the device the fake ``ip route get`` names.
    """

    user = 'healer'

    def __init__(self, session_dev='lo'):
        self.session_dev = session_dev

    def _setUp(self):
        self.workdir = self.useFixture(fixtures.TempDir()).path
        bindir = os.path.join(self.workdir, 'bin')
        os.mkdir(bindir)
        self.calls_path = os.path.join(self.workdir, 'ip-calls')
        ip = os.path.join(bindir, 'ip')
        with open(ip, 'w') as stream:
            stream.write(FAKE_IP % {'calls': self.calls_path})
        os.chmod(ip, 0o755)
        self.env = dict(os.environ, PATH=bindir + ':' + os.environ['PATH'],
                        FAKE_SESSION_DEV=self.session_dev)
        self.host_key, self.client_key = _keys()
        self.commands = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self._transports = []
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self.addCleanup(self._shutdown, thread)

    def private_key_text(self):
        with tempfile.SpooledTemporaryFile(mode='w+') as stream:
            self.client_key.write_private_key(stream)
            stream.seek(0)
            return stream.read()

    def calls(self):
        """[(epoch seconds, 'link set eth1 down'), ...]."""
        if not os.path.exists(self.calls_path):
            return []
        with open(self.calls_path) as stream:
            return [(float(line.split(' ', 1)[0]),
                     line.split(' ', 1)[1].strip()) for line in stream]

    def _shutdown(self, thread):
        self._stop = True
        thread.join(5)
        self.sock.close()
        for transport in self._transports:
            transport.close()

    def _accept(self):
        while not self._stop:
            try:
                conn, peer = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(None)
            threading.Thread(target=self._serve, args=(conn, peer),
                             daemon=True).start()

    def _serve(self, conn, peer):
        transport = paramiko.Transport(conn)
        self._transports.append(transport)
        transport.add_server_key(self.host_key)
        server = _Server(self)
        try:
            transport.start_server(server=server)
            channel = transport.accept(10)
            if channel is None or not server.event.wait(10):
                return
            self.commands.append(server.command)
            env = dict(self.env, SSH_CONNECTION='%s %d 127.0.0.1 %d' % (
                peer[0], peer[1], self.port))
            proc = subprocess.run(['sh', '-c', server.command], env=env,
                                  stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=30)
            channel.sendall(proc.stdout)
            channel.sendall_stderr(proc.stderr)
            channel.send_exit_status(proc.returncode)
            channel.close()
            # The client hangs up once it has read the exit status; closing
            # first could reset the connection before it did.
            deadline = time.monotonic() + 10
            while transport.is_active() and time.monotonic() < deadline:
                time.sleep(0.01)
        except (paramiko.SSHException, EOFError, OSError):
            pass
        finally:
            transport.close()
