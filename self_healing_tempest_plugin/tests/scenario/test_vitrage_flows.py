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

"""Seed 001: Vitrage + Mistral healing of instances on a failed host.

One test per scenario file whose features include ``vitrage_flow``: a
compute host's NIC goes down over SSH, the external monitor alarms,
Vitrage deduces an alarm on each of the host's instances, and the
instances are evacuated by a Mistral workflow, started by Vitrage
(automatic) or by the test acting as the operator (manual). Host faults
run one at a time.
"""

from tempest.lib import decorators

from self_healing_tempest_plugin.harness import scenario
from self_healing_tempest_plugin.tests.scenario import host_flows


def _vitrage(spec):
    return 'vitrage_flow' in spec.features


@decorators.serial
@scenario.generate_tests(
    select=lambda spec: _vitrage(spec) and not spec.expect_missed_phase)
class VitrageHostFaultTest(host_flows.HostFaultFlowTest):

    required_features = ('vitrage_flow',)


@decorators.serial
@scenario.generate_tests(
    select=lambda spec: _vitrage(spec) and spec.expect_missed_phase,
    runner='run_negative_scenario', report_broken=False)
class VitrageHostFaultNegativeTest(host_flows.HostFaultFlowTest):

    required_features = ('vitrage_flow', 'negative_checks')
