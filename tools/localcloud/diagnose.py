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

"""What a stuck service is doing: its threads' Python stacks, on demand.

A run that hangs (a Heat stack that never leaves DELETE_IN_PROGRESS, a
heat-engine that stops logging) leaves nothing in the logs to say why. Before
the job gives up on it, it dumps the Python stacks of the services most
likely to hold the flow (STUCK_SUSPECTS), worker children included, with
py-spy: a PyPI wheel installed into the main venv only when needed, so a
green run never pays for it. heat-engine's Guru Meditation report does not
reach its forked worker, hence py-spy.
"""
import os
import subprocess

from localcloud import commands
from localcloud import install
from localcloud import services

PY_SPY = 'py-spy==0.4.3'
STUCK_SUSPECTS = ('heat-engine', 'mistral', 'zaqar', 'aodh-alarming',
                  'nova-conductor', 'vitrage-graph')


def children(pid):
    """Direct and indirect child pids (a forked worker does the work)."""
    found = []
    try:
        entries = os.listdir('/proc')
    except OSError:
        return found
    parents = {}
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                stat = f.read()
        except OSError:
            continue
        # The command name (field 2) may hold spaces: the ppid follows the
        # last closing parenthesis.
        fields = stat[stat.rfind(')') + 2:].split()
        parents.setdefault(int(fields[1]), []).append(int(entry))
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return found


def dump_stacks(c, names=STUCK_SUSPECTS, out=print):
    """Print each named service's (and its children's) Python stacks."""
    log = c.lay.log('setup-diagnose')
    py_spy = c.lay.bin('py-spy')
    if not os.path.exists(py_spy):
        try:
            commands.run([install.uv_path(c.lay), 'pip', 'install',
                          '--python', c.lay.bin('python'), PY_SPY], log)
        except commands.CommandError as e:
            out('cannot dump stacks: %s' % e)
            return
    known = dict((s.name, s) for s in services.SERVICES)
    for name in names:
        svc = known.get(name)
        pid = c.pid(svc) if svc else None
        if not pid:
            out('---- %s: not running' % name)
            continue
        for each in [pid] + children(pid):
            result = subprocess.run(
                [py_spy, 'dump', '--pid', str(each)], capture_output=True,
                text=True, timeout=60)
            out('---- %s pid %d: py-spy dump (exit %d)\n%s%s' % (
                name, each, result.returncode, result.stdout,
                result.stderr))
