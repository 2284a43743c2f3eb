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

"""Seed 004: recovery policies keeping the server: reboot, rebuild, migrate.

One test per scenario file whose features include
``recovery_policy_flows``: an alarm starts a Mistral workflow applying the
policy with nova actions; the server must come back with the same id (and
the host each policy promises), where the replace policy of the
auto-healing flow gives a new id.
"""

from self_healing_tempest_plugin.harness import scenario
from self_healing_tempest_plugin.tests.scenario import heat_group


def _policy(owner):
    def select(spec):
        return ('recovery_policy_flows' in spec.features and
                not spec.host_fault and not spec.expect_missed_phase and
                spec.owner == owner)
    return select


@scenario.generate_tests(select=_policy('primary'), report_broken=False)
class RecoveryPolicyTest(heat_group.HeatGroupFlowTest):

    required_features = ('recovery_policy_flows',)


@scenario.generate_tests(select=_policy('project_manager'),
                         report_broken=False)
class ManagerRecoveryPolicyTest(heat_group.HeatGroupFlowTest):
    """Policies Nova reserves to a project manager (cold migration)."""

    credentials = ['project_manager', 'admin']
    owner = 'project_manager'
    required_features = ('recovery_policy_flows',)


@scenario.generate_tests(
    select=lambda spec: ('recovery_policy_flows' in spec.features and
                         spec.expect_missed_phase),
    runner='run_negative_scenario', report_broken=False)
class RecoveryPolicyNegativeTest(heat_group.HeatGroupFlowTest):
    """A policy flow without its trigger must miss the act deadline."""

    required_features = ('recovery_policy_flows', 'negative_checks')
