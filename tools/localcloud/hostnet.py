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

"""The compute hosts' network: namespaces, veths and bridges the tool makes.

Every address below lives inside a namespace made here; the machine's own
network is never touched::

  lc-ctl     the controller side: bridge lcdata0 10.77.0.1/24 (data) and
             bridge lcmgmt0 10.78.0.1/24 (management)
  lc-hostN   one per compute host: eth0 10.77.0.(10+N) carries every packet
             between the host and the control plane; mgmt0 10.78.0.(10+N)
             carries the harness's SSH only, so taking eth0 down cuts the
             host off while the harness can still bring it back up.

The control plane listens on the machine's 127.0.0.1. ``nsproxy.py`` (one
process) forwards the ports a host needs from 10.77.0.1 inside lc-ctl to
them, and, the other way, the harness's SSH and Prometheus's scrapes from
127.0.0.1 ports into lc-ctl.
"""
import dataclasses
import json
import os
import subprocess

from localcloud import layout as L

CONTROLLER_NS = 'lc-ctl'
DATA_BRIDGE = 'lcdata0'
MGMT_BRIDGE = 'lcmgmt0'
DATA_NET = '10.77.0'
MGMT_NET = '10.78.0'
CONTROLLER = DATA_NET + '.1'
HOST_NIC = 'eth0'
MGMT_NIC = 'mgmt0'
# Where each host's node exporter listens (on its data NIC).
NODE_EXPORTER_PORT = 9100
# 127.0.0.1 ports that reach host N: base + N.
SSH_PORT_BASE = 2200
EXPORTER_PORT_BASE = 9110


@dataclasses.dataclass(frozen=True)
class Host:
    name: str
    index: int

    @property
    def netns(self):
        return 'lc-' + self.name

    @property
    def address(self):
        """The host's address on the data network (its NIC ``eth0``)."""
        return '%s.%d' % (DATA_NET, 10 + self.index)

    @property
    def mgmt_address(self):
        return '%s.%d' % (MGMT_NET, 10 + self.index)

    @property
    def ssh_port(self):
        """The 127.0.0.1 port that reaches this host's sshd."""
        return SSH_PORT_BASE + self.index

    @property
    def exporter_port(self):
        """The 127.0.0.1 port that reaches this host's node exporter."""
        return EXPORTER_PORT_BASE + self.index

    def wrap(self, argv):
        """``argv`` run inside this host's network namespace."""
        return ('/sbin/ip', 'netns', 'exec', self.netns) + tuple(argv)


HOSTS = tuple(Host(name, i + 1) for i, name in enumerate(L.COMPUTE_HOSTS))


def host(name):
    for h in HOSTS:
        if h.name == name:
            return h
    raise KeyError('no compute host %r; hosts: %s' % (
        name, ', '.join(h.name for h in HOSTS)))


def controller_url(port, path=''):
    """A control-plane URL as a compute host reaches it (the proxy)."""
    return 'http://%s:%d%s' % (CONTROLLER, port, path)


def proxy_rules(controller_ports, hosts=HOSTS):
    """What nsproxy forwards: (listen ns, addr, port, connect ns, addr, port).

    ``controller_ports``: the 127.0.0.1 ports the hosts reach at the
    controller address (lib/hosts.py). An empty namespace is the machine's
    own (where the tool runs).
    """
    rules = [(CONTROLLER_NS, CONTROLLER, port, '', L.HOST, port)
             for port in controller_ports]
    for h in hosts:
        rules.append(('', L.HOST, h.ssh_port, CONTROLLER_NS,
                      h.mgmt_address, 22))
        rules.append(('', L.HOST, h.exporter_port, CONTROLLER_NS,
                      h.address, NODE_EXPORTER_PORT))
    return rules


def proxy_config(controller_ports, hosts=HOSTS):
    return json.dumps({'rules': [dict(zip(
        ('listen_ns', 'listen_addr', 'listen_port', 'connect_ns',
         'connect_addr', 'connect_port'), r))
        for r in proxy_rules(controller_ports, hosts)]},
        indent=1) + '\n'


def plan(hosts=HOSTS):
    """Every ``ip`` command that builds the network, each with its check.

    A list of (check argv, build argv): the build runs when the check
    fails, so a half-built network is completed, a whole one left alone.
    """
    ctl = CONTROLLER_NS
    steps = [(('ip', 'netns', 'pids', ctl), ('ip', 'netns', 'add', ctl)),
             (None, ('ip', '-n', ctl, 'link', 'set', 'lo', 'up'))]
    for bridge, net in ((DATA_BRIDGE, DATA_NET), (MGMT_BRIDGE, MGMT_NET)):
        steps += [
            (('ip', '-n', ctl, 'link', 'show', bridge),
             ('ip', '-n', ctl, 'link', 'add', bridge, 'type', 'bridge')),
            (('ip', '-n', ctl, '-o', 'addr', 'show', 'dev', bridge, 'to',
              net + '.1'),
             ('ip', '-n', ctl, 'addr', 'add', net + '.1/24', 'dev', bridge)),
            (None, ('ip', '-n', ctl, 'link', 'set', bridge, 'up')),
        ]
    for h in hosts:
        ns = h.netns
        steps += [(('ip', 'netns', 'pids', ns), ('ip', 'netns', 'add', ns)),
                  (None, ('ip', '-n', ns, 'link', 'set', 'lo', 'up'))]
        for nic, peer, bridge, addr in (
                (HOST_NIC, 'd-' + h.name, DATA_BRIDGE, h.address),
                (MGMT_NIC, 'm-' + h.name, MGMT_BRIDGE, h.mgmt_address)):
            steps += [
                (('ip', '-n', ns, 'link', 'show', nic),
                 ('ip', '-n', ctl, 'link', 'add', peer, 'type', 'veth',
                  'peer', 'name', nic, 'netns', ns)),
                (None, ('ip', '-n', ctl, 'link', 'set', peer, 'master',
                        bridge, 'up')),
                (('ip', '-n', ns, '-o', 'addr', 'show', 'dev', nic, 'to',
                  addr),
                 ('ip', '-n', ns, 'addr', 'add', addr + '/24', 'dev', nic)),
                (None, ('ip', '-n', ns, 'link', 'set', nic, 'up')),
            ]
    return steps


def namespaces(hosts=HOSTS):
    return [CONTROLLER_NS] + [h.netns for h in hosts]


def _ok(argv):
    res = subprocess.run(argv, capture_output=True, text=True)
    # ``ip ... addr show ... to X`` succeeds with no output when X is absent.
    return res.returncode == 0 and (
        'addr' not in argv or bool(res.stdout.strip()))


def ensure(log, hosts=HOSTS):
    """Build what is missing of the network; returns the commands run."""
    ran = []
    os.makedirs('/run/sshd', mode=0o755, exist_ok=True)   # sshd privsep
    with open(log, 'ab') as out:
        for check, build in plan(hosts):
            if check is not None and _ok(check):
                continue
            out.write(('$ %s\n' % ' '.join(build)).encode())
            out.flush()
            res = subprocess.run(build, stdout=out, stderr=subprocess.STDOUT)
            if res.returncode:
                raise RuntimeError('%s failed (exit %d); see %s' % (
                    ' '.join(build), res.returncode, log))
            if check is not None:
                ran.append(' '.join(build))
    return ran


def existing(hosts=HOSTS):
    listed = subprocess.run(['ip', 'netns', 'list'], capture_output=True,
                            text=True).stdout.split()
    return [ns for ns in namespaces(hosts) if ns in listed]


def remove(hosts=HOSTS):
    """Delete our namespaces (their veths and bridges go with them)."""
    gone = []
    for ns in existing(hosts):
        subprocess.run(['ip', 'netns', 'del', ns], check=True)
        gone.append(ns)
    return gone


def ssh_key(lay):
    """The key the harness logs into the hosts with (made once)."""
    return lay.data('hostnet', 'id_ed25519')


def ensure_keys(lay, log):
    """The harness's login key and the hosts' sshd host key."""
    for path in (ssh_key(lay), lay.data('hostnet', 'ssh_host_ed25519_key')):
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(log, 'ab') as out:
                subprocess.check_call(
                    ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C',
                     'localcloud', '-f', path], stdout=out,
                    stderr=subprocess.STDOUT)
    with open(ssh_key(lay) + '.pub') as f:
        pub = f.read()
    with open(lay.data('hostnet', 'authorized_keys'), 'w') as f:
        f.write(pub)
    os.chmod(lay.data('hostnet', 'authorized_keys'), 0o600)


def sshd_config(lay, h):
    """sshd of one host: key login as root, on its management address."""
    return '\n'.join([
        'ListenAddress %s' % h.mgmt_address,
        'Port 22',
        'HostKey %s' % lay.data('hostnet', 'ssh_host_ed25519_key'),
        'AuthorizedKeysFile %s' % lay.data('hostnet', 'authorized_keys'),
        'PidFile none',
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'PrintMotd no',
        'UseDNS no',
        'LogLevel INFO',
        ''])
