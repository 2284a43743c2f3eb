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

"""Generated timelines in the shape of the fixtures (a seed-000 run).

A healing run of ``autoheal_stop_member``: the fault, DETECTED (Aodh's
alarm history), ACTION_STARTED (Mistral's execution), RECOVERED, the
cluster samples, deadlines, invariants, scenario, and the hops of
CONTRACTS.md section 3. The seconds come from a seeded ``random.Random``:
lognormal noise around a median, as a shared machine makes them (the
spread of the local cloud's CI runs: a few to 15 %). Used by the unit
tests and tools/bench_report_stats.py.
"""

import random

from self_healing_tempest_plugin.harness import scenario as sc
from self_healing_tempest_plugin.harness import timeline as tl
from self_healing_tempest_plugin.report import stats
from self_healing_tempest_plugin.report import timelines as tls
from self_healing_tempest_plugin.report import trend as tr

SCENARIO = 'autoheal_stop_member'
SCENARIO_ID = 'e1bc3ed8-2d39-432f-bc17-61b444298afe'
TEST_ID = ('self_healing_tempest_plugin.tests.scenario.'
           'test_autoheal_group.AutohealGroupTest.test_%s[id-%s,slow]')
# Median seconds from the fault, and the lognormal sigma of the noise.
MEDIANS = {tls.DETECT: 1.5, tls.ACT: 4.0, tls.RECOVER: 20.0}
SIGMA = 0.12
DEADLINES = {'detect_s': 120, 'act_s': 180, 'recover_s': 300}
WEEK_S = 7 * 24 * 3600.0
START = 1793600000.0


def member(name, status):
    return {'id': name, 'status': status, 'host': 'host1'}


def timeline(t_fault, detect, act, recover, name=SCENARIO, index=1,
             hops=True, verdict=None, result='healed'):
    """A Timeline (and its contract fields) of one run, times from t_fault.
    """
    method = name if index == 1 else '%s_repeat_%d' % (name, index)
    t = tl.Timeline(TEST_ID % (method, sc.repetition_id(SCENARIO_ID,
                                                        index)))
    t.deadlines = dict(DEADLINES)
    t.invariants = {'desired': 2, 'min': 1, 'max': 4, 'floor': 1,
                    'identity': 'replace', 'host_change': None,
                    'allow_red': False}
    t.scenario = {'name': name, 'fault': 'server_stop',
                  'observed': [tl.DETECTED, tl.ACTION_STARTED],
                  'steady_window_s': 10, 'poll_interval_s': 1.0}
    t.sample([member('a', 'ACTIVE'), member('b', 'ACTIVE')], tl.GREEN,
             at=t_fault - 1)
    t.mark(tl.FAULT_INJECTED, at=t_fault, source='server_stop',
           detail={'kind': 'server_stop', 'did': 'server_stop of member a'})
    t.sample([member('a', 'SHUTOFF'), member('b', 'ACTIVE')], tl.YELLOW,
             at=t_fault + 0.2)
    if detect is not None:
        t.mark(tl.DETECTED, at=t_fault + detect + 0.3,
               cloud_time=t_fault + detect, source='aodh alarm history',
               not_before=t_fault + detect - 0.5)
    if act is not None:
        t.mark(tl.ACTION_STARTED, at=t_fault + act + 0.3,
               cloud_time=t_fault + act, source='mistral execution',
               not_before=t_fault + act - 0.5)
    if recover is not None:
        t.mark(tl.RECOVERED, at=t_fault + recover, source=None)
        t.sample([member('b', 'ACTIVE'), member('c', 'ACTIVE')], tl.GREEN,
                 at=t_fault + recover)
    t.result = result
    fields = {'hops': [], 'missed_phase': None,
              'verdict': verdict or ('passed' if result == 'healed'
                                     else 'failed')}
    if hops and detect is not None and act is not None:
        fields['hops'] = [
            {'name': 'aodh.alarm_fired', 'service': 'aodh',
             'cloud_time': t_fault + detect, 'harness_time':
             t_fault + detect + 0.3, 'source': 'aodh alarm history',
             'detail': {}},
            {'name': 'mistral.execution_created', 'service': 'mistral',
             'cloud_time': t_fault + act, 'harness_time': None,
             'source': 'mistral executions', 'detail': {}}]
    return t, fields


def write(directory, t, fields):
    """The timeline file with the contract fields, as critpath writes it.
    """
    import json
    import os
    data = t.to_dict()
    data.update(fields)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, t.file_name())
    with open(path, 'w') as stream:
        json.dump(data, stream, indent=2, sort_keys=True)
    return path


def entry(t, fields):
    """An in-memory Entry of ``t`` with the contract fields ``fields``."""
    t.set_hops([tl.Hop.from_dict(h) for h in fields['hops']])
    t.missed_phase = fields['missed_phase']
    t.verdict = fields['verdict']
    e = tls.Entry('(generated)', t)
    e.fields = fields
    return e


def noisy(rng, median, factor=1.0, sigma=SIGMA):
    return median * factor * rng.lognormvariate(0.0, sigma)


def run_entries(rng, t_start, k, factors=None, name=SCENARIO,
                sigma=SIGMA):
    """k timelines (repetitions) of one run, phase medians times factors.
    """
    factors = factors or {}
    entries = []
    for index in range(1, k + 1):
        values = dict((p, noisy(rng, m, factors.get(p, 1.0), sigma))
                      for p, m in MEDIANS.items())
        values[tls.ACT] = max(values[tls.ACT], values[tls.DETECT] + 0.1)
        values[tls.RECOVER] = max(values[tls.RECOVER], values[tls.ACT] + 1)
        entries.append(entry(*timeline(
            t_start + 600 * index, values[tls.DETECT], values[tls.ACT],
            values[tls.RECOVER], name=name, index=index)))
    return entries


def runs(rng, baseline_runs, k, factors=None, baseline_k=1, drift=None,
         sigma=SIGMA):
    """(current Run, baseline Runs): weekly runs, the current one last.

    ``drift``: {phase: share per run} grows the medians run by run.
    """
    baseline = []
    for week in range(baseline_runs):
        grown = dict((p, 1.0 + share * week)
                     for p, share in (drift or {}).items())
        baseline.append(tr.Run('run-%02d' % week, run_entries(
            rng, START + week * WEEK_S, baseline_k, grown, sigma=sigma)))
    grown = dict((p, 1.0 + share * baseline_runs)
                 for p, share in (drift or {}).items())
    for phase, factor in (factors or {}).items():
        grown[phase] = grown.get(phase, 1.0) * factor
    current = tr.Run('current', run_entries(
        rng, START + baseline_runs * WEEK_S, k, grown, sigma=sigma))
    return current, baseline


def false_positive_rate(trials, seed=1, k=5, baseline_runs=20,
                        metric=tls.RECOVER, floor=None):
    """(share of noise-only trials flagging ``metric``, any metric)."""
    rng = random.Random(seed)
    flagged = flagged_any = 0
    for _ in range(trials):
        current, baseline = runs(rng, baseline_runs, k)
        comparison = tr.Comparison(current, baseline, floor or stats.Floor())
        flags = [key for key, v in comparison.flagged()
                 if key[0] == SCENARIO]
        flagged += any(m == metric for _, m in flags)
        flagged_any += bool(flags)
    return flagged / float(trials), flagged_any / float(trials)


def detection_rate(trials, factor=1.3, seed=2, k=5, baseline_runs=20,
                   metric=tls.RECOVER, sigma=SIGMA):
    """Share of trials with ``metric`` times ``factor`` flagged regressed.
    """
    rng = random.Random(seed)
    hits = 0
    for _ in range(trials):
        current, baseline = runs(rng, baseline_runs, k, {metric: factor},
                                 sigma=sigma)
        verdict = tr.Comparison(current, baseline).verdicts[
            (SCENARIO, metric)]
        hits += verdict.verdict == stats.REGRESSED
    return hits / float(trials)


def drift_rate(trials, share=0.04, total_runs=12, seed=3, sigma=0.08,
               metric=tls.RECOVER):
    """Share of trials (one value per run) flagged drifting worse."""
    rng = random.Random(seed)
    hits = 0
    for _ in range(trials):
        current, baseline = runs(rng, total_runs - 1, 1,
                                 drift={metric: share}, sigma=sigma)
        verdict = tr.Comparison(current, baseline).verdicts[
            (SCENARIO, metric)]
        hits += verdict.drift == stats.DRIFT_WORSE
    return hits / float(trials)
