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

"""The report's statistics end to end: baselines (directories and report
data), verdicts, score, coverage and interrupted runs in the text, the
HTML and the JUnit XML."""

import io
import json
import os
import random
from xml.etree import ElementTree

import fixtures
import testtools

from self_healing_tempest_plugin.report import cli
from self_healing_tempest_plugin.report import table
from self_healing_tempest_plugin.report import timelines as tls
from self_healing_tempest_plugin.report import trend as tr
from unit_tests.report import synth

HERE = os.path.dirname(os.path.abspath(__file__))
MIXED = os.path.join(HERE, 'fixtures', 'mixed')
RUN_1 = os.path.join(HERE, 'fixtures', 'trend', 'run-1')


class StatisticsCliTest(testtools.TestCase):

    def setUp(self):
        super(StatisticsCliTest, self).setUp()
        self.root = self.useFixture(fixtures.TempDir()).path
        self.stderr = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', self.stderr))
        rng = random.Random(18)
        current, baseline = synth.runs(rng, 20, 5, {tls.RECOVER: 1.3})
        self.dirs = []
        for run in baseline + [current]:
            directory = os.path.join(self.root, run.label)
            for e in run.entries:
                synth.write(directory, e.timeline, e.fields)
            self.dirs.append(directory)
        # An interrupted run of the current one.
        t, fields = synth.timeline(synth.START + 21 * synth.WEEK_S, 1.2,
                                   None, None, index=6,
                                   result='error: stopped by SIGTERM')
        fields['verdict'] = 'interrupted'
        synth.write(self.dirs[-1], t, fields)

    def _main(self, *argv):
        stdout = io.StringIO()
        code = cli.main(list(argv), stdout=stdout)
        return code, stdout.getvalue()

    def _path(self, name):
        return os.path.join(self.root, name)

    def test_data_of_earlier_runs_is_a_baseline(self):
        # Each baseline run's report writes its data (as a Zuul job's
        # artifact); the current run is judged against those files.
        data_files = []
        for directory in self.dirs[:-1]:
            out = os.path.join(self.root, 'artifacts',
                               os.path.basename(directory), 'data.json')
            code, _ = self._main(directory, '--data', out)
            self.assertEqual(cli.EXIT_OK, code)
            data_files.append(out)
        with open(data_files[0]) as stream:
            data = json.load(stream)
        self.assertEqual((tr.DATA_FORMAT, 1, 'run-00'), (
            data['format'], data['version'], data['label']))
        self.assertEqual(['act', 'detect', 'hop aodh.alarm_fired',
                          'hop mistral.execution_created', 'recover',
                          'score'], sorted(data['values'][synth.SCENARIO]))
        self.assertEqual([1.0], data['values']['run']['score'])
        code, stdout = self._main(
            self.dirs[-1], '--baseline', *data_files,
            '--junit', self._path('junit.xml'), '--html',
            self._path('report.html'), '--data', self._path('now.json'))
        self.assertEqual(cli.EXIT_OK, code, self.stderr.getvalue())
        self.assertRegex(stdout, r'autoheal_stop_member +recover +20 +'
                                 r'[0-9.]+ s +5 +[0-9.]+ s +\+[0-9.]+ s '
                                 r'\(\+[0-9]+ %\) +p [0-9.e-]+ q [0-9.e-]+ '
                                 r'+regressed')
        self.assertRegex(stdout, r'autoheal_stop_member +hop aodh\.'
                                 r'alarm_fired +20 .* no change')
        self.assertIn('this run (current) against 20 baseline run(s)',
                      stdout)
        # The interrupted repetition is counted apart, not as a failure.
        self.assertIn('6 timeline(s): 5 passed, 0 did not, 1 interrupted',
                      stdout)
        # The cloud's 1.2 s (the poll, 0.3 s later, is within 0.5 s).
        self.assertRegex(stdout, r'autoheal_stop_member +server_stop +1\.2'
                                 r' / 120 s .* INTERRUPTED')
        self.assertIn('resilience score: 1.000 (autoheal 1.000)', stdout)
        self.assertIn('Coverage (flow x fault kind)', stdout)
        with open(self._path('now.json')) as stream:
            now = json.load(stream)
        self.assertEqual(5, len(now['values'][synth.SCENARIO]['recover']))

        suite = ElementTree.parse(self._path('junit.xml')).getroot().find(
            'testsuite')
        self.assertEqual(('6', '0', '0', '1'), (
            suite.get('tests'), suite.get('failures'), suite.get('errors'),
            suite.get('skipped')))
        summary = dict((p.get('name'), p.get('value'))
                       for p in suite.find('properties'))
        self.assertEqual('1.000', summary['score_run'])
        self.assertEqual('1.000', summary['score_flow_autoheal'])
        self.assertEqual('1', summary['timelines_interrupted'])
        self.assertEqual('passed', summary['coverage_autoheal_server_stop'])
        self.assertEqual('not run',
                         summary['coverage_vitrage_host_stop'])
        self.assertEqual('1', summary['verdicts_regressed'])
        self.assertEqual('no change', summary['run_score_verdict'])
        cases = suite.findall('testcase')
        interrupted = [c for c in cases if c.find('skipped') is not None]
        self.assertEqual(1, len(interrupted))
        self.assertIsNone(interrupted[0].find('error'))
        self.assertIn('interrupted: error: stopped by SIGTERM',
                      interrupted[0].find('skipped').get('message'))
        props = dict((p.get('name'), p.get('value'))
                     for p in cases[0].find('properties'))
        self.assertEqual('regressed', props['recover_verdict'])
        self.assertLess(float(props['recover_q']), 0.05)
        self.assertEqual('20', props['recover_baseline_n'])
        self.assertRegex(props['recover_effect'], r'^\+[0-9.]+ s')
        self.assertEqual('no change',
                         props['hop_aodh.alarm_fired_verdict'])
        self.assertEqual('1.000', props['score'])
        # Where the seconds went against the baseline: the hop that
        # gained the most (the recovery itself has no hop here).
        self.assertRegex(props['slowest_hop_vs_baseline'],
                         r'^aodh\.alarm_fired \+[0-9.]+ s \(\+[0-9]+ %\) '
                         r'against the baseline, p [0-9.e-]+ q [0-9.e-]+: '
                         r'no change$')
        self.assertEqual('autoheal', props['flow'])
        self.assertEqual('INTERRUPTED', dict(
            (p.get('name'), p.get('value'))
            for p in interrupted[0].find('properties'))['verdict'])

        with open(self._path('report.html')) as stream:
            page = stream.read()
        self.assertIn('Resilience score <b>1.000</b> (autoheal 1.000)',
                      page)
        self.assertIn('<td class="INTERRUPTED">INTERRUPTED</td>', page)
        self.assertIn('Verdicts against 20 baseline run(s)', page)
        self.assertIn('<td class="regressed">regressed</td>', page)
        self.assertIn('Coverage: flow &times; fault kind', page)
        self.assertIn('<td class="cell-passed" title="autoheal_stop_member">'
                      'sc 1: ran 1, ok 1</td>', page)
        self.assertIn('<td class="cell-gap" title="">-</td>', page)
        self.assertIn('1 interrupted', page)

    def test_run_directories_and_a_directory_with_report_data(self):
        # A directory holding report-data.json is read as that file.
        holder = self._path('downloaded')
        code, _ = self._main(self.dirs[0], '--data',
                             os.path.join(holder, tr.DATA_FILE))
        self.assertEqual(cli.EXIT_OK, code)
        code, stdout = self._main(self.dirs[-1], '--trend', *self.dirs[1:-1],
                                  '--baseline', holder)
        self.assertEqual(cli.EXIT_OK, code)
        self.assertIn('against 20 baseline run(s)', stdout)
        self.assertIn('%s: %s, first fault' % ('run-00', os.path.join(
            holder, tr.DATA_FILE)), stdout)

    def test_bad_report_data_is_named_and_the_rest_used(self):
        bad = self._path('bad.json')
        with open(bad, 'w') as stream:
            json.dump({'format': tr.DATA_FORMAT, 'version': 1,
                       'values': {'x': {'recover': ['slow']}}}, stream)
        other = self._path('other.json')
        with open(other, 'w') as stream:
            json.dump({'format': 'something else'}, stream)
        code, stdout = self._main(self.dirs[-1], '--baseline', bad, other,
                                  self.dirs[0])
        self.assertEqual(cli.EXIT_OK, code)
        self.assertIn('%s: "values" must map each scenario to {metric: '
                      '[numbers]}' % bad, self.stderr.getvalue())
        self.assertIn('%s: not report data (expected "format": "%s")'
                      % (other, tr.DATA_FORMAT), self.stderr.getvalue())
        self.assertIn('against 1 baseline run(s)', stdout)

    def test_floors_on_the_command_line(self):
        code, stdout = self._main(self.dirs[-1], '--baseline',
                                  *self.dirs[:-1], '--min-percent', '50',
                                  '--min-seconds', '0.5')
        self.assertEqual(cli.EXIT_OK, code)
        self.assertIn('>= 0.5 s and >= 50 %', stdout)
        self.assertNotRegex(stdout, r'recover .* regressed')
        error = self.assertRaises(SystemExit, self._main, self.dirs[-1],
                                  '--min-percent', 'lots')
        self.assertEqual(cli.EXIT_USAGE, error.code)
        self.assertIn("expected a percentage >= 0, got 'lots'",
                      self.stderr.getvalue())

    def test_report_family(self):
        code, stdout = self._main(self.dirs[-1], '--baseline',
                                  *self.dirs[:-1], '--family', 'report')
        self.assertEqual(cli.EXIT_OK, code)
        self.assertRegex(stdout, r'recover .* p [0-9.e-]+ q [0-9.e-]+ ')

    def test_old_timelines_have_no_hops(self):
        entries, _ = tls.read_dir(MIXED)
        self.assertEqual([[]] * len(entries),
                         [e.hops for e in entries])
        self.assertEqual([], tr.hop_seconds(entries[0]))
        self.assertFalse(any(table.is_interrupted(e) for e in entries))
        run = tr.Run(RUN_1, tls.read_dir(RUN_1)[0])
        self.assertEqual(['act', 'detect', 'recover', 'score'],
                         sorted(run.values['autoheal_stop_member']))
