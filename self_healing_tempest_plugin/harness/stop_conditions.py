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

"""Stop conditions: the safeguards that interrupt a healing run.

A healing run judges the flow only while the cloud around it is sound;
when it is not (a compute host the flow needs went down, the message bus
froze, another run's serial fault is open, the disk fills, an operator
touched the kill switch), the run undoes its faults and ends
"interrupted: <condition>: <reason>", a verdict apart from passed and
failed (harness/run.py). Each condition is a class registered in
``registry.STOP_CONDITIONS`` with the schema of its keys in a scenario
file; ``check(view)`` returns None or a reason saying what it saw.

[self_healing] stop_conditions lists the conditions of every run; a
scenario's ``stop_conditions:`` (names, or mappings with ``name`` and
the condition's keys) adds to them, its keys overriding the options::

    stop_conditions:
      - message_bus
      - {name: disk_free, floor_mib: 2048, path: /var/lib}

``build`` makes the run's conditions; one that cannot work as configured
(message_bus without [self_healing] message_bus_address) is a ValueError
naming the option.
"""

import errno
import os
import socket
import struct
import time

from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import registry

STOP_CONDITIONS = registry.STOP_CONDITIONS

# The AMQP 0-9-1 protocol header a client opens with; a broker answers
# with a method frame (type 1) on channel 0 holding Connection.Start
# (class 10, method 10).
AMQP_HEADER = b'AMQP\x00\x00\x09\x01'
_METHOD_FRAME = 1
_CONNECTION_START = (10, 10)
# frame type (1), channel (2), size (4), class id (2), method id (2).
_START_PREFIX = struct.Struct('>BHIHH')
MIB = 1024 * 1024


class View(object):
    """What a check reads of the run: its faults, injected and pending.

    :param injected: the run's injected faults, in injection order.
    :param pending: the faults not injected yet.
    """

    def __init__(self, injected=(), pending=()):
        self.injected = list(injected)
        self.pending = list(pending)

    def active(self):
        return [f for f in self.injected if f.active]

    def fault_hosts(self):
        """The hosts the run's own faults target.

        Every injected fault's, undone or not: a host this run stopped
        reports its compute service down until its next heartbeat, after
        the fault ended.
        """
        hosts = set()
        for fault in self.injected:
            hosts |= set(fault.hosts_cut_off())
            if getattr(fault, 'host', None):
                hosts.add(fault.host)
        return hosts

    def entry_ids(self):
        """Journal entry ids of the run's own faults."""
        return set(getattr(f, 'entry_id', None) for f in self.injected) - {
            None}

    def serial_kinds(self):
        """Kinds of the run's pending or active faults that are serial."""
        return sorted(set(f.kind for f in self.pending + self.active()
                          if is_serial(f.kind)))


def is_serial(kind):
    """Whether fault kind ``kind`` must run alone; unknown: it must."""
    registry.load()
    return kind not in registry.FAULTS or registry.FAULTS.get(kind).serial


def option_error(condition, option, why):
    """The ValueError of a condition the configuration leaves unusable."""
    return ValueError(
        'stop condition %s cannot work: [self_healing] %s %s; set it, or '
        'remove %s from [self_healing] stop_conditions and the scenario\'s '
        'stop_conditions' % (condition, option, why, condition))


class Condition(object):
    """Base: built from the options and a scenario's keys, then checked.

    :param conf: [self_healing].
    :param ctx: the run's ``faults.FaultContext`` (its clients and
        journal).
    :param keys: the scenario's keys of this condition (its schema's).
    """

    name = None     # set by the registration

    def __init__(self, conf, ctx, **keys):
        self.conf = conf
        self.ctx = ctx

    @property
    def calls(self):
        """Cloud requests one check makes (on top of the poll spacing)."""
        return STOP_CONDITIONS.get(self.name).calls

    def check(self, view):
        """None while the condition holds, else what was seen."""
        raise NotImplementedError

    def __repr__(self):
        return 'StopCondition(%s)' % self.name


@STOP_CONDITIONS.register('computes_up', calls=1)
class ComputesUp(Condition):
    """The compute services up at the first check stay up.

    Except on the hosts the run's own faults target; and at least one
    must be up. One request per check (the services list).
    """

    def __init__(self, conf, ctx, **keys):
        super(ComputesUp, self).__init__(conf, ctx, **keys)
        self.services_client = getattr(ctx, 'services_client', None)
        if self.services_client is None:
            raise ValueError('stop condition computes_up needs the '
                             'compute services client; the flow runner\'s '
                             'FaultContext gives none')
        self.up_at_start = None

    def check(self, view):
        try:
            services = faults.compute_services(self.services_client)
        except Exception as exc:
            return 'the %s services could not be listed: %s: %s' % (
                faults.COMPUTE_BINARY, type(exc).__name__, exc)
        states = dict((s['host'], s['state']) for s in services)
        up = set(host for host, state in states.items() if state == 'up')
        if self.up_at_start is None:
            self.up_at_start = up
        if not up:
            return 'no %s service is up (%s)' % (
                faults.COMPUTE_BINARY, ', '.join(
                    '%s %s' % item for item in sorted(states.items())) or
                'none listed')
        lost = sorted(self.up_at_start - up - view.fault_hosts())
        if lost:
            return '; '.join(
                '%s on %s is %s (was up at the start)' % (
                    faults.COMPUTE_BINARY, host,
                    states[host] if host in states else 'not listed')
                for host in lost)
        return None


def parse_address(text, option='message_bus_address'):
    """(host, port) of 'host:port' or '[v6]:port'; ValueError naming it."""
    host, _, port = (text or '').rpartition(':')
    host = host[1:-1] if host.startswith('[') and host.endswith(']') \
        else host
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError('[self_healing] %s must be host:port, got %r'
                         % (option, text))
    return host, int(port)


@STOP_CONDITIONS.register(
    'message_bus',
    schema={'address': {'type': 'string', 'minLength': 1,
                        'message': 'host:port of the message bus'},
            'timeout_s': {'type': 'number', 'exclusiveMinimum': 0,
                          'message': 'seconds > 0'}})
class MessageBus(Condition):
    """The message bus answers an AMQP 0-9-1 client within the timeout.

    A TCP connect is not enough: a frozen broker (SIGSTOP) still accepts
    connections in the kernel but never sends its Connection.Start.
    """

    def __init__(self, conf, ctx, address=None, timeout_s=None):
        super(MessageBus, self).__init__(conf, ctx)
        address = address or conf.message_bus_address
        if not address:
            raise option_error(self.name, 'message_bus_address',
                               'is empty')
        self.host, self.port = parse_address(address)
        self.timeout_s = float(timeout_s or conf.message_bus_timeout_s)

    @property
    def where(self):
        return '%s:%d' % (self.host, self.port)

    def check(self, view):
        deadline = time.monotonic() + self.timeout_s
        try:
            with socket.create_connection((self.host, self.port),
                                          timeout=self.timeout_s) as sock:
                sock.sendall(AMQP_HEADER)
                answer = _receive(sock, _START_PREFIX.size, deadline)
        except socket.timeout:
            return 'no AMQP answer from %s within %g s' % (
                self.where, self.timeout_s)
        except OSError as exc:
            return 'cannot reach the message bus at %s: %s' % (
                self.where, exc.strerror or exc)
        if len(answer) < _START_PREFIX.size:
            return ('the message bus at %s closed the connection after '
                    '%d byte(s), %r, without a Connection.Start'
                    % (self.where, len(answer), answer))
        kind, channel, _, class_id, method_id = _START_PREFIX.unpack(answer)
        if kind != _METHOD_FRAME or (class_id, method_id) != (
                _CONNECTION_START):
            return ('the message bus at %s answered %r, not an AMQP 0-9-1 '
                    'Connection.Start' % (self.where, answer))
        return None


def _receive(sock, size, deadline):
    """Up to ``size`` bytes, fewer if the peer closes; socket.timeout."""
    data = b''
    while len(data) < size:
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout()
        sock.settimeout(left)
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


@STOP_CONDITIONS.register('no_other_open_fault')
class NoOtherOpenFault(Condition):
    """No other live run holds a fault that this run must not overlap.

    Violated when another live run has a journal entry open of a serial
    kind, or this run has a serial fault pending or active and another
    live run has any entry open. Entries of dead runs are the replay's.
    """

    def __init__(self, conf, ctx, **keys):
        super(NoOtherOpenFault, self).__init__(conf, ctx, **keys)
        if not conf.fault_journal_dir:
            raise option_error(self.name, 'fault_journal_dir',
                               'is empty (no journal to read)')
        # None until the runner's FaultContext carries the journal.
        self.journal = getattr(ctx, 'journal', None)

    def check(self, view):
        if self.journal is None:
            return None
        mine = view.entry_ids()
        others = [e for e in self.journal.entries()
                  if e.alive and not e.mine and e.id not in mine]
        for entry in others:
            if is_serial(entry.kind):
                return 'run %s has %s on %s open' % (
                    entry.run_id, entry.kind, entry.target)
        serial = view.serial_kinds()
        if others and serial:
            entry = others[0]
            return ('run %s has %s on %s open, and this run\'s %s must '
                    'run alone' % (entry.run_id, entry.kind, entry.target,
                                   ', '.join(serial)))
        return None


@STOP_CONDITIONS.register(
    'disk_free',
    schema={'path': {'type': 'string', 'minLength': 1,
                     'message': 'the path of the filesystem to watch'},
            'floor_mib': {'type': 'integer', 'minimum': 0}})
class DiskFree(Condition):
    """The watched filesystem keeps at least the floor free."""

    def __init__(self, conf, ctx, path=None, floor_mib=None):
        super(DiskFree, self).__init__(conf, ctx)
        self.path = path or conf.disk_free_path
        if not self.path:
            raise option_error(self.name, 'disk_free_path', 'is empty')
        self.floor_mib = (conf.disk_free_floor_mib if floor_mib is None
                          else floor_mib)

    def check(self, view):
        try:
            found = os.statvfs(self.path)
        except OSError as exc:
            return 'free space of %s cannot be read: %s' % (
                self.path, exc.strerror or errno.errorcode.get(exc.errno))
        free_mib = found.f_bavail * found.f_frsize // MIB
        if free_mib < self.floor_mib:
            return '%d MiB free on %s, floor %d MiB' % (
                free_mib, self.path, self.floor_mib)
        return None


@STOP_CONDITIONS.register(
    'kill_switch',
    schema={'file': {'type': 'string', 'minLength': 1,
                     'message': 'the path of the kill switch file'}})
class KillSwitch(Condition):
    """An operator's kill switch file: while it exists, no fault runs."""

    def __init__(self, conf, ctx, file=None):
        super(KillSwitch, self).__init__(conf, ctx)
        self.file = file or conf.kill_switch_file
        if not self.file:
            raise option_error(self.name, 'kill_switch_file', 'is empty')

    def check(self, view):
        if os.path.lexists(self.file):
            return 'kill switch %s exists' % self.file
        return None


def parse_specs(specs):
    """[(name, keys)] of a ``stop_conditions:`` list (names or mappings)."""
    found = []
    for spec in specs or ():
        if isinstance(spec, str):
            found.append((spec, {}))
        else:
            keys = dict(spec)
            found.append((keys.pop('name'), keys))
    return found


def build(conf, scenario_specs=(), ctx=None):
    """The run's [Condition]: the options' list, then the scenario's.

    A scenario's entry of a listed condition replaces its keys. Unknown
    names and keys, and conditions the options leave unusable, are
    ValueErrors naming them.
    """
    registry.load()
    chosen = {}
    for name in conf.stop_conditions or ():
        if name not in STOP_CONDITIONS:
            raise ValueError(
                '[self_healing] stop_conditions: unknown stop condition '
                '%r; known: %s' % (name, ', '.join(STOP_CONDITIONS.names())))
        chosen[name] = {}
    for name, keys in parse_specs(scenario_specs):
        if name not in STOP_CONDITIONS:
            raise ValueError('scenario stop_conditions: unknown stop '
                             'condition %r; known: %s' % (
                                 name, ', '.join(STOP_CONDITIONS.names())))
        unknown = sorted(set(keys) - set(STOP_CONDITIONS.get(name).schema))
        if unknown:
            raise ValueError('scenario stop_conditions: %s takes no %s' % (
                name, ', '.join(unknown)))
        chosen[name] = keys
    return [STOP_CONDITIONS.get(name).cls(conf, ctx, **keys)
            for name, keys in chosen.items()]


def first_violated(conditions, view):
    """(condition, reason) of the first condition violated, or None.

    A check that raises is violated: a safeguard that cannot tell
    cannot vouch for the cloud.
    """
    for condition in conditions:
        try:
            reason = condition.check(view)
        except Exception as exc:
            reason = 'its check raised %s: %s' % (type(exc).__name__, exc)
        if reason:
            return condition, reason
    return None
