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

"""Seed 003: per-VM autoscaling groups healed by sample alarms.

One test per scenario file whose features include ``per_vm_group_flow``:
each member is its own Heat AutoScalingGroup (min 1, max 2) with Aodh
alarms on its server's cpu samples; a compute host stops, the samples of
its servers stop, and each of its servers gets a replacement on another
host while the oldest server of the group is removed. Host faults run one
at a time. Negative scenarios (``expect: missed_phase``) deploy the groups
without alarm actions and must fail on the named deadline; they run only
with [self_healing_feature_enabled] negative_checks.
"""

from tempest.lib import decorators

from self_healing_tempest_plugin.harness import scenario
from self_healing_tempest_plugin.tests.scenario import per_vm_group


def _per_vm(spec):
    return 'per_vm_group_flow' in spec.features


@decorators.serial
@scenario.generate_tests(
    select=lambda spec: _per_vm(spec) and not spec.expect_missed_phase,
    report_broken=False)
class PerVmGroupTest(per_vm_group.PerVmGroupFlowTest):

    required_features = ('per_vm_group_flow', 'host_fault')


@decorators.serial
@scenario.generate_tests(
    select=lambda spec: _per_vm(spec) and spec.expect_missed_phase,
    runner='run_negative_scenario', report_broken=False)
class PerVmGroupNegativeTest(per_vm_group.PerVmGroupFlowTest):

    required_features = ('per_vm_group_flow', 'host_fault',
                         'negative_checks')
