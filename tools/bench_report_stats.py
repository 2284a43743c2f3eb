#!/usr/bin/env python3
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

"""How often the report's verdicts are wrong, over generated timelines.

Issue 18's figures: the false-positive rate on pure noise (no change at
all: how often a verdict says regressed, improved or drifting) and the
power on a real change (+30 % recover, k = 5 repetitions against 20
baseline runs; a drift of a few percent per run), for several noise
levels, with the default floors (>= 1 s and >= 10 %, alpha 0.05) and
both families (per metric, the whole report). The timelines are those
of unit_tests/report/synth.py (a seed-000 run in the fixtures' shape,
lognormal noise); every trial is seeded, so the figures repeat.

    .tox/py3/bin/python tools/bench_report_stats.py [--trials 1000]

(in the unit tests' venv: the report and unit_tests/report/synth.py need
the plugin's requirements, testtools among them; a bare python3 has none)
"""

import argparse
import os
import random
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TOP not in sys.path:
    sys.path.insert(0, TOP)

from self_healing_tempest_plugin.report import stats  # noqa: E402
from self_healing_tempest_plugin.report import timelines as tls  # noqa
from self_healing_tempest_plugin.report import trend as tr  # noqa: E402
from unit_tests.report import synth  # noqa: E402


def noise_rates(trials, sigma, family, seed=1):
    """(recover flagged, any metric of the scenario flagged) on noise."""
    rng = random.Random(seed)
    recover = anything = 0
    for _ in range(trials):
        current, baseline = synth.runs(rng, 20, 5, sigma=sigma)
        flags = [key for key, _ in tr.Comparison(
            current, baseline, family=family).flagged()]
        recover += any(m == tls.RECOVER for _, m in flags)
        anything += bool(flags)
    return recover / float(trials), anything / float(trials)


def shift_power(trials, sigma, family, factor=1.3, seed=2):
    rng = random.Random(seed)
    hits = 0
    for _ in range(trials):
        current, baseline = synth.runs(rng, 20, 5, {tls.RECOVER: factor},
                                       sigma=sigma)
        verdict = tr.Comparison(current, baseline, family=family).verdicts[
            (synth.SCENARIO, tls.RECOVER)]
        hits += verdict.verdict == stats.REGRESSED
    return hits / float(trials)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--trials', type=int, default=1000)
    args = parser.parse_args(argv)
    trials = args.trials
    print('%d trials each; k = 5 repetitions against 20 baseline runs of '
          'one value; floors %s' % (trials, stats.Floor().text()))
    print('%-7s %-7s %12s %14s %16s' % (
        'noise', 'family', 'FP recover', 'FP any metric',
        'power +30 % rec.'))
    started = time.time()
    for family in tr.FAMILIES:
        for sigma in (0.05, 0.12, 0.20):
            fp, fp_any = noise_rates(trials, sigma, family)
            power = shift_power(max(100, trials // 2), sigma, family)
            print('%-7s %-7s %11.1f%% %13.1f%% %15.1f%%' % (
                '%d %%' % round(sigma * 100), family, 100 * fp,
                100 * fp_any, 100 * power))
    print('drift (one value per run, Mann-Kendall; flagged share of %d '
          'series):' % (trials // 2))
    for runs, share, sigma in ((8, 0.05, 0.08), (10, 0.03, 0.05),
                               (12, 0.04, 0.08), (12, 0.0, 0.08),
                               (20, 0.02, 0.12)):
        rate = synth.drift_rate(trials // 2, share=share, total_runs=runs,
                                sigma=sigma)
        print('  %2d runs, %+d %% per run, noise %d %%: %5.1f%% flagged'
              % (runs, round(share * 100), round(sigma * 100), 100 * rate))
    print('%.1f s' % (time.time() - started))
    return 0


if __name__ == '__main__':
    sys.exit(main())
