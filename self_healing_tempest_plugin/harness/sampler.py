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

"""Cluster invariants watched on every poll of the healing window.

The scenario's cluster-state callable returns a ``ClusterState``; the
``ClusterSampler`` turns each one into a health band and records every
invariant breach, so the engine can fail at once and say why.
"""

from self_healing_tempest_plugin.harness import timeline as tl

HEALTHY = ('ACTIVE',)
ERROR = 'ERROR'
# A member whose server no longer exists (e.g. a replacement Heat deleted
# while a second update overtook the first): it runs nothing.
GONE = 'DELETED'
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


class Invariants(object):
    """What the group must respect while it heals and after.

    :param identity: 'replace' (faulted members are replaced by new ids) or
        'keep' (the faulted members come back with the same id).
    :param host_change: with 'keep': True (evacuate/migrate: a faulted
        member must end on another host), False (reboot/rebuild: same
        host), None (not checked).
    :param allow_red: whether falling below the floor is expected (a flow
        that asserts GREEN -> YELLOW -> RED -> GREEN); otherwise it is a
        breach.
    """

    def __init__(self, desired, max_size, floor, min_size=None,
                 identity=REPLACE, host_change=None, allow_red=False):
        if identity not in (REPLACE, KEEP):
            raise ValueError('identity must be %r or %r, got %r'
                             % (REPLACE, KEEP, identity))
        if not floor <= desired <= max_size:
            raise ValueError('need floor <= desired <= max, got %s, %s, %s'
                             % (floor, desired, max_size))
        self.desired = desired
        self.max_size = max_size
        self.floor = floor
        self.min_size = floor if min_size is None else min_size
        self.identity = identity
        self.host_change = host_change
        self.allow_red = allow_red

    @classmethod
    def from_config(cls, conf, **overrides):
        """From [self_healing] cluster_* options; overrides win."""
        values = {'desired': conf.cluster_desired_size,
                  'max_size': conf.cluster_max_size,
                  'floor': conf.cluster_floor,
                  'min_size': conf.cluster_min_size}
        values.update(dict((k, v) for k, v in overrides.items()
                           if v is not None))
        return cls(**values)


class ClusterSampler(object):
    """Bands, breaches, recovery and the steady window of one healing."""

    def __init__(self, invariants, baseline, faulted_ids=(),
                 steady_window_s=0):
        self.inv = invariants
        self.baseline = baseline
        self.faulted_ids = set(faulted_ids)
        self.steady_window_s = steady_window_s
        self.breaches = []
        self.last = baseline
        self.last_band = None
        self.recovered_at = None
        self.samples = 0

    def band(self, state):
        healthy = state.healthy_count
        if healthy >= self.inv.desired:
            return tl.GREEN
        if healthy >= self.inv.floor:
            return tl.YELLOW
        return tl.RED

    def _breach(self, text):
        if text not in self.breaches:
            self.breaches.append(text)

    def observe(self, state, t):
        """Take one sample; return its band. Breaches go to .breaches."""
        self.samples += 1
        self.last = state
        band = self.last_band = self.band(state)
        if state.existing_count > self.inv.max_size:
            self._breach('size %d above max %d at %s: %s' % (
                state.existing_count, self.inv.max_size, tl.utc_text(t),
                state.describe()))
        if band == tl.RED and not self.inv.allow_red:
            self._breach('%d healthy member(s), below the floor %d at %s: '
                         '%s' % (state.healthy_count, self.inv.floor,
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
        inv = self.inv
        found = []
        if not state.settled:
            found.append('not settled')
        if state.size != inv.desired:
            found.append('size %d, desired %d' % (state.size, inv.desired))
        unhealthy = [m for m in state.members if not m.healthy]
        if unhealthy:
            found.append('not healthy: %s' % ', '.join(
                repr(m) for m in unhealthy))
        ids = state.ids()
        if inv.identity == REPLACE:
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
        if self.inv.host_change is None:
            return []
        before = self.baseline.by_id()
        found = []
        for member in state.members:
            if member.id not in self.faulted_ids:
                continue
            old_host = before[member.id].host
            if self.inv.host_change and member.host == old_host:
                found.append('%s still on %s, expected another host'
                             % (member.id, old_host))
            if not self.inv.host_change and member.host != old_host:
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
