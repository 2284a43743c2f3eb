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

"""The leak check of ``localcloud job``: the plugin's own inventory.

The suite must delete everything it makes. The plugin ships the check as
the console script ``self-healing-leaks`` (self_healing_tempest_plugin/
cmd/leaks.py), which the Zuul jobs run too. The local cloud never imports
the plugin: it runs that script from the venv it installed the plugin
into, with the cloud's tempest.conf (admin credentials), before and after
``tempest run``.
"""

import os
import re
import subprocess

COMMAND = 'self-healing-leaks'
# The plugin's journal replay and leak reaper (cmd/undo.py).
UNDO_COMMAND = 'self-healing-undo'
# Stack deletes of what dead runs left take a while; a stuck one must not
# hold the job.
UNDO_TIMEOUT_S = 600


def _files(lay):
    directory = lay.data('leaks')
    os.makedirs(directory, exist_ok=True)
    return (os.path.join(directory, 'before.json'),
            os.path.join(directory, 'after.json'))


def _run(lay, argv):
    """(exit code, output lines) of the plugin's leak command."""
    res = subprocess.run([lay.bin(COMMAND), '--config-file',
                          lay.tempest_conf] + argv,
                         capture_output=True, text=True)
    return res.returncode, (res.stdout + res.stderr).splitlines()


def snapshot(lay):
    """Inventory before the run; a cloud that cannot be listed raises."""
    before, _ = _files(lay)
    rc, lines = _run(lay, ['snapshot', '--output', before])
    if rc:
        raise RuntimeError('leak check: %s snapshot exited %d: %s' % (
            COMMAND, rc, ' '.join(lines)))
    return lines


def compare(lay):
    """(report lines, whether the run left anything behind)."""
    before, after = _files(lay)
    rc, lines = _run(lay, ['compare', '--before', before,
                           '--output', after])
    if rc not in (0, 1):
        lines = ['leak check: %s compare exited %d:' % (COMMAND, rc)] + lines
    return lines, rc != 0


def leaked_count(lines):
    """How many resources a compare's report names as leaked (0: none)."""
    for line in lines:
        found = re.match(r'LEAKED (\d+) resource', line)
        if found:
            return int(found.group(1))
    return 0


def undo(lay, timeout_s=UNDO_TIMEOUT_S):
    """(exit code, lines) of ``self-healing-undo --leaks``.

    It replays the journal entries dead runs left, then deletes the
    tagged resources they left. Exit code None: the installed plugin has
    no such console script (the lines say so).
    """
    path = lay.bin(UNDO_COMMAND)
    if not os.path.exists(path):
        return None, ['%s: not in the installed plugin (no %s): skipped'
                      % (UNDO_COMMAND, path)]
    argv = [path, '--leaks', '--config-file', lay.tempest_conf]
    try:
        res = subprocess.run(argv, capture_output=True, text=True,
                             timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise RuntimeError('%s did not end within %d s (leaks.'
                           'UNDO_TIMEOUT_S)' % (' '.join(argv), timeout_s))
    return res.returncode, (res.stdout + res.stderr).splitlines()
