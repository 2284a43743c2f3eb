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

"""Per-phase deadlines and the failures a healing run reports.

Every deadline counts from the injected fault. A miss is an AssertionError
(so testtools reports a failure, not an error) whose message names the
phase, the deadline, the elapsed time and the last observed cluster state.
"""

DETECT = 'detect'
ACT = 'act'
RECOVER = 'recover'
PHASES = (DETECT, ACT, RECOVER)


class HealingFailure(AssertionError):
    """Base of what a healing run fails with."""


class DeadlineMissed(HealingFailure):
    """A phase was not seen within its deadline."""

    def __init__(self, phase, deadline_s, elapsed_s, last_state,
                 seen_phases=(), steady=None):
        self.phase = phase
        self.deadline_s = deadline_s
        self.elapsed_s = elapsed_s
        self.last_state = last_state
        text = ('healing phase %r missed its deadline: not seen within '
                '%s s of the fault (elapsed %.1f s); last cluster state: %s'
                % (phase, deadline_s, elapsed_s, last_state))
        if seen_phases:
            text += '; phases seen: %s' % ', '.join(seen_phases)
        if steady:
            text += '; %s' % steady
        super(DeadlineMissed, self).__init__(text)


class InvariantBreach(HealingFailure):
    """The cluster broke an invariant while healing or at the end."""

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


class Deadlines(object):
    """Seconds from the fault by which each phase must have been seen."""

    def __init__(self, detect_s, act_s, recover_s):
        for name, value in (('detect_s', detect_s), ('act_s', act_s),
                            ('recover_s', recover_s)):
            if value is None or value <= 0:
                raise ValueError('%s must be > 0, got %r' % (name, value))
        self.detect_s = detect_s
        self.act_s = act_s
        self.recover_s = recover_s

    @classmethod
    def from_config(cls, conf, detect_s=None, act_s=None, recover_s=None):
        """[self_healing] *_timeout_s, each overridable (scenario spec)."""
        return cls(
            conf.detect_timeout_s if detect_s is None else detect_s,
            conf.act_timeout_s if act_s is None else act_s,
            conf.recover_timeout_s if recover_s is None else recover_s)

    def for_phase(self, phase):
        return {DETECT: self.detect_s, ACT: self.act_s,
                RECOVER: self.recover_s}[phase]

    def to_dict(self):
        return {'detect_s': self.detect_s, 'act_s': self.act_s,
                'recover_s': self.recover_s}
