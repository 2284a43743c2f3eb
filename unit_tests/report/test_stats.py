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

"""The statistical verdicts: the tests themselves, then over generated
timelines (a shift is flagged, noise is not, a drift is)."""

import itertools
import random
import time

import fixtures
import testtools

from self_healing_tempest_plugin.report import stats
from self_healing_tempest_plugin.report import timelines as tls
from self_healing_tempest_plugin.report import trend as tr
from unit_tests.report import synth


class MannWhitneyTest(testtools.TestCase):

    def test_exact_distribution_counts_every_ordering(self):
        m, n = 3, 4
        counts = [0] * (m * n + 1)
        for xs in itertools.combinations(range(m + n), m):
            counts[sum(1 for i in xs for j in range(m + n)
                       if j not in xs and i > j)] += 1
        self.assertEqual(counts, list(stats._u_counts(m, n)))

    def test_separated_samples_exact(self):
        u, p, method = stats.mann_whitney([1.1, 2.2, 3.3, 4.4, 5.5],
                                          [6, 7, 8, 9, 10, 11])
        # Two of the C(11, 5) = 462 orderings are as extreme.
        self.assertEqual((0.0, 'exact'), (u, method))
        self.assertAlmostEqual(2 / 462.0, p, 12)

    def test_same_samples_give_no_evidence(self):
        _, p, _ = stats.mann_whitney([1, 3, 5], [2, 4, 6])
        self.assertGreater(p, 0.5)

    def test_ties_exact_is_the_permutation_distribution(self):
        x, y = [1, 2, 2, 3], [2, 3, 4, 5]
        u, p, method = stats.mann_whitney(x, y)
        self.assertEqual((2.5, 'exact'), (u, method))
        ranks, _ = stats._ranks(x + y)
        mean = 4 * 9 / 2.0
        observed = abs(sum(ranks[:4]) - mean)
        splits = list(itertools.combinations(range(8), 4))
        extreme = sum(1 for chosen in splits if abs(
            sum(ranks[i] for i in chosen) - mean) >= observed - 1e-9)
        self.assertAlmostEqual(extreme / float(len(splits)), p, 12)

    def test_one_value_below_all_tied_ones(self):
        # A run's score of 0.92 after 20 runs of 1: its chance of being
        # the only lower one is 1 / 21 (the normal approximation would
        # say 2e-5).
        _, p, method = stats.mann_whitney([0.92], [1.0] * 20)
        self.assertEqual('exact', method)
        self.assertAlmostEqual(1 / 21.0, p, 12)

    def test_large_tied_samples_use_the_corrected_normal_approximation(
            self):
        self.useFixture(fixtures.MonkeyPatch(
            'self_healing_tempest_plugin.report.stats.EXACT_TIED_MAX_WORK',
            0))
        u, p, method = stats.mann_whitney([1, 2, 2, 3], [2, 3, 4, 5])
        self.assertEqual('normal', method)
        self.assertEqual(2.5, u)
        # mean 8, tie-corrected variance 16/12 * (9 - 30/56)
        z = (8 - 2.5 - 0.5) / (16 / 12.0 * (9 - 30 / 56.0)) ** 0.5
        self.assertAlmostEqual(2 * stats._normal_sf(z), p, 12)

    def test_all_equal_is_no_evidence(self):
        self.assertEqual(1.0, stats.mann_whitney([1.0] * 3, [1.0] * 5)[1])

    def test_empty_side_is_an_error(self):
        error = self.assertRaises(ValueError, stats.mann_whitney, [], [1])
        self.assertIn('got 0 and 1', str(error))

    def test_hodges_lehmann_shift(self):
        self.assertEqual(5.0, stats.hodges_lehmann([6, 7, 8], [1, 2, 3]))


class MannKendallTest(testtools.TestCase):

    def test_monotone_series_exact(self):
        s, p, method = stats.mann_kendall(list(range(8)))
        # Only the sorted and the reversed order are as extreme.
        self.assertEqual((28, 'exact'), (s, method))
        self.assertAlmostEqual(2 / 40320.0, p, 12)

    def test_flat_series_has_no_trend(self):
        s, p, _ = stats.mann_kendall([5.0] * 10)
        self.assertEqual((0, 1.0), (s, p))

    def test_exact_and_normal_agree_on_a_long_series(self):
        rng = random.Random(3)
        series = [i * 0.05 + rng.random() for i in range(30)]
        _, exact, method = stats.mann_kendall(series)
        self.assertEqual('exact', method)
        ties = series[:1] + series[:29]     # one tie: the normal path
        _, normal, method = stats.mann_kendall(ties)
        self.assertEqual('normal', method)
        self.assertLess(abs(exact - normal), 0.05)

    def test_sen_slope(self):
        self.assertEqual(2.0, stats.sen_slope([0, 2, 4, 100, 8]))


class BenjaminiHochbergTest(testtools.TestCase):

    def test_q_values(self):
        q = stats.benjamini_hochberg([0.01, 0.04, 0.03, 0.5])
        self.assertEqual([0.04, round(0.04 * 4 / 3.0, 12),
                          round(0.04 * 4 / 3.0, 12), 0.5],
                         [round(v, 12) for v in q])


class VerdictTest(testtools.TestCase):

    def _verdict(self, current, baseline, series=(), **kwargs):
        return stats.Verdict(current, baseline, series, stats.Floor(),
                             kwargs.pop('higher_is_better', False),
                             **kwargs)

    def test_slower_is_regressed_faster_improved(self):
        baseline = [20 + 0.1 * i for i in range(20)]
        slower = self._verdict([26, 26.5, 27, 25.5, 26.2], baseline)
        self.assertEqual(stats.REGRESSED, slower.verdict)
        self.assertLess(slower.p, 0.001)
        self.assertAlmostEqual(5.3 / 20.95, slower.relative, 6)
        self.assertEqual('+5.30 s (+25 %)', slower.effect_text())
        faster = self._verdict([15, 15.5, 16, 14.5, 15.2], baseline)
        self.assertEqual(stats.IMPROVED, faster.verdict)

    def test_significant_but_below_the_floor_is_no_change(self):
        # 0.5 s slower detection: certain, but under the 1 s floor.
        baseline = [1.0 + 0.01 * i for i in range(20)]
        verdict = self._verdict([1.5, 1.52, 1.55, 1.51, 1.53], baseline)
        self.assertLess(verdict.p, 0.001)
        self.assertEqual(stats.NO_CHANGE, verdict.verdict)
        # Over 1 s but under 10 % of a 60 s baseline: no change either.
        baseline = [60 + 0.01 * i for i in range(20)]
        verdict = self._verdict([66.5] * 4 + [66.6], baseline)
        self.assertEqual(stats.REGRESSED, verdict.verdict)
        verdict = self._verdict([61.5] * 4 + [61.6], baseline)
        self.assertEqual(stats.NO_CHANGE, verdict.verdict)

    def test_a_lower_score_is_regressed(self):
        verdict = self._verdict([0.5] * 5, [1.0 - 0.001 * i
                                            for i in range(20)],
                                higher_is_better=True, seconds=False)
        self.assertEqual(stats.REGRESSED, verdict.verdict)
        # Median of 0.5 - baseline: 0.5 - 0.9905.
        self.assertEqual('-0.49', verdict.effect_text())

    def test_no_baseline_is_no_data(self):
        verdict = self._verdict([3.0], [])
        self.assertEqual((stats.NO_DATA, '-', '-'), (
            verdict.verdict, verdict.p_text(), verdict.effect_text()))

    def test_one_value_cannot_be_significant_against_few(self):
        # p >= 2 / (n + 1): one value needs n >= 39 baseline values.
        verdict = self._verdict([100.0], [10.0 + i for i in range(20)])
        self.assertAlmostEqual(2 / 21.0, verdict.p, 12)
        self.assertEqual(stats.NO_CHANGE, verdict.verdict)

    def test_drift_needs_eight_runs(self):
        series = [20 * 1.04 ** i for i in range(7)]
        verdict = self._verdict([series[-1]], series[:-1], series)
        self.assertEqual(stats.TOO_FEW_RUNS, verdict.drift)
        self.assertEqual('too few runs (7)', verdict.drift_text())


class GeneratedTimelinesTest(testtools.TestCase):
    """Issue 18's done-when, over timelines in the fixtures' shape."""

    def test_shifted_recovery_is_flagged_regressed(self):
        # +30 % recover, k = 5 repetitions, 20 baseline runs, as files.
        root = self.useFixture(fixtures.TempDir()).path
        rng = random.Random(18)
        current, baseline = synth.runs(rng, 20, 5, {tls.RECOVER: 1.3})
        directories = []
        for run in baseline + [current]:
            directory = '%s/%s' % (root, run.label)
            for e in run.entries:
                synth.write(directory, e.timeline, e.fields)
            directories.append(directory)
        runs, problems = tr.read_runs(directories)
        self.assertEqual([], problems)
        self.assertEqual(21, len(runs))
        self.assertEqual('current', runs[-1].label)
        self.assertEqual(5, len(runs[-1].values[synth.SCENARIO][
            tls.RECOVER]))
        comparison = tr.Comparison(runs[-1], runs[:-1])
        recover = comparison.verdicts[(synth.SCENARIO, tls.RECOVER)]
        self.assertEqual(stats.REGRESSED, recover.verdict,
                         comparison.text())
        self.assertEqual(20, len(recover.baseline))
        self.assertGreater(recover.relative, 0.15)
        for metric in (tls.DETECT, tls.ACT, 'hop aodh.alarm_fired',
                       'hop mistral.execution_created'):
            self.assertEqual(stats.NO_CHANGE, comparison.verdicts[
                (synth.SCENARIO, metric)].verdict, metric)

    def test_noise_is_flagged_in_at_most_5_percent_of_1000_trials(self):
        started = time.time()
        rate, any_metric = synth.false_positive_rate(1000)
        elapsed = time.time() - started
        self.assertLessEqual(rate, 0.05)
        self.assertLessEqual(any_metric, 0.05)
        # Not flagged at all would mean the test cannot flag.
        self.assertGreater(rate, 0.0)
        self.assertLess(elapsed, 20)

    def test_a_shift_is_flagged_in_most_trials(self):
        self.assertGreaterEqual(synth.detection_rate(100), 0.9)

    def test_drift_over_twelve_runs_is_flagged_and_flat_is_not(self):
        # +4 % per run over 12 runs, one value each (8 % noise): the
        # shift test cannot flag one value, the trend test does (in 94 %
        # of such series, tools/bench_report_stats.py).
        rng = random.Random(5)
        current, baseline = synth.runs(rng, 11, 1, sigma=0.08,
                                       drift={tls.RECOVER: 0.04})
        drift = tr.Comparison(current, baseline).verdicts[
            (synth.SCENARIO, tls.RECOVER)]
        self.assertEqual(stats.NO_CHANGE, drift.verdict)
        self.assertEqual(stats.DRIFT_WORSE, drift.drift, drift.drift_text())
        self.assertEqual(12, len(drift.series))
        self.assertGreater(drift.drift_total, 3.0)
        flat = synth.runs(random.Random(5), 11, 1, sigma=0.08)
        flat = tr.Comparison(*flat).verdicts[(synth.SCENARIO, tls.RECOVER)]
        self.assertEqual(stats.NO_DRIFT, flat.drift, flat.drift_text())
        self.assertGreaterEqual(synth.drift_rate(50), 0.8)

    def test_report_family_adjusts_across_metrics(self):
        rng = random.Random(18)
        current, baseline = synth.runs(rng, 20, 5, {tls.RECOVER: 1.3})
        per_metric = tr.Comparison(current, baseline)
        report = tr.Comparison(current, baseline,
                               family=tr.REPORT_FAMILY)
        key = (synth.SCENARIO, tls.RECOVER)
        self.assertEqual(per_metric.verdicts[key].p,
                         report.verdicts[key].p)
        self.assertGreater(report.verdicts[key].q,
                           per_metric.verdicts[key].q)
