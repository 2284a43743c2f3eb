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

"""Seed 000: Heat + Aodh + Zaqar + Mistral auto-healing of a group member.

One test per scenario file whose features include ``autoheal_flow``; the
scenario says which out-of-band fault hits the member. Negative scenarios
(``expect: missed_phase``) deploy the flow without its trigger and must
fail on the named deadline; they run only with [self_healing_feature_enabled]
negative_checks.
"""

from self_healing_tempest_plugin.harness import scenario
from self_healing_tempest_plugin.tests.scenario import heat_group


def _autoheal(spec):
    return 'autoheal_flow' in spec.features and not spec.host_fault


@scenario.generate_tests(
    select=lambda spec: _autoheal(spec) and not spec.expect_missed_phase)
class AutoHealingTest(heat_group.HeatGroupFlowTest):

    required_features = ('autoheal_flow',)


@scenario.generate_tests(
    select=lambda spec: _autoheal(spec) and spec.expect_missed_phase,
    runner='run_negative_scenario', report_broken=False)
class AutoHealingNegativeTest(heat_group.HeatGroupFlowTest):

    required_features = ('autoheal_flow', 'negative_checks')
