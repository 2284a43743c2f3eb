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

"""``self-healing-undo``: undo what dead runs left, from the journal.

A run killed while a fault was active (a Zuul timeout, Ctrl-C, the OOM
killer) leaves its journal entry behind; the next run replays it before
its own faults, and operators (and the Zuul post-run, before it collects
logs) replay it with this command::

    self-healing-undo [--config-file tempest.conf] [--journal DIR]
                      [--dry-run] [--leaks]

It acts as the admin of tempest.conf's ``[auth] admin_*`` credentials,
built the way Tempest builds them, prints one line per entry (repaired,
would repair, FAILED and why, a corrupt file by name) and touches only
the entries of dead runs. ``--leaks`` then deletes the tagged resources
dead runs left (``cmd/reap.py``). Exit 0 when everything was undone, 1
when an undo failed or a corrupt file was seen, 2 on bad input.
"""

import argparse
import importlib
import os
import sys

from tempest.lib import exceptions as lib_exc

from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import journal as jn

PROG = 'self-healing-undo'
REAP_MODULE = 'self_healing_tempest_plugin.cmd.reap'


class Cloud(object):
    """What a replay needs: the options, the admin clients, a context.

    :param conf: the ``[self_healing]`` group.
    """

    def __init__(self, conf, admin_manager, ctx, config_file):
        self.conf = conf
        self.admin_manager = admin_manager
        self.ctx = ctx
        self.config_file = config_file


def default_config_file():
    """Tempest's own choice: $TEMPEST_CONFIG_DIR/$TEMPEST_CONFIG."""
    return os.path.join(
        os.environ.get('TEMPEST_CONFIG_DIR',
                       os.path.join(os.getcwd(), 'etc')),
        os.environ.get('TEMPEST_CONFIG', 'tempest.conf'))


def load_cloud(path):
    """The Cloud of the tempest.conf at ``path``, as Tempest reads it.

    The admin credentials come from ``[auth] admin_*`` through
    ``credentials_factory`` and the clients from ``tempest.clients``:
    no request is made until a step needs one.
    """
    if not os.path.isfile(path):
        raise ValueError('%s: no such tempest.conf (--config-file)' % path)
    from tempest import clients
    from tempest.common import credentials_factory
    from tempest import config

    config.CONF.set_config_path(path)
    conf = config.CONF
    try:
        credentials = credentials_factory.get_configured_admin_credentials(
            fill_in=False)
    except lib_exc.InvalidConfiguration as exc:
        raise ValueError('%s: the admin credentials ([auth] admin_username, '
                         'admin_password, admin_project_name ...) are '
                         'incomplete: %s' % (path, exc))
    manager = clients.Manager(credentials)
    vitrage = getattr(conf.service_available, 'vitrage', False)
    ctx = faults.FaultContext(
        conf.self_healing, servers_client=manager.servers_client,
        admin_servers_client=manager.servers_client,
        services_client=manager.services_client,
        workflow_client=manager.self_healing_workflow.WorkflowClient(),
        rca_client=(manager.self_healing_rca.RcaClient() if vitrage
                    else None))
    return Cloud(conf.self_healing, manager, ctx, path)


def describe(result):
    """One line of a replay's result (journal.replay's dict)."""
    if result['corrupt']:
        return 'CORRUPT journal file %s skipped: %s' % (
            result['path'], result['corrupt'])
    what = '%s on %s (entry %s of dead run %s)' % (
        result['kind'], result['target'], result['entry'], result['run_id'])
    if result['dry_run']:
        return 'would repair %s, lasts %s: %s' % (
            what, result['lasts'], '; '.join(result['did']) or 'no step')
    if result['errors']:
        return 'FAILED to repair %s, entry kept in %s: %s%s' % (
            what, result['path'], '; '.join(result['errors']),
            ' (done: %s)' % '; '.join(result['did']) if result['did']
            else '')
    return 'repaired %s: %s' % (what, '; '.join(result['did']) or 'no step')


def replay(directory, ctx, dry_run, out):
    """Replay the journal in ``directory``; whether all went well."""
    if not os.path.isdir(directory):
        out('journal %s does not exist: no run has journaled a fault '
            'here, nothing to repair' % directory)
        return True
    journal = jn.Journal(directory)
    results = journal.replay(ctx, dry_run=dry_run)
    for result in results:
        out(describe(result))
    left = [e for e in journal.entries() if e.alive and not e.mine]
    journal.run.end()
    failed = [r for r in results if r['errors'] or r['corrupt']]
    out('journal %s: %s %d, failed %d, corrupt %d; %d entr%s of live runs '
        'left alone' % (
            directory, 'would repair' if dry_run else 'repaired',
            len([r for r in results if not (r['errors'] or r['corrupt'])]),
            len([r for r in results if r['errors']]),
            len([r for r in results if r['corrupt']]), len(left),
            'y' if len(left) == 1 else 'ies'))
    return not failed


def reap_leaks(cloud, directory, dry_run, out):
    """``cmd/reap.py``'s reaping; whether nothing failed."""
    try:
        reap = importlib.import_module(REAP_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != REAP_MODULE:
            raise
        raise ValueError('--leaks needs %s, which this install of the '
                         'plugin lacks' % REAP_MODULE)
    results = reap.reap_leaks(cloud.conf, cloud.admin_manager, directory,
                              dry_run=dry_run, out=out)
    return not any(str(r.get('action', '')).startswith('failed')
                   for r in results or ())


def build_parser():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='Undo the faults dead self-healing Tempest runs left '
                    '(their undo journal), and with --leaks delete the '
                    'resources they left.')
    parser.add_argument('--config-file',
                        help='tempest.conf with [auth] admin credentials '
                             '(default: Tempest\'s, $TEMPEST_CONFIG_DIR/'
                             '$TEMPEST_CONFIG)')
    parser.add_argument('--journal', metavar='DIR',
                        help='journal directory (default: [self_healing] '
                             'fault_journal_dir of the tempest.conf)')
    parser.add_argument('--dry-run', action='store_true',
                        help='say what would be undone, change nothing')
    parser.add_argument('--leaks', action='store_true',
                        help='then delete the run-tagged resources of dead '
                             'runs')
    return parser


def main(argv=None, load=load_cloud, out=print):
    """0: all undone; 1: an undo failed or a file is corrupt; 2: bad input.
    """
    args = build_parser().parse_args(argv)
    path = args.config_file or default_config_file()
    try:
        cloud = load(path)
        directory = (args.journal or cloud.conf.fault_journal_dir or
                     '').strip()
        if not directory:
            raise ValueError('%s: [self_healing] fault_journal_dir is empty '
                             '(no journal kept); give --journal DIR' % path)
        ok = replay(directory, cloud.ctx, args.dry_run, out)
        if args.leaks:
            ok = reap_leaks(cloud, directory, args.dry_run, out) and ok
    except ValueError as exc:
        print('%s: %s' % (PROG, exc), file=sys.stderr)
        return 2
    except OSError as exc:
        print('%s: %s' % (PROG, exc), file=sys.stderr)
        return 2
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
