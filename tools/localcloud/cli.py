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

"""Command line of the local cloud: ``python3 tools/localcloud <command>``."""
import argparse
import os
import signal
import subprocess
import sys

from localcloud import cloud as cloud_mod
from localcloud import commands
from localcloud import diagnose
from localcloud import hostnet
from localcloud import install
from localcloud import killtest
from localcloud import layout
from localcloud import leaks
from localcloud.lib import telemetry
from localcloud import peers
from localcloud import procs
from localcloud import progress as progress_mod
from localcloud import services
from localcloud import stoptest
from localcloud import tempestconf
from localcloud import tempestrun

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SUITE_REGEX = r'^self_healing_tempest_plugin\.'
NEGATIVE_REGEX = r'^self_healing_tempest_plugin\..*\.test_negative_'
# A run that has not ended by then is stuck (the suite takes ~7 min, the
# negative checks ~3): it is stopped with the stuck services' stacks and
# every log tail printed, well inside CI's 90 minutes.
SUITE_TIMEOUT_S = 1800
NEGATIVE_TIMEOUT_S = 900


def _cloud(args):
    lay = layout.Layout(args.base)
    return cloud_mod.Cloud(lay, progress_mod.Progress())


def cmd_up(args):
    c = _cloud(args)
    try:
        c.up()
    finally:
        c.progress.summary()
    print('cloud is up: base %s, tempest workspace %s, credentials %s'
          % (c.lay.base, c.lay.workspace, c.lay.openrc))
    return 0


def cmd_down(args):
    c = _cloud(args)
    c.down()
    c.progress.summary()
    return 0


def cmd_status(args):
    c = _cloud(args)
    rows = c.status_rows()
    print('%-26s %-8s %-9s %-12s %7s  %s' % (
        'service', 'pid', 'state', 'ports', 'RSS MiB', 'health check'))
    for row in rows:
        print('%-26s %-8s %-9s %-12s %7s  %s' % row)
    up = sum(1 for r in rows if r[2] == 'up')
    print('%d/%d up; base %s' % (up, len(rows), c.lay.base))
    return 0 if up == len(rows) else 3


def _services(names, say=print):
    """The processes named; a former process name stands for the process
    that runs its work now (e.g. aodh-listener: aodh-alarming).
    """
    known = {s.name: s for s in services.SERVICES}
    found, unknown = [], []
    for n in names:
        svc = known.get(n) or services.replaced_by(n)
        if svc is None:
            unknown.append(n)
        elif svc in found:
            continue
        else:
            if svc.name != n:
                say('%s runs inside %s now (with %s): acting on %s' % (
                    n, svc.name, ', '.join(r for r in svc.replaces
                                           if r != n), svc.name))
            found.append(svc)
    if unknown:
        raise RuntimeError('unknown service(s) %s; known: %s' % (
            ', '.join(unknown), ', '.join(known)))
    return found


def cmd_stop(args):
    c = _cloud(args)
    svcs = _services(args.services)
    with c.progress.step('stop %s' % ' '.join(args.services)):
        procs.stop([c.lay.pidfile(s.name) for s in svcs], c.lay.base)
    return 0


def cmd_start(args):
    c = _cloud(args)
    svcs = _services(args.services)
    with c.progress.step('start %s' % ' '.join(args.services)):
        c.start(svcs)
    return 0


def cmd_restart(args):
    """Stop (SIGTERM, SIGKILL after 8 s), start, wait until healthy."""
    cmd_stop(args)
    return cmd_start(args)


def _signal_services(args, sig, did):
    """Signal each service's process group (its session: pid == pgid)."""
    c = _cloud(args)
    done = []
    for svc in _services(args.services):
        pid = c.pid(svc)
        if not pid:
            raise RuntimeError('%s is not running: nothing to signal'
                               % svc.name)
        os.killpg(pid, sig)
        done.append('%s (process group %d)' % (svc.name, pid))
    print('%s %s' % (did, ', '.join(done)))
    return 0


def cmd_kill(args):
    return _signal_services(args, signal.SIGKILL, 'SIGKILL to')


def cmd_freeze(args):
    return _signal_services(args, signal.SIGSTOP, 'SIGSTOP to')


def cmd_thaw(args):
    return _signal_services(args, signal.SIGCONT, 'SIGCONT to')


def _this_host():
    """The compute host whose namespace this process runs in."""
    res = subprocess.run(['ip', 'netns', 'identify', str(os.getpid())],
                         capture_output=True, text=True)
    ns = res.stdout.strip()
    for h in hostnet.HOSTS:
        if h.netns == ns:
            return h.name
    raise RuntimeError('name a compute host (%s): this process is not in '
                       'one\'s namespace (%s)' % (
                           ', '.join(h.name for h in hostnet.HOSTS),
                           ns or 'the machine\'s own'))


def cmd_host(args):
    c = _cloud(args)
    name = args.host or _this_host()
    hostnet.host(name)      # a clear error for an unknown host
    if args.action == 'stop':
        done = c.host_stop(name)
    elif args.action == 'restart-compute':
        done = c.host_restart_compute(name)
    else:
        done = c.host_start(name)
    print('%s %s: %s' % (args.action, name, ' '.join(done) or 'nothing to do'))
    return 0


def cmd_logs(args):
    c = _cloud(args)
    names = [s.name for s in services.SERVICES]
    if args.service:
        # A setup step's log (e.g. setup-nova) is not a service's.
        moved = services.replaced_by(args.service)
        if moved:
            print('%s runs inside %s now: its log' % (args.service,
                                                      moved.name))
        names = [moved.name if moved else args.service]
    for name in names:
        print(c.log_tail(name, args.lines))
    return 0


def print_all_logs(c, lines=60):
    for svc in services.SERVICES:
        print(c.log_tail(svc.name, lines))


def cmd_job(args):
    if args.only and not (args.kill_test or args.stop_test):
        raise RuntimeError('--only names fault kinds (--kill-test) or stop '
                           'conditions (--stop-test): give one of them')
    c = _cloud(args)
    try:
        c.up()
    except Exception:
        c.progress.summary()
        print_all_logs(c)
        raise
    tempestconf.set_repeat(c.lay, args.repeat)
    with c.progress.step('install the plugin from %s' % args.repo):
        install.install_plugin(c.lay, args.repo, c.lay.log('setup-plugin'))
    with c.progress.step('what dead runs left: journal replay, leak '
                         'reaping (%s --leaks)' % leaks.UNDO_COMMAND) as r:
        undo_rc, lines = leaks.undo(c.lay)
        r['note'] = 'skipped' if undo_rc is None else 'exit %d' % undo_rc
    print('\n'.join('    ' + line for line in lines), flush=True)
    if args.kill_test:
        rc = killtest.run(c, only=args.only)
        c.progress.summary()
        return rc
    if args.stop_test:
        rc = stoptest.run(c, only=args.only)
        c.progress.summary()
        return rc
    env = tempestrun.env(c.lay)
    argv = [c.lay.bin('tempest'), 'run', '--regex', args.regex,
            '--concurrency', str(args.concurrency)]
    if not args.negative:
        clear_timelines(c.lay)
    if args.negative:
        argv = [c.lay.bin('tempest'), 'run', '--regex', NEGATIVE_REGEX,
                '--config-file', tempestconf.negative_conf(c.lay),
                '--concurrency', str(args.concurrency)]
    timeout_s = args.timeout_s or (NEGATIVE_TIMEOUT_S if args.negative
                                   else SUITE_TIMEOUT_S)
    print('==> %s (in %s, at most %d s)' % (' '.join(argv), c.lay.workspace,
                                            timeout_s), flush=True)
    with c.progress.step('inventory before the run (leak check)'):
        print('\n'.join(leaks.snapshot(c.lay)))
    with c.progress.step('tempest run'):
        rc = run_bounded(argv, timeout_s, cwd=c.lay.workspace, env=env)
    if rc is not None:
        with c.progress.step('inventory after the run (leak check)'):
            lines, leaked = leaks.compare(c.lay)
        print('\n'.join(lines))
        rc = rc or int(leaked)
    c.progress.summary()
    if rc is None:
        print('tempest run did not end within %d s (--timeout-s): stopped. '
              'What the services that hold a flow were doing:' % timeout_s)
        diagnose.dump_stacks(c)
        rc = 124
    if rc:
        print('tempest exited %d; the tail of every service log:' % rc)
        print_all_logs(c)
    return rc


def clear_timelines(lay):
    """Start the suite with an empty timeline directory.

    The report reads one run's timelines; the negative target adds to the
    suite's. A base kept between jobs must not report an earlier run.
    """
    directory = os.path.join(lay.workspace, 'timelines')
    old = [n for n in os.listdir(directory)] if os.path.isdir(
        directory) else []
    for name in old:
        os.remove(os.path.join(directory, name))
    if old:
        print('    removed %d timeline file(s) of an earlier run from %s'
              % (len(old), directory))
    return len(old)


# One implementation: peers and the unit tests call it through here too.
run_bounded = tempestrun.run_bounded


def cmd_smoke(args):
    from localcloud import smoke
    c = _cloud(args)
    return smoke.run(c, keep=args.keep, heal=args.heal,
                     vitrage=args.vitrage)


def cmd_conformance(args):
    if args.lock:
        lay = layout.Layout(args.base)
        print('wrote %s' % peers.lock(lay, lay.log('setup-lock')))
        return 0
    return peers.run(_cloud(args), run_bounded, timeout_s=args.timeout_s,
                     concurrency=args.concurrency)


def cmd_lock(args):
    lay = layout.Layout(args.base)
    install.lock(lay, lay.log('setup-lock'), upgrade=args.upgrade)
    telemetry.lock(lay, lay.log('setup-lock'), upgrade=args.upgrade)
    print('wrote %s and %s' % (install.MAIN['constraints'],
                               install.VITRAGE['constraints']))
    return 0


def _repeat_count(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            'expected a whole number >= 1, got %r' % text)
    return value


def _names(text):
    names = [n.strip() for n in text.split(',') if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError('expected NAME[,NAME], got %r'
                                         % text)
    return names


def build_parser():
    p = argparse.ArgumentParser(
        prog='localcloud',
        description='A local real OpenStack cloud for the self-healing '
                    'Tempest plugin. State lives under LOCALCLOUD_BASE '
                    '(default %s).' % layout.DEFAULT_BASE)
    p.add_argument('--base', help='base directory (overrides '
                   'LOCALCLOUD_BASE)')
    sub = p.add_subparsers(dest='command', required=True)
    sub.add_parser('up', help='install, configure and start everything '
                   '(no-op when already up)').set_defaults(func=cmd_up)
    sub.add_parser('down', help='stop every process the tool started'
                   ).set_defaults(func=cmd_down)
    sub.add_parser('status', help='services, pids, health, memory'
                   ).set_defaults(func=cmd_status)
    for name, func, text in (
            ('stop', cmd_stop, 'stop single services (e.g. a compute host: '
                               'nova-compute-host1)'),
            ('start', cmd_start, 'start single services again and wait '
                                 'until they are healthy'),
            ('restart', cmd_restart, 'stop, then start single services '
                                     'and wait until they are healthy'),
            ('kill', cmd_kill, 'SIGKILL single services (no graceful '
                               'stop; start brings them back)'),
            ('freeze', cmd_freeze, 'SIGSTOP single services (thaw '
                                   'resumes them)'),
            ('thaw', cmd_thaw, 'SIGCONT single services')):
        sp = sub.add_parser(name, help=text)
        sp.add_argument('services', nargs='+', metavar='SERVICE')
        sp.set_defaults(func=func)
    hs = sub.add_parser('host', help='stop or start a compute host\'s '
                        'services (its sshd stays): what the host-stop '
                        'fault runs on the host over SSH')
    hs.add_argument('action', choices=('stop', 'start', 'restart-compute'),
                    help='restart-compute: nova-compute only (the monitor '
                    'keeps seeing the host)')
    hs.add_argument('host', nargs='?', help='default: the host whose '
                    'network namespace this runs in')
    hs.set_defaults(func=cmd_host)
    lg = sub.add_parser('logs', help='tail of one or every service log')
    lg.add_argument('service', nargs='?')
    lg.add_argument('-n', '--lines', type=int, default=40)
    lg.set_defaults(func=cmd_logs)
    job = sub.add_parser('job', help='up, install the plugin, run the suite')
    job.add_argument('--repo', default=REPO)
    job.add_argument('--regex', default=SUITE_REGEX)
    job.add_argument('--concurrency', type=int, default=2)
    job.add_argument('--timeout-s', type=int, default=0,
                     help='stop a run that has not ended by then, print what '
                     'the services were doing (default %d s, negative %d s)'
                     % (SUITE_TIMEOUT_S, NEGATIVE_TIMEOUT_S))
    job.add_argument('--repeat', type=_repeat_count, default=1, metavar='K',
                     help='run each scenario K times ([self_healing] '
                     'repeat: K tests and timelines per scenario, for the '
                     'report\'s statistical verdicts; default 1)')
    which = job.add_mutually_exclusive_group()
    which.add_argument('--negative', action='store_true',
                       help='run the negative checks instead (each flow '
                       'without its trigger must miss a named deadline)')
    which.add_argument('--kill-test', action='store_true',
                       help='per fault kind: SIGKILL a run while its fault '
                       'is active, then the same test must pass and the '
                       'inventory match (kinds: %s)'
                       % ', '.join(killtest.KINDS))
    which.add_argument('--stop-test', action='store_true',
                       help='per stop condition: one run it interrupts '
                       'while a fault is active (conditions: %s)'
                       % ', '.join(stoptest.CONDITIONS))
    job.add_argument('--only', type=_names, metavar='NAME[,NAME]',
                     help='with --kill-test or --stop-test: only these '
                     'fault kinds or stop conditions')
    job.set_defaults(func=cmd_job)
    sm = sub.add_parser('smoke', help='server, Heat group, Aodh event alarm '
                        'end to end (cleans up)')
    sm.add_argument('--keep', action='store_true',
                    help='keep the resources for inspection')
    sm.add_argument('--heal', action='store_true',
                    help='also run the Zaqar + Mistral healing chain')
    sm.add_argument('--vitrage', action='store_true',
                    help='also run a Doctor host-down event through Vitrage '
                         'to a Mistral workflow')
    sm.set_defaults(func=cmd_smoke)
    cf = sub.add_parser('conformance', help='Tempest\'s peers judge the '
                        'cloud: tempest smoke, heat-tempest-plugin and '
                        'Aodh API tests, against %s'
                        % os.path.basename(peers.EXPECTED))
    cf.add_argument('--concurrency', type=int, default=1)
    cf.add_argument('--timeout-s', type=int, default=peers.TIMEOUT_S,
                    help='stop a run that has not ended by then (default '
                    '%(default)s s)')
    cf.add_argument('--lock', action='store_true', help='re-resolve '
                    'constraints-peers.txt instead')
    cf.set_defaults(func=cmd_conformance)
    lk = sub.add_parser('lock', help='re-resolve the pinned package sets')
    lk.add_argument('--upgrade', action='store_true')
    lk.set_defaults(func=cmd_lock)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (cloud_mod.CloudError, commands.CommandError, RuntimeError,
            TimeoutError, KeyError) as e:
        print('localcloud %s failed: %s' % (args.command, e), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
