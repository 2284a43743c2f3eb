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

"""The resilience score: one number per run and per flow, 0 to 1.

The formula (published; the README's report section says the same)::

    phase score   s_p = 0                      if phase p failed (missed
                                               its deadline, or was not
                                               seen in a run that failed)
                      = min(1, D_p / T_p)      else (D_p: its deadline,
                                               T_p: seconds from the fault)
    timeline      S   = sum(w_p * s_p) / sum(w_p)  over the phases the
                                               flow observes
    flow, run     R   = sum(W_s * S) / sum(W_s)    over the flow's (the
                                               run's) timelines

w_p are the phase weights, W_s the scenario weight, both from the
scenario file's ``score:`` mapping (validated by harness/scenario.py)::

    score:
      weight: 1.0                              # W_s, default 1
      phases: {detect: 1, act: 1, recover: 2}  # w_p, these are the defaults

Recovery weighs double by default: it is what a user of the cloud sees.
A phase the defaults do not name (an extra one such as ``fenced``)
weighs EXTRA_PHASE_WEIGHT (1) unless the scenario's ``score.phases``
names it.
A timeline whose file is not in the scenario directory gets the defaults.
Left out of every score (they measure no healing): negative checks
(``expect: missed_phase``), interrupted runs, runs that broke (ERROR),
phases a flow does not observe, and phases without a known deadline.

A phase within its deadline scores 1 whatever its seconds: the score
says how much of the healing kept its deadlines, weighted; whether it
got slower is the statistical verdicts' job (stats.py).
"""

from self_healing_tempest_plugin.harness import scenario as sc
from self_healing_tempest_plugin.report import coverage
from self_healing_tempest_plugin.report import table
from self_healing_tempest_plugin.report import timelines as tls

RUN = 'run'
FLOW_PREFIX = 'flow '
DEFAULT_WEIGHT = sc.SCORE_WEIGHT
DEFAULT_PHASE_WEIGHTS = sc.SCORE_PHASE_WEIGHTS
# The weight of a phase the defaults and the scenario do not name (an
# extra phase such as fenced).
EXTRA_PHASE_WEIGHT = 1.0


def phase_score(phase):
    """s_p of one phase, or None when it is not weighed."""
    if phase.status == tls.NOT_OBSERVED:
        return None
    if phase.status in (tls.LATE, tls.MISSED, tls.NOT_SEEN):
        return 0.0
    if phase.deadline is None or phase.seconds is None:
        return None
    if phase.seconds <= 0:
        return 1.0
    return min(1.0, phase.deadline / phase.seconds)


def timeline_score(entry, phase_weights=None):
    """S of one timeline, or None when it does not count (see above)."""
    if (entry.expect_missed or entry.verdict == tls.ERROR or
            table.is_interrupted(entry)):
        return None
    weights = dict(DEFAULT_PHASE_WEIGHTS, **(phase_weights or {}))
    total = weighed = 0.0
    for name in entry.phase_names:
        value = phase_score(entry.phase(name))
        weight = weights.get(name, EXTRA_PHASE_WEIGHT)
        if value is None or not weight:
            continue
        total += weight * value
        weighed += weight
    return total / weighed if weighed else None


class Scorer(object):
    """Scores with the weights of the scenario files."""

    def __init__(self, scenarios=()):
        self.by_name = dict((s.name, s) for s in scenarios)

    def weights(self, entry):
        """(W_s, {phase: w_p}) of an entry's scenario."""
        scenario = self.by_name.get(entry.name)
        if scenario is None:
            return DEFAULT_WEIGHT, dict(DEFAULT_PHASE_WEIGHTS)
        return scenario.score_weight, scenario.phase_weights

    def flow(self, entry):
        return coverage.flow_of_entry(entry, self.by_name)

    def entry_score(self, entry):
        return timeline_score(entry, self.weights(entry)[1])

    def scores(self, entries):
        """{RUN: R, 'flow <name>': R of the flow}; only what has a score.
        """
        sums = {}
        for entry in entries:
            value = self.entry_score(entry)
            if value is None:
                continue
            weight = self.weights(entry)[0]
            if not weight:
                continue
            for key in (RUN, FLOW_PREFIX + (self.flow(entry) or '?')):
                total, weights = sums.get(key, (0.0, 0.0))
                sums[key] = (total + weight * value, weights + weight)
        return dict((k, t / w) for k, (t, w) in sums.items() if w)

    def text(self, entries):
        scores = self.scores(entries)
        if RUN not in scores:
            return 'resilience score: none (no timeline with a deadline)'
        flows = sorted(k for k in scores if k != RUN)
        return 'resilience score: %.3f (%s)' % (scores[RUN], ', '.join(
            '%s %.3f' % (k[len(FLOW_PREFIX):], scores[k]) for k in flows))
