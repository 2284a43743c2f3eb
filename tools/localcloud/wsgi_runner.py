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

"""Serve one OpenStack WSGI API; runs inside a service venv.

Usage: python wsgi_runner.py --name N --bind H:P --app APP
                             [--server cheroot|gunicorn] [-- APP_ARGS...]

APP is ``module:attribute`` or one of the loader names below. The app's own
argv (its ``--config-file`` options) is set as ``sys.argv`` before the app is
imported: several WSGI modules parse ``sys.argv`` with oslo.config, which is
why a server's own command line (gunicorn's) cannot be used.

The default server is cheroot: threaded, one process, HTTP/1.1 keep-alive
done right (uwsgi's http-socket reset keep-alive connections). gunicorn
(gthread, one worker) remains selectable; it costs a master process more.
"""
import argparse
import importlib
import os
import signal
import sys


def _aodh(argv):
    from aodh.api import app
    return app.build_wsgi_app(argv=argv)


def _vitrage(argv):
    from vitrage.api import app
    from vitrage.common import config
    config.parse_config(['vitrage-api'] + argv)
    return app.load_app()


LOADERS = {'aodh': _aodh, 'vitrage': _vitrage}


def load_app(opts, app_argv):
    sys.argv = [opts.name] + app_argv
    if opts.app in LOADERS:
        return LOADERS[opts.app](app_argv)
    module, _, attr = opts.app.partition(':')
    return getattr(importlib.import_module(module), attr)


def serve_cheroot(opts, app_argv):
    from cheroot import wsgi
    host, _, port = opts.bind.rpartition(':')
    app = load_app(opts, app_argv)
    server = wsgi.Server((host, int(port)), app, numthreads=opts.threads,
                         server_name=opts.name, timeout=300)

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    server.safe_start()


def serve_gunicorn(opts, app_argv):
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set('bind', opts.bind)
            self.cfg.set('workers', 1)
            self.cfg.set('worker_class', 'gthread')
            self.cfg.set('threads', opts.threads)
            self.cfg.set('timeout', 300)
            self.cfg.set('graceful_timeout', 5)
            self.cfg.set('proc_name', opts.name)
            if 'control_socket_disable' in self.cfg.settings:
                self.cfg.set('control_socket_disable', True)

        def load(self):
            return load_app(opts, app_argv)
    Server().run()


def main():
    argv = sys.argv[1:]
    app_argv = []
    if '--' in argv:
        i = argv.index('--')
        argv, app_argv = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser()
    p.add_argument('--name', required=True)
    p.add_argument('--bind', required=True)
    p.add_argument('--app', required=True)
    p.add_argument('--server', choices=('cheroot', 'gunicorn'),
                   default=os.environ.get('LOCALCLOUD_WSGI_SERVER',
                                          'cheroot'))
    p.add_argument('--threads', type=int,
                   default=int(os.environ.get('LOCALCLOUD_WSGI_THREADS', 4)))
    opts = p.parse_args(argv)
    if opts.server == 'cheroot':
        serve_cheroot(opts, app_argv)
    else:
        serve_gunicorn(opts, app_argv)


if __name__ == '__main__':
    main()
