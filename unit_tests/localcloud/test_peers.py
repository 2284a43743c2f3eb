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

"""``localcloud conformance``: its config, pins and verdict (pure parts)."""
import os
import re

import fixtures
import testtools

from localcloud import ini
from localcloud import install
from localcloud import peers
from localcloud import tempestconf

ADDRESSES = ('tempest.api.compute.servers.test_server_addresses.'
             'ServerAddressesTestJSON.test_list_server_addresses')
FLAVORS = ('tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.'
           'test_list_flavors')
STACKS = ('heat_tempest_plugin.tests.api.test_heat_api.stacks_create_stack.'
          'test_request')
ALARM = ('telemetry_tempest_plugin.aodh.api.test_alarming_api.'
         'TelemetryAlarmingAPITest.test_alarm_list')


def csv_text(*rows):
    """subunit2csv's output; test i runs from 10:00:0i for 2.5 s."""
    lines = ['test,status,start_time,stop_time']
    for i, (test, status) in enumerate(rows):
        lines.append('"%s",%s,2026-12-01 10:00:0%d+00:00,'
                     '2026-12-01 10:00:0%d.5+00:00' % (test, status, i, i + 2))
    return '\n'.join(lines) + '\n'


class TestConf(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.cloud_text = tempestconf.render(
            'img-1', ['fl-1', 'fl-2'], '/srv/lc/tempest')
        self.conf = ini.parse(peers.render_conf(self.cloud_text))

    def test_heat_plugin_runs_as_the_demo_user(self):
        heat = self.conf['heat_plugin']
        self.assertEqual(peers.DEMO_USER, heat['username'])
        self.assertEqual(peers.DEMO_PROJECT, heat['project_name'])
        self.assertEqual('admin', heat['admin_username'])
        self.assertEqual('http://127.0.0.1:5000/v3', heat['auth_url'])
        self.assertEqual('img-1', heat['image_ref'])
        self.assertEqual('fl-1', heat['instance_type'])
        self.assertEqual('true', heat['skip_scenario_tests'])

    def test_telemetry_sections(self):
        self.assertEqual('gnocchi',
                         self.conf['telemetry_services']['metric_backends'])
        self.assertEqual('alarming',
                         self.conf['alarming_plugin']['catalog_type'])
        self.assertEqual('10', self.conf['telemetry']['alarm_granularity'])

    def test_the_clouds_own_options_are_kept(self):
        cloud = ini.parse(self.cloud_text)
        for section, options in cloud.items():
            for key, value in options.items():
                if (section, key) != ('DEFAULT', 'log_file'):
                    self.assertEqual(value, self.conf[section][key],
                                     '[%s] %s' % (section, key))
        self.assertEqual('tempest-conformance.log',
                         self.conf['DEFAULT']['log_file'])

    def test_a_conf_without_an_image_is_refused_by_name(self):
        e = self.assertRaises(RuntimeError, peers.render_conf,
                              '[compute]\nflavor_ref = f\n')
        self.assertIn('image_ref', str(e))

    def test_written_beside_the_clouds_conf_which_stays(self):
        from localcloud import layout
        lay = layout.Layout(self.useFixture(fixtures.TempDir()).path)
        os.makedirs(os.path.dirname(lay.tempest_conf))
        with open(lay.tempest_conf, 'w') as f:
            f.write(self.cloud_text)
        path = peers.write_conf(lay)
        self.assertNotEqual(lay.tempest_conf, path)
        with open(lay.tempest_conf) as f:
            self.assertEqual(self.cloud_text, f.read())
        with open(path) as f:
            self.assertIn('[heat_plugin]', f.read())


class TestSelection(testtools.TestCase):

    def test_each_suite_selects_its_own_tests(self):
        regex = re.compile(peers.selection_regex())
        self.assertTrue(regex.search(FLAVORS + '[id-e36c0eaa,smoke]'))
        self.assertIsNone(regex.search(FLAVORS + '[id-e36c0eaa]'))
        self.assertTrue(regex.search(STACKS + '[id-1]'))
        self.assertTrue(regex.search(ALARM + '[id-2]'))
        self.assertIsNone(regex.search(
            'tempest.api.network.test_networks.NetworksTest.test_list'
            '[id-3,smoke]'))
        self.assertIsNone(regex.search(
            'self_healing_tempest_plugin.tests.scenario.test_autoheal.'
            'AutoHealingTest.test_autoheal[id-4,slow]'))

    def test_keys_drop_attributes_and_name_class_fixtures(self):
        self.assertEqual(FLAVORS, peers.test_key(FLAVORS + '[id-1,smoke]'))
        self.assertEqual(
            'tempest.api.compute.servers.test_x.XTest.setUpClass',
            peers.test_key('setUpClass (tempest.api.compute.servers.test_x.'
                           'XTest)'))


class TestPins(testtools.TestCase):

    def test_only_packages_the_cloud_does_not_pin(self):
        compiled = ('gabbi==4.2.3             # via heat-tempest-plugin\n'
                    'oslo-config==10.7.0       # via tempest\n'
                    'heat-tempest-plugin==3.0.0  # via -r x\n')
        self.assertEqual(
            ['gabbi==4.2.3             # via heat-tempest-plugin',
             'heat-tempest-plugin==3.0.0  # via -r x'],
            peers.peer_pins(compiled, 'oslo-config==10.7.0  # via x\n'))

    def test_install_keeps_the_clouds_pins(self):
        argv = peers.install_argv('/v/bin/uv', '/v/bin/python')
        self.assertEqual(['-r', peers.REQUIREMENTS],
                         argv[argv.index('-r'):argv.index('-r') + 2])
        constraints = [argv[i + 1] for i, a in enumerate(argv) if a == '-c']
        self.assertEqual([install.MAIN['constraints'], peers.CONSTRAINTS],
                         constraints)

    def test_committed_pins_hold_both_plugins(self):
        with open(peers.CONSTRAINTS) as f:
            names = [line.split('==')[0] for line in f if '==' in line]
        self.assertIn('heat-tempest-plugin', names)
        self.assertIn('telemetry-tempest-plugin', names)
        with open(install.MAIN['constraints']) as f:
            cloud = {line.split('==')[0] for line in f if '==' in line}
        self.assertEqual([], sorted(set(names) & cloud))


class TestJudge(testtools.TestCase):

    expected = {ADDRESSES: 'the servers have no ports'}

    def test_the_expected_failure_and_passes_are_fine(self):
        verdict = peers.judge(peers.parse_csv(csv_text(
            (ADDRESSES + '[id-6eb718c0,smoke]', 'fail'),
            (FLAVORS + '[id-e36c0eaa,smoke]', 'success'),
            (STACKS + '[id-1]', 'success'), (ALARM + '[id-2]', 'skip'))),
            self.expected)
        self.assertTrue(verdict.ok, peers.verdict_lines(verdict))
        self.assertEqual(
            'tempest smoke (identity, image, compute): 1 passed, 0 skipped, '
            '1 failed (1 expected), 4 s', verdict.counts[0].line())
        self.assertEqual((0, 1, 0), (verdict.counts[2].passed,
                                     verdict.counts[2].skipped,
                                     verdict.counts[2].failed))

    def test_tests_sharing_a_name_count_each(self):
        # gabbi names a test by its YAML entry; ids differ in [id-...]
        verdict = peers.judge(peers.parse_csv(csv_text(
            (ADDRESSES + '[id-6,smoke]', 'fail'),
            (STACKS + '[id-1]', 'success'), (STACKS + '[id-2]', 'success'),
            (ALARM + '[id-3]', 'success'))), self.expected)
        self.assertEqual(2, verdict.counts[1].passed)
        self.assertTrue(verdict.ok, peers.verdict_lines(verdict))

    def test_a_new_failure_fails_the_run_by_name(self):
        verdict = peers.judge(peers.parse_csv(csv_text(
            (ADDRESSES + '[id-6,smoke]', 'fail'),
            (FLAVORS + '[id-e,smoke]', 'success'),
            (STACKS + '[id-1]', 'fail'), (ALARM + '[id-2]', 'success'))),
            self.expected)
        self.assertFalse(verdict.ok)
        self.assertEqual([STACKS], verdict.new_failures)
        self.assertIn('NEW FAILURE: %s (not in conformance-expected.yaml)'
                      % STACKS, peers.verdict_lines(verdict))

    def test_an_expected_failure_that_passes_fails_the_run(self):
        verdict = peers.judge(peers.parse_csv(csv_text(
            (ADDRESSES + '[id-6,smoke]', 'success'),
            (STACKS + '[id-1]', 'success'), (ALARM + '[id-2]', 'success'))),
            self.expected)
        self.assertFalse(verdict.ok)
        self.assertEqual([(ADDRESSES, 'the servers have no ports')],
                         verdict.fixed)
        self.assertTrue(any(line.startswith('EXPECTED FAILURE PASSED: '
                                            + ADDRESSES)
                            for line in peers.verdict_lines(verdict)))

    def test_an_expected_failure_that_did_not_run_fails_the_run(self):
        verdict = peers.judge(peers.parse_csv(csv_text(
            (FLAVORS + '[id-e,smoke]', 'success'),
            (STACKS + '[id-1]', 'success'), (ALARM + '[id-2]', 'success'))),
            self.expected)
        self.assertFalse(verdict.ok)
        self.assertEqual([ADDRESSES], [k for k, _ in verdict.not_run])

    def test_a_suite_that_ran_nothing_fails_the_run(self):
        verdict = peers.judge(peers.parse_csv(csv_text(
            (ADDRESSES + '[id-6,smoke]', 'fail'),
            (STACKS + '[id-1]', 'success'))), self.expected)
        self.assertFalse(verdict.ok)
        self.assertEqual(['telemetry-tempest-plugin Aodh API'], verdict.empty)

    def test_a_test_of_no_suite_fails_the_run(self):
        # e.g. an earlier run of the suite read by mistake
        other = ('self_healing_tempest_plugin.tests.scenario.test_autoheal.'
                 'AutoHealingTest.test_autoheal')
        verdict = peers.judge(peers.parse_csv(csv_text(
            (ADDRESSES, 'fail'), (STACKS, 'success'), (ALARM, 'success'),
            (other + '[id-9,slow]', 'success'))), self.expected)
        self.assertEqual([other], verdict.outside)
        self.assertFalse(verdict.ok)

    def test_not_subunit2csv_output_is_refused(self):
        self.assertRaises(RuntimeError, peers.parse_csv, 'a,b\n')


class TestExpectedFile(testtools.TestCase):

    def write(self, text):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'expected.yaml')
        with open(path, 'w') as f:
            f.write(text)
        return path

    def test_the_committed_file_loads_and_names_the_addresses_test(self):
        expected = peers.load_expected()
        self.assertIn(ADDRESSES, expected)
        self.assertIn('ports', expected[ADDRESSES])

    def test_an_entry_without_a_reason_is_refused_by_number(self):
        path = self.write('expected_failures:\n  - test: %s\n' % ADDRESSES)
        e = self.assertRaises(peers.ExpectedFileError, peers.load_expected,
                              path)
        self.assertIn('entry 1', str(e))
        self.assertIn(path, str(e))

    def test_a_test_of_no_suite_is_refused(self):
        path = self.write('expected_failures:\n  - test: tempest.api.network.'
                          'X.test_y\n    reason: because\n')
        e = self.assertRaises(peers.ExpectedFileError, peers.load_expected,
                              path)
        self.assertIn('none of the suites', str(e))

    def test_a_test_listed_twice_is_refused(self):
        entry = '  - test: %s\n    reason: r\n' % ADDRESSES
        path = self.write('expected_failures:\n' + entry + entry)
        e = self.assertRaises(peers.ExpectedFileError, peers.load_expected,
                              path)
        self.assertIn('twice', str(e))

    def test_an_empty_list_is_fine(self):
        self.assertEqual({}, peers.load_expected(
            self.write('expected_failures: []\n')))
