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

"""Which members, host or service a fault entry hits."""

import testtools

from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import targets as tg

STATE = sp.ClusterState([sp.Member('b', 'ACTIVE', 'c2'),
                         sp.Member('a', 'ACTIVE', 'c1'),
                         sp.Member('c', 'ACTIVE', 'c3')])


def _spec(target, kind='k', **more):
    return dict(kind=kind, target=target, **more)


class TargetsTest(testtools.TestCase):

    def test_members_smallest_untaken_ids_first(self):
        targets = tg.Targets(STATE)
        self.assertEqual(['a'], [m.id for m in targets.members(
            _spec('member'))])
        self.assertEqual(['b', 'c'], [m.id for m in targets.members(
            _spec('member', count=2))])
        self.assertEqual({'a', 'b', 'c'}, targets.taken)

    def test_members_already_taken_are_skipped(self):
        targets = tg.Targets(STATE, taken={'a'})
        self.assertEqual(['b'], [m.id for m in targets.members(
            _spec('member'))])

    def test_not_enough_members_is_named(self):
        targets = tg.Targets(STATE, taken={'a', 'b'})
        error = self.assertRaises(ValueError, targets.members,
                                  _spec('member', kind='server_stop',
                                        count=2))
        self.assertIn('server_stop fault on 2 member(s)', str(error))
        self.assertIn('2 taken', str(error))

    def test_member_host_is_the_host_of_the_first_untaken_member(self):
        targets = tg.Targets(STATE)
        self.assertEqual('c1', targets.host(_spec('member_host')))
        targets.members(_spec('member'))
        self.assertEqual('c2', targets.host(_spec('member_host')))
        # Naming a host takes no member.
        self.assertEqual('c9', targets.host(_spec('host:c9')))
        self.assertEqual({'a'}, targets.taken)

    def test_member_host_needs_hosts_and_members(self):
        error = self.assertRaises(
            ValueError, tg.Targets(sp.ClusterState(
                [sp.Member('a', 'ACTIVE')])).host, _spec('member_host'))
        self.assertIn('admin server view', str(error))
        error = self.assertRaises(
            ValueError, tg.Targets(STATE, taken={'a', 'b', 'c'}).host,
            _spec('member_host', kind='nic_down'))
        self.assertIn('member_host of a nic_down fault: no member left',
                      str(error))

    def test_service(self):
        self.assertEqual('heat-engine', tg.Targets(STATE).service(
            _spec('service:heat-engine')))

    def test_a_target_of_another_kind_is_refused(self):
        targets = tg.Targets(STATE)
        error = self.assertRaises(ValueError, targets.members,
                                  _spec('host:c1', kind='server_stop'))
        self.assertIn("a server_stop fault takes a member target, got "
                      "'host:c1'", str(error))
        self.assertRaises(ValueError, targets.host, _spec('member'))
        self.assertRaises(ValueError, targets.service, _spec('host:c1'))

    def test_target_kind(self):
        self.assertEqual(
            [registry.MEMBER, registry.HOST, registry.HOST,
             registry.SERVICE, None, None, None],
            [tg.target_kind(t) for t in (
                'member', 'member_host', 'host:c1', 'service:aodh-listener',
                'host:', 'members', None)])
