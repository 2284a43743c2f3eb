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

"""The one table of every process the local cloud runs.

Each entry names its command (a template over the layout's paths), the
ports it listens on, its health check and its start stage:

- stage 0: infrastructure from Debian (RabbitMQ, MariaDB, Redis, memcached)
- stage 1: Keystone (everything else registers through it)
- stage 2: every other OpenStack service

A Nova compute host is a unit of its own (``compute_services(host)``): one
process, its own config layer and state directory, so that it can be placed
elsewhere (a network namespace) without touching the rest of the table.
"""
import dataclasses
import os

from localcloud import checks
from localcloud import hostnet
from localcloud import layout as L
from localcloud import telemetry


@dataclasses.dataclass(frozen=True)
class Service:
    name: str
    stage: int
    argv: tuple
    check: object
    ports: tuple = ()
    env: tuple = ()          # (name, template) pairs
    project: str = ''        # README grouping: which OpenStack project
    host: str = ''           # compute host this process belongs to
    management: bool = False  # a host's out-of-band access (kept on stop)

    def render_argv(self, paths):
        return [a.format(**paths) for a in self.argv]

    def render_env(self, paths):
        env = dict(PYTHON_ENV) if self.stage > 0 else {}
        env.update((k, v.format(**paths)) for k, v in self.env)
        return env


# Every OpenStack process: fewer glibc malloc arenas (threaded Python
# services otherwise keep one arena per thread, a large share of their RSS).
PYTHON_ENV = {'MALLOC_ARENA_MAX': '2'}


def paths_for(lay, tooldir):
    """Template variables of the table (``tooldir``: this package)."""
    return {
        'base': lay.base,
        'venv': lay.venv,
        'vvenv': lay.vitrage_venv,
        'etc': lay.etc(),
        'data': lay.data(),
        'run': lay.path('run'),
        'logs': lay.path('logs'),
        'runner': os.path.join(tooldir, 'wsgi_runner.py'),
        'single': os.path.join(tooldir, 'single_process.py'),
        'nsproxy': os.path.join(tooldir, 'nsproxy.py'),
    }


def wsgi(name, port, app, project, env=(), app_args=(), python='{venv}'):
    """A WSGI API, one process with 4 threads (cheroot) via our runner."""
    argv = (python + '/bin/python', '{runner}', '--name', name,
            '--bind', '%s:%d' % (L.HOST, port), '--app', app)
    if app_args:
        argv += ('--',) + tuple(app_args)
    return Service(name=name, stage=2, argv=argv, ports=(port,),
                   check=checks.Http(L.url(name, '/')),
                   env=tuple(env), project=project)


def single(prog, entry, *args):
    """An oslo.service console script run as one process (no fork)."""
    return ('{venv}/bin/python', '{single}', prog, entry) + args


def conf(project, *extra):
    files = ('--config-file', '{etc}/%s/%s.conf' % (project, project))
    for e in extra:
        files += ('--config-file', e)
    return files


RABBIT_ENV = (
    ('HOME', '{data}/rabbitmq'),
    ('RABBITMQ_NODENAME', 'rabbit@localhost'),
    ('RABBITMQ_NODE_IP_ADDRESS', L.HOST),
    ('RABBITMQ_NODE_PORT', str(L.PORTS['rabbitmq'])),
    ('RABBITMQ_DIST_PORT', str(L.PORTS['rabbitmq-dist'])),
    ('ERL_EPMD_ADDRESS', L.HOST),
    ('ERL_EPMD_PORT', str(L.PORTS['epmd'])),
    ('RABBITMQ_MNESIA_BASE', '{data}/rabbitmq/mnesia'),
    ('RABBITMQ_LOG_BASE', '{logs}/rabbitmq'),
    ('RABBITMQ_CONFIG_FILE', '{etc}/rabbitmq/rabbitmq'),
    ('RABBITMQ_ENABLED_PLUGINS_FILE', '{etc}/rabbitmq/enabled_plugins'),
    ('RABBITMQ_PID_FILE', '{run}/rabbitmq-beam.pid'),
    ('RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS',
     '-kernel inet_dist_use_interface {{127,0,0,1}} +S 1:1 +A 8'),
)

INFRA = (
    # epmd runs in the foreground under our pid file, so RabbitMQ finds it
    # and does not daemonize one of its own that we would not own.
    Service('epmd', 0, ('/usr/bin/epmd', '-address', L.HOST,
                        '-port', str(L.PORTS['epmd'])),
            checks.Tcp(L.PORTS['epmd']), ports=(L.PORTS['epmd'],),
            env=(('ERL_EPMD_ADDRESS', L.HOST),), project='infra'),
    Service('rabbitmq', 0, ('/usr/lib/rabbitmq/bin/rabbitmq-server',),
            checks.Tcp(L.PORTS['rabbitmq']),
            ports=(L.PORTS['rabbitmq'], L.PORTS['rabbitmq-dist']),
            env=RABBIT_ENV, project='infra'),
    Service('mariadb', 0, (
        '/usr/sbin/mariadbd', '--no-defaults', '--user=mysql',
        '--datadir={data}/mysql', '--socket={run}/mysqld/mysqld.sock',
        '--pid-file={run}/mysqld/mysqld.pid', '--bind-address=%s' % L.HOST,
        '--port=%d' % L.PORTS['mariadb'], '--max-connections=1000',
        '--innodb-buffer-pool-size=32M', '--innodb-log-file-size=48M',
        '--innodb-log-buffer-size=4M', '--aria-pagecache-buffer-size=8M',
        '--key-buffer-size=8M', '--table-open-cache=400',
        '--table-definition-cache=400', '--query-cache-size=0',
        '--innodb-flush-log-at-trx-commit=2', '--skip-name-resolve',
        '--character-set-server=utf8mb4', '--log-error={logs}/mariadb.err',
        '--performance-schema=OFF'),
        checks.Tcp(L.PORTS['mariadb']), ports=(L.PORTS['mariadb'],),
        project='infra'),
    Service('redis', 0, (
        '/usr/bin/redis-server', '--bind', L.HOST,
        '--port', str(L.PORTS['redis']), '--daemonize', 'no',
        '--dir', '{data}/redis', '--save', '', '--appendonly', 'no'),
        checks.Tcp(L.PORTS['redis']), ports=(L.PORTS['redis'],),
        project='infra'),
    Service('memcached', 0, (
        '/usr/bin/memcached', '-l', L.HOST, '-p', str(L.PORTS['memcached']),
        '-U', '0', '-u', 'memcache', '-m', '64'),
        checks.Tcp(L.PORTS['memcached']), ports=(L.PORTS['memcached'],),
        project='infra'),
)

KEYSTONE = dataclasses.replace(
    wsgi('keystone', L.PORTS['keystone'], 'keystone.wsgi.api:application',
         'keystone', env=(('OS_KEYSTONE_CONFIG_DIR', '{etc}/keystone'),)),
    stage=1)


def compute_services(name):
    """The processes of one compute host, inside its network namespace.

    sshd is the host's out-of-band access (like a BMC): ``host stop``
    stops every other process of the host and leaves it running.
    """
    h = hostnet.host(name)
    return (
        Service('sshd-%s' % name, 0, h.wrap((
            '/usr/sbin/sshd', '-D', '-e', '-f',
            '{etc}/hostnet/sshd-%s.conf' % name)),
            checks.Banner(h.ssh_port, b'SSH-'), project='hosts', host=name,
            management=True),
        Service('node-exporter-%s' % name, 0, h.wrap((
            '/usr/bin/prometheus-node-exporter',
            '--web.listen-address=%s:%d' % (h.address,
                                            L.PORTS['node-exporter']),
            '--collector.disable-defaults', '--collector.netdev',
            '--collector.loadavg', '--collector.meminfo')),
            checks.Http('http://%s:%d/metrics' % (L.HOST, h.exporter_port)),
            project='hosts', host=name),
        Service('nova-compute-%s' % name, 2, h.wrap(
            ('{venv}/bin/nova-compute',) + conf(
                'nova', '{etc}/nova/compute-%s.conf' % name)),
            checks.Queue('compute.%s' % name), project='nova', host=name),
    ) + telemetry.host_services(name, h.wrap(()))


def host_services(name):
    """What a host stop stops (all but its management access)."""
    return tuple(s for s in compute_services(name) if not s.management)


def host_compute(name):
    """The host's nova-compute service."""
    svc, = [s for s in compute_services(name)
            if s.name == 'nova-compute-%s' % name]
    return svc


# The hosts' network link to the control plane, and their monitor.
HOSTNET = (
    Service('nsproxy', 0, ('/usr/bin/python3', '{nsproxy}',
                           '{etc}/hostnet/nsproxy.json'),
            checks.Tcp(hostnet.HOSTS[0].ssh_port), project='hosts'),
    Service('prometheus', 0, (
        '/usr/bin/prometheus', '--config.file={etc}/prometheus/prometheus.yml',
        '--storage.tsdb.path={data}/prometheus',
        '--storage.tsdb.retention.time=1d',
        '--web.listen-address=%s:%d' % (L.HOST, L.PORTS['prometheus'])),
        checks.Http(L.url('prometheus', '/-/ready')),
        ports=(L.PORTS['prometheus'],), project='monitor'),
    Service('alertmanager', 0, (
        '/usr/bin/prometheus-alertmanager',
        '--config.file={etc}/prometheus/alertmanager.yml',
        '--storage.path={data}/alertmanager', '--cluster.listen-address=',
        '--web.listen-address=%s:%d' % (L.HOST, L.PORTS['alertmanager'])),
        checks.Http(L.url('alertmanager', '/-/ready')),
        ports=(L.PORTS['alertmanager'],), project='monitor'),
)


OPENSTACK = (
    wsgi('placement', L.PORTS['placement'], 'placement.wsgi.api:application',
         'placement', env=(('OS_PLACEMENT_CONFIG_DIR', '{etc}/placement'),)),
    wsgi('glance', L.PORTS['glance'], 'glance.wsgi.api:application',
         'glance', env=(('OS_GLANCE_CONFIG_DIR', '{etc}/glance'),)),
    wsgi('nova-api', L.PORTS['nova-api'],
         'nova.wsgi.osapi_compute:application', 'nova',
         env=(('OS_NOVA_CONFIG_DIR', '{etc}/nova'),)),
    Service('nova-conductor', 2, single('nova-conductor',
                                        'nova.cmd.conductor:main',
                                        *conf('nova')),
            checks.Queue('conductor'), project='nova'),
    Service('nova-scheduler', 2, single('nova-scheduler',
                                        'nova.cmd.scheduler:main',
                                        *conf('nova')),
            checks.Queue('scheduler'), project='nova'),
) + tuple(
    s for h in L.COMPUTE_HOSTS for s in compute_services(h) if s.stage == 2
) + (
    wsgi('neutron', L.PORTS['neutron'], 'neutron.wsgi.api:application',
         'neutron', app_args=conf('neutron')),
    wsgi('heat-api', L.PORTS['heat-api'], 'heat.wsgi.api:application',
         'heat', app_args=conf('heat')),
    # heat-engine stops serving RPC when run without fork: it keeps its
    # supervising parent.
    Service('heat-engine', 2, ('{venv}/bin/heat-engine',) + conf('heat'),
            checks.Queue('engine'), project='heat'),
    # The event-engine of mistral-server spins a core: not started. The
    # executor is of type local (actions run inside the engine process), so
    # no separate executor server either; nor the notifier server, which
    # only serves executions that ask for webhook notifications.
    Service('mistral', 2, ('{venv}/bin/mistral-server', '--server',
                           'api,engine') + conf('mistral'),
            checks.All((checks.Http(L.url('mistral', '/')),
                        checks.Queue('mistral_engine'))),
            ports=(L.PORTS['mistral'],), project='mistral'),
    Service('zaqar', 2, ('{venv}/bin/zaqar-server',) + conf('zaqar'),
            checks.Http(L.url('zaqar', '/')), ports=(L.PORTS['zaqar'],),
            project='zaqar'),
    wsgi('aodh-api', L.PORTS['aodh-api'], 'aodh', 'aodh',
         app_args=conf('aodh')),
    Service('aodh-evaluator', 2, ('{venv}/bin/aodh-evaluator',) + conf('aodh'),
            checks.LogLine(r'evaluat'), project='aodh'),
    Service('aodh-listener', 2, ('{venv}/bin/aodh-listener',) + conf('aodh'),
            checks.Queue('alarm.all.sample'), project='aodh'),
    Service('aodh-notifier', 2, ('{venv}/bin/aodh-notifier',) + conf('aodh'),
            checks.Queue('alarming.sample'), project='aodh'),
    Service('ceilometer-notification', 2,
            ('{venv}/bin/ceilometer-agent-notification',) + conf('ceilometer'),
            checks.Queue('notifications.info'), project='ceilometer'),
    Service('vitrage-graph', 2,
            ('{vvenv}/bin/vitrage-graph',) + conf('vitrage'),
            checks.Queue('vitrage_notifications.info'), project='vitrage'),
    Service('vitrage-notifier', 2,
            ('{vvenv}/bin/vitrage-notifier',) + conf('vitrage'),
            checks.Queue('vitrage_evaluator_notifications.mistral.info'),
            project='vitrage'),
    Service('vitrage-persistor', 2,
            ('{vvenv}/bin/vitrage-persistor',) + conf('vitrage'),
            checks.Queue('vitrage_persistor.info'), project='vitrage'),
    # HOME: Vitrage's basic-auth filter (Alertmanager's login) reads
    # ~/.vitrage/vitrage.conf.
    wsgi('vitrage-api', L.PORTS['vitrage-api'], 'vitrage', 'vitrage',
         app_args=conf('vitrage'), python='{vvenv}',
         env=(('HOME', '{data}/vitrage-api-home'),)),
)

HOST_INFRA = tuple(s for h in L.COMPUTE_HOSTS for s in compute_services(h)
                   if s.stage == 0)
OPENSTACK += telemetry.control_services()
SERVICES = INFRA + HOSTNET + HOST_INFRA + (KEYSTONE,) + OPENSTACK


def by_name(name):
    for s in SERVICES:
        if s.name == name:
            return s
    raise KeyError(name)


def stage(n):
    return tuple(s for s in SERVICES if s.stage == n)
