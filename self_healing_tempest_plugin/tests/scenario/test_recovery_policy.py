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

"""Seed 004: recovery policies keeping the server (reboot, rebuild, migrate).

One test per scenario file naming ``flow: recovery_policy``; the runner is
``self_healing_tempest_plugin/flows/recovery_policy.py``.
"""

from self_healing_tempest_plugin.harness import scenario
from self_healing_tempest_plugin.tests import base

scenario.generate_tests(globals(), 'recovery_policy', base.BaseSelfHealingTest)
