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

"""The compute hosts as machines: their namespaces, sshd, node exporter.

Each compute host (hostnet.HOSTS) is a network namespace with two NICs
(hostnet.py). What runs on it: its sshd (out-of-band access, like a BMC:
``host stop`` leaves it running), its node exporter (what the monitor
scrapes), and the services' per-host processes (nova-compute, a polling
agent: in their own modules, with ``host`` set). ``nsproxy`` forwards the
ports a host needs to the control plane on 127.0.0.1.
"""
from localcloud import checks
from localcloud import entrypoints
from localcloud import hostnet
from localcloud import layout as L
from localcloud.lib import glance
from localcloud.lib import keystone
from localcloud.lib import neutron
from localcloud.lib import nova
from localcloud.lib import placement
from localcloud.lib import telemetry
from localcloud import process

PORTS = {}
PACKAGES = ()
TUNABLES = ()
# Services on 127.0.0.1 a compute host reaches through the controller
# address: RabbitMQ, Keystone, Nova's API (discovery), Placement, Glance,
# Networking, Gnocchi.
CONTROLLER_PORTS = (L.PORTS['rabbitmq'], keystone.PORT, nova.PORT,
                    placement.PORT, glance.PORT, neutron.PORT,
                    telemetry.PORT)


install = entrypoints.nothing


def render(lay):
    """The hosts' sshd configs and the namespace proxy's rules."""
    files = {'hostnet/nsproxy.json': hostnet.proxy_config(CONTROLLER_PORTS)}
    for h in hostnet.HOSTS:
        files['hostnet/sshd-%s.conf' % h.name] = hostnet.sshd_config(lay, h)
    return files


def prepare(lay):
    """The namespaces, NICs and bridges; the harness's and sshd's keys."""
    made = hostnet.ensure(lay.log('setup-hostnet'))
    hostnet.ensure_keys(lay, lay.log('setup-hostnet'))
    return made


DATABASES = ()
DBSYNC = ()


def host_processes(name):
    h = hostnet.host(name)
    return (
        process.Service('sshd-%s' % name, 0, h.wrap((
            '/usr/sbin/sshd', '-D', '-e', '-f',
            '{etc}/hostnet/sshd-%s.conf' % name)),
            checks.Banner(h.ssh_port, b'SSH-'), project='hosts', host=name,
            management=True),
        process.Service('node-exporter-%s' % name, 0, h.wrap((
            '/usr/bin/prometheus-node-exporter',
            '--web.listen-address=%s:%d' % (h.address,
                                            hostnet.NODE_EXPORTER_PORT),
            '--collector.disable-defaults', '--collector.netdev',
            '--collector.loadavg', '--collector.meminfo')),
            checks.Http('http://%s:%d/metrics' % (L.HOST, h.exporter_port)),
            project='hosts', host=name),
    )


def processes():
    return (process.Service(
        'nsproxy', 0, ('/usr/bin/python3', '{nsproxy}',
                       '{etc}/hostnet/nsproxy.json'),
        checks.Tcp(hostnet.HOSTS[0].ssh_port), project='hosts'),
    ) + tuple(s for h in hostnet.HOSTS for s in host_processes(h.name))


USERS = ()
EXTRA_USERS = ()
CATALOG = ()

register = entrypoints.no_changes
after_start = entrypoints.nothing
tempest_conf = entrypoints.no_options
