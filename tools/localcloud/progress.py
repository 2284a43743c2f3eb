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
