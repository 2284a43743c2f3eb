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

"""The report of a run with an extra phase and several faults (format 2).

Columns, colours, properties and weights come from the timeline's own
phases; every fault is shown; the verdict and the missed phase are the
timeline's fields.
"""

import os
from unittest import mock
from xml.etree import ElementTree

import fixtures
import testtools

from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import run as hrun
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import timeline as tl
from self_healing_tempest_plugin.report import htmlpage
from self_healing_tempest_plugin.report import junit
from self_healing_tempest_plugin.report import plots
from self_healing_tempest_plugin.report import score
from self_healing_tempest_plugin.report import table
from self_healing_tempest_plugin.report import timelines as tls
from self_healing_tempest_plugin.report import trend
from unit_tests.harness import fakes
from unit_tests.harness import test_run

T0 = 1795308840.0
TEST_ID = ('self_healing_tempest_plugin.tests.scenario.test_vitrage_flows.'
           'VitrageHostTest.test_vitrage_host_restart[id-1,slow]')


def fenced_run(verdict=tl.PASSED, fenced=True):
    """A host fault, then a service restart on detect; FENCED observed."""
    timeline = tl.Timeline(TEST_ID)
    timeline.set_phases([tl.DETECTED, 'FENCED'])
    host = {'kind': 'host_stop', 't_fault': T0, 'at_s': 0.0,
            'did': 'stopped compute1', 'affected_members': ['a']}
    restart = {'kind': 'service_restart', 't_fault': T0 + 4, 'at_s': 4.0,
               'on_phase': 'detect', 'affected_members': []}
    timeline.sample([{'id': 'a', 'status': 'ACTIVE', 'host': 'c1'}],
                    tl.GREEN, at=T0 - 1)
    timeline.mark(timeline.add_fault(host), at=T0, detail=host)
    timeline.mark(tl.DETECTED, at=T0 + 4, cloud_time=T0 + 3.5)
    timeline.mark(timeline.add_fault(restart), at=T0 + 4, detail=restart)
    timeline.sample([{'id': 'a', 'status': 'HOST_DOWN', 'host': 'c1'}],
                    tl.RED, at=T0 + 5)
    if fenced:
        timeline.mark('FENCED', at=T0 + 9, cloud_time=T0 + 8.2)
        timeline.mark(tl.RECOVERED, at=T0 + 30)
        timeline.sample([{'id': 'a', 'status': 'ACTIVE', 'host': 'c2'}],
                        tl.GREEN, at=T0 + 30)
    timeline.deadlines = {'detect_s': 60, 'fenced_s': 90, 'recover_s': 300}
    timeline.scenario = {'name': 'vitrage_host_restart',
                         'fault': 'host_stop, service_restart',
                         'observed': [tl.DETECTED, 'FENCED']}
    timeline.verdict = verdict
    timeline.result = 'healed' if verdict == tl.PASSED else 'failed: x'
    if not fenced:
        timeline.missed_phase, timeline.deadline_s = 'fenced', 90
        timeline.failed_by = 'deadline_missed'
    return timeline


class ExtraPhaseTest(testtools.TestCase):

    def setUp(self):
        super(ExtraPhaseTest, self).setUp()
        directory = self.useFixture(fixtures.TempDir()).path
        self.entry = tls.read_file(fenced_run().write(directory))

    def test_phases_in_the_run_order(self):
        self.assertEqual(['detect', 'fenced', 'recover'],
                         self.entry.phase_names)
        fenced = self.entry.phase('fenced')
        self.assertEqual((9.0, 8.2, 90, tls.OK), (
            fenced.seconds, round(fenced.cloud_seconds, 3), fenced.deadline,
            fenced.status))
        self.assertEqual(tls.NOT_OBSERVED, self.entry.phase('act').status)
        self.assertEqual(tls.PASS, self.entry.verdict)

    def test_every_fault_shown(self):
        self.assertEqual('host_stop, service_restart', self.entry.fault)
        self.assertEqual('host_stop at 0.0 s: stopped compute1; '
                         'service_restart on detect at 4.0 s',
                         self.entry.faults_text())

    def test_table_columns_from_the_data(self):
        other = tls.Entry('x.json', tl.Timeline.from_json(
            tl.Timeline('pkg.Class.test_autoheal_x').to_json()))
        phases = tls.phase_names([other, self.entry])
        self.assertEqual(['detect', 'fenced', 'act', 'recover'], phases)
        text = table.run_table([self.entry])
        self.assertRegex(text.splitlines()[0],
                         r'^scenario +fault +detect +fenced +recover +'
                         r'verdict')
        self.assertIn('8.2 (polled 9.0) / 90 s', text)

    def test_junit_and_html_name_the_extra_phase(self):
        case = ElementTree.fromstring(junit.to_bytes([self.entry])).find(
            'testsuite/testcase')
        props = dict((p.get('name'), p.get('value'))
                     for p in case.iter('property'))
        self.assertEqual('9.000', props['fenced_s'])
        self.assertEqual('90.000', props['fenced_deadline_s'])
        self.assertNotIn('act_s', props)
        self.assertEqual('host_stop at 0.0 s: stopped compute1; '
                         'service_restart on detect at 4.0 s',
                         props['faults'])
        page = htmlpage.page('t', [self.entry])
        self.assertIn('<th>fenced</th>', page)
        self.assertIn('<p>Faults: host_stop at 0.0 s: stopped compute1; '
                      'service_restart on detect at 4.0 s</p>', page)

    def test_an_extra_phase_weighs_one_by_default(self):
        late = fenced_run()
        late.deadlines['fenced_s'] = 4.5
        entry = tls.Entry('x.json', late)
        # detect 1 (weight 1), fenced late: 0 (weight 1), recover 1 (2).
        self.assertEqual(tls.LATE, entry.phase('fenced').status)
        self.assertAlmostEqual(0.75, score.timeline_score(entry), 3)
        self.assertAlmostEqual(1.0, score.timeline_score(
            entry, {'fenced': 0}), 3)

    def test_the_extra_phase_is_a_trend_metric(self):
        values = trend.entry_metrics(self.entry, score.Scorer())
        self.assertEqual(9.0, values['fenced'])

    def test_colours_for_any_phase(self):
        colours = plots.phase_colours(['detect', 'fenced', 'notified',
                                       'recover'])
        self.assertEqual(plots.PHASE_COLOURS['detect'], colours['detect'])
        self.assertEqual(4, len(set(colours.values())))

    def test_pictures_draw_the_extra_phase_and_both_faults(self):
        try:
            png = plots.timeline_png(self.entry)
        except plots.MatplotlibMissing as exc:
            self.skipTest(str(exc))
        self.assertEqual(b'\x89PNG', png[:4])
        self.assertEqual(b'\x89PNG', plots.waterfall_png(self.entry)[:4])


class MissedExtraPhaseTest(testtools.TestCase):

    def test_the_fields_say_what_was_missed(self):
        entry = tls.Entry('x.json', fenced_run(tl.FAILED, fenced=False))
        self.assertEqual(tls.MISSED, entry.phase('fenced').status)
        self.assertEqual('missed / 90 s', entry.phase('fenced').cell())
        self.assertEqual(tls.FAIL, entry.verdict)

    def test_an_expected_miss_of_an_extra_phase(self):
        timeline = fenced_run(tl.FAILED, fenced=False)
        timeline.scenario['expect_missed_phase'] = 'fenced'
        self.assertEqual(tls.EXPECTED, tls.Entry('x.json', timeline).verdict)

    def test_interrupted_stays_its_own_verdict(self):
        timeline = fenced_run(tl.INTERRUPTED, fenced=False)
        timeline.missed_phase = None
        entry = tls.Entry('x.json', timeline)
        self.assertEqual(tls.INTERRUPTED, entry.verdict)
        self.assertEqual(tls.INTERRUPTED, table.verdict_text(entry))


class EngineFileTest(testtools.TestCase):
    """The engine's own file of two faults and an extra phase, reported."""

    def test_written_by_the_engine_read_by_the_report(self):
        directory = self.useFixture(fixtures.TempDir()).path
        clock = fakes.FakeClock()
        cloud = test_run.Cloud(clock, heal_at=25)
        test = fakes.FakeTest()
        conf = mock.Mock(detect_timeout_s=30, act_timeout_s=60,
                         recover_timeout_s=120, phase_timeout_s=45,
                         steady_window_s=5, poll_interval_s=1.0,
                         cluster_desired_size=2, cluster_max_size=3,
                         cluster_floor=1, cluster_min_size=1)
        first = test_run.FakeFault(clock, 'instance_delete', hits={'a'},
                                   cloud=cloud)
        second = test_run.FakeFault(clock, 'service_restart', cloud=cloud)

        def fenced():
            # True: seen, the cloud recorded no time for it.
            return True if (cloud.since() or 0) >= 9 else None
        deadlines = dl.Deadlines.from_config(
            conf, phases=[dl.DETECT, 'fenced'])
        bounds, target = sp.cluster_rules(conf)
        judgement = hrun.Judgement(bounds, target, hrun.phases(
            {dl.DETECT: cloud.detect, 'fenced': fenced}, deadlines),
            deadlines.recover_s)
        hrun.HealingRun(test, [first, test_run.Scheduled(
            second, on_phase=dl.DETECT)], cloud.state, judgement,
            conf=conf, clock=clock, sleep=clock.sleep,
            timeline_dir=directory, scenario_name='two_faults').run()
        self.assertEqual([], test.run_cleanups())
        entry = tls.read_file(os.path.join(directory, os.listdir(
            directory)[0]))
        self.assertEqual(['detect', 'fenced', 'recover'], entry.phase_names)
        self.assertEqual((tls.PASS, 'instance_delete, service_restart'),
                         (entry.verdict, entry.fault))
        self.assertEqual(['instance_delete', 'service_restart'],
                         [f['kind'] for f in entry.faults])
        self.assertTrue(all('undone_at' in f for f in entry.faults))
        self.assertEqual(45, entry.phase('fenced').deadline)
        self.assertEqual(tls.OK, entry.phase('fenced').status)
