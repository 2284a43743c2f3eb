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

"""The Debian servers every service uses: RabbitMQ, MariaDB, Redis, memcached.

Installed by install.apt, prepared by infra.py (their state under the base
dir, MariaDB's system tables, the ``os`` database user); each runs on
loopback under the tool's pid files (stage 0). Their ports are
layout.PORTS.
"""
from localcloud import checks
from localcloud import entrypoints
from localcloud import layout as L
from localcloud import process

PORTS = dict(L.PORTS)
PACKAGES = ()       # install.APT_PACKAGES
TUNABLES = ()

install = entrypoints.nothing
render = entrypoints.no_files
prepare = entrypoints.no_changes


DATABASES = ()
DBSYNC = ()

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
# MariaDB's settings for a throwaway database.
MARIADB_ARGV = (
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
    '--performance-schema=OFF')


def _tcp(name, argv, port_names, env=()):
    ports = tuple(L.PORTS[p] for p in port_names)
    return process.Service(name, 0, argv, checks.Tcp(ports[0]), ports=ports,
                           env=env, project='infra')


def processes():
    return (
        # epmd runs in the foreground under our pid file, so RabbitMQ finds
        # it and does not daemonize one of its own that we would not own.
        _tcp('epmd', ('/usr/bin/epmd', '-address', L.HOST,
                      '-port', str(L.PORTS['epmd'])), ('epmd',),
             env=(('ERL_EPMD_ADDRESS', L.HOST),)),
        _tcp('rabbitmq', ('/usr/lib/rabbitmq/bin/rabbitmq-server',),
             ('rabbitmq', 'rabbitmq-dist'), env=RABBIT_ENV),
        _tcp('mariadb', MARIADB_ARGV, ('mariadb',)),
        _tcp('redis', (
            '/usr/bin/redis-server', '--bind', L.HOST,
            '--port', str(L.PORTS['redis']), '--daemonize', 'no',
            '--dir', '{data}/redis', '--save', '', '--appendonly', 'no'),
            ('redis',)),
        _tcp('memcached', (
            '/usr/bin/memcached', '-l', L.HOST,
            '-p', str(L.PORTS['memcached']), '-U', '0', '-u', 'memcache',
            '-m', '64'), ('memcached',)),
    )


USERS = ()
EXTRA_USERS = ()
CATALOG = ()

register = entrypoints.no_changes
after_start = entrypoints.nothing
tempest_conf = entrypoints.no_options
