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

"""The one poll helper every status waiter is built on."""

import logging

import fixtures
from tempest.lib import exceptions as lib_exc
import testtools

from self_healing_tempest_plugin.common import waiters
from unit_tests.harness import fakes


class FakeClock(fakes.FakeClock):
    """Time that moves only when the waiter sleeps or a poll costs time."""

    def __init__(self, poll_cost_s=0.0):
        super(FakeClock, self).__init__(now=1000.0)
        self.poll_cost_s = poll_cost_s

    def fetcher(self, values):
        values = list(values)

        def fetch():
            self.tick(self.poll_cost_s)
            return values.pop(0) if len(values) > 1 else values[0]
        return fetch


class WaiterTest(testtools.TestCase):

    def _waiter(self, clock, interval_s=2.0, timeout_s=10.0):
        return waiters.Waiter(interval_s, timeout_s, clock=clock,
                              sleep=clock.sleep)

    def test_returns_the_value_that_met_the_condition(self):
        clock = FakeClock()
        fetch = clock.fetcher(['BUILD', 'BUILD', 'ACTIVE'])
        value = self._waiter(clock).until(
            fetch, lambda v: v == 'ACTIVE', 'server 1 status', 'ACTIVE')
        self.assertEqual('ACTIVE', value)
        self.assertEqual([2.0, 2.0], clock.sleeps)

    def test_logs_each_state_transition_in_describe_words(self):
        log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))
        clock = FakeClock()
        fetch = clock.fetcher([{'status': 'BUILD', 'adminPass': 's3cret'},
                               {'status': 'BUILD', 'adminPass': 's3cret'},
                               {'status': 'ACTIVE', 'adminPass': 's3cret'}])
        self._waiter(clock).until(
            fetch, lambda v: v['status'] == 'ACTIVE', 'server 1 status',
            'ACTIVE', describe=lambda v: v['status'])
        lines = log.output.splitlines()
        self.assertEqual(
            ['server 1 status: state transition "not seen" ==> "BUILD" '
             'after 0.0 s of waiting for ACTIVE',
             'server 1 status: state transition "BUILD" ==> "ACTIVE" '
             'after 4.0 s of waiting for ACTIVE'], lines)
        self.assertNotIn('s3cret', log.output)

    def test_an_interval_asked_after_each_poll(self):
        clock = FakeClock()
        fetch = clock.fetcher(['BUILD', 'BUILD', 'BUILD', 'ACTIVE'])
        intervals = iter([3.0, 1.0, 2.0])
        waiters.Waiter(lambda: next(intervals), 10.0, clock=clock,
                       sleep=clock.sleep).until(
            fetch, lambda v: v == 'ACTIVE', 'x', 'ACTIVE')
        self.assertEqual([3.0, 1.0, 2.0], clock.sleeps)

    def test_never_polls_faster_than_the_interval(self):
        clock = FakeClock(poll_cost_s=0.5)
        fetch = clock.fetcher(['BUILD', 'BUILD', 'ACTIVE'])
        self._waiter(clock).until(fetch, lambda v: v == 'ACTIVE', 'x', 'y')
        # Each poll cost 0.5 s, so the waiter sleeps the rest of 2 s.
        self.assertEqual([1.5, 1.5], clock.sleeps)

    def test_timeout_names_expected_last_seen_elapsed_and_caller(self):
        clock = FakeClock()
        fetch = clock.fetcher(['BUILD', 'REBUILD'])
        error = self.assertRaises(
            lib_exc.TimeoutException, self._waiter(clock).until,
            fetch, lambda v: v == 'ACTIVE', 'server 1 status', 'ACTIVE')
        message = str(error)
        self.assertIn('server 1 status was not ACTIVE', message)
        self.assertIn("last seen: 'REBUILD'", message)
        self.assertIn('after 10.0 s (timeout 10.0 s)', message)
        self.assertIn(
            'test_timeout_names_expected_last_seen_elapsed_and_caller',
            message)

    def test_timeout_does_not_oversleep_the_deadline(self):
        clock = FakeClock()
        waiter = self._waiter(clock, interval_s=4.0, timeout_s=10.0)
        self.assertRaises(lib_exc.TimeoutException, waiter.until,
                          clock.fetcher([None]), bool, 'x', 'y')
        self.assertEqual([4.0, 4.0, 2.0], clock.sleeps)

    def test_error_state_stops_the_wait_at_once(self):
        clock = FakeClock()
        fetch = clock.fetcher(['BUILD', 'ERROR', 'ACTIVE'])
        error = self.assertRaises(
            waiters.UnexpectedStateError, self._waiter(clock).until,
            fetch, lambda v: v == 'ACTIVE', 'server 1 status', 'ACTIVE',
            failed=lambda v: 'fault: no valid host' if v == 'ERROR' else None)
        self.assertIn("server 1 status went to 'ERROR'", str(error))
        self.assertIn('no valid host', str(error))
        self.assertEqual([2.0], clock.sleeps)

    def test_for_status_error_quotes_the_reason(self):
        clock = FakeClock()
        bodies = iter([{'stack_status': 'CREATE_IN_PROGRESS'},
                       {'stack_status': 'CREATE_FAILED',
                        'stack_status_reason': 'Zaqar 503'}])
        error = self.assertRaises(
            waiters.UnexpectedStateError,
            self._waiter(clock).for_status, lambda _: next(bodies), 's1',
            'stack_status', 'CREATE_COMPLETE',
            error_values=('CREATE_FAILED',),
            reason_key='stack_status_reason')
        self.assertIn('an error state: Zaqar 503', str(error))

    def test_for_status_reads_key_under_root_tag(self):
        clock = FakeClock()
        bodies = [{'server': {'status': 'BUILD'}},
                  {'server': {'status': 'ACTIVE'}}]
        seen = []

        def show(server_id):
            seen.append(server_id)
            return bodies.pop(0)
        value = self._waiter(clock).for_status(
            show, 'abc', 'status', 'ACTIVE', root_tag='server')
        self.assertEqual('ACTIVE', value)
        self.assertEqual(['abc', 'abc'], seen)

    def test_for_status_fails_early_on_error_values(self):
        clock = FakeClock()
        show = lambda _id: {'stack_status': 'UPDATE_FAILED'}  # noqa: E731
        self.assertRaises(
            waiters.UnexpectedStateError, self._waiter(clock).for_status,
            show, 's1', 'stack_status', 'UPDATE_COMPLETE',
            error_values=('UPDATE_FAILED',))
        self.assertEqual([], clock.sleeps)

    def test_rejects_a_non_positive_interval(self):
        self.assertRaises(ValueError, waiters.Waiter, 0, 10)
