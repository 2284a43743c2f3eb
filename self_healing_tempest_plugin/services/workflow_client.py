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

"""Mistral (workflow v2) client: workflows, executions and tasks."""

from oslo_serialization import jsonutils as json
from oslo_utils import uuidutils
from tempest.lib import exceptions

from self_healing_tempest_plugin.services import base


class WorkflowClient(base.JsonRestClient):

    api_version = 'v2'
    resource_type = 'execution'

    def create_workflows(self, definition, scope='private', namespace=None):
        """Create every workflow of a YAML definition.

        Mistral reads the definition as text/plain and only offers
        text/plain as response type, so an Accept of application/json would
        get 406: accept anything (the body is JSON all the same).
        """
        headers = {'Content-Type': 'text/plain', 'Accept': '*/*'}
        return self.post_json('workflows', definition, 201,
                              params={'scope': scope,
                                      'namespace': namespace},
                              headers=headers, raw_body=True)

    def list_workflows(self, **filters):
        return self.get_json('workflows', params=filters)

    def show_workflow(self, name_or_id):
        return self.get_json('workflows/%s' % base.quote(name_or_id))

    def delete_workflow(self, name_or_id):
        return self.delete_json('workflows/%s' % base.quote(name_or_id), 204)

    def create_execution(self, workflow, input=None, params=None,
                         description=None):
        """Start a workflow, named by its name or its id.

        Mistral keeps input and params as JSON strings in the execution
        body (params may hold env, e.g. the Zaqar notification).
        """
        key = 'workflow_id' if uuidutils.is_uuid_like(workflow) else (
            'workflow_name')
        body = {key: workflow,
                'input': json.dumps(input or {}),
                'params': json.dumps(params or {})}
        if description is not None:
            body['description'] = description
        return self.post_json('executions', body, 201)

    def show_execution(self, execution_id):
        return self.get_json('executions/%s' % base.quote(execution_id))

    def list_executions(self, workflow_name=None, **filters):
        """List executions, e.g. of one workflow or in one state."""
        filters['workflow_name'] = workflow_name
        return self.get_json('executions', params=filters)

    def delete_execution(self, execution_id, force=None):
        """Delete an execution; force is needed while it still runs."""
        return self.delete_json('executions/%s' % base.quote(execution_id),
                                204, params={'force': force})

    def is_resource_deleted(self, execution_id):
        """For ``wait_for_resource_deletion``: the execution is gone."""
        try:
            self.show_execution(execution_id)
        except exceptions.NotFound:
            return True
        return False

    def list_tasks(self, execution_id, **filters):
        return self.get_json(
            'executions/%s/tasks' % base.quote(execution_id), params=filters)

    def show_task(self, task_id):
        return self.get_json('tasks/%s' % base.quote(task_id))
