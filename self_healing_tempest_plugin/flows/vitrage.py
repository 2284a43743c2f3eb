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

"""A scenario's Vitrage template and the Mistral workflow it runs.

``VitrageBinder`` is held by the flows Vitrage heals (``vitrage_host``,
``integrated``): it deploys the workflow under a name of this run, binds
the template to the run (the monitor's host alarm, the workflow's name,
the run's project), loads it, waits until Vitrage sees the run's
instances, and plays the operator of a manual flow.
"""

from tempest import config
from tempest.lib import exceptions as lib_exc
import testtools
import yaml

from self_healing_tempest_plugin.flows import mistral
from self_healing_tempest_plugin.harness import critical_path as cp
from self_healing_tempest_plugin.harness import journal as jn
from self_healing_tempest_plugin.harness import observers as obs
from self_healing_tempest_plugin.harness import run_tags
from self_healing_tempest_plugin.harness import timeline as tl

CONF = config.CONF
# The journal entry of a Vitrage template a run loaded: an armed healer.
TEMPLATE_KIND = 'vitrage_template'

# The entity of a Vitrage template bound to the monitor's host alarm.
HOST_ALARM_ENTITY = 'host_alarm'
# The template's instance entity: scoped to the project of the run's
# servers, so that a run acts on its own instances only.
INSTANCE_ENTITY = 'instance'


def scope_to_project(template, project_id):
    """Match the template's instance entity in ``project_id`` only."""
    entity = template['entities'].get(INSTANCE_ENTITY)
    if entity is None:
        raise ValueError('Vitrage template %s has no %r entity to scope to '
                         'the run\'s project' % (
                             template['metadata']['name'], INSTANCE_ENTITY))
    entity['project_id'] = project_id
    return template


def raised_alarm_names(template):
    """The names of the alarms the template's actions raise."""
    return [action['raise_alarm']['alarm_name']
            for scenario in template['scenarios']
            for action in scenario['actions'] if 'raise_alarm' in action]


def bind_template(template, path, workflow_name, project_id):
    """``template`` (read from ``path``) bound to this run and cloud.

    Its host alarm entity is the monitor's ([self_healing]
    host_alarm_type, host_alarm_name), its execute_mistral actions run
    ``workflow_name``, and it acts on ``project_id``'s instances only: a
    host's other instances are not the run's to move.
    """
    template['metadata']['name'] = run_tags.name(
        CONF.self_healing, template['metadata']['name'])
    entity = template['entities'].get(HOST_ALARM_ENTITY)
    if entity is None:
        raise ValueError('Vitrage template %s has no %r entity to bind to '
                         'the monitor\'s host alarm' % (path,
                                                        HOST_ALARM_ENTITY))
    entity.update(type=CONF.self_healing.host_alarm_type,
                  name=CONF.self_healing.host_alarm_name)
    for entry in template['scenarios']:
        for action in entry['actions']:
            if 'execute_mistral' in action:
                action['execute_mistral']['workflow'] = workflow_name
    return scope_to_project(template, project_id)


class OperatorStarts(obs.Observer):
    """The manual trigger: the operator (the test) starts the workflow.

    It finds the failed instances through Vitrage (each carries the
    deduced alarm and Nova still places it on the failed host) and starts
    the workflow once for each. Polled once Vitrage has alarmed every
    instance of the host (the detect phase), so one poll finds them all.
    Per poll: Vitrage's instances and alarms, Nova's servers.
    """

    phase = 'act'
    calls = 3

    def __init__(self, test, workflow_name, alarm_name, host):
        self.test = test
        self.workflow_name = workflow_name
        self.alarm_name = alarm_name
        self.host = host
        self.done = set()
        self.started = []

    def found(self):
        """Instances an operator finds failed, through Vitrage."""
        alarmed = obs.instance_alarms(self.test.admin_rca_client,
                                      self.alarm_name)
        on_host = self.test.admin_servers_client.list_servers(
            detail=True, all_tenants=True, host=self.host)['servers']
        return sorted(set(alarmed) & set(s['id'] for s in on_host))

    def poll(self):
        for instance_id in self.found():
            if instance_id not in self.done:
                self.started.append(
                    self.test.admin_workflow_client.create_execution(
                        self.workflow_name,
                        input={'instance_id': instance_id},
                        description=run_tags.tag(CONF.self_healing)))
                self.done.add(instance_id)
        if not self.done:
            return None
        return obs.Observation(
            cloud_time=self.started[0]['created_at'],
            source='operator (the test) started mistral executions',
            execution_ids=[e['id'] for e in self.started],
            instances=sorted(self.done))


def delete_template(rca_client, uuid):
    """Delete a Vitrage template; one already gone is fine."""
    try:
        rca_client.delete_template([uuid])
    except lib_exc.NotFound:
        pass


@jn.UNDO_ACTIONS.register('delete_vitrage_template')
def _delete_template_action(ctx, uuid):
    delete_template(ctx.require('rca_client', 'replayed ' + TEMPLATE_KIND),
                    uuid)


class VitrageBinder(object):
    """Deploys a scenario's workflow and Vitrage template for one run.

    :param test: the running test (admin workflow, Vitrage and servers
        clients, cleanups and waiter).
    """

    def __init__(self, test):
        self.test = test
        self.rca = test.admin_rca_client
        self.workflows = test.admin_workflow_client

    def deploy_workflow(self, scenario):
        """The scenario's workflow, renamed per run, visible to Vitrage.

        Its deletion and its executions' are cleanups.
        """
        with open(scenario.artifact('mistral_workflow')) as handle:
            definition = yaml.safe_load(handle)
        (original, body), = [(k, v) for k, v in definition.items()
                             if k != 'version']
        name = run_tags.name(CONF.self_healing, original)
        text = yaml.safe_dump({'version': definition['version'],
                               name: body})
        self.workflows.create_workflows(text, scope='public')
        entry_id = self._journal(mistral.WORKFLOW_KIND, name, [jn.Step(
            'delete_mistral_workflow', 'delete Mistral workflow %s and its '
            'executions' % name, workflow=name)])

        def delete():
            mistral.delete_workflow_and_executions(
                self.workflows, name, all_projects=True)
            self._close(entry_id)
        self.test.addCleanup(delete)
        return name

    def _journal(self, kind, target, steps):
        """Journal an armed healer (its id), or None without a journal.

        A healer left deployed keeps healing: a killed run's would fence
        or evacuate the next run's host again once the replay has repaired
        it. Its entry makes the next run (or self-healing-undo) delete it
        before it repairs the hosts (``journal.replay_order``).
        """
        journal = jn.current(CONF.self_healing)
        if journal is None:
            return None
        return journal.open_steps(kind, target, steps,
                                  'until the test deletes it',
                                  test_id=self.test.id(), disarm_first=True)

    def _close(self, entry_id):
        if entry_id is not None:
            jn.current(CONF.self_healing).close(entry_id)

    def load_template(self, scenario, workflow_name, project_id):
        """The scenario's template bound to the run (``bind_template``)."""
        path = scenario.artifact('vitrage_template')
        with open(path) as handle:
            template = yaml.safe_load(handle)
        return bind_template(template, path, workflow_name, project_id)

    def _disarm_on_exit(self, name, uuid):
        """Delete the template at the end, even if the run is killed."""
        entry_id = self._journal(TEMPLATE_KIND, name, [jn.Step(
            'delete_vitrage_template', 'delete Vitrage template %s (%s)'
            % (name, uuid), uuid=uuid)])

        def delete():
            delete_template(self.rca, uuid)
            self._close(entry_id)
        self.test.addCleanup(delete)

    def deploy_template(self, template):
        """Load ``template`` into Vitrage; wait until it is ACTIVE."""
        name = template['metadata']['name']
        added = self.rca.add_template(template, template_type='standard')
        for entry in added:
            self._disarm_on_exit(name, entry['uuid'])
        errors = [e for e in added if e.get('status') == 'ERROR']
        if errors:
            raise AssertionError('Vitrage refused template %s: %s' % (
                name, errors[0].get('status details')))

        def status():
            for entry in self.rca.list_templates():
                if entry.get('name') == name:
                    return entry.get('status')
        self.test.waiter(CONF.self_healing.service_timeout_s).until(
            status, lambda s: s == 'ACTIVE', 'Vitrage template %s' % name,
            'ACTIVE', failed=lambda s: 'Vitrage failed to load it'
            if s == 'ERROR' else None)
        return name

    def wait_sees(self, server_ids, host):
        """Vitrage's graph holds every server (the template's subjects)."""

        def known():
            return set(r.get('id') for r in self.rca.list_resources(
                resource_type='nova.instance', all_tenants=True))
        self.test.waiter(CONF.self_healing.service_timeout_s).until(
            known, lambda ids: set(server_ids) <= ids,
            'Vitrage instances of %s' % host, 'all of %s' % server_ids,
            describe=lambda ids: 'missing %s' % sorted(
                set(server_ids) - ids))

    def alarms_raised(self, deployment, since):
        """The detect observer: the deduced alarm on every faulted one."""
        return obs.vitrage_alarms_raised(
            self.rca, deployment.alarm_name, deployment.affected, since)

    def reader(self, timeline, host, alarm_name):
        """Vitrage's alarm on the host, then its deduced alarms: detect."""
        return cp.Reader(
            'vitrage.deduced_alarm', 'vitrage',
            lambda: cp.vitrage_alarm_hops(
                self.rca, cp.fault_time(timeline), host, alarm_name),
            phase=tl.DETECTED)

    def assert_saw(self, timeline, affected, host):
        """The deduced alarms hit exactly the faulted instances."""
        seen = timeline.phase(tl.DETECTED).detail.get('instances')
        self.test.assertEqual(
            affected, seen, 'Vitrage\'s deduced alarms were on %s, not on '
            'exactly the run\'s instances on %s' % (seen, host))

    def assert_ran_once_each(self, workflow, affected, host):
        """The workflow ran once per faulted instance; its runs, by id.

        Strays (runs naming no instance of the run) are attached as a
        detail.
        """
        ours, strays = mistral.runs_per_instance(self.workflows, workflow,
                                                 affected)
        if strays:
            self.test.addDetail('stray-executions',
                                testtools.content.text_content(
                                    '\n'.join(strays)))
        self.test.assertEqual(
            affected, sorted(ours), 'workflow %s ran for %s, expected once '
            'per instance of %s (others: %s)' % (
                workflow, sorted(ours), host, strays))
        return ours
