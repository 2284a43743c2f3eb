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

"""The external monitor: Prometheus and Alertmanager (Debian's packages).

Prometheus scrapes a node exporter in each compute host's namespace over the
host's data NIC (the exporters are the hosts' processes, lib/nova.py); a
host that stops answering raises ``HOST_ALERT``. Where Alertmanager sends
it, Vitrage's event API, is Vitrage's part: lib/vitrage.py renders
alertmanager.yml and makes the monitor's user.
"""
from localcloud import checks
from localcloud import entrypoints
from localcloud import hostnet
from localcloud import layout as L
from localcloud import process

PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093
ALERTMANAGER_URL = L.url(ALERTMANAGER_PORT)
PORTS = {'prometheus': PROMETHEUS_PORT, 'alertmanager': ALERTMANAGER_PORT,
         'node-exporter': hostnet.NODE_EXPORTER_PORT}
# Debian's prometheus, prometheus-alertmanager, prometheus-node-exporter
# (install.APT_PACKAGES).
PACKAGES = ()
FLOWS = L.FLOW_SETTINGS
HOST_ALERT = FLOWS.HOST_ALERT
TUNABLES = (
    L.Tunable('prometheus', 'global', 'scrape_interval',
              FLOWS.MONITOR_SCRAPE_INTERVAL_S, 60,
              'the monitor scrapes each host every 2 s'),
    L.Tunable('prometheus', 'rules', 'for', FLOWS.MONITOR_ALERT_FOR_S, 0,
              'a host is unreachable after 4 s of failed scrapes, not one'),
)


install = entrypoints.nothing


def render(lay):
    """Prometheus and its rule: devstack's files, the local hosts."""
    return {
        'prometheus/prometheus.yml': FLOWS.prometheus_yml(
            [(h.name, '%s:%d' % (L.HOST, h.exporter_port))
             for h in hostnet.HOSTS],
            TUNABLES[0].local, lay.etc('prometheus', 'rules.yml'),
            '%s:%d' % (L.HOST, ALERTMANAGER_PORT)),
        'prometheus/rules.yml': FLOWS.rules_yml(TUNABLES[1].local),
    }


prepare = entrypoints.no_changes


DATABASES = ()
DBSYNC = ()


def processes():
    return (
        process.Service('prometheus', 0, (
            '/usr/bin/prometheus',
            '--config.file={etc}/prometheus/prometheus.yml',
            '--storage.tsdb.path={data}/prometheus',
            '--storage.tsdb.retention.time=1d',
            '--web.listen-address=%s:%d' % (L.HOST, PROMETHEUS_PORT)),
            checks.Http(L.url(PROMETHEUS_PORT, '/-/ready')),
            ports=(PROMETHEUS_PORT,), project='monitor'),
        process.Service('alertmanager', 0, (
            '/usr/bin/prometheus-alertmanager',
            '--config.file={etc}/prometheus/alertmanager.yml',
            '--storage.path={data}/alertmanager', '--cluster.listen-address=',
            '--web.listen-address=%s:%d' % (L.HOST, ALERTMANAGER_PORT)),
            checks.Http(L.url(ALERTMANAGER_PORT, '/-/ready')),
            ports=(ALERTMANAGER_PORT,), project='monitor'),
    )


USERS = ()
EXTRA_USERS = ()
CATALOG = ()

register = entrypoints.no_changes
after_start = entrypoints.nothing
tempest_conf = entrypoints.no_options
