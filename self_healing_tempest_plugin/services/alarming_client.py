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

"""Aodh (alarming v2) client: alarms, their state and their history."""

import json

from tempest.lib import exceptions

from self_healing_tempest_plugin.services import base


def alarm_query(query=None, **filters):
    """Aodh's query parameters from triples and plain equality filters.

    Aodh (WSME) reads a list of query objects as repeated q.field, q.op and
    q.value parameters, matched by position. `query` is a list of
    (field, op, value) triples or of dicts with those keys; each plain
    keyword filter (name='x') adds (name, 'eq', 'x').
    """
    triples = []
    for item in query or ():
        if isinstance(item, dict):
            item = (item['field'], item.get('op', 'eq'), item['value'])
        triples.append(tuple(item))
    triples.extend((field, 'eq', value)
                   for field, value in sorted(filters.items()))
    if not triples:
        return {}
    return {
        'q.field': [t[0] for t in triples],
        'q.op': [t[1] for t in triples],
        'q.value': [t[2] for t in triples],
    }


class AlarmingClient(base.JsonRestClient):

    api_version = 'v2'
    resource_type = 'alarm'

    def list_alarms(self, query=None, sort=None, limit=None, marker=None,
                    **filters):
        """List alarms, e.g. list_alarms(name='x') or query=[(f, op, v)].

        The body is the JSON list Aodh returns (a ResponseBodyList).
        """
        params = alarm_query(query, **filters)
        params.update(sort=sort, limit=limit, marker=marker)
        return self.get_json('alarms', params=params)

    def show_alarm(self, alarm_id):
        return self.get_json('alarms/%s' % base.quote(alarm_id))

    def create_alarm(self, **body):
        return self.post_json('alarms', body, 201)

    def update_alarm(self, alarm_id, **body):
        """Replace an alarm: Aodh's PUT wants the whole alarm body."""
        return self.put_json('alarms/%s' % base.quote(alarm_id), body, 200)

    def delete_alarm(self, alarm_id):
        return self.delete_json('alarms/%s' % base.quote(alarm_id), 204)

    def is_resource_deleted(self, alarm_id):
        """For ``wait_for_resource_deletion``: the alarm is gone."""
        try:
            self.show_alarm(alarm_id)
        except exceptions.NotFound:
            return True
        return False

    def show_alarm_state(self, alarm_id):
        """The state as ResponseBodyData: Aodh answers a bare JSON string."""
        return self.get_json('alarms/%s/state' % base.quote(alarm_id))

    def set_alarm_state(self, alarm_id, state):
        """Force a state ('ok', 'alarm', 'insufficient data').

        Aodh takes the state as a bare JSON string body.
        """
        return self.put_json('alarms/%s/state' % base.quote(alarm_id),
                             state, 200)

    def alarm_history(self, alarm_id, query=None, **filters):
        """Alarm changes (creation, rule and state transitions)."""
        return self.get_json('alarms/%s/history' % base.quote(alarm_id),
                             params=alarm_query(query, **filters))

    def query_alarm_history(self, filter_expr=None, orderby=None,
                            limit=None):
        """Alarm changes matching a complex query: many alarms, one call.

        ``filter_expr`` is Aodh's filter, e.g. ``{"and": [{"in":
        {"alarm_id": [...]}}, {">=": {"timestamp": "2026-11-22T18:00:00"}}]}``
        and ``orderby`` a list such as ``[{"timestamp": "asc"}]``; Aodh
        takes both as JSON text. A project's user sees its own alarms'.
        """
        body = {}
        if filter_expr is not None:
            body['filter'] = json.dumps(filter_expr)
        if orderby is not None:
            body['orderby'] = json.dumps(orderby)
        if limit is not None:
            body['limit'] = limit
        return self.post_json('query/alarms/history', body, 200)
