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

"""The cluster's state on each poll, and its judgement.

The flow's cluster-state callable returns a ``ClusterState``; the
``ClusterJudge`` turns each one into a health band, records every breach
of the ``Bounds`` (what must hold throughout) and says when the group has
reached its ``RecoveryTarget`` and held it for the steady window, so the
engine can fail at once and say why.
"""

from self_healing_tempest_plugin.harness import timeline as tl

HEALTHY = ('ACTIVE',)
ERROR = 'ERROR'
# A member whose server no longer exists (e.g. a replacement Heat deleted
# while a second update overtook the first): it runs nothing.
GONE = 'DELETED'
# A member Nova calls ACTIVE on a host a fault cut off: it runs nothing.
HOST_DOWN = 'HOST_DOWN'
REPLACE = 'replace'
KEEP = 'keep'


class Member(object):
    """One member of the healed group: a server id, its status and host."""

    def __init__(self, id, status, host=None):
        self.id = id
        self.status = status
        self.host = host

    @property
    def healthy(self):
        return self.status in HEALTHY

    def to_dict(self):
        return {'id': self.id, 'status': self.status, 'host': self.host}

    def __repr__(self):
        return '%s %s%s' % (self.id, self.status,
                            ' on %s' % self.host if self.host else '')


class ClusterState(object):
    """The group at one poll.

    :param settled: False while the owner of the group is still working on
        it (e.g. the Heat stack is UPDATE_IN_PROGRESS); a cluster is only
        recovered when settled.
    :param cloud_time: the cloud's time of the newest change (e.g. the
        created_at of the newest member), used for the RECOVERED mark.
    """

    def __init__(self, members, settled=True, cloud_time=None, note=None):
        self.members = tuple(members)
        self.settled = settled
        self.cloud_time = cloud_time
        self.note = note

    @property
    def size(self):
        return len(self.members)

    @property
    def existing_count(self):
        """Members whose server exists: what the max size limits."""
        return sum(1 for m in self.members if m.status != GONE)

    @property
    def healthy_count(self):
        return sum(1 for m in self.members if m.healthy)

    def ids(self):
        return set(m.id for m in self.members)

    def by_id(self):
        return dict((m.id, m) for m in self.members)

    def describe(self):
        text = '%d member(s) [%s]' % (
            self.size, ', '.join(repr(m) for m in self.members))
        if not self.settled:
            text += ', not settled'
        if self.note:
            text += ', %s' % self.note
        return text


class Bounds(object):
    """What the group must respect on every poll, healing or not.

    :param max_size: the most members whose server exists.
    :param floor: the fewest healthy members before the band is RED.
    :param allow_red: whether falling below the floor is expected (a flow
        that asserts GREEN -> YELLOW -> RED -> GREEN); otherwise it is a
        breach.
    """

    def __init__(self, max_size, floor, allow_red=False):
        self.max_size = max_size
        self.floor = floor
        self.allow_red = bool(allow_red)


class RecoveryTarget(object):
    """The state the group must reach, and hold, to count as healed.

    :param desired: the number of healthy members of a healed group.
    :param min_size: the group's own minimum (recorded for the report).
    :param identity: 'replace' (faulted members are replaced by new ids) or
        'keep' (the faulted members come back with the same id).
    :param host_change: with 'keep': True (evacuate/migrate: a faulted
        member must end on another host), False (reboot/rebuild: same
        host), None (not checked).
    :param steady_window_s: how long the recovered state must hold.
    """

    def __init__(self, desired, min_size=None, identity=REPLACE,
                 host_change=None, steady_window_s=0):
        if identity not in (REPLACE, KEEP):
            raise ValueError('identity must be %r or %r, got %r'
                             % (REPLACE, KEEP, identity))
        if steady_window_s is None or steady_window_s < 0:
            raise ValueError('steady_window_s must be >= 0, got %r'
                             % (steady_window_s,))
        self.desired = desired
        self.min_size = min_size
        self.identity = identity
        self.host_change = host_change
        self.steady_window_s = steady_window_s


def check_consistent(bounds, target):
    """floor <= desired <= max, or a ValueError naming the three."""
    if not bounds.floor <= target.desired <= bounds.max_size:
        raise ValueError('need floor <= desired <= max, got %s, %s, %s'
                         % (bounds.floor, target.desired, bounds.max_size))


def cluster_rules(conf, desired=None, max_size=None, floor=None,
                  min_size=None, identity=None, host_change=None,
                  allow_red=None, steady_window_s=None):
    """(Bounds, RecoveryTarget): the scenario's values, config the rest.

    The one place [self_healing] cluster_desired_size, cluster_max_size,
    cluster_floor, cluster_min_size and steady_window_s fill what a
    scenario leaves unset (None).
    """
    def pick(value, default):
        return default if value is None else value
    floor = pick(floor, conf.cluster_floor)
    bounds = Bounds(pick(max_size, conf.cluster_max_size), floor,
                    allow_red=pick(allow_red, False))
    target = RecoveryTarget(
        pick(desired, conf.cluster_desired_size),
        min_size=pick(min_size, pick(conf.cluster_min_size, floor)),
        identity=pick(identity, REPLACE), host_change=host_change,
        steady_window_s=pick(steady_window_s, conf.steady_window_s))
    check_consistent(bounds, target)
    return bounds, target


def with_hosts_cut_off(state, hosts):
    """``state`` with every healthy member on one of ``hosts`` HOST_DOWN.

    Nova calls such a server ACTIVE until service_down_time passes (or
    never, when a fast evacuation moves it first); it runs nothing.
    """
    hosts = set(hosts)
    if not hosts:
        return state
    members = [Member(m.id, HOST_DOWN, host=m.host)
               if m.healthy and m.host in hosts else m
               for m in state.members]
    return ClusterState(members, settled=state.settled,
                        cloud_time=state.cloud_time, note=state.note)


class ClusterJudge(object):
    """Bands, breaches, recovery and the steady window of one healing.

    It judges the states the engine hands it (``judge``); the flow's
    cluster-state callable samples them.
    """

    def __init__(self, bounds, target, baseline, faulted_ids=()):
        check_consistent(bounds, target)
        self.bounds = bounds
        self.target = target
        self.baseline = baseline
        self.faulted_ids = set(faulted_ids)
        self.breaches = []
        self.last = baseline
        self.last_band = None
        self.recovered_at = None

    @property
    def steady_window_s(self):
        return self.target.steady_window_s

    def band(self, state):
        """GREEN: whole (desired healthy, no member broken); YELLOW: at
        least the floor healthy; RED: below it.

        A member that exists but is unhealthy (ERROR, HOST_DOWN, BUILD)
        makes the cluster YELLOW even with the desired count healthy
        beside it: a healer that builds the replacements before it
        removes the broken members never drops below desired, and its
        broken members are then the only sign, in a sample, that the
        fault hit (seen in CI: Heat replaced a reported host's members
        between two polls 4.6 s apart).
        """
        healthy = state.healthy_count
        broken = [m for m in state.members
                  if not m.healthy and m.status != GONE]
        if healthy >= self.target.desired and not broken:
            return tl.GREEN
        if healthy >= self.bounds.floor:
            return tl.YELLOW
        return tl.RED

    def _breach(self, text):
        if text not in self.breaches:
            self.breaches.append(text)

    def judge(self, state, t):
        """Judge one state; return its band. Breaches go to .breaches."""
        self.last = state
        band = self.last_band = self.band(state)
        if state.existing_count > self.bounds.max_size:
            self._breach('size %d above max %d at %s: %s' % (
                state.existing_count, self.bounds.max_size,
                tl.utc_text(t), state.describe()))
        if band == tl.RED and not self.bounds.allow_red:
            self._breach('%d healthy member(s), below the floor %d at %s: '
                         '%s' % (state.healthy_count, self.bounds.floor,
                                 tl.utc_text(t), state.describe()))
        if self.recovered_at is not None:
            problems = self.problems(state)
            if problems:
                self._breach(
                    'recovered at %s but lost it %.1f s later, inside the '
                    'steady window of %s s: %s; %s' % (
                        tl.utc_text(self.recovered_at),
                        t - self.recovered_at, self.steady_window_s,
                        '; '.join(problems), state.describe()))
        return band

    def problems(self, state):
        """Why ``state`` is not the recovered state ([] when it is)."""
        target = self.target
        found = []
        if not state.settled:
            found.append('not settled')
        if state.size != target.desired:
            found.append('size %d, desired %d' % (state.size,
                                                  target.desired))
        unhealthy = [m for m in state.members if not m.healthy]
        if unhealthy:
            found.append('not healthy: %s' % ', '.join(
                repr(m) for m in unhealthy))
        ids = state.ids()
        if target.identity == REPLACE:
            back = sorted(self.faulted_ids & ids)
            if back:
                found.append('faulted member(s) %s still present, the '
                             'replace policy wants new ones'
                             % ', '.join(back))
        else:
            missing = sorted(self.faulted_ids - ids)
            if missing:
                found.append('faulted member(s) %s gone, the policy keeps '
                             'identity' % ', '.join(missing))
            new = sorted(ids - self.baseline.ids())
            if new:
                found.append('new member(s) %s, the policy keeps identity'
                             % ', '.join(new))
            found.extend(self._host_problems(state))
        return found

    def _host_problems(self, state):
        if self.target.host_change is None:
            return []
        before = self.baseline.by_id()
        found = []
        for member in state.members:
            if member.id not in self.faulted_ids:
                continue
            old_host = before[member.id].host
            if self.target.host_change and member.host == old_host:
                found.append('%s still on %s, expected another host'
                             % (member.id, old_host))
            if not self.target.host_change and member.host != old_host:
                found.append('%s moved from %s to %s, expected the same '
                             'host' % (member.id, old_host, member.host))
        return found

    def recovered(self, state, t):
        """True while ``state`` is recovered; remembers when it began."""
        if self.problems(state):
            return False
        if self.recovered_at is None:
            self.recovered_at = t
        return True

    def steady(self, t):
        """True once recovered and held for the steady window."""
        return (self.recovered_at is not None and not self.breaches and
                t - self.recovered_at >= self.steady_window_s)
