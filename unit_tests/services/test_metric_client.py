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

"""Gnocchi client: /v1 paths, a resource's metrics, a metric's measures."""

from self_healing_tempest_plugin.services import metric_client
from unit_tests.services import base

Case = base.Case

RESOURCE = {'id': 'srv-1', 'type': 'instance',
            'metrics': {'cpu': 'm-cpu', 'vcpus': 'm-vcpus'}}
MEASURES = [['2026-12-01T07:40:00+00:00', 10.0, 2.1e9],
            ['2026-12-01T07:40:10+00:00', 10.0, 2.2e9]]


@base.with_cases
class MetricClientTest(base.ClientTestCase):

    client_class = metric_client.MetricClient
    catalog_url = 'https://cloud.example.com:8041'
    path_prefix = '/v1/'

    CASES = [
        Case('show_resource', 'show_resource', args=('instance', 'srv-1'),
             method='GET', path='resource/instance/srv-1', reply=RESOURCE),
        Case('list_measures', 'list_measures', args=('m-cpu',),
             method='GET', path='metric/m-cpu/measures', reply=MEASURES),
        Case('list_measures_filtered', 'list_measures', args=('m-cpu',),
             kwargs={'aggregation': 'rate:mean', 'granularity': 10,
                     'start': '2026-12-01T07:40:00'},
             method='GET', path='metric/m-cpu/measures',
             query={'aggregation': 'rate:mean', 'granularity': '10',
                    'start': '2026-12-01T07:40:00'},
             reply=MEASURES),
    ]
