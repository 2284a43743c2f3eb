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

"""The healing phases' names and their deadlines, from config.

Every deadline counts from the first injected fault. The built-in phases
are ``detect``, ``act`` and ``recover`` (recover is judged by the cluster
state, never by an observer); a scenario may observe more (``fenced``,
``notified``...), each with its deadline ``deadlines.<phase>_s``, default
[self_healing] phase_timeout_s. The failures are in harness/failures.py.
"""

DETECT = 'detect'
ACT = 'act'
RECOVER = 'recover'
PHASES = (DETECT, ACT, RECOVER)
# [self_healing] option of each built-in phase's deadline; any other
# phase's default is PHASE_TIMEOUT_OPTION.
TIMEOUT_OPTIONS = {DETECT: 'detect_timeout_s', ACT: 'act_timeout_s',
                   RECOVER: 'recover_timeout_s'}
PHASE_TIMEOUT_OPTION = 'phase_timeout_s'


class Deadlines(object):
    """Seconds from the first fault by which each phase must be seen.

    ``seconds``: {phase name: seconds}; it must hold ``recover``.
    """

    def __init__(self, seconds):
        seconds = dict(seconds)
        if RECOVER not in seconds:
            raise ValueError('the deadlines need %s_s, got %s'
                             % (RECOVER, ', '.join(sorted(seconds))))
        for name, value in seconds.items():
            if value is None or value <= 0:
                raise ValueError('%s_s must be > 0, got %r' % (name, value))
        self.seconds = seconds

    @classmethod
    def from_config(cls, conf, phases=(DETECT, ACT), **overrides):
        """Each of ``phases`` and recover: ``<phase>_s`` else config.

        A built-in phase defaults to its [self_healing] *_timeout_s, any
        other to [self_healing] phase_timeout_s. An override of a phase
        the run does not observe is kept (the engine asks only for its
        phases'); one that does not end in ``_s`` is refused.
        """
        seconds = {}
        for key, value in overrides.items():
            if not key.endswith('_s'):
                raise ValueError('a deadline is <phase>_s, got %s' % key)
            if value is not None:
                seconds[key[:-2]] = value
        for name in tuple(phases) + (RECOVER,):
            if seconds.get(name) is None:
                seconds[name] = getattr(conf, TIMEOUT_OPTIONS.get(
                    name, PHASE_TIMEOUT_OPTION))
        return cls(seconds)

    @property
    def recover_s(self):
        return self.seconds[RECOVER]

    def for_phase(self, phase):
        return self.seconds[phase]

    def to_dict(self):
        return dict(('%s_s' % name, value)
                    for name, value in self.seconds.items())
