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

"""Stand-in flows for the registry: the real runners are flows/'s."""

import fixtures

from self_healing_tempest_plugin.harness import registry

# name: (feature, required services)
FLOWS = {
    'autoheal_group': ('autoheal_flow',
                       ('heat', 'aodh', 'zaqar', 'mistral')),
    'recovery_policy': ('recovery_policy_flows',
                        ('heat', 'aodh', 'zaqar', 'mistral')),
    'vitrage_host': ('vitrage_flow', ('nova', 'mistral', 'vitrage')),
    'integrated': ('integrated_flow', ('heat', 'zaqar', 'mistral',
                                       'vitrage')),
    'per_vm_group': ('per_vm_group_flow', ('heat', 'aodh', 'gnocchi')),
}


def stand_in(feature, services, phases):
    class StandInFlow(object):
        """Records what the generated tests ask of it."""

        required_services = services
        default_phases = phases
        ran = []

        def __init__(self, test):
            self.test = test

        def run_positive(self, scenario):
            self.ran.append(('positive', scenario.name))

        def run_negative(self, scenario):
            self.ran.append(('negative', scenario.name))
    return StandInFlow


class StandInFlows(fixtures.Fixture):
    """Registers a stand-in for each flow not registered (or every one).

    The registering modules are imported first, so none of them
    registers into the patched registry; the real entries come back at
    clean-up.
    """

    def __init__(self, replace=False, phases=('detect', 'act')):
        super(StandInFlows, self).__init__()
        self.replace = replace
        self.phases = phases

    def _setUp(self):
        registry.load()
        self.useFixture(fixtures.MockPatchObject(
            registry.FLOWS, '_entries', dict(
                () if self.replace else registry.FLOWS._entries)))
        self.flows = {}
        for name, (feature, services) in sorted(FLOWS.items()):
            if name in registry.FLOWS:
                continue
            cls = stand_in(feature, services, self.phases)
            registry.FLOWS.register(name, feature=feature)(cls)
            self.flows[name] = cls
