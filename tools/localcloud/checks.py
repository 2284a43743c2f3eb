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

"""Health checks: how the tool knows a service is up.

- ``Http``: the API answers (any status below 500; 401 means the auth
  middleware runs, which needs the service's config loaded).
- ``Tcp``: something listens on the port (infrastructure servers).
- ``Banner``: a server that speaks first says who it is (a host's sshd,
  reached through the namespace proxy).
- ``Queue``: the service consumes its RabbitMQ queue (RPC servers and
  notification listeners: they have no port). One ``rabbitmqctl`` call per
  poll round serves every queue check.
- ``LogLine``: the service's log has printed a line saying it is ready,
  since the last start (for the one service with neither port nor queue).
"""
import dataclasses
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request


@dataclasses.dataclass(frozen=True)
class Http:
    url: str

    def describe(self):
        return 'HTTP %s' % self.url

    def probe(self, ctx):
        req = urllib.request.Request(self.url, method='GET')
        try:
            with urllib.request.urlopen(req, timeout=3) as resp:
                return resp.status < 500
        except urllib.error.HTTPError as e:
            return e.code < 500
        except (OSError, ValueError):
            return False


@dataclasses.dataclass(frozen=True)
class Tcp:
    port: int
    host: str = '127.0.0.1'

    def describe(self):
        return 'TCP %s:%d' % (self.host, self.port)

    def probe(self, ctx):
        try:
            with socket.create_connection((self.host, self.port), timeout=1):
                return True
        except OSError:
            return False


@dataclasses.dataclass(frozen=True)
class Banner:
    """A server greets first with ``prefix`` (sshd behind the host proxy)."""
    port: int
    prefix: bytes
    host: str = '127.0.0.1'

    def describe(self):
        return 'banner %r on %s:%d' % (self.prefix.decode(), self.host,
                                       self.port)

    def probe(self, ctx):
        try:
            with socket.create_connection((self.host, self.port),
                                          timeout=2) as s:
                s.settimeout(2)
                return s.recv(len(self.prefix)) == self.prefix
        except OSError:
            return False


@dataclasses.dataclass(frozen=True)
class Queue:
    name: str

    def describe(self):
        return 'consumer on queue %s' % self.name

    def probe(self, ctx):
        return ctx.queue_consumers().get(self.name, 0) > 0


@dataclasses.dataclass(frozen=True)
class LogLine:
    pattern: str

    def describe(self):
        return 'log line /%s/' % self.pattern

    def probe(self, ctx):
        return ctx.log_matches(self.pattern)


@dataclasses.dataclass(frozen=True)
class All:
    checks: tuple

    def describe(self):
        return ' and '.join(c.describe() for c in self.checks)

    def probe(self, ctx):
        return all(c.probe(ctx) for c in self.checks)


START_MARK = '==== '


def log_since_last_start(path, max_bytes=4 << 20):
    """The text of ``path`` after the last start marker the tool wrote."""
    try:
        with open(path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            text = f.read().decode(errors='replace')
    except OSError:
        return ''
    idx = text.rfind('\n' + START_MARK)
    return text[idx + 1:] if idx >= 0 else text


def parse_list_queues(output):
    """``rabbitmqctl -q list_queues name consumers`` output -> {name: n}."""
    queues = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            queues[parts[0]] = int(parts[1])
    return queues


class ProbeContext:
    """Per-poll-round shared state of the checks of one service set."""

    # rabbitmqctl boots an Erlang VM (~0.6 CPU-s): not every second.
    QUEUE_POLL_S = 4.0

    def __init__(self, rabbitmqctl_argv, rabbit_env, logfile_for):
        self._argv = rabbitmqctl_argv
        self._env = rabbit_env
        self._logfile_for = logfile_for
        self._queues = None
        self._queues_at = 0.0
        self.current = None   # service being probed (for LogLine)

    def queue_consumers(self):
        if self._queues is None or (time.monotonic() - self._queues_at
                                    > self.QUEUE_POLL_S):
            env = dict(os.environ)
            env.update(self._env)
            try:
                out = subprocess.run(
                    self._argv + ['-q', 'list_queues', 'name', 'consumers'],
                    env=env, capture_output=True, text=True, timeout=30).stdout
            except (OSError, subprocess.TimeoutExpired):
                out = ''
            self._queues = parse_list_queues(out)
            self._queues_at = time.monotonic()
        return self._queues

    def log_matches(self, pattern):
        text = log_since_last_start(self._logfile_for(self.current))
        return re.search(pattern, text) is not None
