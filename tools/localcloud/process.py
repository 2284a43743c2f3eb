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

"""What a process of the cloud is: its command, ports, health check, stage.

Stages:

- stage 0: infrastructure from Debian (RabbitMQ, MariaDB, Redis, memcached),
  the compute hosts' sshd and exporters, the monitor
- stage 1: Keystone (everything else registers through it)
- stage 2: every other OpenStack service

A leaf module: every service module (lib/) builds its processes from it.
"""
import dataclasses
import os

from localcloud import checks
from localcloud import layout as L


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
    # Names this process had before it took their work in (e.g. Aodh's
    # evaluator, listener and notifier run in one process): ``localcloud
    # stop/start OLD`` acts on this one.
    replaces: tuple = ()

    def render_argv(self, paths):
        return [a.format(**paths) for a in self.argv]

    def render_env(self, paths):
        env = dict(PYTHON_ENV) if self.stage > 0 else {}
        env.update((k, v.format(**paths)) for k, v in self.env)
        return env


# Every OpenStack process: fewer glibc malloc arenas (threaded Python
# services otherwise keep one arena per thread, a large share of their RSS).
PYTHON_ENV = {'MALLOC_ARENA_MAX': '2'}
TOOLDIR = os.path.dirname(os.path.abspath(__file__))


def paths_for(lay, tooldir=TOOLDIR):
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


WSGI_TUNABLE = L.Tunable(
    'wsgi', '-', 'processes x threads', '1 x 4', 'several processes',
    'every WSGI API is one cheroot process with 4 threads')


def wsgi(name, port, app, project, env=(), app_args=(), python='{venv}',
         threads=None):
    """A WSGI API, one process with 4 threads (cheroot) via our runner.

    ``threads``: another count, for an API that cannot share its process.
    """
    argv = (python + '/bin/python', '{runner}', '--name', name,
            '--bind', '%s:%d' % (L.HOST, port), '--app', app)
    if threads is not None:
        argv += ('--threads', str(threads))
    if app_args:
        argv += ('--',) + tuple(app_args)
    return Service(name=name, stage=2, argv=argv, ports=(port,),
                   check=checks.Http(L.url(port, '/')),
                   env=tuple(env), project=project)


def single(prog, entry, *args):
    """An oslo.service console script run as one process (no fork)."""
    return ('{venv}/bin/python', '{single}', prog, entry) + args


def in_process(prog, entries, *args, venv='{venv}'):
    """Cotyledon console scripts whose services all run in this process.

    ``entries``: the scripts' ``module:function``; see single_process.py.
    """
    return (venv + '/bin/python', '{single}', '--in-process', prog,
            ','.join(entries)) + args


def conf(project, *extra):
    """``--config-file`` of a project's main file (plus ``extra`` layers)."""
    files = ('--config-file', '{etc}/%s/%s.conf' % (project, project))
    for e in extra:
        files += ('--config-file', e)
    return files


MARIADB_CLIENT = ('/usr/bin/mariadb', '--no-defaults', '-uroot',
                  '--socket={run}/mysqld/mysqld.sock')


def create_databases(*names):
    """The command that makes a service's databases (idempotent)."""
    return MARIADB_CLIENT + ('-e', ' '.join(
        'CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8;' % n
        for n in names))
