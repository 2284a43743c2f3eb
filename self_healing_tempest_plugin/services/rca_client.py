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

"""Vitrage (root cause analysis v1) client.

Vitrage is deprecated upstream but still supported here. Its pecan
controllers answer 200 to every successful call (even PUT and DELETE), read
list filters from a JSON body on POST (topology, resources) and take query
filters as JSON strings. Paths end with '/' as python-vitrageclient sends
them.
"""

from oslo_serialization import jsonutils as json
import yaml

from self_healing_tempest_plugin.services import base


def _json_text(query):
    # Vitrage json.loads() its query filters: send them as a string.
    if query is None or isinstance(query, str):
        return query
    return json.dumps(query)


def _templates_body(template, template_type, params, name):
    # Vitrage takes [[name, template], ...] with each template parsed.
    if isinstance(template, str):
        template = yaml.safe_load(template)
    return {'templates': [[name, template]],
            'template_type': template_type,
            'params': params}


class RcaClient(base.JsonRestClient):

    api_version = 'v1'

    def show_topology(self, graph_type='graph', all_tenants=False,
                      query=None, root=None, depth=None):
        """The entity graph (POST: the filters travel in the body).

        graph_type 'graph' with a depth needs a root, else Vitrage says 403.
        """
        body = {'graph_type': graph_type, 'all_tenants': all_tenants,
                'query': _json_text(query), 'root': root, 'depth': depth}
        return self.post_json('topology/', body, 200)

    def list_resources(self, resource_type=None, all_tenants=False,
                       query=None):
        """Resources of one type (e.g. nova.instance) or of every type."""
        body = {'resource_type': resource_type, 'all_tenants': all_tenants,
                'query': _json_text(query)}
        return self.post_json('resources/', body, 200)

    def show_resource(self, vitrage_id):
        return self.get_json('resources/%s' % base.quote(vitrage_id))

    def list_alarms(self, vitrage_id='all', all_tenants=False, **params):
        """Active alarms on one entity, or on all with vitrage_id='all'."""
        params.update(vitrage_id=vitrage_id, all_tenants=all_tenants)
        return self.get_json('alarm/', params=params)

    def list_alarm_history(self, all_tenants=False, start=None, **params):
        """Alarms active at some time since ``start``, ended ones too.

        An alarm that lived between two polls is still here (the active
        list has forgotten it). ``start`` is a UTC time string.
        """
        params.update(all_tenants=all_tenants)
        if start is not None:
            params['start'] = start
        return self.get_json('alarm/history', params=params)

    def show_alarm(self, vitrage_id):
        return self.get_json('alarm/%s' % base.quote(vitrage_id))

    def rca(self, alarm_id, all_tenants=False):
        """The causal graph around an alarm."""
        return self.get_json('rca/', params={'alarm_id': alarm_id,
                                             'all_tenants': all_tenants})

    def list_templates(self):
        return self.get_json('template/')

    def show_template(self, uuid):
        """The template content as loaded (uuid or template name)."""
        return self.get_json('template/%s' % base.quote(uuid))

    def add_template(self, template, template_type=None, params=None,
                     name=None, overwrite=False):
        """Load a template (dict or YAML text): PUT, as POST only validates.

        The answer lists the added templates with their uuid and status
        (LOADING until the evaluator has it).
        """
        body = _templates_body(template, template_type, params, name)
        body['overwrite'] = overwrite
        return self.put_json('template/', body, 200)

    def validate_template(self, template, template_type=None, params=None,
                          name=None):
        """Check a template without loading it."""
        return self.post_json(
            'template/',
            _templates_body(template, template_type, params, name), 200)

    def delete_template(self, uuids):
        """Delete one template or several (uuids or names) at once."""
        return self.delete_json('template/', 200, body={'id': uuids})

    def post_event(self, event_type, details, time=None):
        """Push an external monitor event, e.g. compute.host.down.

        Without a time Vitrage stamps the event with its own clock.
        """
        body = {'type': event_type, 'details': details}
        if time is not None:
            body['time'] = time
        return self.post_json('event/', body, 200)
