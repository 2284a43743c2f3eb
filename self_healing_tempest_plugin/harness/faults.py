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

"""Faults the harness injects, each with an idempotent undo.

Every fault registers its undo with the test's ``addCleanup`` *before* it
acts, so a failure half-way still restores the cloud; the undo runs every
step even when one fails, tolerates resources that are gone, and does
nothing the second time. Every fault records ``t_fault`` (harness UTC
seconds, taken just before the request) and exactly what it did in
``record``, a dict the timeline carries to the report, ``target`` (the
server id, host or service it hit) included.

Each kind is one class plus one registration in ``registry.FAULTS``
(its target kind, feature flag, serial rule and the schema of its own
YAML keys); ``from_specs`` builds the faults of a scenario's ``faults:``
list from it, with a ``FaultContext`` holding every client a kind may
need.

Before it acts, a fault writes its entry in the undo journal
(``journal``, when the context has one): its undo as data
(``journal_undo()``, steps of ``journal.UNDO_ACTIONS``) that a fresh
process can replay if this one dies. Its undo removes the entry; a
failed undo keeps it. The undo actions that need the clients are
registered here, next to the code the live undo shares with them.
"""

import shlex
import socket
import time
import unittest

import paramiko
from tempest.lib import exceptions as lib_exc

from self_healing_tempest_plugin.common import microversion
from self_healing_tempest_plugin.common import waiters
from self_healing_tempest_plugin.harness import journal as jn
from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import remote
from self_healing_tempest_plugin.harness import targets as tg
from self_healing_tempest_plugin.harness import timeline as tl

# os-services by id and {"forced_down": ...} in PUT /os-services/{id}.
SERVICE_UPDATE_MICROVERSION = '2.53'
COMPUTE_BINARY = 'nova-compute'


def _skip(test, reason):
    return getattr(test, 'skipException', unittest.SkipTest)(reason)


def _test_id(test):
    test_id = getattr(test, 'id', None)
    return test_id() if callable(test_id) else None


class FaultContext(object):
    """Every client and setting a fault kind may need, built once.

    The flow runner builds it; a new kind needing a new client adds an
    attribute here, not a keyword to every caller.

    :param conf: the ``[self_healing]`` group (CONF.self_healing).
    :param journal: the undo journal its faults write (None: none).
    """

    def __init__(self, conf, servers_client=None, admin_servers_client=None,
                 services_client=None, ssh_client_factory=remote.host_client,
                 rca_client=None, alarming_client=None,
                 workflow_client=None, clock=time.time,
                 sleep=time.sleep, journal=None):
        self.conf = conf
        self.servers_client = servers_client
        self.admin_servers_client = admin_servers_client
        self.services_client = services_client
        self.ssh_client_factory = ssh_client_factory
        self.rca_client = rca_client
        self.alarming_client = alarming_client
        self.workflow_client = workflow_client
        self.clock = clock
        self.sleep = sleep
        self.journal = journal

    def require(self, attribute, kind):
        """``attribute``, or a ValueError naming the kind that needs it."""
        value = getattr(self, attribute, None)
        if value is None:
            raise ValueError('a %s fault needs the FaultContext\'s %s; the '
                             'flow runner gave none' % (kind, attribute))
        return value


class ScheduledFault(object):
    """A fault and when the engine injects it.

    :param at_s: seconds after the first fault (0: with it, at t0).
    :param on_phase: inject when this phase is first seen instead.
    """

    def __init__(self, fault, at_s=0.0, on_phase=None):
        if at_s and on_phase:
            raise ValueError('a %s fault is scheduled at %s s and on phase '
                             '%r: give one' % (fault.kind, at_s, on_phase))
        if at_s < 0:
            raise ValueError('at_s must be >= 0, got %r' % at_s)
        self.fault = fault
        self.at_s = float(at_s)
        self.on_phase = on_phase

    def __repr__(self):
        return 'ScheduledFault(%s, at_s=%s, on_phase=%r)' % (
            self.fault.kind, self.at_s, self.on_phase)


def from_specs(specs, healthy_state, ctx):
    """[ScheduledFault] of a scenario's ``faults`` entries, in order.

    The entries share one ``Targets``: a later entry never hits a member
    an earlier one took.
    """
    registry.load()
    targets = tg.Targets(healthy_state)
    scheduled = []
    for spec in specs:
        entry = registry.FAULTS.get(spec['kind'])
        for fault in entry.cls.from_spec(spec, targets, ctx):
            fault.journal = getattr(ctx, 'journal', None)
            scheduled.append(ScheduledFault(
                fault, at_s=spec.get('at_s', 0), on_phase=spec.get('on')))
    return scheduled


class Fault(object):
    """Base: inject once, undo at most once (successfully)."""

    kind = None             # set by the registration
    # Set when the fault ends after ``duration_s`` by itself (on the
    # remote side): the engine then never undoes it at ``expires_at``.
    self_undoing = False
    # What ends it then, in its journal entry's ``lasts``.
    ends_by_itself = 'a detached job'
    # The undo journal it writes before it acts (None: none), and the id
    # of its entry there.
    journal = None
    entry_id = None

    def __init__(self, target=None, duration_s=None, clock=time.time):
        if duration_s is not None and duration_s <= 0:
            raise ValueError('duration_s must be > 0, got %r' % duration_s)
        self.clock = clock
        self.duration_s = duration_s
        self.t_fault = None
        self.record = {'kind': self.kind, 'target': target}
        self.undo_errors = []
        self._armed = False
        self._undone = False

    @classmethod
    def from_spec(cls, spec, targets, ctx):
        """The fault objects of one ``faults:`` entry (a list)."""
        raise NotImplementedError

    @classmethod
    def spec_errors(cls, spec):
        """[(key, message)]: what the kind's schema cannot say."""
        return []

    @property
    def expires_at(self):
        """Epoch time its ``duration_s`` ends (None: it lasts)."""
        if self.duration_s is None or self.t_fault is None:
            return None
        return self.t_fault + self.duration_s

    # -- what subclasses provide ---------------------------------------
    def _precheck(self, test):
        """Checks that do not touch the cloud's state; may skip."""

    def _act(self):
        raise NotImplementedError

    def _undo_steps(self):
        """[(description, callable)], each run even if another fails."""
        return []

    def journal_undo(self):
        """[journal.Step]: its undo as data a fresh process can run.

        The journal writes it before the fault acts, so each step must
        be harmless when the fault never acted.
        """
        raise NotImplementedError('fault kind %s gives no journal_undo()'
                                  % self.kind)

    def lasts(self):
        """How long the fault lasts, in words its journal entry keeps."""
        if self.duration_s is None:
            return jn.NO_DURATION
        ends = tl.utc_text(self.expires_at)
        if self.self_undoing:
            return 'ends by itself at %s: %s' % (ends, self.ends_by_itself)
        return ('until undone: the engine undoes it at %s; if the run dies, '
                'until a run replays this entry' % ends)

    def affected(self, state):
        """Ids of the members of ``state`` this fault hits."""
        return set()

    def hosts_cut_off(self):
        """Hosts this fault cuts off now: their instances do not run.

        Nova says so only later (service_down_time) or never (a fast
        evacuation moves them first); the harness knows at once.
        """
        return set()

    @property
    def active(self):
        """Injected and not undone yet."""
        return self._armed and not self._undone

    # -- the contract ---------------------------------------------------
    def inject(self, test):
        """Check, register the undo, journal it, then act; ``record``.

        The journal entry is written after the cleanup and before the
        act: a run killed between the two leaves an entry whose undo
        finds nothing to do, never an act without an entry.
        """
        if self._armed:
            raise RuntimeError('%s was already injected' % self.kind)
        self._precheck(test)
        test.addCleanup(self.undo)
        self._armed = True
        self.t_fault = self.clock()
        self.record['t_fault'] = self.t_fault
        self.record['t_fault_utc'] = tl.utc_text(self.t_fault)
        if self.journal is not None:
            self.entry_id = self.journal.open(self, test_id=_test_id(test))
            self.record['journal_entry'] = self.entry_id
        self._act()
        self.record['returned_at'] = self.clock()
        return self.record

    def undo(self):
        """Restore what the fault did; idempotent, NotFound tolerated."""
        if not self._armed or self._undone:
            return
        errors = []
        done = []
        for description, step in self._undo_steps():
            try:
                step()
                done.append(description)
            except lib_exc.NotFound:
                done.append('%s: already gone' % description)
            except Exception as exc:
                errors.append('%s: %s' % (description, exc))
        self.record['undo'] = done
        self.record['undo_errors'] = errors
        self.undo_errors = errors
        if errors:
            if self.entry_id is not None:
                self.journal.keep_failed(self.entry_id, errors, did=done)
            raise RuntimeError('undo of %s failed: %s'
                               % (self.kind, '; '.join(errors)))
        if self.entry_id is not None:
            self.journal.close(self.entry_id)
        self._undone = True
        self.record['undone_at'] = self.clock()
        self.record['undone_at_utc'] = tl.utc_text(self.record['undone_at'])


class _ServerFault(Fault):
    """A fault on one server through the Compute API."""

    # The FaultContext client it acts with.
    client_attribute = 'servers_client'

    def __init__(self, servers_client, server_id, clock=time.time):
        super(_ServerFault, self).__init__(target=server_id, clock=clock)
        self.client = servers_client
        self.server_id = server_id
        self.record['server_id'] = server_id

    @classmethod
    def from_spec(cls, spec, targets, ctx):
        """One fault per member: ``count: N`` hits N members."""
        client = ctx.require(cls.client_attribute, cls.kind)
        return [cls(client, member.id, clock=ctx.clock)
                for member in targets.members(spec)]

    def affected(self, state):
        return {self.server_id} & state.ids()


def server_status(client, server_id):
    return client.show_server(server_id)['server']['status']


def start_server_if_shutoff(client, server_id):
    """Start the server if it is SHUTOFF; a state change since is fine.
    """
    if server_status(client, server_id) == 'SHUTOFF':
        try:
            client.start_server(server_id)
        except lib_exc.Conflict:
            pass  # it changed state since: nothing left to undo


def reset_server_active_if_error(client, server_id):
    if server_status(client, server_id) == 'ERROR':
        client.reset_state(server_id, state='active')


def _any_project_servers(ctx):
    """The admin's servers client.

    A dead run's server is in another project than the replaying run's.
    """
    return ctx.admin_servers_client or ctx.require('servers_client',
                                                   'replayed server')


@jn.UNDO_ACTIONS.register('start_server_if_shutoff')
def _start_server_if_shutoff_action(ctx, server_id):
    start_server_if_shutoff(_any_project_servers(ctx), server_id)


@jn.UNDO_ACTIONS.register('reset_server_active_if_error')
def _reset_server_active_if_error_action(ctx, server_id):
    reset_server_active_if_error(_any_project_servers(ctx), server_id)


@registry.FAULTS.register('instance_delete', target=registry.MEMBER,
                          feature='instance_delete_fault')
class InstanceDelete(_ServerFault):
    """Delete a member's server out of band (seed 000)."""

    def _act(self):
        self.client.delete_server(self.server_id)
        self.record['did'] = 'DELETE /servers/%s' % self.server_id

    def _undo_steps(self):
        # A deleted server cannot come back: healing replaces it, and the
        # stack that owns it deletes the rest. Say so in the report.
        return [('nothing to restore after a delete', lambda: None)]

    def journal_undo(self):
        return [jn.Step('noop', 'nothing to restore: a delete of server %s '
                        'cannot be undone' % self.server_id)]

    def lasts(self):
        return ('for good: a delete cannot be undone (healing replaces the '
                'server)')


@registry.FAULTS.register('server_stop', target=registry.MEMBER,
                          feature='server_update_fault')
class ServerStop(_ServerFault):
    """Stop a member's server out of band."""

    def _act(self):
        self.client.stop_server(self.server_id)
        self.record['did'] = 'os-stop on server %s' % self.server_id

    def _undo_steps(self):
        return [('start server %s if SHUTOFF' % self.server_id,
                 lambda: start_server_if_shutoff(self.client,
                                                 self.server_id))]

    def journal_undo(self):
        return [jn.Step('start_server_if_shutoff', 'start server %s if '
                        'SHUTOFF' % self.server_id, server_id=self.server_id)]


@registry.FAULTS.register('server_error', target=registry.MEMBER,
                          feature='server_update_fault')
class ServerResetError(_ServerFault):
    """Put a member's server in ERROR out of band (admin reset-state)."""

    client_attribute = 'admin_servers_client'

    def _act(self):
        self.client.reset_state(self.server_id, state='error')
        self.record['did'] = 'os-resetState error on server %s' % (
            self.server_id)

    def _undo_steps(self):
        return [('reset server %s to active if ERROR' % self.server_id,
                 lambda: reset_server_active_if_error(self.client,
                                                      self.server_id))]

    def journal_undo(self):
        return [jn.Step('reset_server_active_if_error', 'reset server %s to '
                        'active if ERROR' % self.server_id,
                        server_id=self.server_id)]


_NIC = {'nic': {'type': 'string', 'minLength': 1,
                'message': 'expected an interface name'}}


@registry.FAULTS.register('nic_down', target=registry.HOST,
                          feature='nic_fault', serial=True, schema=_NIC,
                          duration=True)
class NicDown(Fault):
    """``ip link set <nic> down`` over SSH on a compute host.

    With ``duration_s`` the command runs detached on the remote side
    (nohup ... &), down, sleep, up, so the fault ends even if the harness
    dies (``self_undoing``); the remote side logs when the link went down
    and up, and the undo reads that log. Without a duration the undo
    brings it up, which is refused when the NIC carries the SSH session
    itself.

    :param carries_ssh: whether the SSH session rides on ``nic``; None
        asks the remote side (``ip route get`` of the SSH client).
    """

    def __init__(self, ssh_client, nic, duration_s=None, host=None,
                 carries_ssh=None, poll_interval_s=1.0,
                 reconnect_timeout_s=120, log_dir='/tmp', clock=time.time,
                 sleep=time.sleep):
        super(NicDown, self).__init__(target=host, duration_s=duration_s,
                                      clock=clock)
        self.client = ssh_client
        self.nic = nic
        self.host = host
        self.carries_ssh = carries_ssh
        self.poll_interval_s = poll_interval_s
        self.reconnect_timeout_s = reconnect_timeout_s
        self.sleep = sleep
        self.log_path = '%s/self-healing-nic-%s.log' % (log_dir, nic)
        self.record.update({'nic': nic, 'host': host,
                            'duration_s': duration_s})

    @classmethod
    def from_spec(cls, spec, targets, ctx):
        conf = ctx.conf
        host = targets.host(spec)
        return [cls(ctx.ssh_client_factory(conf, host),
                    spec.get('nic', conf.host_nic),
                    duration_s=spec.get('duration_s'), host=host,
                    poll_interval_s=conf.poll_interval_s,
                    reconnect_timeout_s=(conf.host_ssh_timeout_s +
                                         conf.poll_interval_s),
                    clock=ctx.clock, sleep=ctx.sleep)]

    @property
    def self_undoing(self):
        return bool(self.duration_s)

    def affected(self, state):
        return set(m.id for m in state.members if m.host == self.host)

    def hosts_cut_off(self):
        if not self.active or not self.host:
            return set()
        if self.expires_at is not None and self.clock() >= self.expires_at:
            return set()
        return {self.host}

    def _ip(self, state):
        return 'ip link set %s %s' % (shlex.quote(self.nic), state)

    def _precheck(self, test):
        if self.carries_ssh is None:
            self.carries_ssh = remote.session_device(self.client) == self.nic
        self.record['carries_ssh'] = self.carries_ssh
        if self.carries_ssh and not self.duration_s:
            raise ValueError(
                'NIC %s carries the SSH session: taking it down with no '
                'duration would leave no way to bring it back; give '
                'duration_s' % self.nic)

    def _detached_command(self):
        log = shlex.quote(self.log_path)
        inner = '; '.join([
            '%s > %s' % (remote.stamp('requested'), log),
            '%s && %s >> %s' % (self._ip('down'), remote.stamp('down'), log),
            'sleep %s' % self.duration_s,
            '%s; %s >> %s' % (self._ip('up'), remote.stamp('up'), log),
        ])
        return '%s; nohup sh -c %s >/dev/null 2>&1 &' % (
            remote.stamp('started'), shlex.quote(inner))

    def _act(self):
        if self.duration_s:
            command = self._detached_command()
        else:
            command = '%s; %s && %s' % (remote.stamp('requested'),
                                        self._ip('down'),
                                        remote.stamp('down'))
        self.record['command'] = command
        self.record['detached'] = bool(self.duration_s)
        output = self.client.exec_command(command)
        self._note_stamps(output)
        self.record['did'] = 'ip link set %s down%s' % (
            self.nic, ' for %s s (detached)' % self.duration_s
            if self.duration_s else '')

    def _note_stamps(self, output):
        """Keep remote stamps; estimate the remote clock offset once."""
        stamps = remote.parse_stamps(output)
        for name, value in stamps.items():
            self.record['remote_%s_at' % name] = value
        first = stamps.get('started', stamps.get('requested'))
        if first is not None and 'remote_clock_offset_s' not in self.record:
            middle = (self.t_fault + self.clock()) / 2.0
            self.record['remote_clock_offset_s'] = first - middle
        offset = self.record.get('remote_clock_offset_s')
        for name in ('down', 'up'):
            if name in stamps and offset is not None:
                # The remote time of the event on the harness's clock.
                self.record['link_%s_at' % name] = stamps[name] - offset

    def _bring_up(self):
        command = '%s; %s; cat %s 2>/dev/null || true' % (
            self._ip('up'), remote.stamp('undo_up'),
            shlex.quote(self.log_path))
        if not (self.duration_s and self.carries_ssh):
            self._note_stamps(self.client.exec_command(command))
            return

        # The link carries the session: SSH is back once the detached job
        # has brought it up; retry at the poll interval until then.
        def attempt():
            try:
                return self.client.exec_command(command)
            except (lib_exc.SSHTimeout, lib_exc.TimeoutException,
                    paramiko.SSHException, socket.error, EOFError):
                return None

        remaining = max(0.0, self.t_fault + self.duration_s - self.clock())
        waiter = waiters.Waiter(
            self.poll_interval_s, remaining + self.reconnect_timeout_s,
            clock=self.clock, sleep=self.sleep)
        self._note_stamps(waiter.until(
            attempt, lambda out: out is not None,
            'SSH to the host of NIC %s' % self.nic, 'reachable again',
            describe=lambda out: 'unreachable'))

    def _undo_steps(self):
        return [('ip link set %s up' % self.nic, self._bring_up)]

    @property
    def ends_by_itself(self):
        return 'detached job on %s' % self.host

    def journal_undo(self):
        # A link carrying the session answers SSH only once the detached
        # job has brought it up: the replay waits for that first.
        not_before = (self.expires_at if self.duration_s and
                      self.carries_ssh else None)
        return [jn.Step('ssh_command', 'ip link set %s up on %s' % (
            self.nic, self.host), host=self.host, command=self._ip('up'),
            not_before=not_before)]


@jn.UNDO_ACTIONS.register('ssh_command')
def ssh_command(ctx, host, command, not_before=None):
    """Run ``command`` on compute host ``host`` over SSH.

    :param not_before: epoch time before which the host cannot answer
        (its link comes back then): the step waits until then.
    """
    if not_before is not None and ctx.clock() < not_before:
        ctx.sleep(not_before - ctx.clock())
    return ctx.ssh_client_factory(ctx.conf, host).exec_command(command)


def compute_services(services_client, **filters):
    """The nova-compute services Nova lists (ids, forced_down: 2.53)."""
    with microversion.requests_at(microversion.COMPUTE,
                                  SERVICE_UPDATE_MICROVERSION):
        return services_client.list_services(
            binary=COMPUTE_BINARY, **filters)['services']


def set_forced_down(services_client, service_id, value):
    with microversion.requests_at(microversion.COMPUTE,
                                  SERVICE_UPDATE_MICROVERSION):
        services_client.update_service(service_id, forced_down=value)


def compute_service_id(services_client, host):
    """The id of ``host``'s nova-compute service; ValueError if none."""
    found = compute_services(services_client, host=host)
    if not found:
        raise ValueError('no %s service on host %r' % (COMPUTE_BINARY,
                                                       host))
    return found[0]['id']


def compute_heartbeat(services_client, host):
    """(state, updated_at) of ``host``'s nova-compute; (None, None) if none.

    ``updated_at`` is the service's last heartbeat. Nova counts a service
    up for service_down_time after it, so a process that is only starting
    (or already dead) still reads "up": only a new heartbeat says the
    process answering now has finished its start (init_host comes first).
    """
    found = compute_services(services_client, host=host)
    if not found:
        return None, None
    return found[0]['state'], found[0].get('updated_at')


def wait_compute_up(services_client, host, waiter):
    """Wait until ``host``'s nova-compute is up with a new heartbeat.

    Called after its start or restart: the heartbeat Nova holds at the
    call is the old process's (or one already from the new one), so the
    next one is the new process's, sent once it has finished starting.
    A server scheduled to the host before that is put in ERROR by its
    start ("build interrupted").
    """
    _, stale = compute_heartbeat(services_client, host)
    waiter.until(lambda: compute_heartbeat(services_client, host),
                 lambda beat: beat[0] == 'up' and beat[1] != stale,
                 '%s service on %s' % (COMPUTE_BINARY, host),
                 'up with a heartbeat after %s' % stale,
                 describe=lambda beat: '%s, heartbeat %s' % beat)


def service_waiter(ctx):
    """A Waiter of [self_healing] service_timeout_s, for replayed steps."""
    return waiters.Waiter(ctx.conf.poll_interval_s,
                          ctx.conf.service_timeout_s, clock=ctx.clock,
                          sleep=ctx.sleep)


@jn.UNDO_ACTIONS.register('clear_forced_down')
def _clear_forced_down_action(ctx, host):
    services = ctx.require('services_client', 'replayed host_stop')
    clear_forced_down(services, compute_service_id(services, host), host,
                      service_waiter(ctx))


@jn.UNDO_ACTIONS.register('wait_compute_up')
def _wait_compute_up_action(ctx, host):
    wait_compute_up(ctx.require('services_client', 'replayed host_stop'),
                    host, service_waiter(ctx))


def clear_forced_down(services_client, service_id, host, waiter,
                      record=None):
    """Clear forced_down, retried while Nova refuses (BadRequest).

    Nova refuses while evacuations from the host are unfinished; those
    end when the restarted compute service has cleaned up the evacuated
    instances. ``record`` (a dict) keeps Nova's last refusal under
    ``force_up_refused``.
    """
    record = {} if record is None else record

    def cleared():
        try:
            set_forced_down(services_client, service_id, False)
        except lib_exc.BadRequest as exc:
            record['force_up_refused'] = str(exc)
            return False
        return True
    waiter.until(cleared, bool, 'forced_down of %s service on %s' % (
        COMPUTE_BINARY, host), 'cleared',
        describe=lambda _: 'Nova refuses: %s' % record.get(
            'force_up_refused'))


@registry.FAULTS.register(
    'host_stop', target=registry.HOST, feature='host_fault', serial=True,
    schema={'force_down': {'type': 'boolean'},
            'ssh_stop': {'type': 'boolean'}}, duration=True)
class HostStop(Fault):
    """Stop a compute host: its services over SSH and/or forced down.

    The fault refuses to run (skip) with fewer than two compute services
    up, and its undo starts the services, clears forced_down and waits
    until the nova-compute service reports up. It runs in a
    @decorators.serial class (``serial``): no other test class runs
    meanwhile.

    With ``duration_s`` the SSH part runs detached on the host (nohup:
    stop, sleep, start), so the services come back even if the harness
    dies (``self_undoing``: the engine leaves it alone at its expiry);
    the force-down stays until the undo, or a later run's replay of its
    journal entry. The job's pid is in ``pid_path`` on the host: an undo
    before its end (the live one or a replay) ends the job first, so its
    late start never hits a later fault of the same host.
    """

    def __init__(self, host, services_client, ssh_client=None,
                 stop_command=None, start_command=None, force_down=True,
                 poll_interval_s=1.0, service_timeout_s=300,
                 duration_s=None, log_dir='/tmp', clock=time.time,
                 sleep=time.sleep):
        super(HostStop, self).__init__(target=host, duration_s=duration_s,
                                       clock=clock)
        if not force_down and not (ssh_client and stop_command):
            raise ValueError('a host stop needs force_down or an SSH '
                             'client with a stop command')
        if ssh_client and stop_command and not start_command:
            raise ValueError('a host stop over SSH needs a start command '
                             'to undo it')
        self.host = host
        self.services = services_client
        self.ssh = ssh_client
        self.stop_command = stop_command
        self.start_command = start_command
        self.pid_path = '%s/self-healing-host-stop-%s.pid' % (log_dir, host)
        self.force_down = force_down
        self.poll_interval_s = poll_interval_s
        self.service_timeout_s = service_timeout_s
        self.sleep = sleep
        self.service_id = None
        self.record.update({'host': host, 'force_down': force_down,
                            'stop_command': stop_command if ssh_client
                            else None, 'duration_s': duration_s})

    @classmethod
    def from_spec(cls, spec, targets, ctx):
        conf = ctx.conf
        host = targets.host(spec)
        ssh_stop = spec.get('ssh_stop', True)
        return [cls(
            host, ctx.require('services_client', cls.kind),
            ssh_client=ctx.ssh_client_factory(conf, host) if ssh_stop
            else None,
            stop_command=conf.host_stop_command if ssh_stop else None,
            start_command=conf.host_start_command,
            force_down=spec.get('force_down', True),
            poll_interval_s=conf.poll_interval_s,
            service_timeout_s=conf.service_timeout_s,
            duration_s=spec.get('duration_s'),
            clock=ctx.clock, sleep=ctx.sleep)]

    @classmethod
    def spec_errors(cls, spec):
        if spec.get('force_down') is False and spec.get('ssh_stop') is False:
            return [('force_down', 'a host_stop needs force_down or '
                                   'ssh_stop (both are false)')]
        return []

    def affected(self, state):
        return set(m.id for m in state.members if m.host == self.host)

    def hosts_cut_off(self):
        return {self.host} if self.active else set()

    @property
    def _stops_over_ssh(self):
        return bool(self.ssh and self.stop_command)

    @property
    def self_undoing(self):
        return bool(self.duration_s) and self._stops_over_ssh

    def lasts(self):
        if not self.self_undoing:
            return super(HostStop, self).lasts()
        text = 'services come back at %s: detached job on %s' % (
            tl.utc_text(self.expires_at), self.host)
        if self.force_down:
            text += '; force-down lasts until a run replays this entry'
        return text

    def _detached_command(self):
        """Stop, sleep, start, on the host: it outlives the harness."""
        pid = shlex.quote(self.pid_path)
        inner = '%s; sleep %s; %s; rm -f %s' % (
            self.stop_command, self.duration_s, self.start_command, pid)
        return 'nohup sh -c %s >/dev/null 2>&1 & echo $! > %s' % (
            shlex.quote(inner), pid)

    def _start_command(self):
        """The start, after ending a detached job still waiting."""
        if not self.duration_s:
            return self.start_command
        pid = shlex.quote(self.pid_path)
        return ('if [ -f %s ]; then kill "$(cat %s)" 2>/dev/null; rm -f %s; '
                'fi; %s' % (pid, pid, pid, self.start_command))

    def journal_undo(self):
        steps = []
        if self._stops_over_ssh:
            steps.append(jn.Step(
                'ssh_command', 'run %r on %s' % (self.start_command,
                                                 self.host),
                host=self.host, command=self._start_command()))
        if self.force_down:
            steps.append(jn.Step(
                'clear_forced_down', 'clear forced_down of %s on %s' % (
                    COMPUTE_BINARY, self.host), host=self.host))
        steps.append(jn.Step('wait_compute_up', 'wait until %s on %s is up'
                             % (COMPUTE_BINARY, self.host), host=self.host))
        return steps

    def _computes(self, **filters):
        return compute_services(self.services, **filters)

    def _precheck(self, test):
        services = self._computes()
        up = sorted(s['host'] for s in services if s['state'] == 'up')
        if len(up) < 2:
            raise _skip(test, 'a host fault needs at least two compute '
                              'services up, found %d: %s'
                        % (len(up), ', '.join(up) or 'none'))
        mine = [s for s in services if s['host'] == self.host]
        if not mine:
            raise ValueError('no %s service on host %r; hosts: %s' % (
                COMPUTE_BINARY, self.host,
                ', '.join(sorted(s['host'] for s in services))))
        self.service_id = mine[0]['id']
        self.record['service_id'] = self.service_id
        self.record['computes_up_before'] = up

    def _act(self):
        did = []
        if self._stops_over_ssh and self.duration_s:
            command = self._detached_command()
            self.record['command'] = command
            self.record['detached'] = True
            self.record['stop_output'] = self.ssh.exec_command(command)
            did.append('ran %r on %s, detached, back after %s s' % (
                self.stop_command, self.host, self.duration_s))
            self.record['stopped_at'] = self.clock()
        elif self._stops_over_ssh:
            self.record['stop_output'] = self.ssh.exec_command(
                self.stop_command)
            did.append('ran %r on %s' % (self.stop_command, self.host))
            self.record['stopped_at'] = self.clock()
        if self.force_down:
            set_forced_down(self.services, self.service_id, True)
            did.append('forced %s service %s down' % (COMPUTE_BINARY,
                                                      self.service_id))
            self.record['forced_down_at'] = self.clock()
        self.record['did'] = '; '.join(did)

    def _wait_up(self):
        wait_compute_up(self.services, self.host, waiters.Waiter(
            self.poll_interval_s, self.service_timeout_s, clock=self.clock,
            sleep=self.sleep))
        self.record['service_up_at'] = self.clock()

    def _clear_forced_down(self):
        clear_forced_down(
            self.services, self.service_id, self.host,
            waiters.Waiter(self.poll_interval_s, self.service_timeout_s,
                           clock=self.clock, sleep=self.sleep),
            record=self.record)

    def _undo_steps(self):
        steps = []
        if self._stops_over_ssh:
            steps.append(('run %r on %s' % (self.start_command, self.host),
                          lambda: self.ssh.exec_command(
                              self._start_command())))
        if self.force_down:
            steps.append(('clear forced_down of service %s'
                          % self.service_id, self._clear_forced_down))
        steps.append(('wait until %s on %s is up' % (COMPUTE_BINARY,
                                                     self.host),
                      self._wait_up))
        return steps
