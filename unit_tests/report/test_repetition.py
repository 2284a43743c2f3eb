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

"""Repetition from the command line to the report: ``localcloud job
--repeat k`` writes ``[self_healing] repeat`` into the run's configs, and
the report pools a scenario's repetitions into one sample.

(The generated tests themselves: unit_tests/harness/test_scenario.py.)
"""

import io
import os
import random
import sys

import fixtures
import testtools

from self_healing_tempest_plugin.report import timelines as tls
from self_healing_tempest_plugin.report import trend as tr
from unit_tests.report import synth

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'tools')
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)

from localcloud import cli as lc_cli  # noqa: E402
from localcloud import ini  # noqa: E402
from localcloud import layout  # noqa: E402
from localcloud import tempestconf  # noqa: E402


class LocalcloudRepeatTest(testtools.TestCase):

    def setUp(self):
        super(LocalcloudRepeatTest, self).setUp()
        self.base = self.useFixture(fixtures.TempDir()).path
        self.lay = layout.Layout(self.base)
        os.makedirs(os.path.dirname(self.lay.tempest_conf))
        for path, negative in ((self.lay.tempest_conf, False),
                               (tempestconf.negative_conf(self.lay), True)):
            with open(path, 'w') as stream:
                stream.write(tempestconf.render(
                    'img-1', ['fl-1'], self.lay.workspace,
                    negative=negative,
                    host_opts=tempestconf.host_options(self.base, 'key')))

    def _conf(self, path):
        with open(path) as stream:
            return ini.parse(stream.read())

    def test_job_takes_repeat(self):
        args = lc_cli.build_parser().parse_args(['job', '--repeat', '5'])
        self.assertEqual(5, args.repeat)
        self.assertEqual(1, lc_cli.build_parser().parse_args(
            ['job']).repeat)
        stderr = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', stderr))
        error = self.assertRaises(SystemExit, lc_cli.build_parser(
        ).parse_args, ['job', '--repeat', '0'])
        self.assertEqual(2, error.code)
        self.assertIn("--repeat: expected a whole number >= 1, got '0'",
                      stderr.getvalue())

    def test_set_repeat_writes_both_configs_and_keeps_the_rest(self):
        before = self._conf(self.lay.tempest_conf)
        tempestconf.set_repeat(self.lay, 5)
        after = self._conf(self.lay.tempest_conf)
        self.assertEqual('5', after['self_healing'].pop('repeat'))
        self.assertEqual(before, after)
        negative = self._conf(tempestconf.negative_conf(self.lay))
        self.assertEqual('5', negative['self_healing']['repeat'])
        self.assertEqual('true', negative['self_healing_feature_enabled'][
            'negative_checks'])
        # The next job without --repeat runs each scenario once again.
        tempestconf.set_repeat(self.lay, 1)
        self.assertEqual('1', self._conf(self.lay.tempest_conf)[
            'self_healing']['repeat'])

    def test_repeat_is_a_plugin_option(self):
        from self_healing_tempest_plugin import config
        option = [o for o in config.SelfHealingGroup if o.name == 'repeat']
        self.assertEqual(1, len(option))
        self.assertEqual((1, 1), (option[0].default, option[0].type.min))


class RepetitionsPooledTest(testtools.TestCase):

    def test_each_repetition_its_own_file_one_sample(self):
        directory = self.useFixture(fixtures.TempDir()).path
        paths = set()
        for e in synth.run_entries(random.Random(1), synth.START, 4):
            paths.add(synth.write(directory, e.timeline,
                                  e.fields))
        self.assertEqual(4, len(paths))
        entries, problems = tls.read_dir(directory)
        self.assertEqual([], problems)
        self.assertEqual([synth.SCENARIO] * 4, [e.name for e in entries])
        run = tr.Run(directory, entries)
        self.assertEqual(4, len(run.values[synth.SCENARIO][tls.RECOVER]))
        self.assertEqual(4, run.timelines)
