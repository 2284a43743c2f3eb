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

"""Setup commands run into a log, and the venvs they install into.

A leaf module: the service modules that install something of their own
(Gnocchi's venv, the fake inspector) and the diagnostics call it.
"""
import os
import subprocess
import sys


class CommandError(RuntimeError):
    pass


def run(argv, log, env=None, cwd=None):
    """Run ``argv`` with its output appended to ``log``; raise if it fails.

    UV_COMPILE_BYTECODE is read by uv only: every venv it installs into
    gets its bytecode once, at install (the environment sets
    PYTHONDONTWRITEBYTECODE, so a process would compile its imports anew
    at each start).
    """
    env = dict(os.environ if env is None else env, UV_COMPILE_BYTECODE='1')
    with open(log, 'ab') as out:
        out.write(('\n$ %s\n' % ' '.join(argv)).encode())
        out.flush()
        rc = subprocess.call(argv, stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=env, cwd=cwd)
    if rc:
        raise CommandError('%s failed (exit %d); see %s'
                           % (' '.join(argv[:4]), rc, log))


def ensure_venv(path, log):
    """A venv without pip: uv installs into it from outside."""
    if not os.path.exists(os.path.join(path, 'bin', 'python')):
        run([sys.executable, '-m', 'venv', '--without-pip', path], log)
