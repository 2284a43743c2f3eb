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

"""Database schemas and one-time setup commands, per project.

Each project's commands run in order; projects run in parallel. A project
whose commands all succeeded is recorded in the state file and not run
again (a fresh base dir has a fresh database, so starts over).
"""
import concurrent.futures
import subprocess

from localcloud import layout as L
from localcloud import state
from localcloud import telemetry


def _c(project):
    return ('--config-file', '{etc}/%s/%s.conf' % (project, project))


KEYSTONE = ('keystone', (
    ('{venv}/bin/keystone-manage',) + _c('keystone') + ('db_sync',),
    ('{venv}/bin/keystone-manage',) + _c('keystone') + (
        'fernet_setup', '--keystone-user', 'root', '--keystone-group', 'root'),
    ('{venv}/bin/keystone-manage',) + _c('keystone') + (
        'credential_setup', '--keystone-user', 'root',
        '--keystone-group', 'root'),
    ('{venv}/bin/keystone-manage',) + _c('keystone') + (
        'bootstrap', '--bootstrap-password', L.PASSWORD,
        '--bootstrap-admin-url', L.url('keystone', '/v3'),
        '--bootstrap-internal-url', L.url('keystone', '/v3'),
        '--bootstrap-public-url', L.url('keystone', '/v3'),
        '--bootstrap-region-id', L.REGION),
))

NOVA_MANAGE = ('{venv}/bin/nova-manage',) + _c('nova')
MISTRAL_MANAGE = ('{venv}/bin/mistral-db-manage',) + _c('mistral')

OTHERS = (
    ('placement', (('{venv}/bin/placement-manage',) + _c('placement')
                   + ('db', 'sync'),)),
    ('glance', (('{venv}/bin/glance-manage', '--config-dir', '{etc}/glance',
                 'db_sync'),)),
    ('nova', (
        NOVA_MANAGE + ('api_db', 'sync'),
        NOVA_MANAGE + ('cell_v2', 'map_cell0', '--database_connection',
                       L.db_url('nova_cell0')),
        NOVA_MANAGE + ('cell_v2', 'create_cell', '--name', 'cell1'),
        NOVA_MANAGE + ('db', 'sync'),
    )),
    ('neutron', (('{venv}/bin/neutron-db-manage',) + _c('neutron')
                 + ('upgrade', 'heads'),)),
    ('heat', (('{venv}/bin/heat-manage',) + _c('heat') + ('db_sync',),)),
    ('mistral', (
        MISTRAL_MANAGE + ('upgrade', 'head'),
        MISTRAL_MANAGE + ('populate',),
    )),
    ('zaqar', (('{venv}/bin/zaqar-sql-db-manage',) + _c('zaqar')
               + ('upgrade', 'head'),)),
    ('aodh', (('{venv}/bin/aodh-dbsync',) + _c('aodh'),)),
    ('vitrage', (('{vvenv}/bin/vitrage-dbsync',) + _c('vitrage'),)),
    telemetry.DBSYNC,
)


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
