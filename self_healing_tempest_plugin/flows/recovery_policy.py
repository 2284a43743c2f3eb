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

"""Recovery policies keeping the server: reboot, rebuild, migrate (seed 004).

The event-alarm group of seed 000 whose workflow applies a policy with
Nova actions instead of replacing the member: the server must come back
ACTIVE with the same id (and the host each policy promises, the
scenario's ``recovery.host_change``), and the stack is never updated.
"""

from self_healing_tempest_plugin.flows import autoheal_group
from self_healing_tempest_plugin.harness import registry


@registry.FLOWS.register('recovery_policy', feature='recovery_policy_flows')
class RecoveryPolicyFlow(autoheal_group.EventAlarmGroupFlow):
    """Seed 004: the member's workflow keeps its server.

    Nova lets a project manager migrate: a policy scenario may be owned
    by one (``owner: project_manager``).
    """

    owners = ('primary', 'project_manager')
