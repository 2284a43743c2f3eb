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

"""What a healing run fails with.

Each is an AssertionError (testtools reports a failure, not an error)
whose message names what was missed or broken, when, and the last
cluster state the run judged. The engine records the structured fields
(``phase``, ``deadline_s``) in the timeline: nothing parses the text.
``Interrupted`` is not one of them: a stop condition ended the run
before it could judge the healing.
"""


class HealingFailure(AssertionError):
    """Base of what a healing run fails with."""

    # The timeline's ``failed_by``.
    kind = 'healing_failure'


class DeadlineMissed(HealingFailure):
    """A phase was not seen within its deadline (from the first fault)."""

    kind = 'deadline_missed'

    def __init__(self, phase, deadline_s, elapsed_s, last_state,
                 seen_phases=(), not_recovered=None):
        self.phase = phase
        self.deadline_s = deadline_s
        self.elapsed_s = elapsed_s
        self.last_state = last_state
        text = ('healing phase %r missed its deadline: not seen within '
                '%s s of the fault (elapsed %.1f s); last cluster state: %s'
                % (phase, deadline_s, elapsed_s, last_state))
        if seen_phases:
            text += '; phases seen: %s' % ', '.join(seen_phases)
        if not_recovered:
            text += '; not recovered: %s' % '; '.join(not_recovered)
        super(DeadlineMissed, self).__init__(text)


class InvariantBreach(HealingFailure):
    """The cluster broke its bounds while healing, or lost its recovery."""

    kind = 'invariant_breach'

    def __init__(self, breaches, elapsed_s, last_state):
        self.breaches = list(breaches)
        self.elapsed_s = elapsed_s
        self.last_state = last_state
        super(InvariantBreach, self).__init__(
            'cluster invariant broken %.1f s after the fault: %s; last '
            'cluster state: %s' % (elapsed_s, '; '.join(self.breaches),
                                   last_state))


class ClusterNotReady(HealingFailure):
    """The cluster was not healthy before the fault: nothing to heal."""

    kind = 'cluster_not_ready'


class Interrupted(Exception):
    """A stop condition was violated: the run judges nothing.

    Not a HealingFailure: the engine undoes the faults, records the
    verdict ``interrupted`` and ends the test as a skip with this text
    (harness/stop_conditions.py).
    """

    kind = 'interrupted'

    def __init__(self, condition, reason):
        self.condition = condition
        self.reason = reason
        super(Interrupted, self).__init__('interrupted: %s: %s'
                                          % (condition, reason))
