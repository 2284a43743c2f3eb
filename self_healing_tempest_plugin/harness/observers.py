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

"""Observers of the healing phases, read from each cloud's own records.

Each factory returns an ``Observer`` for the engine: its ``poll()``
answers None until its service shows the phase happened after the fault,
then an ``Observation`` carrying the service's own timestamp, so the
timeline keeps the cloud's clock beside the harness's; ``calls`` is how
many requests one poll makes. ``since`` is a callable returning the first
fault's epoch time: observers are built before the fault exists.

Each factory is registered in ``registry.OBSERVERS`` through a builder
``build(deployment, since, **params)`` that reads what it ``needs`` from
the flow's Deployment, so a scenario can name an observer for a phase
(``observers: {detect: alarm_fired}``); ``build`` below makes one.
"""

import datetime
import json

from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import timeline as tl


class Observation(object):
    """What an observer returns when it has seen its phase.

    ``cloud_time`` is the service's own time of the phase (epoch
    seconds, ISO text or datetime; None: the cloud has none), ``source``
    what recorded it, ``detail`` what the service said.
    """

    def __init__(self, cloud_time=None, source=None, **detail):
        self.cloud_time = cloud_time
        self.source = source
        self.detail = detail


class Observer(object):
    """One phase's poll. ``calls``: requests per poll.

    :param poll: callable returning an Observation or None (not yet);
        a subclass may override ``poll`` instead.
    """

    phase = None
    calls = 1

    def __init__(self, poll=None, calls=None, phase=None):
        if poll is not None:
            self._poll = poll
        if calls is not None:
            self.calls = calls
        if phase is not None:
            self.phase = phase

    def poll(self):
        """An Observation once the phase is seen, else None."""
        return self._poll()

    def __call__(self):
        return self.poll()


def build(phase, spec, deployment, since, flow):
    """The Observer ``spec`` ({'observer': name, **params}) names.

    :param flow: the flow's name, for the error when ``deployment``
        lacks an attribute the observer needs.
    """
    registry.load()
    params = dict(spec)
    entry = registry.OBSERVERS.get(params.pop('observer'))
    for attribute in entry.needs:
        if getattr(deployment, attribute, None) is None:
            raise ValueError(
                'observer %s (phase %s) needs the deployment\'s %s, which '
                'flow %s did not set' % (entry.name, phase, attribute,
                                         flow))
    observer = entry.cls(deployment, since, **params)
    observer.phase = phase
    return observer


def for_scenario(scenario, defaults, deployment, since):
    """{phase: Observer} of every phase ``scenario`` observes, in order.

    :param defaults: the flow's own {phase: Observer}; the scenario's
        ``observers:`` entries override them and add the extra phases.
    """
    chosen = {}
    for phase in scenario.phase_names:
        if phase in scenario.observers_spec:
            chosen[phase] = build(phase, scenario.observers_spec[phase],
                                  deployment, since, scenario.flow)
        elif phase in defaults:
            chosen[phase] = defaults[phase]
            chosen[phase].phase = phase
        else:
            raise ValueError('flow %s has no observer of phase %s and '
                             'scenario %s names none (observers: %s)' % (
                                 scenario.flow, phase, scenario.name,
                                 ', '.join(sorted(defaults)) or 'none'))
    return chosen


def after(cloud_time, since):
    """Cloud timestamps have second (Mistral) or microsecond precision."""
    parsed = tl.parse_cloud_time(cloud_time)
    return parsed is not None and parsed >= int(since())


def alarm_fired(alarming_client, alarm_ids, since, states=('alarm',)):
    """An alarm of ``alarm_ids`` transitioned to one of ``states``.

    ``states`` are Aodh states ('alarm', 'insufficient data', 'ok'),
    one for every alarm or a mapping {alarm id: states} (a missing-sample
    alarm acts on 'insufficient data', a threshold alarm on 'alarm'). Only
    transitions after ``since`` count; Aodh's alarm history records the
    evaluator's time of the transition. One query per poll, whatever the
    number of alarms; the earliest transition is the detection.
    """
    alarm_ids = list(alarm_ids)

    def wanted(alarm_id):
        found = (states.get(alarm_id, ('alarm',))
                 if isinstance(states, dict) else states)
        return (found,) if isinstance(found, str) else tuple(found)

    def observe():
        start = datetime.datetime.fromtimestamp(
            int(since()), datetime.timezone.utc)
        changes = alarming_client.query_alarm_history(
            filter_expr={'and': [
                {'in': {'alarm_id': alarm_ids}},
                {'=': {'type': 'state transition'}},
                {'>=': {'timestamp': start.strftime('%Y-%m-%dT%H:%M:%S')}}]},
            orderby=[{'timestamp': 'asc'}])
        for change in sorted(changes, key=lambda c: tl.parse_cloud_time(
                c.get('timestamp')) or 0):
            alarm_id = change.get('alarm_id')
            if (alarm_id in alarm_ids and
                    change.get('type') == 'state transition' and
                    transition_state(change) in wanted(alarm_id) and
                    after(change['timestamp'], since)):
                return Observation(
                    cloud_time=change['timestamp'],
                    source='aodh alarm history', alarm_id=alarm_id,
                    reason=change.get('detail'))
        return None
    return Observer(observe)


@registry.OBSERVERS.register(
    'alarm_fired', phase='detect', reads='aodh alarm history', calls=1,
    needs=('alarming_client', 'alarm_ids'),
    schema={'states': {'type': 'array', 'items': {'type': 'string'},
                       'minItems': 1}})
def build_alarm_fired(deployment, since, states=None):
    """``states`` (YAML), else the deployment's ``alarm_states``."""
    return alarm_fired(deployment.alarming_client, deployment.alarm_ids,
                       since, states=tuple(states) if states else getattr(
                           deployment, 'alarm_states', None) or ('alarm',))


def transition_state(change):
    """The state an Aodh history entry moved to (None if unreadable)."""
    try:
        return json.loads(change.get('detail') or '{}').get('state')
    except (ValueError, AttributeError):
        return None


def heat_signal(orchestration_client, stack, resource_names, since,
                nested_depth=2):
    """Heat handled a signal of a resource so named, after ``since``.

    A scaling policy's SIGNAL event means it adjusted its group: Heat
    records no event for a signal it refused (cooldown, already at the
    group's min or max size). The event time is Heat's, taken when the
    policy's handling ended: after the group's resize (a new server may
    be ACTIVE a moment before it).
    """
    resource_names = set(resource_names)

    def observe():
        events = orchestration_client.list_events(
            stack, nested_depth=nested_depth,
            resource_action='SIGNAL')['events']
        for event in sorted(events, key=lambda e: e['event_time']):
            if (event.get('resource_name') in resource_names and
                    event.get('resource_status') == 'SIGNAL_COMPLETE' and
                    after(event['event_time'], since)):
                return Observation(
                    cloud_time=event['event_time'],
                    source='heat signal event',
                    resource_name=event['resource_name'],
                    stack_id=heat_stack_id(event),
                    reason=event.get('resource_status_reason'))
        return None
    return Observer(observe)


@registry.OBSERVERS.register(
    'heat_signal', phase='act', reads='heat events', calls=1,
    needs=('orchestration_client', 'stack', 'signal_resources'),
    schema={'resources': {'type': 'array', 'items': {'type': 'string'},
                          'minItems': 1}})
def build_heat_signal(deployment, since, resources=None):
    """``resources`` (YAML), else the deployment's ``signal_resources``."""
    return heat_signal(deployment.orchestration_client, deployment.stack,
                       resources or deployment.signal_resources, since)


def heat_stack_id(item):
    """The id of the (nested) stack a Heat event or resource belongs to."""
    for link in item.get('links') or []:
        if link.get('rel') == 'stack':
            return link.get('href', '').rstrip('/').rsplit('/', 1)[-1]
    return None


def execution_started(workflow_client, workflows, since, **filters):
    """Mistral created an execution of one of ``workflows``.

    ``workflows`` holds workflow ids or names (Heat's physical id of an
    OS::Mistral::Workflow is its name). The execution's created_at is
    Mistral's time of the trigger. ``filters`` go to the listing (e.g.
    all_projects=True for an admin watching another project's runs).
    """
    workflows = set(workflows)

    def observe():
        for execution in workflow_client.list_executions(
                **filters)['executions']:
            ours = (execution.get('workflow_id') in workflows or
                    execution.get('workflow_name') in workflows)
            if ours and after(execution['created_at'], since):
                return Observation(
                    cloud_time=execution['created_at'],
                    source='mistral execution',
                    execution_id=execution['id'],
                    workflow_name=execution.get('workflow_name'),
                    state=execution.get('state'),
                    input=execution.get('input'))
        return None
    return Observer(observe)


@registry.OBSERVERS.register(
    'execution_started', phase='act', reads='mistral executions', calls=1,
    needs=('workflow_client', 'workflows'))
def build_execution_started(deployment, since):
    """The deployment's ``execution_filters`` go to the listing."""
    return execution_started(deployment.workflow_client,
                             deployment.workflows, since,
                             **(getattr(deployment, 'execution_filters',
                                        None) or {}))


def instance_alarms(rca_client, alarm_name, alarms=None, vertices=None):
    """{nova instance id: Vitrage alarm} of the alarms so named.

    ``alarms`` defaults to the active ones. ``vertices`` ({vitrage id:
    nova id}) is updated with the instances Vitrage lists now and kept by
    the caller: an alarm in the history names its instance only by its
    Vitrage id, and a replaced instance is gone from the graph.
    """
    vertices = {} if vertices is None else vertices
    vertices.update((r['vitrage_id'], r.get('id')) for r in
                    rca_client.list_resources(resource_type='nova.instance',
                                              all_tenants=True))
    if alarms is None:
        alarms = rca_client.list_alarms(all_tenants=True)
    found = {}
    for alarm in alarms:
        resource = vertices.get(alarm.get('vitrage_resource_id'))
        if alarm.get('name') == alarm_name and resource:
            found[resource] = alarm
    return found


def vitrage_alarms_raised(rca_client, alarm_name, instance_ids, since):
    """Vitrage raised ``alarm_name`` on every instance of ``instance_ids``.

    ``instance_ids`` is a callable (the instances the fault hit are known
    only once it is injected). Read from Vitrage's alarm history: a fast
    evacuation ends an instance's deduced alarm within a second or two,
    between two polls. The latest alarm's start is Vitrage's time. The
    instances' Vitrage ids are remembered from poll to poll: the first
    poll after the fault may come once healing has replaced them.
    """
    vertices = {}

    def observe():
        wanted = set(instance_ids())
        start = datetime.datetime.fromtimestamp(
            int(since()), datetime.timezone.utc)
        alarms = instance_alarms(
            rca_client, alarm_name, rca_client.list_alarm_history(
                all_tenants=True,
                start=start.strftime('%Y-%m-%d %H:%M:%S')),
            vertices=vertices)
        if not wanted or not wanted <= set(alarms):
            return None
        starts = [alarms[i].get('start_timestamp') for i in wanted]
        if not all(after(start, since) for start in starts):
            return None
        return Observation(
            cloud_time=max(starts, key=tl.parse_cloud_time),
            source='vitrage alarm history', alarm_name=alarm_name,
            instances=sorted(wanted),
            alarm_ids=sorted(alarms[i]['vitrage_id'] for i in wanted))
    # Per poll: the alarm history and the instances it names.
    return Observer(observe, calls=2)


@registry.OBSERVERS.register(
    'vitrage_alarms_raised', phase='detect', reads='vitrage alarm history',
    calls=2, needs=('rca_client', 'alarm_name', 'instance_ids'))
def build_vitrage_alarms_raised(deployment, since):
    """``instance_ids``: a callable (the instances the faults hit)."""
    return vitrage_alarms_raised(deployment.rca_client,
                                 deployment.alarm_name,
                                 deployment.instance_ids, since)
