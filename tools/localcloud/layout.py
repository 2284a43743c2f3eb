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

"""Where things live, and the fixed facts of the local cloud.

Everything the tool makes lives under one base directory (``LOCALCLOUD_BASE``,
default ``/opt/self-healing-localcloud``), never in the git checkout.
"""
import dataclasses
import os

DEFAULT_BASE = '/opt/self-healing-localcloud'
HOST = '127.0.0.1'
PASSWORD = 'password'
REGION = 'RegionOne'
# Nova compute hosts. Each one is a unit (own config file, own state dir, own
# processes) placed in its own network namespace (see hostnet.py).
COMPUTE_HOSTS = ('host1', 'host2')
# Env var set on every process the tool starts: ``down`` and the memory
# measurement find our processes (and any they spawned) by it.
OWNER_ENV = 'LOCALCLOUD_OWNER'

PORTS = {
    'mariadb': 3306,
    'rabbitmq': 5672,
    'rabbitmq-dist': 25672,
    'epmd': 4369,
    'redis': 6379,
    'memcached': 11211,
    'keystone': 5000,
    'placement': 8778,
    'glance': 9292,
    'nova-api': 8774,
    'neutron': 9696,
    'heat-api': 8004,
    'aodh-api': 8042,
    'zaqar': 8888,
    'mistral': 8989,
    'vitrage-api': 8999,
    'gnocchi': 8041,
    'prometheus': 9090,
    'alertmanager': 9093,
    'node-exporter': 9100,
}


def url(service, path=''):
    return 'http://%s:%d%s' % (HOST, PORTS[service], path)


# Databases and the service that owns each.
DATABASES = ('keystone', 'placement', 'glance', 'nova_api', 'nova',
             'nova_cell0', 'neutron', 'heat', 'mistral', 'zaqar', 'aodh',
             'vitrage', 'gnocchi')


def db_url(name):
    return 'mysql+pymysql://os:%s@%s/%s?charset=utf8' % (PASSWORD, HOST, name)


TRANSPORT_URL = 'rabbit://guest:guest@%s:%d/' % (HOST, PORTS['rabbitmq'])


# The flow-settings table (devstack/flow-settings.yaml): what the flows need
# from the services, shared with the devstack plugin. Read by path through
# its stdlib helper (the local cloud never imports the plugin package).
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _flow_settings_module():
    import importlib.util
    path = os.path.join(REPO, 'devstack', 'flow_settings.py')
    spec = importlib.util.spec_from_file_location(
        'localcloud_flow_settings', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FLOW_SETTINGS = _flow_settings_module()
FLOW_TABLE = FLOW_SETTINGS.load()


def flow_value(file, section, option):
    """A table row's local-cloud value (its localcloud column, or value)."""
    return FLOW_SETTINGS.value(FLOW_TABLE, 'localcloud', file, section,
                               option)


@dataclasses.dataclass(frozen=True)
class Tunable:
    """A setting made for speed on the local cloud, with upstream's default."""
    service: str
    section: str
    option: str
    local: object
    production: object
    why: str


# Speed knobs of the local cloud. Those that are flow settings take their
# local value from the table (its localcloud column: one place).
TUNABLES = (
    Tunable('keystone', 'identity', 'password_hash_rounds', 4, 12,
            'a password check costs 1 ms, not 0.3 s of CPU: every token, '
            'trust and user the services and Tempest ask for needs one'),
    Tunable('nova', 'DEFAULT', 'report_interval', 2, 10,
            'computes report state often, so a stopped host is seen soon'),
    Tunable('nova', 'DEFAULT', 'service_down_time', 15, 60,
            'a compute that stopped reporting is down after 15 s'),
    Tunable('nova', 'scheduler', 'discover_hosts_in_cells_interval', 10, -1,
            'new compute hosts are mapped without nova-manage'),
    Tunable('nova', 'DEFAULT', 'heal_instance_info_cache_interval', -1, 60,
            'no periodic Networking calls for servers without ports'),
    Tunable('aodh', 'DEFAULT', 'event_alarm_cache_ttl',
            flow_value('aodh.conf', 'DEFAULT', 'event_alarm_cache_ttl'), 60,
            'an event alarm created just before a fault still fires'),
    Tunable('aodh', 'evaluator', 'evaluation_interval',
            flow_value('aodh.conf', 'evaluator', 'evaluation_interval'), 60,
            'threshold alarms are evaluated every 10 s'),
    Tunable('vitrage', 'datasources', 'snapshots_interval',
            flow_value('vitrage.conf', 'datasources', 'snapshots_interval'),
            600, 'Vitrage re-reads Nova hosts and instances every 30 s'),
    Tunable('prometheus', 'global', 'scrape_interval',
            FLOW_SETTINGS.MONITOR_SCRAPE_INTERVAL_S, 60,
            'the monitor scrapes each host every 2 s'),
    Tunable('prometheus', 'rules', 'for',
            FLOW_SETTINGS.MONITOR_ALERT_FOR_S, 0,
            'a host is unreachable after 4 s of failed scrapes, not one'),
    Tunable('heat', 'DEFAULT', 'num_engine_workers', 1, 'CPU count',
            'one engine worker on 2 cores'),
    Tunable('mistral', 'api', 'api_workers', 1, 'CPU count',
            'one API worker'),
    Tunable('mistral', 'executor', 'type', 'local', 'remote',
            'the executor runs inside the one mistral-server process'),
    Tunable('neutron', 'DEFAULT', 'rpc_workers', 0, 'half the CPUs',
            'no agents, so no RPC workers'),
    Tunable('ceilometer', 'notification', 'workers', 1, 1,
            'one notification worker'),
    Tunable('wsgi', '-', 'processes x threads', '1 x 4',
            'several processes',
            'every WSGI API is one cheroot process with 4 threads'),
)


def tunable(service, section, option):
    for t in TUNABLES:
        if (t.service, t.section, t.option) == (service, section, option):
            return t.local
    raise KeyError((service, section, option))


class Layout:
    """Paths under the base directory."""

    def __init__(self, base=None):
        self.base = os.path.abspath(
            base or os.environ.get('LOCALCLOUD_BASE') or DEFAULT_BASE)

    def path(self, *parts):
        return os.path.join(self.base, *parts)

    @property
    def venv(self):
        return self.path('venv')

    @property
    def vitrage_venv(self):
        return self.path('venv-vitrage')

    def bin(self, name, venv=None):
        return os.path.join(venv or self.venv, 'bin', name)

    def etc(self, *parts):
        return self.path('etc', *parts)

    def data(self, *parts):
        return self.path('data', *parts)

    def log(self, name):
        return self.path('logs', name + '.log')

    def pidfile(self, name):
        return self.path('run', name + '.pid')

    @property
    def state_file(self):
        return self.path('state.json')

    @property
    def workspace(self):
        return self.path('tempest')

    @property
    def tempest_conf(self):
        return self.path('tempest', 'etc', 'tempest.conf')

    @property
    def openrc(self):
        return self.path('openrc')

    def compute_state(self, host):
        return self.data('nova', host)
