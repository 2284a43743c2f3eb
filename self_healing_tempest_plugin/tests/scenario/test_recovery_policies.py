"""Seed 004: recovery policies that keep the server (reboot, rebuild).

One test per scenario file whose features include
``recovery_policy_flows``: an alarm starts a Mistral workflow applying the
policy with nova actions; the server must come back with the same id (and
the host each policy promises), where the replace policy of the
auto-healing flow gives a new id.
"""

from self_healing_tempest_plugin.harness import scenario
from self_healing_tempest_plugin.tests.scenario import heat_group


def _policy(spec):
    return ('recovery_policy_flows' in spec.features and
            not spec.host_fault and not spec.expect_missed_phase)


@scenario.generate_tests(select=_policy, report_broken=False)
class RecoveryPolicyTest(heat_group.HeatGroupFlowTest):

    required_features = ('recovery_policy_flows',)
