"""Service clients of the self-healing plugin.

Registered with Tempest through SelfHealingTempestPlugin.get_service_clients
(module_path 'self_healing_tempest_plugin.services').
"""

from self_healing_tempest_plugin.services.alarming_client import \
    AlarmingClient
from self_healing_tempest_plugin.services.messaging_client import \
    MessagingClient
from self_healing_tempest_plugin.services.orchestration_client import \
    OrchestrationClient
from self_healing_tempest_plugin.services.rca_client import RcaClient
from self_healing_tempest_plugin.services.workflow_client import \
    WorkflowClient

__all__ = [
    'AlarmingClient',
    'MessagingClient',
    'OrchestrationClient',
    'RcaClient',
    'WorkflowClient',
]
