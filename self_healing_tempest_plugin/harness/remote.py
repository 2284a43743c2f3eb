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

"""SSH to compute hosts, through tempest.lib's SSH client."""

import re

from tempest.lib.common import ssh

# Prints the harness-comparable remote clock: seconds.nanoseconds.
REMOTE_CLOCK = 'date +%s.%N'
_DEV_RE = re.compile(r'\bdev\s+(\S+)')
_STAMP_RE = re.compile(r'^(\w+)=(\d+(?:\.\d+)?)$')


def split_address(value, default_port):
    """``(address, port)`` of ``address``, ``address:port`` or ``[v6]:port``.

    A port in the address wins over [self_healing] host_ssh_port (a host
    reached through a jump port, as on the local cloud).
    """
    if value.startswith('['):
        address, _, rest = value[1:].partition(']')
        port = rest[1:] if rest.startswith(':') else ''
    elif value.count(':') == 1:
        address, _, port = value.partition(':')
    else:
        address, port = value, ''
    if not port:
        return address, default_port
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError('bad port %r in SSH address %r of [self_healing] '
                         'host_addresses' % (port, value))
    return address, int(port)


def host_client(conf, host, timeout_s=None):
    """An SSH client to the Nova compute host ``host`` ([self_healing])."""
    try:
        value = conf.host_addresses[host]
    except KeyError:
        raise ValueError(
            'no SSH address for compute host %r: add it to [self_healing] '
            'host_addresses (host:address pairs)' % host)
    address, port = split_address(value, conf.host_ssh_port)
    return ssh.Client(
        address, conf.host_ssh_user,
        key_filename=conf.host_ssh_key_file or None,
        port=port,
        timeout=timeout_s or conf.host_ssh_timeout_s,
        look_for_keys=False, ssh_allow_agent=False)


def parse_stamps(output):
    """``{'down': 1767000000.12, ...}`` from lines ``name=seconds``."""
    stamps = {}
    for line in output.splitlines():
        match = _STAMP_RE.match(line.strip())
        if match:
            stamps[match.group(1)] = float(match.group(2))
    return stamps


def stamp(name):
    """Shell that prints ``name=<remote epoch seconds>``."""
    return 'echo %s=$(%s)' % (name, REMOTE_CLOCK)


def session_device(client):
    """The device the SSH session rides on, as the remote routes it.

    ``SSH_CONNECTION`` holds the client's address as the server sees it;
    ``ip route get`` names the device traffic back to it leaves by.
    """
    output = client.exec_command(
        'ip -o route get "${SSH_CONNECTION%% *}"')
    match = _DEV_RE.search(output)
    return match.group(1) if match else None
