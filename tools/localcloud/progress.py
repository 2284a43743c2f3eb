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

"""Progress display: each step on its own line with how long it took."""
import contextlib
import sys
import time


class Progress:

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.started = time.monotonic()
        self.steps = []          # (name, seconds, outcome)

    def _print(self, text):
        self.stream.write(text + '\n')
        self.stream.flush()

    @contextlib.contextmanager
    def step(self, name):
        t0 = time.monotonic()
        self._print('==> %s ...' % name)
        result = {'note': ''}
        try:
            yield result
        except BaseException:
            dt = time.monotonic() - t0
            self.steps.append((name, dt, 'FAILED'))
            self._print('<== %s FAILED after %.1fs' % (name, dt))
            raise
        dt = time.monotonic() - t0
        self.steps.append((name, dt, 'ok'))
        note = (': ' + result['note']) if result['note'] else ''
        self._print('<== %s done in %.1fs%s' % (name, dt, note))

    def info(self, text):
        self._print('    ' + text)

    def total(self):
        return time.monotonic() - self.started

    def summary(self):
        self._print('---- steps ----')
        for name, dt, outcome in self.steps:
            self._print('%7.1fs  %-4s %s' % (dt, outcome, name))
        self._print('%7.1fs  total' % self.total())
