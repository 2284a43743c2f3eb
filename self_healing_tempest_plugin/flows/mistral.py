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

"""Mistral executions of a flow: wait for their end, delete them after.

One place for what every flow does with the executions its healing
started, whoever started them (a trigger in the project, Vitrage's
service user, the operator).
"""

import json

from tempest import config
from tempest.lib import exceptions as lib_exc

from self_healing_tempest_plugin.harness import journal as jn

CONF = config.CONF
# The journal entry of a Mistral workflow a run deployed: an armed healer.
WORKFLOW_KIND = 'mistral_workflow'


def is_ours(execution, workflows):
    """An execution of one of ``workflows`` (names or ids)."""
    return bool(set(workflows) & {execution.get('workflow_id'),
                                  execution.get('workflow_name')})


def delete_executions(client, workflows, **filters):
    """Delete the executions of ``workflows``: Mistral keeps them after
    their workflows are gone. ``filters`` go to the listing (e.g.
    all_projects=True for an admin deleting another project's runs).
    """
    for execution in client.list_executions(**filters)['executions']:
        if not is_ours(execution, workflows):
            continue
        try:
            client.delete_execution(execution['id'], force=True)
        except lib_exc.NotFound:
            pass


def delete_workflow_and_executions(client, workflow, **filters):
    """Disarm a workflow: its executions, the workflow, any started since.

    A force-deleted execution runs no further task; the executions started
    while the workflow was being deleted go in the second pass.
    """
    delete_executions(client, {workflow}, **filters)
    try:
        client.delete_workflow(workflow)
    except lib_exc.NotFound:
        pass
    delete_executions(client, {workflow}, **filters)


@jn.UNDO_ACTIONS.register('delete_mistral_workflow')
def _delete_workflow_action(ctx, workflow):
    delete_workflow_and_executions(
        ctx.require('workflow_client', 'replayed ' + WORKFLOW_KIND),
        workflow, all_projects=True)


def wait_succeeded(test, executions):
    """Each (workflow client, execution id) ends SUCCESS, or fails.

    Fails at once on ERROR, with Mistral's state_info.
    """
    for client, execution_id in executions:
        test.waiter(CONF.self_healing.act_timeout_s).until(
            lambda: client.show_execution(execution_id),
            lambda e: e['state'] == 'SUCCESS',
            'mistral execution %s' % execution_id, 'SUCCESS',
            failed=lambda e: (e.get('state_info') or 'failed'
                              if e['state'] == 'ERROR' else None),
            describe=lambda e: e['state'])


def runs_per_instance(client, workflow, instance_ids):
    """({instance id: its first execution of ``workflow``}, strays).

    Executions are matched by the ``instance_id`` of their input. Vitrage
    may also run an action whose get_attr() it did not resolve (its input
    names no instance); the workflows do nothing then: those are the
    strays, described for the report.
    """
    ours, strays = {}, []
    for execution in client.list_executions(
            workflow, all_projects=True)['executions']:
        instance_id = json.loads(execution.get('input') or '{}').get(
            'instance_id')
        if instance_id in instance_ids:
            ours.setdefault(instance_id, execution)
        else:
            strays.append('%s (input %s, %s)' % (
                execution['id'], execution.get('input'),
                execution['state']))
    return ours, strays
