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

"""Run OpenStack console scripts without their forked workers; runs in a venv.

Usage::

  python single_process.py PROG MODULE:FUNC [ARGS...]
  python single_process.py --in-process PROG MODULE:FUNC[,MODULE:FUNC...] \
      [ARGS...]

The first form is for an oslo.service script. With one worker,
oslo.service's ``launch()`` still forks: a supervising parent plus one
worker, each holding a full copy of the service (about 30-40 MiB more per
service). ``launch()`` has a documented ``no_fork`` parameter, which
nova-compute itself uses, but the nova-conductor and nova-scheduler console
scripts do not expose it. This runner calls the service's own entry point
with ``no_fork=True`` whenever one worker is asked for; nothing else
changes. (heat-engine stops answering RPC when run this way, so it keeps
its parent.)

The second form is for cotyledon scripts (Aodh's evaluator, listener and
notifier; Vitrage's notifier and persistor; Ceilometer's notification
agent; gnocchi-metricd's processor and janitor). Each script would be a
supervising parent plus a worker per service, each a full copy of the
project. Here each script's own entry point runs in turn, with cotyledon's
``ServiceManager`` replaced by one that keeps what the script adds (a
script's own subclass of the manager, as gnocchi-metricd's, inherits the
stand-in: the patch comes before the script's import); then every service
is made and run in this process, as cotyledon's worker would (its ``run``
in a thread of its own), and terminated on SIGTERM or SIGINT. Each script
parses the same command line (``ARGS``).
"""
import importlib
import signal
import sys
import threading


def _single_process(launch):
    def wrapper(conf, svc, workers=1, *args, **kwargs):
        if workers in (None, 1):
            kwargs['no_fork'] = True
        return launch(conf, svc, workers, *args, **kwargs)
    return wrapper


def _entry(target):
    module, _, func = target.partition(':')
    return getattr(importlib.import_module(module), func)


class ServicesKept:
    """Stands in for ``cotyledon.ServiceManager``: keeps what is added.

    ``added`` is shared by every manager a script makes: the runner starts
    all of them once every script has run.
    """
    added = []

    def __init__(self, *args, **kwargs):
        pass

    def add(self, service, workers=1, args=None, kwargs=None):
        ServicesKept.added.append((service, tuple(args or ()),
                                   dict(kwargs or {})))
        return len(ServicesKept.added)

    def register_hooks(self, *args, **kwargs):
        pass

    def run(self):
        """The runner starts the services, after every script ran."""


def run_in_process(services, stop=None):
    """Make and run ``services`` [(class, args, kwargs)] in this process.

    Returns after ``stop`` (a threading.Event, set by SIGTERM or SIGINT)
    once every service was terminated.
    """
    stop = stop or threading.Event()
    running = []
    for cls, args, kwargs in services:
        svc = cls(0, *args, **kwargs)     # worker 0 of its service
        thread = threading.Thread(target=svc.run, name=type(svc).__name__,
                                  daemon=True)
        thread.start()
        running.append(svc)
    while not stop.wait(1):
        pass
    for svc in reversed(running):
        svc.terminate()
    return running


def collect(prog, targets, args):
    """Run each script of ``targets`` (``module:func,...``) as ``prog ARGS``
    with cotyledon's manager replaced; returns the services they added.
    """
    import cotyledon
    cotyledon.ServiceManager = ServicesKept
    del ServicesKept.added[:]
    sys.argv = [prog] + list(args)
    for n, target in enumerate(targets.split(',')):
        if n and 'oslo_config.cfg' in sys.modules:
            # A script that parses the global config (Vitrage's) parses it
            # again in the next one: oslo.config refuses to register
            # command line options on a parsed config. clear() forgets the
            # parse, not the options; the next script parses the same
            # command line.
            sys.modules['oslo_config.cfg'].CONF.clear()
        _entry(target)()
    return list(ServicesKept.added)


def in_process_main(prog, targets, args):
    services = collect(prog, targets, args)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run_in_process(services, stop)
    return 0


def main():
    if sys.argv[1] == '--in-process':
        return in_process_main(sys.argv[2], sys.argv[3], sys.argv[4:])
    prog, target = sys.argv[1], sys.argv[2]
    sys.argv = [prog] + sys.argv[3:]
    # The service's module first: nova's must patch (or poison) eventlet
    # before anything else imports it.
    entry = _entry(target)
    from oslo_service import service
    service.launch = _single_process(service.launch)
    return entry()


if __name__ == '__main__':
    sys.exit(main())
