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

"""The cluster sampler: bands and every invariant breach."""

from unittest import mock

import testtools

from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import timeline as tl


def state(*members, **kwargs):
    return sp.ClusterState([sp.Member(*m) for m in members], **kwargs)


BASE = state(('a', 'ACTIVE', 'c1'), ('b', 'ACTIVE', 'c2'))


class SamplerTest(testtools.TestCase):

    def _sampler(self, faulted=('a',), steady=10, **kwargs):
        params = dict(desired=2, max_size=3, floor=1)
        params.update(kwargs)
        return sp.ClusterSampler(sp.Invariants(**params), BASE,
                                 faulted_ids=faulted, steady_window_s=steady)

    def test_bands(self):
        s = self._sampler()
        self.assertEqual(tl.GREEN, s.band(BASE))
        self.assertEqual(tl.YELLOW, s.band(state(('b', 'ACTIVE'),
                                                 ('a', 'SHUTOFF'))))
        self.assertEqual(tl.RED, s.band(state(('a', 'ERROR'))))

    def test_above_max_is_a_breach(self):
        s = self._sampler()
        s.observe(state(('a', 'ACTIVE'), ('b', 'ACTIVE'), ('c', 'BUILD'),
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
        s.observe(gone, 1.0)
        self.assertEqual([], s.breaches)
        self.assertIn('not healthy: c DELETED', '; '.join(s.problems(gone)))

    def test_below_floor_is_a_breach(self):
        s = self._sampler()
        s.observe(state(('b', 'BUILD')), 1.0)
        self.assertIn('0 healthy member(s), below the floor 1',
                      s.breaches[0])

    def test_below_floor_allowed_when_red_expected(self):
        s = self._sampler(allow_red=True)
        self.assertEqual(tl.RED, s.observe(state(('b', 'BUILD')), 1.0))
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
        s.observe(healed, 100.0)
        self.assertTrue(s.recovered(healed, 100.0))
        self.assertFalse(s.steady(105.0))
        s.observe(state(('b', 'ACTIVE'), ('c', 'SHUTOFF')), 106.0)
        self.assertIn('lost it 6.0 s later, inside the steady window',
                      s.breaches[0])
        self.assertFalse(s.steady(111.0))

    def test_steady_after_the_window(self):
        s = self._sampler()
        healed = state(('b', 'ACTIVE'), ('c', 'ACTIVE'))
        for t in (100.0, 105.0, 110.0):
            s.observe(healed, t)
            s.recovered(healed, t)
        self.assertTrue(s.steady(110.0))
        self.assertEqual([], s.breaches)

    def test_invariants_validate_and_come_from_config(self):
        self.assertRaises(ValueError, sp.Invariants, 2, 1, 1)
        self.assertRaises(ValueError, sp.Invariants, 2, 3, 1,
                          identity='heal')
        conf = mock.Mock(cluster_desired_size=2, cluster_max_size=4,
                         cluster_floor=1, cluster_min_size=1)
        inv = sp.Invariants.from_config(conf, max_size=5, floor=None)
        self.assertEqual((2, 5, 1), (inv.desired, inv.max_size, inv.floor))
