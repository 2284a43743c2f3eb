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

"""Pure parts of the per-VM group runner (seed 003): no cloud."""

import testtools

from self_healing_tempest_plugin.flows import base
from self_healing_tempest_plugin.flows import per_vm_group as pv
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import timeline as tl


def _m(server_id, status='ACTIVE', host='host2'):
    return {'id': server_id, 'status': status, 'host': host}


class CpuThresholdTest(testtools.TestCase):

    def test_percent_of_one_vcpu_per_granularity(self):
        self.assertEqual(100000000, pv.cpu_threshold_ns(1, 10))
        self.assertEqual(1200000000, pv.cpu_threshold_ns(1, 60, vcpus=2))


class MemberTest(testtools.TestCase):

    def test_active_on_a_down_host_does_not_run(self):
        server = {'status': 'ACTIVE', 'OS-EXT-SRV-ATTR:host': 'host1'}
        member = base.server_member('s1', server, {'host1'})
        self.assertEqual(sp.HOST_DOWN, member.status)
        self.assertFalse(member.healthy)
        self.assertTrue(base.server_member('s1', server, {'host2'}).healthy)

    def test_other_states_and_gone_servers(self):
        server = {'status': 'BUILD', 'OS-EXT-SRV-ATTR:host': 'host1'}
        self.assertEqual('BUILD',
                         base.server_member('s1', server, {'host1'}).status)
        self.assertEqual('DELETED', base.server_member('s1', None).status)


class MarkReplacementTest(testtools.TestCase):

    def setUp(self):
        super(MarkReplacementTest, self).setUp()
        self.timeline = tl.Timeline('t')
        self.healthy = sp.ClusterState([sp.Member('a', 'ACTIVE', 'host1'),
                                        sp.Member('b', 'ACTIVE', 'host2')])
        self.timeline.sample([_m('a', host='host1'), _m('b')], tl.GREEN,
                             at=99)
        self.timeline.mark(tl.FAULT_INJECTED, at=100)

    def _sample(self, t, members):
        self.timeline.sample(members, tl.GREEN, at=t)

    def test_marks_the_new_server_then_the_count_back(self):
        self._sample(101, [_m('a', 'HOST_DOWN', 'host1'), _m('b')])
        self._sample(130, [_m('a', 'HOST_DOWN', 'host1'), _m('b'),
                           _m('c', 'BUILD')])
        self._sample(135, [_m('a', 'HOST_DOWN', 'host1'), _m('b'),
                           _m('c')])
        self._sample(170, [_m('a', 'HOST_DOWN', 'host1'), _m('b'),
                           _m('c')])
        self._sample(180, [_m('b'), _m('c')])
        pv.mark_replacement(self.timeline, self.healthy, 2)
        active = self.timeline.phase(pv.REPLACEMENT_ACTIVE)
        removed = self.timeline.phase(pv.EXTRA_REMOVED)
        self.assertEqual((135, 130), (active.harness_time,
                                      active.not_before))
        self.assertEqual((180, 170), (removed.harness_time,
                                      removed.not_before))

    def test_both_in_one_sample(self):
        self._sample(101, [_m('a', 'HOST_DOWN', 'host1'), _m('b')])
        self._sample(140, [_m('b'), _m('c')])
        pv.mark_replacement(self.timeline, self.healthy, 2)
        self.assertEqual(140, self.timeline.phase(
            pv.EXTRA_REMOVED).harness_time)

    def test_no_replacement_is_an_assertion(self):
        self._sample(101, [_m('a', 'HOST_DOWN', 'host1'), _m('b')])
        self.assertRaises(AssertionError,
                          pv.mark_replacement,
                          self.timeline, self.healthy, 2)
