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

"""Heat (orchestration v1) client: stacks, resources, events and outputs.

The catalog endpoint already holds /v1/<tenant_id>, so every path here is
relative to it. A stack is addressed as 'name/id' (the canonical identity);
a bare name or id is resolved first through Heat's stack lookup.
"""

import re
import urllib.parse

from tempest.lib import exceptions

from self_healing_tempest_plugin.services import base

# Heat's lookup answers 302 with a Location ending in /stacks/<name>/<id>.
_CANONICAL = re.compile(r'/stacks/([^/?#]+/[^/?#]+)')


class OrchestrationClient(base.JsonRestClient):

    resource_type = 'stack'

    def create_stack(self, name, template, parameters=None, environment=None,
                     files=None, timeout_mins=None, disable_rollback=True,
                     **extra):
        """Create a stack; Heat parses a template given as dict or YAML."""
        body = {
            'stack_name': name,
            'template': template,
            'parameters': parameters or {},
            'environment': environment or {},
            'files': files or {},
            'disable_rollback': disable_rollback,
        }
        if timeout_mins is not None:
            body['timeout_mins'] = timeout_mins
        body.update(extra)
        return self.post_json('stacks', body, 201)

    def show_stack(self, name_or_id):
        """Show a stack by 'name/id', or by name or id alone.

        A bare name or id goes through Heat's lookup: 302 to the canonical
        URL, which RestClient's HTTP layer follows by default; when it does
        not (follow_redirects=False) the Location is followed here.
        """
        if '/' in name_or_id:
            return self.get_json(self._stack_path(name_or_id))
        body = self.get_json('stacks/%s' % base.quote(name_or_id),
                             expected=[200, 302])
        if body.response.status == 302:
            return self.get_json(
                self._stack_path(self._canonical(body.response)))
        return body

    def stack_identifier(self, name_or_id):
        """The canonical 'name/id' of a stack (writes need both parts)."""
        if '/' in name_or_id:
            return name_or_id
        stack = self.show_stack(name_or_id)['stack']
        return '%s/%s' % (stack['stack_name'], stack['id'])

    def update_stack(self, stack_name, stack_id, template=None,
                     parameters=None, existing=True, **extra):
        """Update a stack; 'existing' PATCHes on top of the current stack.

        PATCH keeps the current template, parameters and environment for
        whatever is not given (what `openstack stack update --existing`
        does); PUT replaces the whole definition.
        """
        body = dict(extra)
        if template is not None:
            body['template'] = template
        if parameters is not None:
            body['parameters'] = parameters
        path = self._stack_path('%s/%s' % (stack_name, stack_id))
        if existing:
            return self.patch_json(path, body, 202)
        body.setdefault('parameters', {})
        return self.put_json(path, body, 202)

    def delete_stack(self, stack_identifier):
        return self.delete_json(self._resolved_path(stack_identifier), 204)

    def is_resource_deleted(self, stack_identifier):
        """For ``wait_for_resource_deletion``: the stack is gone.

        Heat keeps a deleted stack visible as DELETE_COMPLETE for a while;
        DELETE_FAILED ends the wait at once, with Heat's reason: nothing
        will delete it.
        """
        try:
            stack = self.show_stack(stack_identifier)['stack']
        except exceptions.NotFound:
            return True
        status = stack['stack_status']
        if status == 'DELETE_FAILED':
            raise exceptions.DeleteErrorException(
                'Heat could not delete it: %s' % stack.get(
                    'stack_status_reason'), resource_id=stack_identifier)
        return status == 'DELETE_COMPLETE'

    def list_resources(self, stack_identifier, nested_depth=None,
                       with_detail=False, **filters):
        """List resources; nested_depth reaches group members' servers."""
        params = dict(filters, nested_depth=nested_depth)
        if with_detail:
            params['with_detail'] = True
        return self.get_json(
            self._resolved_path(stack_identifier) + '/resources',
            params=params)

    def show_resource(self, stack_identifier, resource_name):
        return self.get_json(self._resource_path(stack_identifier,
                                                 resource_name))

    def mark_unhealthy(self, stack_identifier, resource_name, reason='',
                       mark=True):
        """Mark a resource (logical name or physical id) (un)healthy.

        The next stack update replaces an unhealthy resource: this is the
        modern form of HARestarter.
        """
        body = {'mark_unhealthy': mark, 'resource_status_reason': reason}
        return self.patch_json(
            self._resource_path(stack_identifier, resource_name), body, 200)

    def list_events(self, stack_identifier, resource_name=None, **filters):
        """List stack (or one resource's) events, e.g. resource_status=."""
        if resource_name is None:
            path = self._resolved_path(stack_identifier) + '/events'
        else:
            path = self._resource_path(stack_identifier,
                                       resource_name) + '/events'
        return self.get_json(path, params=filters)

    def list_outputs(self, stack_identifier):
        return self.get_json(
            self._resolved_path(stack_identifier) + '/outputs')

    def show_output(self, stack_identifier, output_key):
        return self.get_json('%s/outputs/%s' % (
            self._resolved_path(stack_identifier), base.quote(output_key)))

    @staticmethod
    def _stack_path(canonical):
        name, stack_id = canonical.split('/', 1)
        return 'stacks/%s/%s' % (base.quote(name), base.quote(stack_id))

    def _resolved_path(self, stack_identifier):
        return self._stack_path(self.stack_identifier(stack_identifier))

    def _resource_path(self, stack_identifier, resource_name):
        return '%s/resources/%s' % (self._resolved_path(stack_identifier),
                                    base.quote(resource_name))

    @staticmethod
    def _canonical(resp):
        match = _CANONICAL.search(resp.get('location', ''))
        if match is None:
            raise exceptions.InvalidHTTPResponseHeader(
                'Heat stack lookup gave no canonical Location: %r'
                % resp.get('location'), resp=resp)
        return urllib.parse.unquote(match.group(1))
