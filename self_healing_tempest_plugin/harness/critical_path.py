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

"""A flow's critical path, read after the run from the cloud's records.

Each ``*_hops`` function reads one kind of record through the plugin's
service clients and returns ``timeline.Hop`` objects carrying the
service's own time: Nova's instance actions, Aodh's alarm history,
Zaqar's queued messages, Mistral's executions and tasks, Heat's events,
Vitrage's alarm history and Gnocchi's measures. A runner lists its
readers (``Reader``: a name for the hop it stands for and a callable) and
``collect`` runs them: a reader that cannot read its record gives one hop
without a cloud time whose ``detail['reason']`` says why; it never raises
(the test's verdict is the healing's, not the collector's).

``collect`` then gives each hop the harness's polled time where a poll saw
the same thing (a phase mark, the fault, a sample) and makes the phases
honest: a phase's cloud time becomes the cloud's time of the hop that
stands for it, so the report's phase seconds are the cloud's.
"""

import datetime
import email.utils

from tempest.lib import exceptions as lib_exc

from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import observers
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import timeline as tl

# Nova's os-instance-actions of deleted servers need 2.21; their events'
# times are shown to admins at any microversion.
INSTANCE_ACTIONS_MICROVERSION = '2.21'

# The detail key of a phase mark naming the hop that stands for it.
HOP_OF_PHASE = 'critical_path_hop'


def _ordinal(name, index, count):
    """'nova.evacuate', 1 of 3 -> 'nova.evacuate#2': stable across runs."""
    return name if count == 1 else '%s#%d' % (name, index + 1)


def _after(cloud_time, since):
    """At or after the fault's second (the observers' test)."""
    return observers.after(cloud_time, lambda: since)


def _utc(epoch, spelling='%Y-%m-%dT%H:%M:%S'):
    return datetime.datetime.fromtimestamp(
        int(epoch), datetime.timezone.utc).strftime(spelling)


# -- Nova -----------------------------------------------------------------
def nova_action_hops(servers_client, server_ids, since, actions=None,
                     name=None, finished_name=None):
    """Nova's instance actions on ``server_ids`` after ``since``.

    One hop per action at Nova's start time of it, named ``name`` or
    ``nova.<action>``; with ``finished_name`` (True: ``<name>_finished``)
    also one at the end of its last event: Nova's time the compute host
    finished it (an evacuation, a build: the server ACTIVE). ``actions``
    limits the kinds (e.g. ('evacuate',)). Read at microversion 2.21, so
    a deleted server's actions are listed too. Several hops of one name
    are numbered ``#1``, ``#2`` by time.
    """
    found, unknown = [], []
    with faults.compute_microversion(INSTANCE_ACTIONS_MICROVERSION):
        for server_id in server_ids:
            try:
                listed = servers_client.list_instance_actions(
                    server_id)['instanceActions']
            except lib_exc.NotFound:
                unknown.append(server_id)
                continue
            for action in listed:
                if ((actions and action['action'] not in actions) or
                        not _after(action.get('start_time'), since)):
                    continue
                events = []
                if finished_name:
                    events = servers_client.show_instance_action(
                        server_id, action['request_id'])[
                            'instanceAction'].get('events') or []
                found.append((server_id, action, events))
    found.sort(key=lambda item: tl.parse_cloud_time(item[1]['start_time']))
    names = [name or 'nova.%s' % action['action'] for _, action, _ in found]
    hops = []
    for position, ((server_id, action, events), hop_name) in enumerate(
            zip(found, names)):
        count = names.count(hop_name)
        index = names[:position].count(hop_name)
        detail = {'server_id': server_id, 'action': action['action'],
                  'request_id': action.get('request_id')}
        hops.append(tl.Hop(_ordinal(hop_name, index, count), 'nova',
                           cloud_time=action['start_time'],
                           source='nova instance action', detail=detail))
        if not finished_name or not events:
            # An API-only action (e.g. resetState) has no events to end.
            continue
        end_name = (hop_name + '_finished' if finished_name is True
                    else finished_name)
        ends = [e['finish_time'] for e in events if e.get('finish_time')]
        end_detail = dict(detail, events=[
            '%s %s' % (e.get('event'), e.get('result')) for e in events])
        if not ends:
            end_detail['reason'] = 'no event of the action has finished'
        hops.append(tl.Hop(
            _ordinal(end_name, index, count), 'nova',
            cloud_time=max(ends, key=tl.parse_cloud_time) if ends else None,
            source='nova instance action events', detail=end_detail))
    if not hops and unknown:
        raise LookupError('Nova knows no server %s' % ', '.join(unknown))
    return hops


# -- Aodh -----------------------------------------------------------------
def aodh_transition_hops(alarming_client, alarm_ids, since, states,
                         name='aodh.alarm_fired'):
    """The first transition of an alarm of ``alarm_ids`` into ``states``.

    Read as the detect observer reads it (observers.alarm_fired): Aodh's
    alarm history records the evaluator's (or the listener's, for an
    event alarm) time of the transition. ``states`` is a tuple of Aodh
    states or {alarm id: states}.
    """
    seen = observers.alarm_fired(alarming_client, alarm_ids, lambda: since,
                                 states=states)()
    if seen is None:
        return [tl.Hop(name, 'aodh', source='aodh alarm history', detail={
            'reason': 'no transition to %s after the fault in the history '
                      'of %s' % (states, ', '.join(sorted(alarm_ids)))})]
    return [tl.Hop(name, 'aodh', cloud_time=seen.cloud_time,
                   source=seen.source,
                   detail={'alarm_id': seen.detail['alarm_id']})]


# -- Zaqar ----------------------------------------------------------------
def zaqar_message_hops(messaging_client, queues, since,
                       name='zaqar.message_posted'):
    """The first message posted to one of ``queues`` after ``since``.

    Zaqar lists a message with its ``age`` in seconds at the time of the
    answer; the answer's Date header is Zaqar's clock, so Date minus age
    is Zaqar's time of the post (to the second). Zaqar does not record
    when its subscription delivered the message to Mistral: the Mistral
    execution's creation (a hop of its own) is the first record of the
    delivery. Claimed messages are left out: nothing of the flow claims,
    and Zaqar's redis store answers 503 to include_claimed without a
    marker (it looks up the rank of a None marker).
    """
    posted = []
    for queue in queues:
        body = messaging_client.list_messages(
            queue, include_claimed=False)
        answered = tl.parse_cloud_time(_http_date(body.response))
        for message in body.get('messages') or []:
            if answered is None or message.get('age') is None:
                continue
            at = answered - float(message['age'])
            if at >= int(since) - 1:
                posted.append((at, queue, message))
    if not posted:
        return [tl.Hop(name, 'zaqar', source='zaqar message age', detail={
            'reason': 'no message posted to %s after the fault (or the '
                      'answer had no Date header)' % ', '.join(queues)})]
    at, queue, message = min(posted, key=lambda item: item[0])
    return [tl.Hop(name, 'zaqar', cloud_time=at, source='zaqar message age',
                   detail={'queue': queue, 'age_s': message.get('age'),
                           'message_id': message.get('id')})]


def _http_date(response):
    text = (response or {}).get('date')
    if not text:
        return None
    return email.utils.parsedate_to_datetime(text)


# -- Mistral --------------------------------------------------------------
def mistral_execution_hops(workflow_client, workflows, since,
                           prefix='mistral.', **filters):
    """Every execution of ``workflows`` after ``since``, task by task.

    Per execution: ``mistral.execution_created`` (its created_at: when
    Mistral took the trigger), ``mistral.execution_started`` (the first
    task's created_at: the engine began the workflow; Mistral records no
    start of its own for an execution), ``mistral.task.<task>.started``
    and ``.ended`` (each task's started_at and finished_at) and
    ``mistral.execution_ended`` (its updated_at once SUCCESS or ERROR).
    ``workflows`` holds names or ids; several executions number their hops
    ``#1``, ``#2`` by creation. ``prefix`` tells two workflows of one flow
    apart (e.g. 'mistral.relay.').
    """
    workflows = set(workflows)
    executions = [e for e in workflow_client.list_executions(
        **filters)['executions']
        if ({e.get('workflow_id'), e.get('workflow_name')} & workflows and
            _after(e.get('created_at'), since))]
    if not executions:
        return [tl.Hop(prefix + 'execution_created', 'mistral',
                       source='mistral execution', detail={
                           'reason': 'no execution of %s after the fault'
                                     % ', '.join(sorted(workflows))})]
    executions.sort(key=lambda e: tl.parse_cloud_time(e['created_at']))
    hops = []
    for index, execution in enumerate(executions):
        def hop(event, cloud_time, source='mistral execution', **detail):
            detail['execution_id'] = execution['id']
            if cloud_time is None:
                detail.setdefault('reason', 'Mistral has no time for it '
                                  '(state %s)' % execution.get('state'))
            hops.append(tl.Hop(
                _ordinal(prefix + event, index, len(executions)),
                'mistral', cloud_time=cloud_time, source=source,
                detail=detail))
        hop('execution_created', execution['created_at'],
            workflow_name=execution.get('workflow_name'))
        tasks = sorted(workflow_client.list_tasks(execution['id'])['tasks'],
                       key=_task_order)
        hop('execution_started', tasks[0]['created_at'] if tasks else None,
            source='mistral task')
        for task in tasks:
            hop('task.%s.started' % task['name'],
                task.get('started_at') or task['created_at'],
                source='mistral task', state=task.get('state'))
            hop('task.%s.ended' % task['name'], task.get('finished_at'),
                source='mistral task', state=task.get('state'))
        ended = execution.get('state') in ('SUCCESS', 'ERROR')
        hop('execution_ended', execution.get('updated_at') if ended
            else None, state=execution.get('state'))
    return hops


def _task_order(task):
    """Creation, then the first task before those a task triggered.

    Mistral's times are whole seconds: tasks of one second tie.
    """
    triggered = 'triggered_by' in (task.get('runtime_context') or '')
    return (tl.parse_cloud_time(task['created_at']), triggered,
            tl.parse_cloud_time(task.get('started_at') or
                                task['created_at']))


# -- Heat -----------------------------------------------------------------
def heat_event_hops(orchestration_client, stack, since, new_servers=(),
                    nested_depth=3):
    """The stack update that replaced a member, from Heat's events.

    ``heat.mark_unhealthy`` (the member's resource marked CHECK_FAILED),
    ``heat.update_in_progress`` and ``heat.update_complete`` (the root
    stack's), ``heat.replacement_created`` (CREATE_COMPLETE of the
    server resource of ``new_servers``, the members that were not there
    before the fault).
    """
    events = sorted(
        (e for e in orchestration_client.list_events(
            stack, nested_depth=nested_depth)['events']
         if _after(e.get('event_time'), since)),
        key=lambda e: tl.parse_cloud_time(e['event_time']))
    root_id = stack.rsplit('/', 1)[-1]

    def first(name, match, what):
        for event in events:
            if match(event):
                return tl.Hop(name, 'heat', cloud_time=event['event_time'],
                              source='heat event', detail={
                                  'resource_name': event.get(
                                      'resource_name'),
                                  'status': event.get('resource_status'),
                                  'status_reason': event.get(
                                      'resource_status_reason')})
        return tl.Hop(name, 'heat', source='heat event', detail={
            'reason': 'no event of %s after the fault' % what})

    def root(status):
        return lambda e: (e.get('physical_resource_id') == root_id and
                          observers.heat_stack_id(e) == root_id and
                          e.get('resource_status') == status)
    new_servers = set(new_servers)
    return [
        first('heat.mark_unhealthy',
              lambda e: e.get('resource_status') == 'CHECK_FAILED',
              'a resource marked unhealthy (CHECK_FAILED)'),
        first('heat.update_in_progress', root('UPDATE_IN_PROGRESS'),
              'the stack UPDATE_IN_PROGRESS'),
        first('heat.replacement_created', lambda e: (
            e.get('physical_resource_id') in new_servers and
            e.get('resource_status') == 'CREATE_COMPLETE'),
            'the replacement server %s CREATE_COMPLETE'
            % ', '.join(sorted(new_servers)) if new_servers
            else 'a replacement (no new server was seen)'),
        first('heat.update_complete', root('UPDATE_COMPLETE'),
              'the stack UPDATE_COMPLETE'),
    ]


def heat_signal_hops(orchestration_client, stack, since, resource_name,
                     name, nested_depth=2):
    """Heat's SIGNAL_COMPLETE of a scaling policy: the group resized.

    Read as the act observer reads it (observers.heat_signal).
    """
    seen = observers.heat_signal(orchestration_client, stack,
                                 [resource_name], lambda: since,
                                 nested_depth=nested_depth)()
    if seen is None:
        return [tl.Hop(name, 'heat', source='heat signal event', detail={
            'reason': 'no SIGNAL_COMPLETE of %s after the fault'
                      % resource_name})]
    return [tl.Hop(name, 'heat', cloud_time=seen.cloud_time,
                   source=seen.source, detail={
                       'resource_name': resource_name,
                       'status_reason': seen.detail.get('reason')})]


# -- Vitrage --------------------------------------------------------------
def vitrage_alarm_hops(rca_client, since, host, alarm_name):
    """The monitor's alert, Vitrage's alarm on the host, its deductions.

    ``vitrage.host_alarm``: the earliest alarm on the ``nova.host`` named
    ``host`` after the fault (its start_timestamp, whole seconds).
    ``monitor.alert_fired``: for a Prometheus alarm, its update_timestamp
    while it is the alert's start: Alertmanager's startsAt as Vitrage
    kept it, to the millisecond (the monitor's own API is not read: its
    URL is not in tempest.conf). ``vitrage.deduced_alarm`` (numbered when
    several): each ``alarm_name`` alarm's start_timestamp.
    """
    alarms = rca_client.list_alarm_history(
        all_tenants=True, start=_utc(since, '%Y-%m-%d %H:%M:%S'))
    alarms = sorted((a for a in alarms
                     if _after(a.get('start_timestamp'), since)),
                    key=lambda a: tl.parse_cloud_time(a['start_timestamp']))
    hosts = set(r['vitrage_id'] for r in rca_client.list_resources(
        resource_type='nova.host', all_tenants=True)
        if host in (r.get('id'), r.get('name')))
    on_host = [a for a in alarms
               if a.get('vitrage_resource_type') == 'nova.host' and
               a.get('vitrage_resource_id') in hosts]
    hops = []
    if on_host:
        alarm = on_host[0]
        hops.extend(_monitor_alert_hops(alarm))
        hops.append(tl.Hop('vitrage.host_alarm', 'vitrage',
                           cloud_time=alarm['start_timestamp'],
                           source='vitrage alarm history',
                           detail={'alarm_name': alarm.get('name'),
                                   'vitrage_type': alarm.get(
                                       'vitrage_type')}))
    else:
        hops.append(tl.Hop('vitrage.host_alarm', 'vitrage',
                           source='vitrage alarm history', detail={
                               'reason': 'no alarm on host %s after the '
                                         'fault' % host}))
    deduced = [a for a in alarms if a.get('name') == alarm_name]
    for index, alarm in enumerate(deduced):
        hops.append(tl.Hop(_ordinal('vitrage.deduced_alarm', index,
                                    len(deduced)), 'vitrage',
                           cloud_time=alarm['start_timestamp'],
                           source='vitrage alarm history',
                           detail={'alarm_name': alarm_name,
                                   'resource_id': alarm.get('resource_id')}))
    if not deduced:
        hops.append(tl.Hop('vitrage.deduced_alarm', 'vitrage',
                           source='vitrage alarm history', detail={
                               'reason': 'no %s alarm after the fault'
                                         % alarm_name}))
    return hops


def _monitor_alert_hops(alarm):
    """Alertmanager's startsAt of a Prometheus alarm, if Vitrage has it."""
    if alarm.get('vitrage_type') != 'prometheus':
        return []
    started = tl.parse_cloud_time(alarm.get('start_timestamp'))
    stamp = tl.parse_cloud_time(alarm.get('update_timestamp'))
    detail = {'alarm_name': alarm.get('name')}
    if stamp is None or not started <= stamp + 1 < started + 2:
        # Updated since it fired: its first time is gone.
        stamp = None
        detail['reason'] = ('the alarm was updated after it fired (%s): '
                            'the alert\'s startsAt is not kept'
                            % alarm.get('update_timestamp'))
    return [tl.Hop('monitor.alert_fired', 'monitor', cloud_time=stamp,
                   source='alertmanager startsAt (vitrage alarm)',
                   detail=detail)]


# -- Gnocchi --------------------------------------------------------------
def gnocchi_last_sample_hops(metric_client, server_ids, since,
                             metric='cpu'):
    """The last measure of ``metric`` of the faulted servers.

    Gnocchi stamps an aggregate with the start of its granularity period:
    the last sample came within the last period of the finest
    granularity; the end of that period (its upper bound) is the time
    recorded here.
    """
    last = None
    for server_id in server_ids:
        resource = metric_client.show_resource('instance', server_id)
        metric_id = (resource.get('metrics') or {}).get(metric)
        if metric_id is None:
            continue
        measures = metric_client.list_measures(metric_id)
        # A coarser aggregate's period runs past the last sample.
        finest = min([float(g) for _, g, _ in measures] or [0])
        for stamp, granularity, _value in measures:
            if float(granularity) != finest:
                continue
            end = tl.parse_cloud_time(stamp) + float(granularity)
            if last is None or end > last[0]:
                last = (end, server_id, stamp, granularity)
    if last is None:
        return [tl.Hop('gnocchi.last_sample', 'gnocchi',
                       source='gnocchi measures', detail={
                           'reason': 'no %s measures of %s' % (
                               metric, ', '.join(sorted(server_ids)))})]
    end, server_id, stamp, granularity = last
    return [tl.Hop('gnocchi.last_sample', 'gnocchi', cloud_time=end,
                   source='gnocchi measures', detail={
                       'server_id': server_id, 'period_start': stamp,
                       'granularity_s': granularity,
                       'before_fault': end < since})]


# -- running the readers ----------------------------------------------------
class Reader(object):
    """One record kind of a flow: ``read()`` returns its hops.

    ``name`` and ``service`` name the hop that stands for the record when
    it cannot be read. ``phase`` (DETECTED, ACTION_STARTED or RECOVERED)
    says which of its hops stands for that phase: the first one named
    ``phase_hop``, or the latest with a cloud time if ``phase_hop`` is
    None; any phase mark of the run's (e.g. FENCED) may be named.
    ``fault``: its earliest hop is the cloud's record of the first fault.
    """

    def __init__(self, name, service, read, phase=None, phase_hop=None,
                 fault=False):
        self.name = name
        self.service = service
        self.read = read
        self.phase = phase
        self.phase_hop = phase_hop
        self.fault = fault

    def hops(self):
        try:
            return list(self.read())
        except Exception as exc:
            return [tl.Hop(self.name, self.service, detail={
                'reason': 'the record could not be read: %s: %s' % (
                    type(exc).__name__, exc)})]


def fault_time(timeline):
    """The harness's time of the first fault, or None before it.

    Every deadline counts from it.
    """
    if timeline.faults and timeline.faults[0].get('t_fault') is not None:
        return timeline.faults[0]['t_fault']
    mark = timeline.phase(tl.FAULT_INJECTED)
    return None if mark is None else mark.harness_time


def faulted_members(timeline):
    """Ids of the members every fault of the run hit, sorted."""
    return sorted(set(member for record in timeline.faults
                      for member in record.get('affected_members') or ()))


def new_server_ids(timeline):
    """Members of the samples after the first fault not there before."""
    since = fault_time(timeline)
    if since is None or not timeline.samples:
        return []
    before = set(m['id'] for s in timeline.samples
                 if s.t < since for m in s.members)
    # A member Nova does not know (GONE) may be Heat's logical name of a
    # server it has not created yet.
    return sorted(set(m['id'] for s in timeline.samples
                      if s.t >= since for m in s.members
                      if m.get('status') != sp.GONE) - before)


def first_sample_with(timeline, predicate):
    """Harness time of the first sample matching it, from the first fault.
    """
    since = fault_time(timeline)
    for sample in timeline.samples:
        if since is not None and sample.t < since:
            continue
        if predicate(sample):
            return sample.t
    return None


def replacement_seen(timeline):
    """When a poll first saw a new member ACTIVE."""
    new = set(new_server_ids(timeline))
    return first_sample_with(timeline, lambda s: any(
        m['id'] in new and m.get('status') == 'ACTIVE' for m in s.members))


def collect(timeline, readers, seen=None):
    """Every reader's hops, harness times beside them, phases honest.

    ``seen`` maps a hop name to the harness time a poll saw it (beyond
    the phase marks, which are matched through the readers' ``phase``).
    Returns the hops; the phase marks' cloud times are updated in place
    (the polled cloud time they had is kept in their detail).
    """
    seen = dict((k, v) for k, v in (seen or {}).items() if v is not None)
    hops = []
    for reader in readers:
        found = reader.hops()
        for hop in found:
            _order_within_its_second(hop, hops)
            hops.append(hop)
        timed = sorted((h for h in found if h.cloud_time is not None),
                       key=lambda h: h.cloud_time)
        fault = timeline.phase(tl.FAULT_INJECTED)
        if reader.fault and timed and fault is not None:
            # The fault's time stays the harness's (it made the fault).
            seen.setdefault(timed[0].name, fault.harness_time)
        if reader.phase is not None:
            _stand_for(timeline.phase(reader.phase),
                       _stand_in(found, reader.phase_hop), seen)
    for hop in hops:
        if hop.harness_time is None and hop.name in seen:
            hop.harness_time = seen[hop.name]
    return hops


def _order_within_its_second(hop, earlier):
    """Order a whole-second cloud time after the flow's earlier hops.

    Nova, Mistral, Heat and Zaqar record whole seconds: Mistral's 10 s
    may be 10.9, after Aodh's 10.55 that triggered it. A hop in whole
    seconds is ordered no earlier than any hop collected before it (the
    readers follow the flow) within the same second.
    """
    t = hop.cloud_time
    if t is None or not float(t).is_integer():
        return
    same_second = [getattr(h, 'order_time', None) or h.cloud_time
                   for h in earlier if h.cloud_time is not None]
    hop.order_time = max([t] + [o for o in same_second if o < t + 1])


def _stand_for(mark, hop, seen):
    """``hop`` is the cloud's record of ``mark``: share their times."""
    if mark is None or hop is None:
        return
    seen.setdefault(hop.name, mark.harness_time)
    if hop.cloud_time is None:
        return
    if mark.cloud_time != hop.cloud_time:
        mark.detail['polled_cloud_time'] = mark.cloud_time
    mark.cloud_time = hop.cloud_time
    mark.detail[HOP_OF_PHASE] = hop.name


def _stand_in(hops, name):
    if name is not None:
        for hop in hops:
            if hop.name in (name, name + '#1'):
                return hop
        return None
    timed = [h for h in hops if h.cloud_time is not None]
    return max(timed, key=lambda h: h.cloud_time) if timed else None
