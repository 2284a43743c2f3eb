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

"""The one microversion context manager, for compute and placement."""

from tempest.lib.services.compute import base_compute_client
from tempest.lib.services.placement import base_placement_client
import testtools

from self_healing_tempest_plugin.common import microversion


class RequestsAtTest(testtools.TestCase):

    def test_set_inside_and_restored_after_nested_blocks(self):
        with microversion.requests_at(microversion.COMPUTE, '2.37'):
            with microversion.requests_at(microversion.COMPUTE, '2.53'):
                self.assertEqual('2.53',
                                 base_compute_client.COMPUTE_MICROVERSION)
            self.assertEqual('2.37', base_compute_client.COMPUTE_MICROVERSION)
        self.assertIsNone(base_compute_client.COMPUTE_MICROVERSION)

    def test_placement_and_restored_on_error(self):
        def fail():
            with microversion.requests_at(microversion.PLACEMENT, '1.6'):
                self.assertEqual(
                    '1.6', base_placement_client.PLACEMENT_MICROVERSION)
                raise RuntimeError('boom')
        self.assertRaises(RuntimeError, fail)
        self.assertIsNone(base_placement_client.PLACEMENT_MICROVERSION)

    def test_unknown_service_is_named(self):
        error = self.assertRaises(
            ValueError, microversion.requests_at('volume', '3.0').__enter__)
        self.assertIn("no microversion global for service 'volume'; known: "
                      "compute, placement", str(error))
