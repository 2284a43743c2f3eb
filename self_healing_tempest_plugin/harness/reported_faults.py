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

"""A failure reported through the monitoring path alone.

``external_event`` breaks nothing: it tells the cloud's monitoring path
that a compute host is down, as the external monitor would, and the flow
must heal from that report alone (the host and its servers stay fine).
It posts the monitor's host alarm (``[self_healing] host_alarm_name``,
the labels the plugin's monitor puts on it) either to Alertmanager's API
v2 (``via: alertmanager``, ``[self_healing] alertmanager_url``), which
hands it to Vitrage as the monitor's own alerts go, or straight to
Vitrage's event API (``via: vitrage``) as an Alertmanager notification.
The undo resolves it, and so does the replay of its journal entry (the
same alert, posted resolved, as data: ``resolve_alert``).
``hosts_cut_off()`` stays empty: no member is down.
"""

import datetime
import json
import time

import urllib3

from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import journal as jn
from self_healing_tempest_plugin.harness import registry

ALERTMANAGER, VITRAGE = VIAS = ('alertmanager', 'vitrage')
ALERTS_PATH = '/api/v2/alerts'
# Vitrage's Prometheus datasource takes events of this type (what its
# event API calls an Alertmanager notification).
VITRAGE_EVENT_TYPE = 'prometheus.alarm'
# The labels of the plugin's monitor (devstack/flow_settings.py's
# Prometheus targets and rule): Vitrage maps an alert with the job onto
# the Nova host named by HOST_LABEL. A scenario's labels: adds or
# overrides labels.
HOST_LABEL = 'hostname'
MONITOR_LABELS = {'job': 'compute-hosts', 'vitrage_type': 'nova.host',
                  'severity': 'critical'}
# What the report says in the alert, so an operator reading Alertmanager
# or Vitrage knows it was not the monitor.
SUMMARY = 'compute host %s reported down by the self-healing harness'
HTTP_TIMEOUT_S = 30


class AlertmanagerError(RuntimeError):
    """Alertmanager refused a post: it names the URL, status and body."""


def utc_rfc3339(epoch):
    """RFC 3339 UTC text, as Alertmanager and Vitrage read times."""
    return datetime.datetime.fromtimestamp(
        epoch, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def alerts_url(url):
    """Alertmanager's alerts endpoint from its base URL (or that URL)."""
    url = url.rstrip('/')
    return url if url.endswith(ALERTS_PATH) else url + ALERTS_PATH


class AlertmanagerClient(object):
    """Posts alerts to Alertmanager's API v2 (it takes no credentials).

    :param http: a urllib3 PoolManager (one is made when None).
    """

    def __init__(self, url, http=None, timeout_s=HTTP_TIMEOUT_S):
        self.url = alerts_url(url)
        self.http = http or urllib3.PoolManager()
        self.timeout_s = timeout_s

    def post_alerts(self, alerts):
        try:
            response = self.http.request(
                'POST', self.url, body=json.dumps(alerts).encode(),
                headers={'Content-Type': 'application/json'},
                timeout=self.timeout_s, retries=False)
        except urllib3.exceptions.HTTPError as exc:
            raise AlertmanagerError('POST %s ([self_healing] '
                                    'alertmanager_url) failed: %s'
                                    % (self.url, exc))
        if response.status != 200:
            body = response.data.decode(errors='replace')[:500]
            raise AlertmanagerError('POST %s ([self_healing] '
                                    'alertmanager_url) answered %d: %s'
                                    % (self.url, response.status, body))
        return response.status


def post_alert(via, poster, labels, starts_at, ends_at, firing, now):
    """Post the host alarm ``labels`` (firing or resolved); the alert.

    :param poster: an AlertmanagerClient (via alertmanager) or the
        Vitrage client (via vitrage, its ``post_event``).
    """
    alert = {'labels': dict(labels),
             'annotations': {'summary': SUMMARY % labels[HOST_LABEL]},
             'startsAt': utc_rfc3339(starts_at),
             'endsAt': utc_rfc3339(ends_at)}
    if via == ALERTMANAGER:
        poster.post_alerts([alert])
        return alert
    # Vitrage reads the notification Alertmanager would send.
    status = 'firing' if firing else 'resolved'
    alert['status'] = status
    poster.post_event(VITRAGE_EVENT_TYPE, {
        'status': status, 'alerts': [alert], 'receiver': 'vitrage',
        'commonLabels': dict(labels),
        'groupLabels': {'alertname': labels['alertname']}},
        time=utc_rfc3339(now))
    return alert


@jn.UNDO_ACTIONS.register('resolve_alert')
def _resolve_alert_action(ctx, via, labels, starts_at, alertmanager_url=None):
    """The undo of an external_event from its journal entry."""
    if via == ALERTMANAGER:
        poster = AlertmanagerClient(alertmanager_url)
    else:
        poster = ctx.require('rca_client', 'replayed external_event')
    now = ctx.clock()
    post_alert(via, poster, labels, starts_at, now, firing=False, now=now)


_SCHEMA = {
    'via': {'enum': list(VIAS),
            'message': 'where the report goes: %s' % ' or '.join(VIAS)},
    'labels': {'type': 'object',
               'additionalProperties': {'type': 'string'},
               'message': 'alert labels, name: text'},
}


@registry.FAULTS.register('external_event', target=registry.HOST,
                          feature='external_event_fault', serial=True,
                          schema=_SCHEMA, required=('via',), duration=True)
class ExternalEvent(faults.Fault):
    """Report a compute host down through the monitoring path only.

    Without ``duration_s`` the alert lasts until the undo; Alertmanager
    still ends it by itself ``lifetime_s`` after the post (the run's
    deadlines and undo), so a harness that died leaves no alert for
    ever. With ``duration_s`` through Alertmanager, Alertmanager resolves
    it then (``self_undoing``); through Vitrage the engine resolves it.

    :param poster: an AlertmanagerClient (via alertmanager) or the
        Vitrage client (via vitrage, its ``post_event``).
    """

    def __init__(self, host, via, poster, alarm_name, lifetime_s,
                 labels=None, duration_s=None, clock=time.time):
        super(ExternalEvent, self).__init__(target=host,
                                            duration_s=duration_s,
                                            clock=clock)
        if via not in VIAS:
            raise ValueError('external_event via %r: expected %s'
                             % (via, ' or '.join(VIAS)))
        if not alarm_name:
            raise ValueError('[self_healing] host_alarm_name is empty: an '
                             'external_event has no alarm to report')
        self.host = host
        self.via = via
        self.poster = poster
        self.lifetime_s = duration_s or lifetime_s
        self.labels = dict(MONITOR_LABELS, **(labels or {}))
        self.labels.update({'alertname': alarm_name, HOST_LABEL: host})
        self.starts_at = None
        self.record.update({'host': host, 'via': via,
                            'labels': dict(self.labels),
                            'duration_s': duration_s})

    @classmethod
    def from_spec(cls, spec, targets, ctx):
        conf = ctx.conf
        via = spec['via']
        if via == ALERTMANAGER:
            if not conf.alertmanager_url:
                raise ValueError('an external_event via alertmanager needs '
                                 '[self_healing] alertmanager_url (it is '
                                 'empty)')
            poster = AlertmanagerClient(conf.alertmanager_url)
        else:
            poster = ctx.require('rca_client', cls.kind)
        return [cls(targets.host(spec), via, poster, conf.host_alarm_name,
                    lifetime_s=(conf.recover_timeout_s +
                                conf.service_timeout_s),
                    labels=spec.get('labels'),
                    duration_s=spec.get('duration_s'), clock=ctx.clock)]

    @property
    def self_undoing(self):
        return bool(self.duration_s) and self.via == ALERTMANAGER

    def affected(self, state):
        """The members on the reported host: the ones to be healed."""
        return set(m.id for m in state.members if m.host == self.host)

    def _post(self, firing):
        now = self.clock()
        ends_at = self.starts_at + self.lifetime_s if firing else now
        return post_alert(self.via, self.poster, self.labels,
                          self.starts_at, ends_at, firing, now)

    def _act(self):
        self.starts_at = self.t_fault
        alert = self._post(firing=True)
        self.record['alert'] = alert
        self.record['posted_at'] = self.clock()
        self.record['did'] = '%s alert %s on %s posted to %s' % (
            'firing', self.labels['alertname'], self.host, self.via)

    def _resolve(self):
        self.record['resolved_alert'] = self._post(firing=False)
        self.record['resolved_at'] = self.clock()

    def _undo_steps(self):
        return [('resolve alert %s on %s at %s' % (
            self.labels['alertname'], self.host, self.via), self._resolve)]

    ends_by_itself = 'Alertmanager resolves it (its endsAt)'

    def lasts(self):
        if self.duration_s is None:
            return '%s (Alertmanager ends it %s s after the post)' % (
                jn.NO_DURATION, self.lifetime_s)
        return super(ExternalEvent, self).lasts()

    def journal_undo(self):
        # The journal is written before the post: starts_at is t_fault.
        return [jn.Step(
            'resolve_alert', 'resolve alert %s on %s at %s' % (
                self.labels['alertname'], self.host, self.via),
            via=self.via, labels=dict(self.labels), starts_at=self.t_fault,
            alertmanager_url=(self.poster.url if self.via == ALERTMANAGER
                              else None))]
