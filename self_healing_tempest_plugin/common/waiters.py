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

"""One poll-until-condition helper; every status waiter is built on it.

A timeout says what was expected, what was last seen, how long the wait
took and which test waited, so a failed run can be read without a debugger.
Every change of what is seen is logged (INFO, as tempest's waiters log a
status transition), in the words of ``describe``: nothing else of the
fetched value (a body may hold secrets) reaches the log.
"""

import logging
import time

from tempest.lib.common.utils import test_utils
from tempest.lib import exceptions as lib_exc

LOG = logging.getLogger(__name__)


class UnexpectedStateError(lib_exc.TempestException):
    """The awaited resource reached a state it cannot leave on its own."""

    message = '%(detail)s'


class Waiter(object):
    """Polls at an interval; the clock and sleep are injectable.

    ``interval_s`` is seconds, or a callable asked after each poll (a poll
    whose next one makes more requests waits longer).
    """

    def __init__(self, interval_s, timeout_s, clock=time.monotonic,
                 sleep=time.sleep):
        if not callable(interval_s) and interval_s <= 0:
            raise ValueError('interval_s must be > 0, got %r' % interval_s)
        if timeout_s < 0:
            raise ValueError('timeout_s must be >= 0, got %r' % timeout_s)
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.clock = clock
        self.sleep = sleep

    def until(self, fetch, condition, what, expected, failed=None,
              describe=repr):
        """Call ``fetch()`` until ``condition(value)`` holds; return value.

        :param what: the thing waited on, e.g. "server 1234 status".
        :param expected: words for the condition, e.g. "ACTIVE".
        :param failed: optional ``value -> reason or None``; a reason stops
            the wait at once with UnexpectedStateError.
        :param describe: turns a value into the text the errors show.
        """
        start = self.clock()
        seen = None
        while True:
            polled = self.clock()
            last = fetch()
            now = describe(last)
            if now != seen:
                LOG.info('%s: state transition "%s" ==> "%s" after %.1f s '
                         'of waiting for %s', what,
                         'not seen' if seen is None else seen, now,
                         self.clock() - start, expected)
                seen = now
            if condition(last):
                return last
            reason = failed(last) if failed else None
            if reason:
                raise UnexpectedStateError(detail=(
                    '%s: %s went to %s (%s) after %.1f s while waiting for '
                    '%s' % (test_utils.find_test_caller(), what,
                            now, reason, self.clock() - start,
                            expected)))
            elapsed = self.clock() - start
            if elapsed >= self.timeout_s:
                raise lib_exc.TimeoutException(
                    '%s: %s was not %s after %.1f s (timeout %s s); last '
                    'seen: %s' % (test_utils.find_test_caller(), what,
                                  expected, elapsed, self.timeout_s, now))
            spent = self.clock() - polled
            self.sleep(max(0.0, min(self._interval() - spent,
                                    self.timeout_s - elapsed)))

    def _interval(self):
        if callable(self.interval_s):
            return self.interval_s()
        return self.interval_s

    def for_status(self, show, resource_id, key, target, root_tag=None,
                   error_values=('ERROR',), what=None, reason_key=None):
        """Wait until ``show(resource_id)[root_tag][key] == target``.

        ``reason_key`` names the field that says why a resource failed
        (e.g. stack_status_reason): an error state then quotes it.
        """
        seen = {}

        def value():
            body = show(resource_id)
            if root_tag:
                body = body[root_tag]
            seen['body'] = body
            return body.get(key)

        def failed(current):
            if current in error_values and current != target:
                reason = seen['body'].get(reason_key) if reason_key else None
                return 'an error state: %s' % reason if reason else (
                    'an error state')
            return None

        return self.until(
            value, lambda current: current == target,
            what or '%s of %s' % (key, resource_id), target, failed=failed)
