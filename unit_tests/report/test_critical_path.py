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

"""The report's critical path: hop table, waterfall, JUnit message.

Timelines are written here with known hops (and fixtures/critpath holds
seed 000's timeline as the local cloud wrote it with its critical path).
"""

import io
import os
from xml.etree import ElementTree

import fixtures
import testtools

from self_healing_tempest_plugin.harness import timeline as tl
from self_healing_tempest_plugin.report import cli
from self_healing_tempest_plugin.report import htmlpage
from self_healing_tempest_plugin.report import junit
from self_healing_tempest_plugin.report import plots
from self_healing_tempest_plugin.report import table
from self_healing_tempest_plugin.report import timelines as tls

HERE = os.path.dirname(os.path.abspath(__file__))
CRITPATH = os.path.join(HERE, 'fixtures', 'critpath')
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
T0 = 1796110000.0
TEST_ID = 'pkg.mod.AutoHealingTest.test_autoheal_delete_member[id-1,slow]'


def write_timeline(directory, hops, recovered_at=10.0, verdict='passed',
                   missed_phase=None, result='healed', name=None):
    """A seed 000 timeline: fault at T0, hops at T0 + seconds."""
    timeline = tl.Timeline(TEST_ID if name is None else
                           TEST_ID.replace('delete_member', name))
    timeline.sample([{'id': 'a', 'status': 'ACTIVE'}], tl.GREEN, at=T0 - 1)
    timeline.mark(tl.FAULT_INJECTED, at=T0, source='instance_delete')
    timeline.mark(tl.DETECTED, at=T0 + 3.2, cloud_time=T0 + 0.7)
    timeline.mark(tl.ACTION_STARTED, at=T0 + 6.2, cloud_time=T0 + 1.0)
    if recovered_at is not None:
        timeline.mark(tl.RECOVERED, at=T0 + recovered_at + 1.2,
                      cloud_time=T0 + recovered_at,
                      detail={'critical_path_hop': 'heat.update_complete'})
    timeline.set_hops([tl.Hop(n, n.split('.')[0], cloud_time=(
        None if s is None else T0 + s), harness_time=h,
        detail={} if s is not None else {'reason': 'no record'})
        for n, s, h in hops])
    timeline.result = result
    timeline.verdict = verdict
    timeline.missed_phase = missed_phase
    timeline.scenario = {'fault': 'instance_delete',
                         'observed': [tl.DETECTED, tl.ACTION_STARTED]}
    timeline.deadlines = {'detect_s': 120, 'act_s': 180, 'recover_s': 300}
    return timeline.write(directory)


HOPS = [('nova.delete', -0.8, T0), ('aodh.alarm_fired', 0.7, T0 + 3.2),
        ('mistral.execution_created', 1.0, T0 + 6.2),
        ('heat.replacement_created', 7.0, None),
        ('zaqar.message_posted', None, None),
        ('heat.update_complete', 10.0, T0 + 11.2)]


class HopRowsTest(testtools.TestCase):

    def setUp(self):
        super(HopRowsTest, self).setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.entry = tls.read_file(write_timeline(self.dir, HOPS))

    def test_seconds_steps_and_shares(self):
        rows = dict((r.name, r) for r in self.entry.hops)
        self.assertAlmostEqual(-0.8, rows['nova.delete'].seconds)
        self.assertEqual(0.0, rows['nova.delete'].step)
        self.assertAlmostEqual(0.7, rows['aodh.alarm_fired'].step)
        self.assertAlmostEqual(6.0, rows['heat.replacement_created'].step)
        self.assertAlmostEqual(0.6, rows['heat.replacement_created'].share)
        self.assertAlmostEqual(3.2, rows['aodh.alarm_fired'].polled)
        self.assertIsNone(rows['zaqar.message_posted'].seconds)
        self.assertEqual('no record', rows['zaqar.message_posted'].reason)
        # The timed steps add up to the recovery.
        self.assertAlmostEqual(1.0, sum(r.share for r in self.entry.hops
                                        if r.share is not None))

    def test_phases_reported_on_the_cloud_clock(self):
        self.assertEqual('0.7 (polled 3.2) / 120 s',
                         self.entry.phase(tls.DETECT).cell())
        self.assertEqual('10.0 (polled 11.2) / 300 s',
                         self.entry.phase(tls.RECOVER).cell())

    def test_hop_table(self):
        text = table.hop_table(self.entry)
        lines = text.splitlines()
        self.assertEqual('autoheal_delete_member: critical path (cloud '
                         'clock)', lines[0])
        self.assertRegex(text, r'heat\.replacement_created +heat +7\.0 +- '
                               r'+6\.0 +60%')
        self.assertRegex(text, r'zaqar\.message_posted +zaqar +no record '
                               r'.*\(no record\)')
        # T0 is a whole second: so is every hop's record here.
        self.assertIn('heat.update_complete', text)
        self.assertRegex(text, r'heat\.update_complete .*, to the second')

    def test_slowest_hop_without_and_with_baseline(self):
        row, median = tls.slowest_hop(self.entry)
        self.assertEqual(('heat.replacement_created', None),
                         (row.name, median))
        row, median = tls.slowest_hop(self.entry, {
            'heat.replacement_created': 5.8, 'heat.update_complete': 0.5})
        self.assertEqual(('heat.update_complete', 0.5), (row.name, median))

    def test_baseline_medians_per_scenario_and_hop(self):
        earlier = [[tls.read_file(write_timeline(
            self.useFixture(fixtures.TempDir()).path,
            [('heat.update_complete', s, None)], recovered_at=s))]
            for s in (4.0, 6.0, 20.0)]
        self.assertEqual(
            {('autoheal_delete_member', 'heat.update_complete'): 6.0},
            tls.hop_baseline(earlier))

    def test_waterfall_png(self):
        png = plots.waterfall_png(self.entry)
        self.assertEqual(PNG_MAGIC, png[:8])

    def test_html_section(self):
        page = htmlpage.page('r', [self.entry], waterfalls={
            self.entry.path: plots.waterfall_png(self.entry)})
        self.assertIn('<h3>Critical path (cloud clock)</h3>', page)
        self.assertIn('alt="autoheal_delete_member critical path"', page)
        self.assertIn('<span style="width: 60%">', page)


class VerdictAndMissedPhaseTest(testtools.TestCase):

    def setUp(self):
        super(VerdictAndMissedPhaseTest, self).setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def test_missed_phase_read_from_the_field(self):
        entry = tls.read_file(write_timeline(
            self.dir, HOPS[:3], recovered_at=None, verdict='failed',
            missed_phase='recover', result='failed: something else'))
        self.assertEqual('recover', entry.missed_phase)
        self.assertEqual(tls.MISSED, entry.phase(tls.RECOVER).status)
        self.assertEqual(tls.FAIL, entry.verdict)

    def test_interrupted_has_its_own_verdict_count_and_colour(self):
        entry = tls.read_file(write_timeline(
            self.dir, HOPS[:2], recovered_at=None, verdict='interrupted',
            result='running'))
        self.assertEqual(tls.INTERRUPTED, entry.verdict)
        page = htmlpage.page('r', [entry])
        self.assertIn('1 timeline(s): 0 passed, 0 did not, 1 interrupted',
                      page)
        self.assertIn('<td class="INTERRUPTED">INTERRUPTED</td>', page)
        self.assertIn('.INTERRUPTED {', page)
        root = junit.document([entry])
        # Skipped, not an error: it measured nothing about healing.
        self.assertIsNone(root.find('.//testcase/error'))
        self.assertIn('interrupted', root.find('.//testcase/skipped').get(
            'message'))
        self.assertEqual('1', root.find('testsuite').get('skipped'))

    def test_junit_names_missed_phase_and_slowest_hop(self):
        entry = tls.read_file(write_timeline(
            self.dir, HOPS, recovered_at=None, verdict='failed',
            missed_phase='recover', result="failed: healing phase "
            "'recover' missed its deadline"))
        failure = junit.document([entry]).find('.//testcase/failure')
        self.assertEqual(
            "missed phase recover; slowest hop heat.replacement_created "
            "6.0 s: failed: healing phase 'recover' missed its deadline",
            failure.get('message'))
        baseline = {('autoheal_delete_member', 'aodh.alarm_fired'): 0.2,
                    ('other', 'heat.replacement_created'): 0.1}
        failure = junit.document([entry], baseline=baseline).find(
            './/testcase/failure')
        self.assertIn('slowest hop aodh.alarm_fired 0.7 s (baseline median '
                      '0.2 s)', failure.get('message'))

    def test_junit_hop_properties(self):
        entry = tls.read_file(write_timeline(self.dir, HOPS))
        props = dict((p.get('name'), p.get('value')) for p in
                     junit.document([entry]).iter('property'))
        self.assertEqual('7.000', props['hop.heat.replacement_created_s'])
        self.assertEqual('6.000',
                         props['hop.heat.replacement_created_step_s'])
        self.assertEqual('', props['hop.zaqar.message_posted_s'])
        self.assertEqual('0.700', props['detect_reported_s'])
        self.assertEqual('3.200', props['detect_s'])


class CliTest(testtools.TestCase):

    def test_hops_printed_pictured_and_judged_against_trend(self):
        run = self.useFixture(fixtures.TempDir()).path
        earlier = self.useFixture(fixtures.TempDir()).path
        out = self.useFixture(fixtures.TempDir()).path
        write_timeline(run, HOPS, recovered_at=None, verdict='failed',
                       missed_phase='recover', result='failed: x')
        write_timeline(earlier, [('heat.replacement_created', 6.5, None)],
                       recovered_at=7.0)
        stdout = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', io.StringIO()))
        code = cli.main([run, '--trend', earlier, '--png-dir', out,
                         '--junit', os.path.join(out, 'j.xml'),
                         '--html', os.path.join(out, 'r.html')],
                        stdout=stdout)
        self.assertEqual(cli.EXIT_OK, code)
        self.assertIn('autoheal_delete_member: critical path', stdout.
                      getvalue())
        self.assertEqual(['autoheal_delete_member-path.png',
                          'autoheal_delete_member.png', 'j.xml', 'r.html',
                          'trend.png'],
                         sorted(os.listdir(out)))
        failure = ElementTree.parse(os.path.join(out, 'j.xml')).find(
            './/failure')
        # 6.0 s against its 6.5 s median is not slow; Aodh has no
        # baseline, the slowest over its baseline is the replacement.
        self.assertIn('slowest hop heat.replacement_created 6.0 s '
                      '(baseline median 6.5 s)', failure.get('message'))


class RealSeed000Test(testtools.TestCase):
    """Seed 000's timeline as the local cloud wrote it."""

    def setUp(self):
        super(RealSeed000Test, self).setUp()
        entries, problems = tls.read_dir(CRITPATH)
        self.assertEqual([], problems)
        self.entry, = entries

    def test_full_path_on_the_cloud_clock(self):
        names = [r.name for r in self.entry.hops]
        for hop in ('nova.delete', 'aodh.alarm_fired',
                    'zaqar.message_posted', 'mistral.execution_created',
                    'heat.mark_unhealthy', 'heat.update_in_progress',
                    'nova.replacement_active', 'heat.update_complete'):
            self.assertIn(hop, names)
        self.assertEqual([], [r.name for r in self.entry.hops
                              if r.seconds is None])
        self.assertEqual('heat.update_complete', names[-1])

    def test_phases_within_a_second_of_their_records(self):
        timeline = self.entry.timeline
        for name in self.entry.phase_names:
            mark_name = tl.phase_mark(name)
            hop = timeline.hop(timeline.phase(mark_name).detail[
                'critical_path_hop'])
            reported = self.entry.phase(name).reported_seconds
            self.assertLess(abs(reported - (hop.cloud_time -
                                            self.entry.t_fault)), 1.0, name)


class WholeSecondPhasesTest(testtools.TestCase):
    """A record to the second is not reported before what caused it."""

    def test_no_phase_before_the_fault_or_the_phase_before_it(self):
        directory = self.useFixture(fixtures.TempDir()).path
        timeline = tl.Timeline(TEST_ID)
        fault = 1795308841.6   # the harness's time, mid-second
        timeline.mark(tl.FAULT_INJECTED, at=fault, source='server_stop')
        # Aodh to the microsecond; Mistral and Nova to the second, both
        # truncated to a second that began before the fault.
        timeline.mark(tl.DETECTED, at=fault + 3.1, cloud_time=fault + 0.2)
        timeline.mark(tl.ACTION_STARTED, at=fault + 6.1,
                      cloud_time=1795308841.0)
        timeline.mark(tl.RECOVERED, at=fault + 9.0, cloud_time=1795308841.0,
                      detail={'critical_path_hop': 'nova.start'})
        timeline.result = 'healed'
        timeline.deadlines = {'detect_s': 120, 'act_s': 180,
                              'recover_s': 300}
        entry = tls.read_file(timeline.write(directory))
        detect, act, recover = (entry.phase(p).reported_seconds for p in (
            tls.DETECT, tls.ACT, tls.RECOVER))
        self.assertAlmostEqual(0.2, detect)
        # -0.6 s on the record; within the second after it, not before
        # the detection that started it.
        self.assertAlmostEqual(0.2, act)
        self.assertAlmostEqual(0.2, recover)
