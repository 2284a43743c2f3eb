"""SSH to compute hosts and guests, through tempest.lib's SSH client."""

import re
import time

from tempest.lib.common import ssh

# Prints the harness-comparable remote clock: seconds.nanoseconds.
REMOTE_CLOCK = 'date +%s.%N'
_DEV_RE = re.compile(r'\bdev\s+(\S+)')
_STAMP_RE = re.compile(r'^(\w+)=(\d+(?:\.\d+)?)$')


def host_client(conf, host, timeout_s=None):
    """An SSH client to the Nova compute host ``host`` ([self_healing])."""
    try:
        address = conf.host_addresses[host]
    except KeyError:
        raise ValueError(
            'no SSH address for compute host %r: add it to [self_healing] '
            'host_addresses (host:address pairs)' % host)
    return ssh.Client(
        address, conf.host_ssh_user,
        key_filename=conf.host_ssh_key_file or None,
        port=conf.host_ssh_port,
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


def remote_clock_offset(client, clock=time.time):
    """Remote clock minus harness clock, judged at the round-trip middle."""
    before = clock()
    remote = parse_stamps(client.exec_command(stamp('now')))['now']
    after = clock()
    return remote - (before + after) / 2.0
