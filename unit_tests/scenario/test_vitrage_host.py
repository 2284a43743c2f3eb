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

"""Seed 001: templates act on the run's own instances; the host waited for."""

import os
from unittest import mock

import fixtures
from tempest.lib import exceptions as lib_exc
import testtools
import yaml

from self_healing_tempest_plugin.common import waiters
from self_healing_tempest_plugin.flows import host_repair
from self_healing_tempest_plugin.flows import vitrage

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
VITRAGE = os.path.join(ROOT, 'scenarios', 'vitrage')


def _template(name):
    with open(os.path.join(VITRAGE, name)) as handle:
        return yaml.safe_load(handle)


class ScopeToProjectTest(testtools.TestCase):

    def test_every_seed_001_template_is_scoped(self):
        for name in ('host_unreachable_evacuate.yaml',
                     'host_unreachable_alarms.yaml'):
            template = vitrage.scope_to_project(_template(name), 'proj')
            self.assertEqual('proj', template['entities']['instance'][
                'project_id'], name)
            self.assertEqual('nova.instance',
                             template['entities']['instance']['type'], name)

    def test_a_template_without_instance_entity_is_named(self):
        template = _template('host_unreachable_evacuate.yaml')
        del template['entities']['instance']
        error = self.assertRaises(ValueError, vitrage.scope_to_project,
                                  template, 'proj')
        self.assertIn('sh_host_unreachable_evacuate', str(error))
        self.assertIn('instance', str(error))


class FakeClock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class TargetHostTest(testtools.TestCase):
    """The faulted host is waited for while a repaired one comes back."""

    def setUp(self):
        super(TargetHostTest, self).setUp()
        self.clock = FakeClock()
        self.replies = []
        self.test = mock.Mock(spec=['admin_services_client', 'waiter',
                                    'skipException'])
        self.test.skipException = testtools.TestCase.skipException
        self.test.waiter = lambda timeout: waiters.Waiter(
            1.0, timeout, clock=self.clock, sleep=self.clock.sleep)
        self.test.admin_services_client.list_services.side_effect = (
            lambda **kw: {'services': self.replies.pop(0)
                          if len(self.replies) > 1 else self.replies[0]})
        # The module's CONF is replaced, not read: reading tempest's CONF
        # loads every plugin into tempest's process-wide registries.
        self.conf = mock.Mock()
        self.conf.self_healing.compute_hosts = ['host1', 'host2']
        self.conf.self_healing.service_timeout_s = 30
        self.useFixture(fixtures.MockPatchObject(host_repair, 'CONF',
                                                 self.conf))

    def _services(self, **states):
        return [{'host': h, 'state': s, 'status': 'enabled'}
                for h, s in sorted(states.items())]

    def test_waits_for_a_host_coming_back(self):
        self.replies = [self._services(host1='down', host2='up')] * 3 + [
            self._services(host1='up', host2='up')]
        self.assertEqual('host1',
                         host_repair.HostRepair(self.test).target_host())
        self.assertEqual(3.0, self.clock.now)

    def test_fails_naming_what_it_saw(self):
        self.replies = [self._services(host1='down', host2='up')]
        error = self.assertRaises(
            lib_exc.TimeoutException,
            host_repair.HostRepair(self.test).target_host)
        self.assertIn("up: ['host2']", str(error))
        self.assertIn('compute_hosts', str(error))

    def test_without_compute_hosts_it_skips(self):
        self.conf.self_healing.compute_hosts = []
        self.assertRaises(testtools.TestCase.skipException,
                          host_repair.HostRepair(self.test).target_host)
