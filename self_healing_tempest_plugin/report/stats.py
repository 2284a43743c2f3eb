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

"""Statistical verdicts: did a metric really change, or is it noise?

Pure Python (no scipy, no numpy), so the report needs nothing new.

* **Shift against a baseline**: the two-sided Mann-Whitney U test of this
  run's values (one per repetition) against the pooled values of the
  baseline runs. Exact p-value (the distribution of U counted by dynamic
  programming; with ties, the permutation distribution of the mid-rank
  sum) when the samples are small enough; otherwise the normal
  approximation with tie correction and continuity correction. The
  effect is the Hodges-Lehmann shift (the median of all pairwise
  differences this-run minus baseline), also as a share of the baseline
  median.
* **Verdict**: ``regressed`` (slower, or a lower score) or ``improved``
  when the adjusted p (q, below) < alpha (default 0.05) AND the effect
  passes the floor: at least ``min_seconds`` (default 1 s) and at least
  ``min_relative`` of the baseline median (default 10 %) for seconds; at
  least ``min_score`` (default 0.05) for the score. Otherwise ``no
  change``; ``no data`` when either side has no value. One value against
  n distinct baseline values can reach p < 0.05 only when n >= 39
  (p >= 2 / (n + 1)): repeat the scenarios (``--repeat k``) to get
  verdicts from few runs.
* **Drift**: the Mann-Kendall trend test over the per-run medians, oldest
  first, when at least ``MIN_DRIFT_RUNS`` (8) runs have a value (exact
  p-value from the Kendall score distribution without ties, normal
  approximation with tie correction otherwise), with the same floor
  applied to the Theil-Sen slope times the span of runs. A slow drift
  that no single step shows is flagged ``drifting worse`` / ``drifting
  better``.
* **One alpha per family**: the p-values of a family of tests are
  adjusted by Benjamini-Hochberg (``adjust``) before they are compared
  with alpha. The family is a scenario's metric (its shift and drift
  tests), or with ``--family report`` every test of the report. Measured
  false-positive rates and power: tools/bench_report_stats.py.
"""

import functools
import math
import statistics

REGRESSED = 'regressed'
IMPROVED = 'improved'
NO_CHANGE = 'no change'
NO_DATA = 'no data'
DRIFT_WORSE = 'drifting worse'
DRIFT_BETTER = 'drifting better'
NO_DRIFT = 'no drift'
TOO_FEW_RUNS = 'too few runs'

ALPHA = 0.05
MIN_SECONDS = 1.0
MIN_RELATIVE = 0.10
MIN_SCORE = 0.05
MIN_DRIFT_RUNS = 8
# Exact U distribution up to this many pairs (k = 50 against 200 runs).
EXACT_MAX_CELLS = 10000
# With ties, the exact permutation distribution of the rank sum up to this
# much work (values x k x rank sums); beyond it the normal approximation.
EXACT_TIED_MAX_WORK = 2000000


class Floor(object):
    """The smallest change worth a verdict (so that noise is not one)."""

    def __init__(self, min_seconds=MIN_SECONDS, min_relative=MIN_RELATIVE,
                 min_score=MIN_SCORE, alpha=ALPHA):
        self.min_seconds = min_seconds
        self.min_relative = min_relative
        self.min_score = min_score
        self.alpha = alpha

    def passed(self, effect, reference, seconds=True):
        """Whether |effect| clears the floor (reference: baseline median)."""
        if seconds:
            return (abs(effect) >= self.min_seconds and
                    abs(effect) >= self.min_relative * abs(reference))
        return abs(effect) >= self.min_score

    def text(self):
        return ('adjusted p < %g and a change of >= %g s and >= %g %% '
                '(score: >= %g)' % (self.alpha, self.min_seconds,
                                    100 * self.min_relative,
                                    self.min_score))


def _normal_sf(z):
    """P(Z >= z) of the standard normal."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


@functools.lru_cache(maxsize=256)
def _u_counts(m, n):
    """counts[u]: how many orderings of m and n values give U = u."""
    # f(m, n, u) = f(m - 1, n, u - n) + f(m, n - 1, u), built up over n.
    previous = [[1]] + [None] * m   # n = 0: U = 0 only
    for i in range(1, m + 1):
        previous[i] = [1]
    for j in range(1, n + 1):
        current = [[1]]
        for i in range(1, m + 1):
            size = i * j + 1
            row = [0] * size
            for u, count in enumerate(previous[i]):   # f(i, j - 1, u)
                row[u] += count
            for u, count in enumerate(current[i - 1]):  # f(i - 1, j, u)
                row[u + j] += count
            current.append(row)
        previous = current
    return tuple(previous[m])


def _ranks(values):
    """Mid-ranks (1-based) of values, and the tie group sizes."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    ties = []
    start = 0
    while start < len(order):
        end = start
        while (end + 1 < len(order) and
               values[order[end + 1]] == values[order[start]]):
            end += 1
        rank = (start + end) / 2.0 + 1
        for k in range(start, end + 1):
            ranks[order[k]] = rank
        if end > start:
            ties.append(end - start + 1)
        start = end + 1
    return ranks, ties


def adjust(verdicts):
    """Judge ``verdicts`` as one family.

    Benjamini-Hochberg over all of their shift and drift tests (see
    ``benjamini_hochberg``).
    """
    tests = [(v, 'shift') for v in verdicts if v.p is not None] + [
        (v, 'drift') for v in verdicts if v.drift_p is not None]
    q_values = benjamini_hochberg([v.p if kind == 'shift' else v.drift_p
                                   for v, kind in tests])
    adjusted = dict((id(v), [v.p, v.drift_p]) for v in verdicts)
    for (v, kind), q in zip(tests, q_values):
        adjusted[id(v)][0 if kind == 'shift' else 1] = q
    for v in verdicts:
        v.judge(*adjusted[id(v)])


def _tied_exact_p(ranks, m):
    """Two-sided permutation p of the rank sum of the first m, with ties.

    Counts, over every choice of m of the (mid-)ranks, the doubled rank
    sums (integers), and adds up those at least as far from the mean.
    """
    doubled = [int(round(2 * r)) for r in ranks]
    observed = sum(doubled[:m])
    mean = m * (len(ranks) + 1)      # of the doubled rank sum
    # ways[k][s]: choices of k ranks so far with doubled sum s
    ways = [dict() for _ in range(m + 1)]
    ways[0][0] = 1
    for rank in doubled:
        for k in range(m - 1, -1, -1):
            target = ways[k + 1]
            for total, count in ways[k].items():
                target[total + rank] = target.get(total + rank, 0) + count
    everything = sum(ways[m].values())
    extreme = sum(count for total, count in ways[m].items()
                  if abs(total - mean) >= abs(observed - mean))
    return min(1.0, extreme / float(everything))


def mann_whitney(x, y):
    """(U of x, two-sided p, 'exact' | 'normal') of samples x and y.

    Exact when small enough (with ties: the permutation distribution of
    the mid-ranks, since the normal approximation is far off when most
    values are tied, e.g. scores that are all 1); else normal.
    """
    m, n = len(x), len(y)
    if not m or not n:
        raise ValueError('Mann-Whitney needs values on both sides, got %d '
                         'and %d' % (m, n))
    ranks, ties = _ranks(list(x) + list(y))
    u = sum(ranks[:m]) - m * (m + 1) / 2.0
    if not ties and m * n <= EXACT_MAX_CELLS:
        counts = _u_counts(m, n)
        total = float(sum(counts))
        k = int(round(min(u, m * n - u)))
        p = min(1.0, 2.0 * sum(counts[:k + 1]) / total)
        return u, p, 'exact'
    small = min(m, n)
    if ties and (m + n) * small * 2 * (m + n) * small <= EXACT_TIED_MAX_WORK:
        if small == m:
            return u, _tied_exact_p(ranks, m), 'exact'
        return u, _tied_exact_p(ranks[m:] + ranks[:m], n), 'exact'
    big = m + n
    mean = m * n / 2.0
    tie_term = sum(t ** 3 - t for t in ties) / float(big * (big - 1))
    variance = m * n / 12.0 * ((big + 1) - tie_term)
    if variance <= 0:
        return u, 1.0, 'normal'
    z = (abs(u - mean) - 0.5) / math.sqrt(variance)
    return u, min(1.0, 2.0 * _normal_sf(max(z, 0.0))), 'normal'


def benjamini_hochberg(p_values):
    """The q-values (BH-adjusted p-values) of a family of tests, in order.

    Flagging q < alpha keeps the expected share of false flags among the
    flags at most alpha, and, when nothing changed at all, the chance of
    any flag in the family at most alpha.
    """
    count = len(p_values)
    order = sorted(range(count), key=lambda i: p_values[i])
    q_values = [1.0] * count
    running = 1.0
    for rank in range(count, 0, -1):
        index = order[rank - 1]
        running = min(running, p_values[index] * count / float(rank))
        q_values[index] = running
    return q_values


def hodges_lehmann(x, y):
    """Median of the pairwise differences x_i - y_j: the shift of x."""
    return statistics.median(a - b for a in x for b in y)


@functools.lru_cache(maxsize=64)
def _kendall_counts(n):
    """counts[k]: permutations of n with k inversions (Mahonian numbers)."""
    counts = [1]
    for size in range(2, n + 1):
        new = [0] * (len(counts) + size - 1)
        for k, c in enumerate(counts):
            for extra in range(size):
                new[k + extra] += c
        counts = new
    return tuple(counts)


def mann_kendall(series):
    """(S, two-sided p, 'exact' | 'normal') of a series, oldest first."""
    n = len(series)
    if n < 3:
        raise ValueError('Mann-Kendall needs 3 or more values, got %d' % n)
    s = 0
    for i in range(n):
        for j in range(i + 1, n):
            s += (series[j] > series[i]) - (series[j] < series[i])
    _, ties = _ranks(list(series))
    if not ties and n <= 60:
        # S = pairs - 2 * inversions; |S| >= |s| in both tails.
        counts = _kendall_counts(n)
        pairs = n * (n - 1) // 2
        total = float(sum(counts))
        tail = sum(c for k, c in enumerate(counts)
                   if abs(pairs - 2 * k) >= abs(s))
        return s, min(1.0, tail / total), 'exact'
    variance = (n * (n - 1) * (2 * n + 5) -
                sum(t * (t - 1) * (2 * t + 5) for t in ties)) / 18.0
    if variance <= 0:
        return s, 1.0, 'normal'
    z = (abs(s) - 1) / math.sqrt(variance)
    return s, min(1.0, 2.0 * _normal_sf(max(z, 0.0))), 'normal'


def sen_slope(series):
    """Theil-Sen slope: the median of the pairwise slopes, per run."""
    n = len(series)
    return statistics.median((series[j] - series[i]) / float(j - i)
                             for i in range(n) for j in range(i + 1, n))


class Verdict(object):
    """The verdict of one metric of one scenario."""

    def __init__(self, current, baseline, series, floor, higher_is_better,
                 seconds=True):
        self.current = [v for v in current if v is not None]
        self.baseline = [v for v in baseline if v is not None]
        self.series = [v for v in series if v is not None]
        self.floor = floor
        self.higher_is_better = higher_is_better
        self.seconds = seconds
        self.p = self.effect = self.relative = self.method = None
        self.q = self.drift_q = None
        self.verdict = NO_DATA
        self.drift = TOO_FEW_RUNS
        self.drift_p = self.drift_total = None
        self._shift()
        self._drift()
        self.judge(self.p, self.drift_p)

    @property
    def baseline_median(self):
        return statistics.median(self.baseline) if self.baseline else None

    @property
    def current_median(self):
        return statistics.median(self.current) if self.current else None

    def _worse(self, change):
        return change < 0 if self.higher_is_better else change > 0

    def _shift(self):
        if not self.current or not self.baseline:
            return
        _, self.p, self.method = mann_whitney(self.current, self.baseline)
        self.effect = hodges_lehmann(self.current, self.baseline)
        reference = self.baseline_median
        self.relative = self.effect / reference if reference else None

    def _drift(self):
        if len(self.series) < MIN_DRIFT_RUNS:
            return
        _, self.drift_p, _ = mann_kendall(self.series)
        self.drift_total = sen_slope(self.series) * (len(self.series) - 1)

    def judge(self, q, drift_q):
        """Set the verdicts from the (family-adjusted) p-values."""
        self.q, self.drift_q = q, drift_q
        if self.p is not None:
            self.verdict = NO_CHANGE
            if q < self.floor.alpha and self.floor.passed(
                    self.effect, self.baseline_median, self.seconds):
                self.verdict = REGRESSED if self._worse(self.effect) else (
                    IMPROVED)
        if self.drift_p is not None:
            self.drift = NO_DRIFT
            if drift_q < self.floor.alpha and self.floor.passed(
                    self.drift_total, statistics.median(self.series),
                    self.seconds):
                self.drift = DRIFT_WORSE if self._worse(
                    self.drift_total) else DRIFT_BETTER

    @property
    def flagged(self):
        """Whether anything is reported as changed (shift or drift)."""
        return self.verdict in (REGRESSED, IMPROVED) or self.drift in (
            DRIFT_WORSE, DRIFT_BETTER)

    def effect_text(self):
        if self.effect is None:
            return '-'
        unit = ' s' if self.seconds else ''
        text = '%+.2f%s' % (self.effect, unit)
        if self.relative is not None and self.seconds:
            text += ' (%+.0f %%)' % (100 * self.relative)
        return text

    def p_text(self):
        """'p 0.003 q 0.02' (q: adjusted over the report's tests)."""
        if self.p is None:
            return '-'
        if self.q is None or self.q == self.p:
            return 'p %.2g' % self.p
        return 'p %.2g q %.2g' % (self.p, self.q)

    def drift_text(self):
        if self.drift_p is None:
            return '%s (%d)' % (self.drift, len(self.series))
        return '%s (p %.2g q %.2g, %+.2f over %d runs)' % (
            self.drift, self.drift_p, self.drift_q, self.drift_total,
            len(self.series))
