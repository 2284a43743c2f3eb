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

"""Faults of the control plane: a healer killed, restarted or frozen.

A healer (heat-engine, the Mistral engine, aodh-listener ...) failing
while it heals is one of the combinations real healing meets. The
commands are configuration, as the host commands are: ``[self_healing]
service_kill_command``, ``service_start_command``,
``service_restart_command``, ``service_freeze_command`` and
``service_thaw_command``, templates whose ``{unit}`` is the service's unit
(``service_units``; a name not there is ``devstack@<name>``). They run on
the node running Tempest: ``systemctl`` of devstack's units there, the
local cloud's ``kill`` / ``start`` / ``restart`` / ``freeze`` / ``thaw``
on it. A fault's target is ``service:<name>``; nothing is cut off (no
member's host), so ``hosts_cut_off()`` stays empty.

Each kind's journal entry starts the service (or thaws it) with the same
command, here, as data (``local_command``): starting a running service
is harmless (``systemctl start``, and the local cloud's ``start`` skips a
running service), so is thawing one that runs.
"""

import re
import shlex
import subprocess
import time

from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import journal as jn
from self_healing_tempest_plugin.harness import registry

KILL = 'service_kill_command'
START = 'service_start_command'
RESTART = 'service_restart_command'
FREEZE = 'service_freeze_command'
THAW = 'service_thaw_command'
UNIT_PLACEHOLDER = '{unit}'
DEFAULT_UNIT = 'devstack@%s'
# A service name or unit as systemd and the local cloud spell them.
_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9@._:-]*$')
# How much of a failed command's output a message quotes.
OUTPUT_TAIL = 600


class ServiceCommandError(RuntimeError):
    """A service command failed: it names the command, exit and output."""


def unit_of(conf, service):
    """The unit of ``service``: ``service_units``, else devstack's."""
    if not _NAME_RE.match(service or ''):
        raise ValueError('service %r is not a service name (letters, '
                         'digits and @._:- only)' % service)
    unit = (conf.service_units or {}).get(service) or DEFAULT_UNIT % service
    if not _NAME_RE.match(unit):
        raise ValueError('[self_healing] service_units maps %s to %r, '
                         'which is not a unit name' % (service, unit))
    return unit


def command_of(conf, option):
    """The template of ``[self_healing] <option>``; it must name {unit}."""
    template = (getattr(conf, option, None) or '').strip()
    if not template:
        raise ValueError('[self_healing] %s is empty: a service fault '
                         'needs it' % option)
    if UNIT_PLACEHOLDER not in template:
        raise ValueError('[self_healing] %s = %r does not say where the '
                         'unit goes (%s)' % (option, template,
                                             UNIT_PLACEHOLDER))
    return template


def render(template, unit):
    """argv of a template with its unit (no shell: the unit is one word).
    """
    return shlex.split(template.replace(UNIT_PLACEHOLDER, shlex.quote(unit)))


def _tail(text):
    text = (text or '').strip()
    return text if len(text) <= OUTPUT_TAIL else '...' + text[-OUTPUT_TAIL:]


def run_command(argv, timeout_s):
    """Run ``argv`` here; its output, or ServiceCommandError saying why.
    """
    command = ' '.join(shlex.quote(a) for a in argv)
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True,
                              timeout=timeout_s)
    except FileNotFoundError as exc:
        raise ServiceCommandError('%s: no such command (%s)' % (command,
                                                                exc))
    except subprocess.TimeoutExpired as exc:
        raise ServiceCommandError(
            '%s did not end within %s s ([self_healing] '
            'service_fault_timeout_s); its output: %s' % (
                command, timeout_s, _tail(_text(exc.stdout) +
                                          _text(exc.stderr)) or 'none'))
    output = (done.stdout or '') + (done.stderr or '')
    if done.returncode:
        raise ServiceCommandError('%s exited %d; its output: %s' % (
            command, done.returncode, _tail(output) or 'none'))
    return output


@jn.UNDO_ACTIONS.register('local_command')
def local_command(ctx, argv, timeout_s):
    """Run ``argv`` on this node (the one running Tempest)."""
    return run_command(argv, timeout_s)


def _text(data):
    if isinstance(data, bytes):
        return data.decode(errors='replace')
    return data or ''


def start_detached(argv):
    """Start ``argv`` in its own session, not waited for: it outlives us.
    """
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            start_new_session=True, close_fds=True).pid


class _ServiceFault(faults.Fault):
    """A fault on one control-plane service through its commands.

    :param commands: {option name: template} of the options it runs.
    :param timeout_s: how long one command may take
        (``service_fault_timeout_s``).
    """

    # The [self_healing] options it runs: the first one acts.
    options = ()

    def __init__(self, service, unit, commands, timeout_s, duration_s=None,
                 clock=time.time, run=run_command):
        super(_ServiceFault, self).__init__(target=service,
                                            duration_s=duration_s,
                                            clock=clock)
        missing = [o for o in self.options if o not in commands]
        if missing:
            raise ValueError('a %s fault needs [self_healing] %s' % (
                self.kind, ', '.join(missing)))
        self.service = service
        self.unit = unit
        self.commands = dict(commands)
        self.timeout_s = timeout_s
        self.run = run
        self.record.update({'service': service, 'unit': unit,
                            'duration_s': duration_s})

    @classmethod
    def from_spec(cls, spec, targets, ctx):
        conf = ctx.conf
        service = targets.service(spec)
        return [cls(service, unit_of(conf, service),
                    dict((o, command_of(conf, o)) for o in cls.options),
                    conf.service_fault_timeout_s,
                    duration_s=spec.get('duration_s'), clock=ctx.clock)]

    def argv(self, option):
        return render(self.commands[option], self.unit)

    def _run(self, option, name):
        """Run one command; note when and what it said in ``record``."""
        argv = self.argv(option)
        self.record['%s_command' % name] = ' '.join(
            shlex.quote(a) for a in argv)
        started = self.clock()
        output = self.run(argv, self.timeout_s)
        ended = self.clock()
        self.record['%s_at' % name] = ended
        self.record['%s_took_s' % name] = round(ended - started, 3)
        self.record['%s_output' % name] = _tail(output)
        return output

    def _journal_run(self, option, description):
        """A journal step running ``option``'s command here."""
        return jn.Step('local_command', '%s %s (%s)' % (
            description, self.service, self.unit), argv=self.argv(option),
            timeout_s=self.timeout_s)


@registry.FAULTS.register('service_kill', target=registry.SERVICE,
                          feature='service_fault', serial=True,
                          duration=True)
class ServiceKill(_ServiceFault):
    """SIGKILL a service (no graceful stop); the undo starts it again.

    With ``duration_s`` the engine undoes it once that has passed, so the
    service is down for that long; without, it stays down until the
    test's cleanups (a healer that never comes back).
    """

    options = (KILL, START)

    def _act(self):
        self._run(KILL, 'killed')
        self.record['did'] = 'SIGKILL to %s (%s)' % (self.service,
                                                     self.unit)

    def _undo_steps(self):
        return [('start %s (%s)' % (self.service, self.unit),
                 lambda: self._run(START, 'started'))]

    def journal_undo(self):
        return [self._journal_run(START, 'start')]


@registry.FAULTS.register('service_restart', target=registry.SERVICE,
                          feature='service_fault', serial=True)
class ServiceRestart(_ServiceFault):
    """Restart a service and wait until it is back; nothing to undo.

    The restart command returns once the service is back (the local
    cloud's restart waits until its health check passes; ``systemctl
    restart`` until the unit is started), within
    ``service_fault_timeout_s``: the fault returns with the service up.
    A run killed mid-restart may leave it stopped: its journal entry
    starts it (harmless when it runs).
    """

    options = (RESTART, START)

    def _act(self):
        self._run(RESTART, 'restarted')
        self.record['did'] = 'restarted %s (%s) in %.1f s' % (
            self.service, self.unit, self.record['restarted_took_s'])

    def _undo_steps(self):
        return [('nothing to restore after a restart', lambda: None)]

    def journal_undo(self):
        return [self._journal_run(START, 'start (a restart killed half-way '
                                         'may leave it stopped)')]

    def lasts(self):
        return ('over once the restart returns; a run killed mid-restart may '
                'leave the service stopped until a run replays this entry')


@registry.FAULTS.register('service_freeze', target=registry.SERVICE,
                          feature='service_fault', serial=True,
                          duration='required')
class ServiceFreeze(_ServiceFault):
    """SIGSTOP a service for ``duration_s``, then SIGCONT.

    The thaw is a detached process on this node (sleep, then the thaw
    command), started right after the freeze, so the service runs again
    even if the harness dies (``self_undoing``); the undo thaws anyway,
    which is harmless on a running service.
    """

    options = (FREEZE, THAW)
    self_undoing = True
    ends_by_itself = 'detached thaw on the node running Tempest'

    def __init__(self, service, unit, commands, timeout_s, duration_s=None,
                 **kwargs):
        if duration_s is None:
            raise ValueError('a service_freeze of %s needs duration_s: how '
                             'long the service stays frozen' % service)
        super(ServiceFreeze, self).__init__(service, unit, commands,
                                            timeout_s, duration_s=duration_s,
                                            **kwargs)

    def _thaw_later_argv(self):
        thaw = ' '.join(shlex.quote(a) for a in self.argv(THAW))
        return ['sh', '-c', 'sleep %s; exec %s' % (self.duration_s, thaw)]

    def _act(self):
        self._run(FREEZE, 'frozen')
        argv = self._thaw_later_argv()
        self.record['thaw_later_command'] = ' '.join(
            shlex.quote(a) for a in argv)
        self.record['thaw_later_pid'] = start_detached(argv)
        self.record['did'] = 'SIGSTOP to %s (%s) for %s s' % (
            self.service, self.unit, self.duration_s)

    def _undo_steps(self):
        return [('thaw %s (%s)' % (self.service, self.unit),
                 lambda: self._run(THAW, 'thawed'))]

    def journal_undo(self):
        return [self._journal_run(THAW, 'thaw')]
