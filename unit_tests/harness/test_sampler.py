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

"""The cluster judge: bands, every breach of the bounds, the recovery."""

from unittest import mock

import testtools

from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import timeline as tl


def state(*members, **kwargs):
    return sp.ClusterState([sp.Member(*m) for m in members], **kwargs)


BASE = state(('a', 'ACTIVE', 'c1'), ('b', 'ACTIVE', 'c2'))


class ClusterJudgeTest(testtools.TestCase):

    def _sampler(self, faulted=('a',), steady=10, max_size=3, floor=1,
                 allow_red=False, **target):
        target.setdefault('desired', 2)
        return sp.ClusterJudge(
            sp.Bounds(max_size, floor, allow_red=allow_red),
            sp.RecoveryTarget(steady_window_s=steady, **target), BASE,
            faulted_ids=faulted)

    def test_bands(self):
        s = self._sampler()
        self.assertEqual(tl.GREEN, s.band(BASE))
        self.assertEqual(tl.YELLOW, s.band(state(('b', 'ACTIVE'),
                                                 ('a', 'SHUTOFF'))))
        self.assertEqual(tl.RED, s.band(state(('a', 'ERROR'))))

    def test_broken_members_beside_the_desired_healthy_are_yellow(self):
        # Heat built the replacements before it removed the members the
        # fault broke: never below desired, but not whole either.
        s = self._sampler(max_size=4)
        self.assertEqual(tl.YELLOW, s.band(state(
            ('c', 'ACTIVE', 'c2'), ('d', 'ACTIVE', 'c2'),
            ('a', 'ERROR', 'c1'), ('b', 'ERROR', 'c1'))))
        self.assertEqual(tl.YELLOW, s.band(state(
            ('a', 'ACTIVE'), ('b', 'ACTIVE'), ('c', sp.HOST_DOWN))))
        # A member whose server is gone runs nothing and breaks nothing.
        self.assertEqual(tl.GREEN, s.band(state(
            ('a', 'ACTIVE'), ('b', 'ACTIVE'), ('c', sp.GONE))))

    def test_above_max_is_a_breach(self):
        s = self._sampler()
        s.judge(state(('a', 'ACTIVE'), ('b', 'ACTIVE'), ('c', 'BUILD'),
                      ('d', 'BUILD')), 1.0)
        self.assertEqual(1, len(s.breaches))
        self.assertIn('size 4 above max 3', s.breaches[0])

    def test_a_member_whose_server_is_gone_is_not_above_max(self):
        # Heat still references a replacement it already deleted: four
        # refs, three servers. The max limits what exists; the final
        # check still wants every member healthy.
        s = self._sampler()
        gone = state(('a', 'ACTIVE'), ('b', 'ACTIVE'), ('c', sp.GONE),
                     ('d', 'BUILD'))
        s.judge(gone, 1.0)
        self.assertEqual([], s.breaches)
        self.assertIn('not healthy: c DELETED', '; '.join(s.problems(gone)))

    def test_below_floor_is_a_breach(self):
        s = self._sampler()
        s.judge(state(('b', 'BUILD')), 1.0)
        self.assertIn('0 healthy member(s), below the floor 1',
                      s.breaches[0])

    def test_below_floor_allowed_when_red_expected(self):
        s = self._sampler(allow_red=True)
        self.assertEqual(tl.RED, s.judge(state(('b', 'BUILD')), 1.0))
        self.assertEqual([], s.breaches)

    def test_final_size_must_be_desired(self):
        s = self._sampler()
        problems = s.problems(state(('b', 'ACTIVE'), ('c', 'ACTIVE'),
                                    ('d', 'ACTIVE')))
        self.assertIn('size 3, desired 2', problems)

    def test_error_member_is_not_recovered(self):
        s = self._sampler()
        problems = s.problems(state(('b', 'ACTIVE'), ('c', 'ERROR')))
        self.assertEqual(['not healthy: c ERROR'], problems)

    def test_not_settled_is_not_recovered(self):
        s = self._sampler()
        self.assertEqual(['not settled'], s.problems(
            state(('b', 'ACTIVE'), ('c', 'ACTIVE'), settled=False)))

    def test_replace_wants_a_new_member(self):
        s = self._sampler()
        self.assertIn('faulted member(s) a still present',
                      s.problems(BASE)[0])
        self.assertEqual([], s.problems(state(('b', 'ACTIVE'),
                                              ('c', 'ACTIVE'))))

    def test_keep_identity_refuses_new_members(self):
        s = self._sampler(identity=sp.KEEP)
        problems = s.problems(state(('b', 'ACTIVE'), ('c', 'ACTIVE')))
        self.assertIn('faulted member(s) a gone, the policy keeps identity',
                      problems)
        self.assertIn('new member(s) c, the policy keeps identity',
                      problems)

    def test_keep_identity_host_must_change(self):
        s = self._sampler(identity=sp.KEEP, host_change=True)
        self.assertEqual(['a still on c1, expected another host'],
                         s.problems(BASE))
        self.assertEqual([], s.problems(state(('a', 'ACTIVE', 'c2'),
                                              ('b', 'ACTIVE', 'c2'))))

    def test_keep_identity_host_must_not_change(self):
        s = self._sampler(identity=sp.KEEP, host_change=False)
        self.assertEqual([], s.problems(BASE))
        self.assertEqual(['a moved from c1 to c2, expected the same host'],
                         s.problems(state(('a', 'ACTIVE', 'c2'),
                                          ('b', 'ACTIVE', 'c2'))))

    def test_steady_window_needs_every_sample(self):
        s = self._sampler()
        healed = state(('b', 'ACTIVE'), ('c', 'ACTIVE'))
        s.judge(healed, 100.0)
        self.assertTrue(s.recovered(healed, 100.0))
        self.assertFalse(s.steady(105.0))
        s.judge(state(('b', 'ACTIVE'), ('c', 'SHUTOFF')), 106.0)
        self.assertIn('lost it 6.0 s later, inside the steady window',
                      s.breaches[0])
        self.assertFalse(s.steady(111.0))

    def test_steady_after_the_window(self):
        s = self._sampler()
        healed = state(('b', 'ACTIVE'), ('c', 'ACTIVE'))
        for t in (100.0, 105.0, 110.0):
            s.judge(healed, t)
            s.recovered(healed, t)
        self.assertTrue(s.steady(110.0))
        self.assertEqual([], s.breaches)

    def test_rules_validate(self):
        error = self.assertRaises(ValueError, sp.ClusterJudge,
                                  sp.Bounds(1, 1), sp.RecoveryTarget(2),
                                  BASE)
        self.assertIn('floor <= desired <= max, got 1, 2, 1', str(error))
        self.assertRaises(ValueError, sp.RecoveryTarget, 2, identity='heal')
        self.assertRaises(ValueError, sp.RecoveryTarget, 2,
                          steady_window_s=-1)

    def test_rules_from_the_scenario_then_config(self):
        conf = mock.Mock(cluster_desired_size=2, cluster_max_size=4,
                         cluster_floor=1, cluster_min_size=None,
                         steady_window_s=30)
        bounds, target = sp.cluster_rules(
            conf, max_size=5, floor=None, identity=sp.KEEP,
            host_change=True, steady_window_s=0)
        self.assertEqual((5, 1, False), (bounds.max_size, bounds.floor,
                                         bounds.allow_red))
        self.assertEqual((2, 1, sp.KEEP, True, 0), (
            target.desired, target.min_size, target.identity,
            target.host_change, target.steady_window_s))
        _, target = sp.cluster_rules(conf)
        self.assertEqual((sp.REPLACE, 30), (target.identity,
                                            target.steady_window_s))
        self.assertRaises(ValueError, sp.cluster_rules, conf, desired=6)


class HostsCutOffTest(testtools.TestCase):

    def test_healthy_members_on_a_cut_off_host_are_down(self):
        cut = sp.with_hosts_cut_off(
            state(('a', 'ACTIVE', 'c1'), ('b', 'ACTIVE', 'c2'),
                  ('c', 'ERROR', 'c1'), settled=False, cloud_time=5.0),
            {'c1'})
        self.assertEqual([('a', sp.HOST_DOWN), ('b', 'ACTIVE'),
                          ('c', 'ERROR')],
                         [(m.id, m.status) for m in cut.members])
        self.assertEqual((False, 5.0), (cut.settled, cut.cloud_time))
        self.assertEqual(1, cut.healthy_count)

    def test_nothing_cut_off_is_the_same_state(self):
        self.assertIs(BASE, sp.with_hosts_cut_off(BASE, set()))
