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

"""Gnocchi (metric v1) client: a resource's metrics and their measures.

Read-only: the per-VM flow's critical path reads when its faulted
server's last sample came. Its catalog type is ``[self_healing]
metric_catalog_type`` (Gnocchi's is ``metric``).
"""

from self_healing_tempest_plugin.services import base


class MetricClient(base.JsonRestClient):

    api_version = 'v1'

    def show_resource(self, resource_type, resource_id):
        """A resource (e.g. 'instance', a server id) with its metrics."""
        return self.get_json('resource/%s/%s' % (
            base.quote(resource_type), base.quote(resource_id)))

    def list_measures(self, metric_id, aggregation=None, granularity=None,
                      start=None):
        """[[timestamp, granularity, value], ...] of one metric."""
        return self.get_json('metric/%s/measures' % base.quote(metric_id),
                             params={'aggregation': aggregation,
                                     'granularity': granularity,
                                     'start': start})
