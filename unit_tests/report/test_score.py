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

"""The resilience score's published formula, number by number."""

import os

import testtools

from self_healing_tempest_plugin.harness import scenario as sc
from self_healing_tempest_plugin.report import score
from self_healing_tempest_plugin.report import timelines as tls
from unit_tests.report import synth

MIXED = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     'fixtures', 'mixed')


def by_name(entries):
    return dict((e.name, e) for e in entries)


class PhaseScoreTest(testtools.TestCase):

    def test_within_or_late_or_missed(self):
        self.assertEqual(1.0, score.phase_score(tls.Phase(
            'recover', 20.0, deadline=300, status=tls.OK)))
        self.assertEqual(0.0, score.phase_score(tls.Phase(
            'detect', 45.0, deadline=30, status=tls.LATE)))
        self.assertEqual(0.0, score.phase_score(tls.Phase(
            'detect', None, deadline=30, status=tls.MISSED)))
        self.assertEqual(0.0, score.phase_score(tls.Phase(
            'recover', None, deadline=120, status=tls.NOT_SEEN)))

    def test_not_weighed(self):
        self.assertIsNone(score.phase_score(tls.Phase(
            'act', None, status=tls.NOT_OBSERVED)))
        # Seen, but no deadline known (files from before they were
        # recorded): nothing to judge it by.
        self.assertIsNone(score.phase_score(tls.Phase(
            'act', 3.0, status=tls.SEEN)))

    def test_min_one_of_deadline_over_observed(self):
        # A phase seen exactly at (or before) its deadline scores 1; the
        # formula caps it, a late one is a failure and scores 0.
        self.assertEqual(1.0, score.phase_score(tls.Phase(
            'act', 60.0, deadline=60, status=tls.OK)))
        self.assertEqual(1.0, score.phase_score(tls.Phase(
            'act', 0.0, deadline=60, status=tls.OK)))


class TimelineScoreTest(testtools.TestCase):

    def setUp(self):
        super(TimelineScoreTest, self).setUp()
        entries, _ = tls.read_dir(MIXED)
        self.entries = by_name(entries)

    def test_recover_not_seen_weighs_double(self):
        # detect 1, act 1, recover 0 (weights 1, 1, 2): 2 / 4.
        self.assertEqual(0.5, score.timeline_score(
            self.entries['autoheal_host_red']))
        self.assertEqual(2 / 3.0, score.timeline_score(
            self.entries['autoheal_host_red'], {'recover': 1}))
        self.assertEqual(1.0, score.timeline_score(
            self.entries['autoheal_host_red'], {'recover': 0}))

    def test_late_detect_scores_zero(self):
        self.assertEqual(0.0, score.timeline_score(
            self.entries['autoheal_late_detect']))

    def test_negative_check_and_unknown_deadlines_not_scored(self):
        self.assertIsNone(score.timeline_score(
            self.entries['negative_autoheal_stop']))
        self.assertIsNone(score.timeline_score(
            self.entries['autoheal_stop_member']))

    def test_healed_run_scores_one(self):
        entry = synth.entry(*synth.timeline(1e9, 1.5, 4.0, 20.0))
        self.assertEqual(1.0, score.timeline_score(entry))

    def test_interrupted_not_scored(self):
        t, fields = synth.timeline(1e9, 1.5, None, None,
                                   result='interrupted: SIGTERM')
        fields['verdict'] = 'interrupted'
        self.assertIsNone(score.timeline_score(synth.entry(t, fields)))


class FakeScenario(object):

    def __init__(self, name, weight, phases=None, flow='autoheal_group',
                 kind='server_stop'):
        self.name = name
        self.score_weight = weight
        self.phase_weights = dict(sc.SCORE_PHASE_WEIGHTS, **(phases or {}))
        self.flow = flow
        self.faults = [{'kind': kind}]
        self.fault = self.faults[0]
        self.expect_missed_phase = None


class ScorerTest(testtools.TestCase):

    def test_flow_and_run_scores_weigh_scenarios(self):
        entries, _ = tls.read_dir(MIXED)
        scorer = score.Scorer([
            FakeScenario('autoheal_host_red', 3.0),
            FakeScenario('autoheal_late_detect', 1.0)])
        # host_red 0.5 weighs 3, late_detect 0 weighs 1: 1.5 / 4.
        self.assertEqual({score.RUN: 0.375, 'flow autoheal': 0.375},
                         scorer.scores(entries))
        self.assertEqual('resilience score: 0.375 (autoheal 0.375)',
                         scorer.text(entries))

    def test_flows_apart(self):
        healed = synth.entry(*synth.timeline(1e9, 1.5, 4.0, 20.0))
        t, fields = synth.timeline(1e9, 2.0, 5.0, None, name='vitrage_x',
                                   result='failed: healing phase '
                                   "'recover' missed its deadline: not "
                                   'seen within 300 s of the fault')
        failed = synth.entry(t, fields)
        scorer = score.Scorer([
            FakeScenario(synth.SCENARIO, 1.0),
            FakeScenario('vitrage_x', 1.0, {'recover': 6.0},
                         flow='vitrage_host', kind='host_stop')])
        scores = scorer.scores([healed, failed])
        self.assertEqual(1.0, scores['flow autoheal'])
        # detect 1, act 1, recover 0 weighing 6: 2 / 8.
        self.assertEqual(0.25, scores['flow vitrage'])
        self.assertEqual(0.625, scores[score.RUN])

    def test_no_deadlines_no_score(self):
        entries, _ = tls.read_dir(MIXED)
        stop = [e for e in entries if e.name == 'autoheal_stop_member']
        self.assertEqual({}, score.Scorer().scores(stop))
        self.assertIn('none', score.Scorer().text(stop))

    def test_defaults_are_the_documented_ones(self):
        self.assertEqual({'detect': 1.0, 'act': 1.0, 'recover': 2.0},
                         score.DEFAULT_PHASE_WEIGHTS)
        self.assertEqual(1.0, score.DEFAULT_WEIGHT)
        self.assertIn('phases: {detect: 1, act: 1, recover: 2}',
                      score.__doc__)


class ScoreTrendTest(testtools.TestCase):

    def test_score_trended_per_run(self):
        from self_healing_tempest_plugin.report import trend as tr
        trend_dir = os.path.join(os.path.dirname(MIXED), 'trend')
        runs, problems = tr.read_runs([
            MIXED, os.path.join(trend_dir, 'run-2'),
            os.path.join(trend_dir, 'run-1')])
        self.assertEqual(1, len(problems))
        self.assertIn('malformed.json', problems[0])
        trend = tr.Trend(runs)
        # run-1, run-2 healed within their deadlines; mixed: 0.5 and 0.
        self.assertEqual([1.0, 1.0, 0.25], trend.scores[score.RUN])
        self.assertIn(['run', 'score', '1.000', '1.000', '0.250', '-0.750'],
                      trend.rows())
