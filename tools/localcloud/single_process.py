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

"""Run an oslo.service console script as one process; runs in a venv.

Usage: python single_process.py PROG MODULE:FUNC [ARGS...]

With one worker, oslo.service's ``launch()`` still forks: a supervising
parent plus one worker, each holding a full copy of the service (about
30-40 MiB more per service). ``launch()`` has a documented ``no_fork``
parameter, which nova-compute itself uses, but the nova-conductor and
nova-scheduler console scripts do not expose it. This runner calls the
service's own entry point with ``no_fork=True`` whenever one worker is asked
for; nothing else changes. (heat-engine stops answering RPC when run this
way, so it keeps its parent.)
"""
import importlib
import sys


def _single_process(launch):
    def wrapper(conf, svc, workers=1, *args, **kwargs):
        if workers in (None, 1):
            kwargs['no_fork'] = True
        return launch(conf, svc, workers, *args, **kwargs)
    return wrapper


def main():
    prog, target = sys.argv[1], sys.argv[2]
    sys.argv = [prog] + sys.argv[3:]
    module, _, func = target.partition(':')
    # The service's module first: nova's must patch (or poison) eventlet
    # before anything else imports it.
    entry = getattr(importlib.import_module(module), func)
    from oslo_service import service
    service.launch = _single_process(service.launch)
    return entry()


if __name__ == '__main__':
    sys.exit(main())
