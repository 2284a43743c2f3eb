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

"""The recovery report over fixed timeline files.

fixtures/localcloud: four timelines a healing run on the local cloud wrote
(before timelines recorded their deadlines). fixtures/mixed: one of them,
hand-written ones (a missed deadline, a failed run, a negative scenario's
expected miss, all recording deadlines/invariants/scenario), a malformed
file and a file that is not JSON. fixtures/trend: two earlier runs.
"""

import io
import os
import subprocess
import sys
from unittest import mock
from xml.etree import ElementTree

import fixtures
import testtools

from self_healing_tempest_plugin.harness import timeline as tl
from self_healing_tempest_plugin.report import cli
from self_healing_tempest_plugin.report import htmlpage
from self_healing_tempest_plugin.report import junit
from self_healing_tempest_plugin.report import table
from self_healing_tempest_plugin.report import timelines as tls
from self_healing_tempest_plugin.report import trend as tr

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures')
LOCALCLOUD = os.path.join(FIXTURES, 'localcloud')
MIXED = os.path.join(FIXTURES, 'mixed')
RUN_1 = os.path.join(FIXTURES, 'trend', 'run-1')
RUN_2 = os.path.join(FIXTURES, 'trend', 'run-2')
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
DEFAULTS = {tls.DETECT: 120.0, tls.ACT: 180.0, tls.RECOVER: 600.0}


def by_name(entries):
    return dict((e.name, e) for e in entries)


class RealTimelinesTest(testtools.TestCase):
    """The files the local cloud wrote: numbers, verdicts, clocks."""

    def setUp(self):
        super(RealTimelinesTest, self).setUp()
        entries, self.problems = tls.read_dir(LOCALCLOUD)
        self.entries = by_name(entries)

    def test_all_read(self):
        self.assertEqual([], self.problems)
        self.assertEqual(['autoheal_delete_member', 'autoheal_error_member',
                          'autoheal_stop_member',
                          'negative_autoheal_delete_member'],
                         sorted(self.entries))

    def test_phase_seconds_from_the_fault(self):
        stop = self.entries['autoheal_stop_member']
        self.assertEqual('server_stop', stop.fault)
        self.assertAlmostEqual(0.480, stop.phase(tls.DETECT).seconds, 3)
        self.assertAlmostEqual(3.239, stop.phase(tls.ACT).seconds, 3)
        self.assertAlmostEqual(16.995, stop.phase(tls.RECOVER).seconds, 3)
        self.assertAlmostEqual(0.435,
                               stop.phase(tls.DETECT).cloud_seconds, 3)
        delete = self.entries['autoheal_delete_member']
        self.assertAlmostEqual(3.127, delete.phase(tls.DETECT).seconds, 3)
        self.assertAlmostEqual(9.270, delete.phase(tls.RECOVER).seconds, 3)

    def test_table_row_without_recorded_deadlines(self):
        row = table.row(self.entries['autoheal_stop_member'],
                        tls.BUILT_IN_PHASES)
        self.assertEqual(
            ['autoheal_stop_member', 'server_stop', '0.4 / ? s',
             '1.2 (polled 3.2) / ? s', '17.0 / ? s', 'PASS',
             'GREEN > YELLOW > GREEN',
             '-0.43..+0.05 s'], row)
        self.assertEqual(tls.SEEN,
                         self.entries['autoheal_stop_member'].phase(
                             tls.DETECT).status)

    def test_default_deadlines_judge_old_files(self):
        entries, _ = tls.read_dir(LOCALCLOUD, DEFAULTS)
        stop = by_name(entries)['autoheal_stop_member']
        self.assertEqual(['0.4 / 120 s', '1.2 (polled 3.2) / 180 s',
                          '17.0 / 600 s'],
                         table.row(stop, tls.BUILT_IN_PHASES)[2:5])
        self.assertEqual(tls.OK, stop.phase(tls.RECOVER).status)
        # The result text is for people: its deadline is not read back.
        negative = by_name(entries)['negative_autoheal_delete_member']
        self.assertEqual(120.0, negative.phase(tls.DETECT).deadline)

    def test_old_file_without_missed_phase_is_a_failure(self):
        # Written before missed_phase existed: its miss is not parsed
        # back from the result text; the failure still shows as one.
        negative = self.entries['negative_autoheal_delete_member']
        self.assertEqual(tls.FAIL, negative.verdict)
        self.assertIsNone(negative.missed_phase)
        detect = negative.phase(tls.DETECT)
        self.assertEqual(tls.NOT_SEEN, detect.status)
        self.assertEqual('not seen / ? s', detect.cell())
        self.assertEqual(tls.NOT_SEEN, negative.phase(tls.ACT).status)
        self.assertEqual(['GREEN', 'YELLOW'], negative.bands)
        self.assertEqual('unknown', negative.clock_text())

    def test_clock_offset_bounds(self):
        # DETECTED: seen 0.045 s after the cloud's time, which is after
        # the fault (0.435 s before it on the harness clock).
        low, high = self.entries['autoheal_stop_member'].clock_offset
        self.assertAlmostEqual(-0.4348, low, 3)
        self.assertAlmostEqual(0.0453, high, 3)

    def test_run_table_text(self):
        text = table.run_table(
            [self.entries[n] for n in sorted(self.entries)])
        lines = text.splitlines()
        self.assertTrue(lines[0].startswith('scenario'))
        self.assertIn('harness-cloud clock', lines[0])
        self.assertRegex(lines[4], r'^autoheal_stop_member +server_stop '
                                   r'+0\.4 / \? s +1\.2 \(polled 3\.2\) / '
                                   r'\? s +17\.0 / \? s +PASS')
        # Only the run that did not heal has its result under the table.
        self.assertIn("negative_autoheal_delete_member: failed: healing "
                      "phase 'detect' missed", text)
        self.assertNotIn('autoheal_stop_member: healed', text)

    def test_scenario_name_from_test_id(self):
        self.assertEqual('autoheal_x', tls.scenario_name(
            'pkg.mod.Class.test_autoheal_x[id-1,slow]'))
        self.assertEqual('other', tls.scenario_name('pkg.Class.other'))


class HandWrittenTimelinesTest(testtools.TestCase):
    """Recorded deadlines, a late phase, a failure, an expected miss."""

    def setUp(self):
        super(HandWrittenTimelinesTest, self).setUp()
        entries, self.problems = tls.read_dir(MIXED)
        self.entries = by_name(entries)

    def test_malformed_named_and_the_rest_read(self):
        self.assertEqual(1, len(self.problems))
        self.assertIn(os.path.join(MIXED, 'malformed.json'),
                      self.problems[0])
        self.assertIn('not valid JSON', self.problems[0])
        self.assertEqual(['autoheal_host_red', 'autoheal_late_detect',
                          'autoheal_stop_member', 'negative_autoheal_stop'],
                         sorted(self.entries))

    def test_late_phase_fails(self):
        late = self.entries['autoheal_late_detect']
        detect = late.phase(tls.DETECT)
        self.assertEqual((45.0, 44.0, 30), (detect.seconds,
                                            detect.cloud_seconds,
                                            detect.deadline))
        self.assertEqual(tls.LATE, detect.status)
        self.assertEqual('44.0 (polled 45.0) / 30 s LATE', detect.cell())
        self.assertEqual(tls.FAIL, late.verdict)
        self.assertFalse(late.passed)
        self.assertEqual(60, late.phase(tls.ACT).deadline)

    def test_failed_run(self):
        red = self.entries['autoheal_host_red']
        self.assertEqual(tls.FAIL, red.verdict)
        self.assertEqual('host_stop', red.fault)
        self.assertEqual(['GREEN', 'YELLOW', 'RED'], red.bands)
        self.assertEqual(tls.OK, red.phase(tls.ACT).status)
        self.assertEqual('not seen / 120 s', red.phase(tls.RECOVER).cell())
        self.assertEqual(1, red.invariants['floor'])

    def test_expected_miss_passes(self):
        negative = self.entries['negative_autoheal_stop']
        self.assertEqual(tls.EXPECTED, negative.verdict)
        self.assertTrue(negative.passed)
        self.assertEqual(tls.MISSED, negative.phase(tls.DETECT).status)


class BrokenRunTest(testtools.TestCase):
    """A run that broke (not a healing failure) is an ERROR, not a FAIL."""

    def test_error_result(self):
        timeline = tl.Timeline('pkg.Class.test_autoheal_x[id-1]')
        timeline.mark(tl.FAULT_INJECTED, at=100.0, source='server_stop')
        timeline.sample([], tl.YELLOW, at=101.0)
        timeline.result = 'error: RuntimeError: compute API down'
        timeline.verdict, timeline.failed_by = tl.FAILED, tl.BROKE
        entry = tls.Entry('x.json', timeline)
        self.assertEqual((tls.ERROR, 'autoheal_x', 'server_stop'),
                         (entry.verdict, entry.name, entry.fault))
        case = ElementTree.fromstring(junit.to_bytes([entry])).find(
            'testsuite/testcase')
        self.assertIsNone(case.find('failure'))
        self.assertEqual('error: RuntimeError: compute API down',
                         case.find('error').text)
        self.assertEqual('1.000', case.get('time'))


class ReadProblemsTest(testtools.TestCase):

    def setUp(self):
        super(ReadProblemsTest, self).setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def _file(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as stream:
            stream.write(text)
        return path

    def test_missing_directory(self):
        missing = os.path.join(self.dir, 'nope')
        entries, problems = tls.read_dir(missing)
        self.assertEqual([], entries)
        self.assertEqual(['%s: timeline directory cannot be read: No such '
                          'file or directory' % missing], problems)

    def test_empty_directory(self):
        self.assertEqual(
            ([], ['%s: no timeline files (*.json) in it' % self.dir]),
            tls.read_dir(self.dir))

    def test_not_a_timeline_and_unfinished_write(self):
        self._file('a.json', '{"test_id": "x"}')
        self._file('b.json', '[1, 2]')
        self._file('c.json.tmp', '{')
        self._file('d.json', '{"test_id": "x", "marks": [], "samples": '
                             '[{"t": 1, "members": [], "band": "BLUE"}]}')
        _, problems = tls.read_dir(self.dir)
        self.assertEqual(4, len(problems), problems)
        self.assertIn("a.json: not a recovery timeline, no 'marks' key",
                      problems[0])
        self.assertIn('b.json: not a recovery timeline', problems[1])
        self.assertIn('c.json.tmp: an unfinished write', problems[2])
        self.assertIn("d.json: not a recovery timeline: band must be",
                      problems[3])

    def test_missing_file(self):
        path = os.path.join(self.dir, 'gone.json')
        error = self.assertRaises(tls.TimelineFileError, tls.read_file,
                                  path)
        self.assertEqual('%s: cannot be read: No such file or directory'
                         % path, str(error))


class JUnitTest(testtools.TestCase):

    def setUp(self):
        super(JUnitTest, self).setUp()
        entries, problems = tls.read_dir(MIXED)
        self.root = ElementTree.fromstring(junit.to_bytes(entries,
                                                          problems))
        self.suite = self.root.find('testsuite')
        self.cases = dict((c.get('name'), c)
                          for c in self.suite.findall('testcase'))

    def _props(self, name):
        return dict((p.get('name'), p.get('value')) for p in
                    self.cases[name].find('properties'))

    def test_one_testcase_per_timeline_and_per_unread_file(self):
        self.assertEqual(['autoheal_host_red', 'autoheal_late_detect',
                          'autoheal_stop_member', 'negative_autoheal_stop',
                          'read malformed.json'],
                         sorted(self.cases))
        self.assertEqual(('5', '2', '1'), (self.suite.get('tests'),
                                           self.suite.get('failures'),
                                           self.suite.get('errors')))

    def test_times_as_properties(self):
        props = self._props('autoheal_stop_member')
        self.assertEqual('0.480', props['detect_s'])
        self.assertEqual('0.435', props['detect_cloud_s'])
        self.assertEqual('3.239', props['act_s'])
        self.assertEqual('16.995', props['recover_s'])
        self.assertEqual('', props['recover_deadline_s'])
        self.assertEqual('PASS', props['verdict'])
        self.assertEqual('server_stop', props['fault'])
        self.assertEqual('GREEN > YELLOW > GREEN', props['bands'])
        self.assertEqual('0.045', props['clock_offset_high_s'])
        late = self._props('autoheal_late_detect')
        self.assertEqual(('45.000', '30.000', 'late'), (
            late['detect_s'], late['detect_deadline_s'],
            late['detect_status']))
        self.assertEqual(
            'self_healing_tempest_plugin.tests.scenario.test_autoheal.'
            'AutoHealingTest', self.cases['autoheal_stop_member'].get(
                'classname'))
        self.assertEqual('27.470',
                         self.cases['autoheal_stop_member'].get('time'))

    def test_failure_holds_the_result(self):
        self.assertIsNone(self.cases['autoheal_stop_member'].find('failure'))
        failure = self.cases['autoheal_late_detect'].find('failure')
        self.assertTrue(failure.text.startswith(
            "failed: healing phase 'detect' missed its deadline"))
        self.assertIn('elapsed 45.0 s', failure.get('message'))
        self.assertIsNotNone(self.cases['autoheal_host_red'].find('failure'))

    def test_expected_miss_is_no_failure(self):
        case = self.cases['negative_autoheal_stop']
        self.assertIsNone(case.find('failure'))
        self.assertIn('missed its deadline', case.find('system-out').text)
        self.assertEqual('detect',
                         self._props('negative_autoheal_stop')[
                             'expect_missed_phase'])

    def test_unread_file_is_an_error(self):
        error = self.cases['read malformed.json'].find('error')
        self.assertEqual('TimelineFileError', error.get('type'))
        self.assertIn('malformed.json: not valid JSON', error.text)


class TrendTest(testtools.TestCase):

    def setUp(self):
        super(TrendTest, self).setUp()
        # Given newest first: ordered by their first fault.
        runs, self.problems = tr.read_runs([LOCALCLOUD, RUN_2, RUN_1])
        self.trend = tr.Trend(runs)

    def test_runs_ordered_by_time(self):
        self.assertEqual([], self.problems)
        self.assertEqual(['run-1', 'run-2', 'localcloud'],
                         [r.label for r in self.trend.runs])
        self.assertEqual('2026-11-02 06:20:00', self.trend.runs[0].started_utc)

    def test_values(self):
        values = self.trend.values['autoheal_delete_member']
        self.assertEqual([2.0, 4.0], values[tr.MTTD][:2])
        self.assertAlmostEqual(3.127, values[tr.MTTD][2], 3)
        self.assertEqual([10.0, 12.0], values[tr.MTTR][:2])
        self.assertAlmostEqual(9.270, values[tr.MTTR][2], 3)
        self.assertEqual([None, None, 13.835], [
            None if v is None else round(v, 3)
            for v in self.trend.values['autoheal_error_member'][tr.MTTR]])

    def test_change_against_earlier_runs(self):
        self.assertAlmostEqual(16.995 - 15.5, self.trend.change(
            'autoheal_stop_member', tr.MTTR), 3)
        self.assertIsNone(self.trend.change('autoheal_error_member',
                                            tr.MTTD))

    def test_scenario_without_times_named_not_drawn(self):
        self.assertEqual(['negative_autoheal_delete_member'],
                         self.trend.without_times)
        self.assertNotIn('negative_autoheal_delete_member',
                         self.trend.scenarios)
        text = self.trend.text()
        self.assertIn('no detect or recover time in any run: '
                      'negative_autoheal_delete_member', text)
        self.assertRegex(text, r'autoheal_stop_member +MTTR +15\.0 +16\.0 '
                               r'+17\.0 +\+1\.5')

    def test_same_label_twice_uses_the_path(self):
        runs, _ = tr.read_runs([RUN_1, RUN_1])
        self.assertEqual([RUN_1, RUN_1], [r.label for r in runs])


class PlotsTest(testtools.TestCase):

    def _is_png(self, data):
        self.assertEqual(PNG_MAGIC, data[:8])
        self.assertGreater(len(data), 1000)

    def test_timeline_png_of_each_entry(self):
        from self_healing_tempest_plugin.report import plots
        entries, _ = tls.read_dir(MIXED)
        for entry in entries:
            self._is_png(plots.timeline_png(entry))

    def test_trend_png(self):
        from self_healing_tempest_plugin.report import plots
        runs, _ = tr.read_runs([RUN_1, RUN_2, LOCALCLOUD])
        self._is_png(plots.trend_png(tr.Trend(runs)))


class CliTest(testtools.TestCase):

    def setUp(self):
        super(CliTest, self).setUp()
        self.out = self.useFixture(fixtures.TempDir()).path
        self.stderr = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', self.stderr))

    def _main(self, *argv):
        stdout = io.StringIO()
        code = cli.main(list(argv), stdout=stdout)
        return code, stdout.getvalue()

    def _path(self, name):
        return os.path.join(self.out, name)

    def test_everything(self):
        code, stdout = self._main(
            MIXED, '--html', self._path('r/report.html'),
            '--junit', self._path('r/junit.xml'),
            '--png-dir', self._path('pngs'), '--trend', RUN_1, RUN_2)
        self.assertEqual(cli.EXIT_OK, code)
        # The malformed file is named, the rest is produced.
        self.assertIn('self-healing-report: %s: not valid JSON'
                      % os.path.join(MIXED, 'malformed.json'),
                      self.stderr.getvalue())
        self.assertRegex(stdout, r'autoheal_late_detect +server_stop +44\.0 '
                                 r'\(polled 45\.0\) / 30 s LATE')
        self.assertIn('Trend', stdout)
        pngs = sorted(os.listdir(self._path('pngs')))
        self.assertEqual(['autoheal_host_red.png', 'autoheal_late_detect.png',
                          'autoheal_stop_member.png',
                          'negative_autoheal_stop.png', 'trend.png'], pngs)
        for name in pngs:
            with open(os.path.join(self._path('pngs'), name), 'rb') as f:
                data = f.read()
            self.assertEqual(PNG_MAGIC, data[:8], name)
            self.assertGreater(len(data), 1000, name)
        with open(self._path('r/report.html')) as stream:
            page = stream.read()
        self.assertEqual(5, page.count('src="data:image/png;base64,'))
        self.assertIn('<th>harness-cloud clock</th>', page)
        self.assertIn('malformed.json: not valid JSON', page)
        self.assertIn('Trend over 3 run(s)', page)
        root = ElementTree.parse(self._path('r/junit.xml')).getroot()
        self.assertEqual(5, len(list(root.iter('testcase'))))

    def test_nothing_read(self):
        empty = self.useFixture(fixtures.TempDir()).path
        code, stdout = self._main(empty, '--junit', self._path('j.xml'))
        self.assertEqual(cli.EXIT_NOTHING_READ, code)
        self.assertEqual('', stdout)
        self.assertIn('no timeline could be read from %s' % empty,
                      self.stderr.getvalue())
        # CI still gets a JUnit file that says why.
        root = ElementTree.parse(self._path('j.xml')).getroot()
        self.assertIn('no timeline files',
                      root.find('testsuite/testcase/error').text)

    def test_default_deadlines_option(self):
        code, stdout = self._main(LOCALCLOUD, '--deadlines', '1,5,10')
        self.assertEqual(cli.EXIT_OK, code)
        self.assertRegex(stdout, r'autoheal_stop_member +server_stop +0\.4 '
                                 r'/ 1 s +1\.2 \(polled 3\.2\) / 5 s '
                                 r'+17\.0 / 10 s LATE +FAIL')

    def test_bad_deadlines_is_a_usage_error(self):
        error = self.assertRaises(SystemExit, self._main, LOCALCLOUD,
                                  '--deadlines', '1,2')
        self.assertEqual(cli.EXIT_USAGE, error.code)
        self.assertIn('expected DETECT,ACT,RECOVER', self.stderr.getvalue())

    def test_without_matplotlib(self):
        with mock.patch.dict(sys.modules, {'matplotlib': None,
                                           'matplotlib.backends': None}):
            code, stdout = self._main(
                LOCALCLOUD, '--png-dir', self._path('pngs'),
                '--html', self._path('report.html'))
        self.assertEqual(cli.EXIT_NO_MATPLOTLIB, code)
        self.assertIn('self-healing-tempest-plugin[report]',
                      self.stderr.getvalue())
        self.assertIn('autoheal_stop_member', stdout)
        with open(self._path('report.html')) as stream:
            page = stream.read()
        self.assertNotIn('data:image/png', page)
        self.assertIn('self-healing-tempest-plugin[report]', page)

    def test_unwritable_output(self):
        blocker = self._path('file')
        open(blocker, 'w').close()
        code, _ = self._main(LOCALCLOUD, '--junit',
                             os.path.join(blocker, 'j.xml'))
        self.assertEqual(cli.EXIT_NOT_WRITTEN, code)
        self.assertIn('cannot be written', self.stderr.getvalue())

    def test_matplotlib_not_imported_without_pictures(self):
        script = ('import sys\n'
                  'from self_healing_tempest_plugin.report import cli\n'
                  'code = cli.main([%r, "--junit", %r])\n'
                  'print(code, "matplotlib" in sys.modules)\n'
                  % (LOCALCLOUD, self._path('j.xml')))
        top = os.path.dirname(os.path.dirname(HERE))
        out = subprocess.run([sys.executable, '-c', script], cwd=top,
                             capture_output=True, text=True, check=True)
        self.assertEqual('0 False', out.stdout.splitlines()[-1])


class HtmlTest(testtools.TestCase):

    def test_escapes_and_marks_verdicts(self):
        entries, _ = tls.read_dir(MIXED)
        page = htmlpage.page('<Report>', entries, ['x.json: <bad>'])
        self.assertIn('<title>&lt;Report&gt;</title>', page)
        self.assertIn('x.json: &lt;bad&gt;', page)
        self.assertIn('<td class="FAIL">FAIL</td>', page)
        self.assertIn('<td class="EXPECTED">EXPECTED MISS</td>', page)
        self.assertIn('<td class="num late" title="cloud: 44.0 s">44.0 '
                      '(polled 45.0) / 30 s LATE</td>', page)
        self.assertIn('<span class="band RED">RED</span>', page)
        self.assertIn('4 timeline(s): 2 passed, 2 did not, 0 interrupted.',
                      page)
