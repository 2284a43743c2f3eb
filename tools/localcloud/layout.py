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

# The infrastructure's ports (the Debian servers every service uses). Each
# OpenStack service's port is in its own module (lib/); services.PORTS is
# the whole plan, and a unit test keeps it free of collisions.
PORTS = {
    'mariadb': 3306,
    'rabbitmq': 5672,
    'rabbitmq-dist': 25672,
    'epmd': 4369,
    'redis': 6379,
    'memcached': 11211,
}
MEMCACHED = '%s:%d' % (HOST, PORTS['memcached'])
REDIS_URL = 'redis://%s:%d' % (HOST, PORTS['redis'])


def url(port, path=''):
    """An HTTP URL on the machine's loopback."""
    return 'http://%s:%d%s' % (HOST, port, path)


# Databases infra.create_databases makes: none. Each service makes its own
# (its module's DATABASES, the first of its dbsync commands).
DATABASES = ()


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
    """A setting made for speed on the local cloud, with upstream's default.

    Each service module lists its own (TUNABLES); services.TUNABLES is the
    whole table, which the README documents.
    """
    service: str
    section: str
    option: str
    local: object
    production: object
    why: str


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
