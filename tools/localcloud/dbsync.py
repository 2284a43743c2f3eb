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

"""Database schemas and one-time setup commands, per service.

Each service's commands (its module's DBSYNC: the first makes its
databases) run in order; services run in parallel. A service whose
commands all succeeded is recorded in the state file and not run again (a
fresh base dir has a fresh database, so starts over). Keystone's (the
stage-1 service) runs first: ``projects(first=True)``.
"""
import concurrent.futures
import subprocess

from localcloud import services
from localcloud import state


def projects(first=False):
    """(name, commands) of the services whose processes start first
    (stage 1: Keystone), or of every other service with commands.
    """
    found = []
    for module in services.MODULES:
        is_first = any(p.stage == 1 for p in module.processes())
        if module.DBSYNC and is_first == first:
            found.append((services.module_name(module), module.DBSYNC))
    return found


def _run_project(lay, paths, project, commands, niceness=0):
    log = lay.log('setup-' + project)
    with open(log, 'ab') as out:
        for cmd in commands:
            argv = [a.format(**paths) for a in cmd]
            if niceness:
                argv = ['nice', '-n', str(niceness)] + argv
            out.write(('\n$ %s\n' % ' '.join(argv)).encode())
            out.flush()
            rc = subprocess.call(argv, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, cwd=lay.base)
            if rc:
                return '%s: `%s` exit %d (see %s)' % (
                    project, ' '.join(argv[:4]), rc, log)
    return None


def run(lay, paths, projects, niceness=0):
    """Run the setup of ``projects`` [(name, commands)] not yet done.

    ``niceness`` > 0 runs them at a lower CPU priority: on 2 cores, work
    done beside a critical path (Keystone's) must not slow it down.
    """
    synced = state.load(lay).get('synced', {})
    todo = [(p, c) for p, c in projects if not synced.get(p)]
    errors = []
    with concurrent.futures.ThreadPoolExecutor(max(1, len(todo))) as pool:
        futures = {pool.submit(_run_project, lay, paths, p, c, niceness): p
                   for p, c in todo}
        for fut in concurrent.futures.as_completed(futures):
            err = fut.result()
            if err:
                errors.append(err)
            else:
                project = futures[fut]
                state.update(lay, lambda data: data.setdefault(
                    'synced', {}).__setitem__(project, True))
    if errors:
        raise RuntimeError('; '.join(sorted(errors)))
    return [p for p, _ in todo]
