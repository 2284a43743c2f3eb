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

"""What a scenario's fault entries hit, chosen from the healthy cluster.

Targets (a fault entry's ``target:``):

- ``member``: ``count`` members (default 1), the smallest ids not taken
  by an earlier entry of the same scenario, so that two entries hit two
  different members and a run picks the same ones every time;
- ``member_host``: the compute host of the first member not taken yet;
- ``host:<nova host>``: that host;
- ``service:<name>``: a control-plane service (its unit: config).
"""

from self_healing_tempest_plugin.harness import registry

MEMBER_HOST = 'member_host'
HOST_PREFIX = 'host:'
SERVICE_PREFIX = 'service:'


def target_kind(target):
    """The registry target kind (MEMBER/HOST/SERVICE) of ``target``."""
    if target == registry.MEMBER:
        return registry.MEMBER
    if target == MEMBER_HOST or _named(target, HOST_PREFIX):
        return registry.HOST
    if _named(target, SERVICE_PREFIX):
        return registry.SERVICE
    return None


def _named(target, prefix):
    return (isinstance(target, str) and target.startswith(prefix) and
            len(target) > len(prefix))


class Targets(object):
    """Resolves a fault entry's target against the healthy cluster.

    :param healthy_state: the ``sampler.ClusterState`` before any fault.
    :param taken: member ids earlier entries took already.
    """

    def __init__(self, healthy_state, taken=()):
        self.state = healthy_state
        self.taken = set(taken)

    def _untaken(self):
        return [m for m in sorted(self.state.members, key=lambda m: m.id)
                if m.id not in self.taken]

    def _expect(self, spec, kind):
        found = target_kind(spec.get('target'))
        if found != kind:
            raise ValueError('a %s fault takes a %s target, got %r'
                             % (spec.get('kind'), kind, spec.get('target')))

    def members(self, spec):
        """``count`` untaken members (smallest ids first); takes them."""
        self._expect(spec, registry.MEMBER)
        count = spec.get('count', 1)
        free = self._untaken()
        if len(free) < count:
            raise ValueError(
                'a %s fault on %d member(s) needs that many members not '
                'hit by an earlier fault; the cluster has %d (%s), %d '
                'taken' % (spec.get('kind'), count, len(self.state.members),
                           ', '.join(sorted(self.state.ids())) or 'none',
                           len(self.taken)))
        chosen = free[:count]
        self.taken.update(m.id for m in chosen)
        return chosen

    def host(self, spec):
        """``host:<n>``, or the host of the first untaken member."""
        self._expect(spec, registry.HOST)
        target = spec['target']
        if target.startswith(HOST_PREFIX):
            return target[len(HOST_PREFIX):]
        free = self._untaken()
        if not free:
            raise ValueError('%s of a %s fault: no member left that an '
                             'earlier fault did not take' % (
                                 MEMBER_HOST, spec.get('kind')))
        if not free[0].host:
            raise ValueError('%s needs the cluster state to carry each '
                             'member\'s host (admin server view)'
                             % MEMBER_HOST)
        return free[0].host

    def service(self, spec):
        """The name of ``service:<name>``."""
        self._expect(spec, registry.SERVICE)
        return spec['target'][len(SERVICE_PREFIX):]
