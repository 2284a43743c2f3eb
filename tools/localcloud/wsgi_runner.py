"""Serve one OpenStack WSGI API with gunicorn; runs inside a service venv.

Usage: python wsgi_runner.py --name N --bind H:P --app APP [-- APP_ARGS...]

APP is ``module:attribute`` or one of the loader names below. The app's own
argv (its ``--config-file`` options) is set as ``sys.argv`` before the app is
imported: several WSGI modules parse ``sys.argv`` with oslo.config, which
is why gunicorn's command line cannot be used (its options would reach
oslo.config). gunicorn's gthread worker keeps keep-alive connections sane.
"""
import argparse
import importlib
import os
import sys

from gunicorn.app.base import BaseApplication


def _aodh(argv):
    from aodh.api import app
    return app.build_wsgi_app(argv=argv)


def _vitrage(argv):
    from vitrage.api import app
    from vitrage.common import config
    config.parse_config(['vitrage-api'] + argv)
    return app.load_app()


LOADERS = {'aodh': _aodh, 'vitrage': _vitrage}


class Server(BaseApplication):

    def __init__(self, opts, app_argv):
        self.opts = opts
        self.app_argv = app_argv
        super().__init__()

    def load_config(self):
        self.cfg.set('bind', self.opts.bind)
        self.cfg.set('workers', self.opts.workers)
        self.cfg.set('worker_class', 'gthread')
        self.cfg.set('threads', self.opts.threads)
        self.cfg.set('timeout', 300)
        self.cfg.set('graceful_timeout', 5)
        self.cfg.set('proc_name', self.opts.name)
        if 'control_socket_disable' in self.cfg.settings:
            self.cfg.set('control_socket_disable', True)

    def load(self):
        sys.argv = [self.opts.name] + self.app_argv
        if self.opts.app in LOADERS:
            return LOADERS[self.opts.app](self.app_argv)
        module, _, attr = self.opts.app.partition(':')
        return getattr(importlib.import_module(module), attr)


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
    p.add_argument('--workers', type=int,
                   default=int(os.environ.get('LOCALCLOUD_WSGI_WORKERS', 1)))
    p.add_argument('--threads', type=int,
                   default=int(os.environ.get('LOCALCLOUD_WSGI_THREADS', 4)))
    opts = p.parse_args(argv)
    Server(opts, app_argv).run()


if __name__ == '__main__':
    main()
