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

"""Seed 002: Vitrage + Heat + Mistral integrated healing of a Heat group.

One test per scenario file whose features include ``integrated_flow``: the
compute host running the project's Heat group stops, the external monitor
alarms, Vitrage deduces each member down and hands it, through the
group's Zaqar queue, to the group's own workflow, which marks the member
unhealthy and updates the stack: the group is whole again on the
surviving host. Host faults run one at a time.
"""

from tempest.lib import decorators

from self_healing_tempest_plugin.harness import scenario
from self_healing_tempest_plugin.tests.scenario import integrated_flow


def _integrated(spec):
    return 'integrated_flow' in spec.features


@decorators.serial
@scenario.generate_tests(
    select=lambda spec: _integrated(spec) and not spec.expect_missed_phase,
    report_broken=False)
class IntegratedHostFaultTest(integrated_flow.IntegratedFlowTest):

    required_features = ('integrated_flow',)


@decorators.serial
@scenario.generate_tests(
    select=lambda spec: _integrated(spec) and spec.expect_missed_phase,
    runner='run_negative_scenario', report_broken=False)
class IntegratedHostFaultNegativeTest(integrated_flow.IntegratedFlowTest):

    required_features = ('integrated_flow', 'negative_checks')
