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

"""external_event: what it posts to Alertmanager (HTTP mocked at the
urllib3 boundary) or to Vitrage (the client mocked), its undo, expiry
and error messages."""

import json
from unittest import mock

import testtools
import urllib3

from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import reported_faults as rf
from self_healing_tempest_plugin.harness import sampler as sp
from unit_tests.harness import fakes

STATE = sp.ClusterState([sp.Member('a', 'ACTIVE', 'host1'),
                         sp.Member('b', 'ACTIVE', 'host1'),
                         sp.Member('c', 'ACTIVE', 'host2')])
# 2026-01-01T00:00:00Z, the fake clock's start.
T0_TEXT = '2026-01-01T00:00:00.000000Z'


def _conf(**overrides):
    values = dict(alertmanager_url='http://127.0.0.1:9093',
                  host_alarm_name='ComputeHostUnreachable',
                  recover_timeout_s=300, service_timeout_s=300)
    values.update(overrides)
    return mock.Mock(**values)


class FakeHttp(object):
    """urllib3's PoolManager.request, recorded, answering ``status``."""

    def __init__(self, status=200, data=b''):
        self.requests = []
        self.status = status
        self.data = data

    def request(self, method, url, body=None, headers=None, **kwargs):
        self.requests.append((method, url, json.loads(body), headers,
                              kwargs))
        return mock.Mock(status=self.status, data=self.data)

    def alerts(self):
        return [body for _, _, body, _, _ in self.requests]


class AlertmanagerClientTest(testtools.TestCase):

    def test_base_url_gets_the_v2_alerts_path_once(self):
        self.assertEqual('http://am:9093/api/v2/alerts',
                         rf.alerts_url('http://am:9093/'))
        self.assertEqual('http://am:9093/api/v2/alerts',
                         rf.alerts_url('http://am:9093/api/v2/alerts'))

    def test_posts_json_without_retries(self):
        http = FakeHttp()
        rf.AlertmanagerClient('http://am:9093', http=http).post_alerts(
            [{'labels': {'alertname': 'x'}}])
        (method, url, body, headers, kwargs), = http.requests
        self.assertEqual(('POST', 'http://am:9093/api/v2/alerts'),
                         (method, url))
        self.assertEqual([{'labels': {'alertname': 'x'}}], body)
        self.assertEqual('application/json', headers['Content-Type'])
        self.assertFalse(kwargs['retries'])

    def test_a_refusal_names_the_option_status_and_body(self):
        http = FakeHttp(status=400, data=b'{"message": "start time after '
                                         b'end time"}')
        error = self.assertRaises(
            rf.AlertmanagerError,
            rf.AlertmanagerClient('http://am:9093', http=http).post_alerts,
            [])
        self.assertIn('POST http://am:9093/api/v2/alerts ([self_healing] '
                      'alertmanager_url) answered 400: {"message": "start '
                      'time after end time"}', str(error))

    def test_an_unreachable_alertmanager_is_named(self):
        http = mock.Mock()
        http.request.side_effect = urllib3.exceptions.MaxRetryError(
            None, 'http://am:9093/api/v2/alerts', 'Connection refused')
        error = self.assertRaises(
            rf.AlertmanagerError,
            rf.AlertmanagerClient('http://am:9093', http=http).post_alerts,
            [])
        self.assertIn('POST http://am:9093/api/v2/alerts ([self_healing] '
                      'alertmanager_url) failed: ', str(error))
        self.assertIn('Connection refused', str(error))


class ViaAlertmanagerTest(testtools.TestCase):

    def setUp(self):
        super(ViaAlertmanagerTest, self).setUp()
        self.clock = fakes.FakeClock()
        self.test = fakes.FakeTest()
        self.http = FakeHttp()
        self.client = rf.AlertmanagerClient('http://am:9093', http=self.http)

    def _event(self, **kwargs):
        return rf.ExternalEvent('host1', rf.ALERTMANAGER, self.client,
                                'ComputeHostUnreachable', 600,
                                clock=self.clock, **kwargs)

    def test_posts_the_monitors_alert_on_the_host(self):
        fault = self._event()
        record = fault.inject(self.test)
        alert, = self.http.alerts()[0]
        self.assertEqual({'alertname': 'ComputeHostUnreachable',
                          'hostname': 'host1', 'job': 'compute-hosts',
                          'vitrage_type': 'nova.host',
                          'severity': 'critical'}, alert['labels'])
        self.assertEqual(T0_TEXT, alert['startsAt'])
        self.assertEqual('2026-01-01T00:10:00.000000Z', alert['endsAt'])
        self.assertIn('self-healing harness', alert['annotations']['summary'])
        self.assertEqual('host1', record['target'])
        self.assertEqual('firing alert ComputeHostUnreachable on host1 '
                         'posted to alertmanager', record['did'])

    def test_the_undo_resolves_the_same_alert_now(self):
        fault = self._event()
        fault.inject(self.test)
        self.clock.tick(42)
        self.assertEqual([], self.test.run_cleanups())
        firing, resolved = [a[0] for a in self.http.alerts()]
        self.assertEqual(firing['labels'], resolved['labels'])
        self.assertEqual(T0_TEXT, resolved['startsAt'])
        self.assertEqual('2026-01-01T00:00:42.000000Z', resolved['endsAt'])
        fault.undo()
        self.assertEqual(2, len(self.http.requests))

    def test_the_undo_is_registered_before_the_post(self):
        def check(*args, **kwargs):
            self.assertEqual(1, len(self.test.cleanups))
            return mock.Mock(status=200)
        self.http.request = check
        self._event().inject(self.test)

    def test_a_duration_ends_the_alert_by_itself(self):
        fault = self._event(duration_s=30)
        fault.inject(self.test)
        self.assertEqual('2026-01-01T00:00:30.000000Z',
                         self.http.alerts()[0][0]['endsAt'])
        self.assertTrue(fault.self_undoing)
        self.assertEqual(self.clock.now + 30, fault.expires_at)

    def test_scenario_labels_add_and_override_but_not_name_or_host(self):
        fault = self._event(labels={'job': 'zabbix', 'site': 'b',
                                    'hostname': 'elsewhere'})
        fault.inject(self.test)
        labels = self.http.alerts()[0][0]['labels']
        self.assertEqual(('zabbix', 'b', 'host1', 'ComputeHostUnreachable'),
                         (labels['job'], labels['site'], labels['hostname'],
                          labels['alertname']))

    def test_nothing_is_cut_off_and_the_hosts_members_are_affected(self):
        fault = self._event()
        fault.inject(self.test)
        self.assertEqual(set(), fault.hosts_cut_off())
        self.assertEqual({'a', 'b'}, fault.affected(STATE))


class ViaVitrageTest(testtools.TestCase):

    def setUp(self):
        super(ViaVitrageTest, self).setUp()
        self.clock = fakes.FakeClock()
        self.test = fakes.FakeTest()
        self.rca = mock.Mock()

    def _event(self, **kwargs):
        return rf.ExternalEvent('host2', rf.VITRAGE, self.rca,
                                'ComputeHostUnreachable', 600,
                                clock=self.clock, **kwargs)

    def test_posts_an_alertmanager_notification_event(self):
        self._event().inject(self.test)
        (event_type, details), kwargs = self.rca.post_event.call_args
        self.assertEqual('prometheus.alarm', event_type)
        self.assertEqual('firing', details['status'])
        alert, = details['alerts']
        self.assertEqual(('firing', 'host2'),
                         (alert['status'], alert['labels']['hostname']))
        self.assertEqual({'alertname': 'ComputeHostUnreachable'},
                         details['groupLabels'])
        self.assertEqual(T0_TEXT, kwargs['time'])

    def test_undo_posts_it_resolved(self):
        self._event().inject(self.test)
        self.clock.tick(5)
        self.assertEqual([], self.test.run_cleanups())
        details = self.rca.post_event.call_args[0][1]
        self.assertEqual('resolved', details['status'])
        self.assertEqual('2026-01-01T00:00:05.000000Z',
                         details['alerts'][0]['endsAt'])

    def test_with_a_duration_the_engine_resolves_it(self):
        fault = self._event(duration_s=20)
        fault.inject(self.test)
        self.assertFalse(fault.self_undoing)
        self.assertEqual(self.clock.now + 20, fault.expires_at)


class FromSpecTest(testtools.TestCase):

    def _build(self, conf, spec, rca_client=None):
        ctx = faults.FaultContext(conf, rca_client=rca_client,
                                  clock=fakes.FakeClock())
        return faults.from_specs([spec], STATE, ctx)

    def test_registered_with_its_meta(self):
        entry = registry.FAULTS.get('external_event')
        self.assertEqual((registry.HOST, 'external_event_fault', True,
                          ('via',), True),
                         (entry.target, entry.feature, entry.serial,
                          entry.required, entry.duration))
        self.assertIs(rf.ExternalEvent, entry.cls)

    def test_alertmanager_from_the_option_on_the_members_host(self):
        built, = self._build(
            _conf(), {'kind': 'external_event', 'target': 'member_host',
                      'via': 'alertmanager', 'on': 'act'})
        self.assertEqual('host1', built.fault.host)
        self.assertEqual('http://127.0.0.1:9093/api/v2/alerts',
                         built.fault.poster.url)
        self.assertEqual(600, built.fault.lifetime_s)
        self.assertEqual('act', built.on_phase)

    def test_vitrage_on_a_named_host_with_the_rca_client(self):
        built, = self._build(
            _conf(alertmanager_url=''),
            {'kind': 'external_event', 'target': 'host:host2',
             'via': 'vitrage'}, rca_client='rca')
        self.assertEqual(('host2', 'rca'), (built.fault.host,
                                            built.fault.poster))

    def test_empty_alertmanager_url_names_the_option(self):
        error = self.assertRaises(
            ValueError, self._build, _conf(alertmanager_url=''),
            {'kind': 'external_event', 'target': 'member_host',
             'via': 'alertmanager'})
        self.assertIn('an external_event via alertmanager needs '
                      '[self_healing] alertmanager_url (it is empty)',
                      str(error))

    def test_vitrage_without_its_client_names_it(self):
        error = self.assertRaises(
            ValueError, self._build, _conf(),
            {'kind': 'external_event', 'target': 'member_host',
             'via': 'vitrage'})
        self.assertIn("external_event fault needs the FaultContext's "
                      "rca_client", str(error))

    def test_empty_alarm_name_names_the_option(self):
        error = self.assertRaises(
            ValueError, self._build, _conf(host_alarm_name=''),
            {'kind': 'external_event', 'target': 'member_host',
             'via': 'alertmanager'})
        self.assertIn('[self_healing] host_alarm_name is empty', str(error))

    def test_unknown_via_is_refused(self):
        error = self.assertRaises(ValueError, rf.ExternalEvent, 'h',
                                  'zabbix', None, 'A', 60)
        self.assertIn("external_event via 'zabbix': expected alertmanager "
                      "or vitrage", str(error))
