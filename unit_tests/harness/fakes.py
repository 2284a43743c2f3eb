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

"""Fakes shared by the harness unit tests: a clock and a test stand-in."""

import unittest


class FakeClock(object):
    """Epoch time that moves only when someone sleeps or ticks it."""

    def __init__(self, now=1767225600.0):
        self.now = now
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def tick(self, seconds):
        self.now += seconds


def heartbeat(clock, report_interval_s=2):
    """A running nova-compute's ``updated_at`` at ``clock()``.

    It moves every ``report_interval_s``, as Nova's service heartbeat does.
    """
    return 'beat-%d' % (clock() // report_interval_s)


class FakeTest(object):
    """What a fault or a run needs from a test case, recorded."""

    skipException = unittest.SkipTest

    def __init__(self, test_id='pkg.module.Class.test_flow'):
        self._id = test_id
        self.cleanups = []
        self.details = {}

    def id(self):
        return self._id

    def addCleanup(self, function, *args, **kwargs):
        self.cleanups.append((function, args, kwargs))

    def addDetail(self, name, content):
        self.details[name] = content

    def run_cleanups(self):
        """Run LIFO like testtools; return the errors raised."""
        errors = []
        while self.cleanups:
            function, args, kwargs = self.cleanups.pop()
            try:
                function(*args, **kwargs)
            except Exception as exc:
                errors.append(exc)
        return errors
