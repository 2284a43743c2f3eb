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

"""Preparation of the Debian servers' state under the base dir."""
import os
import pwd
import subprocess

from localcloud import layout as L

RABBIT_CONF = (
    'listeners.tcp.default = %s:%d\n'
    # guest may log in from any address: compute hosts in network
    # namespaces (the next issue) do not come from loopback.
    'loopback_users = none\n'
    'log.console = true\n'
    'log.file = false\n'
    'vm_memory_high_watermark.absolute = 512MiB\n'
    'disk_free_limit.absolute = 50MB\n'
) % (L.HOST, L.PORTS['rabbitmq'])


def _chown(path, user):
    pw = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, pw.pw_uid, pw.pw_gid)
        for name in files:
            os.chown(os.path.join(root, name), pw.pw_uid, pw.pw_gid)


def prepare(lay, log):
    """Directories, RabbitMQ config, MariaDB's system tables (first time)."""
    for d in ('run', 'logs', 'data/redis', 'data/rabbitmq', 'etc/rabbitmq',
              'logs/rabbitmq', 'run/mysqld'):
        os.makedirs(lay.path(d), exist_ok=True)
    with open(lay.etc('rabbitmq', 'rabbitmq.conf'), 'w') as f:
        f.write(RABBIT_CONF)
    with open(lay.etc('rabbitmq', 'enabled_plugins'), 'w') as f:
        f.write('[].\n')
    _chown(lay.path('run', 'mysqld'), 'mysql')
    datadir = lay.data('mysql')
    if not os.path.isdir(os.path.join(datadir, 'mysql')):
        os.makedirs(datadir, exist_ok=True)
        with open(log, 'ab') as out:
            rc = subprocess.call(
                ['mariadb-install-db', '--no-defaults', '--user=mysql',
                 '--datadir=' + datadir,
                 '--auth-root-authentication-method=normal',
                 '--skip-test-db'],
                stdout=out, stderr=subprocess.STDOUT)
        if rc:
            raise RuntimeError('mariadb-install-db failed; see %s' % log)
    _chown(datadir, 'mysql')


def create_databases_sql(databases=L.DATABASES):
    stmts = []
    for db in databases:
        stmts.append('CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8;'
                     % db)
    stmts.append("CREATE USER IF NOT EXISTS 'os'@'%%' IDENTIFIED BY '%s';"
                 % L.PASSWORD)
    stmts.append("GRANT ALL PRIVILEGES ON *.* TO 'os'@'%';")
    stmts.append('FLUSH PRIVILEGES;')
    return '\n'.join(stmts)


def create_databases(lay, log):
    with open(log, 'ab') as out:
        proc = subprocess.run(
            ['mariadb', '--no-defaults', '-uroot',
             '--socket=' + lay.path('run', 'mysqld', 'mysqld.sock')],
            input=create_databases_sql().encode(), stdout=out,
            stderr=subprocess.STDOUT)
    if proc.returncode:
        raise RuntimeError('creating databases failed; see %s' % log)


def rabbitmqctl_argv():
    return ['/usr/lib/rabbitmq/bin/rabbitmqctl', '-n', 'rabbit@localhost']
