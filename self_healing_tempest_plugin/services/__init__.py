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

"""Service clients of the self-healing plugin.

Registered with Tempest through SelfHealingTempestPlugin.get_service_clients
(module_path 'self_healing_tempest_plugin.services').
"""

from self_healing_tempest_plugin.services.alarming_client import \
    AlarmingClient
from self_healing_tempest_plugin.services.messaging_client import \
    MessagingClient
from self_healing_tempest_plugin.services.metric_client import MetricClient
from self_healing_tempest_plugin.services.orchestration_client import \
    OrchestrationClient
from self_healing_tempest_plugin.services.rca_client import RcaClient
from self_healing_tempest_plugin.services.workflow_client import \
    WorkflowClient

__all__ = [
    'AlarmingClient',
    'MessagingClient',
    'MetricClient',
    'OrchestrationClient',
    'RcaClient',
    'WorkflowClient',
]
