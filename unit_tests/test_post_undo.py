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

"""The Zuul post-run undoes what dead runs left, after the leak check."""

import os

import testtools
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _tasks():
    with open(os.path.join(ROOT, 'playbooks', 'post.yaml')) as handle:
        plays = yaml.safe_load(handle)
    return plays[0]['tasks']


def _argv(task):
    return (task.get('ansible.builtin.command') or {}).get('argv') or []


class PostRunUndoTest(testtools.TestCase):

    def test_undo_leaks_runs_with_the_jobs_tempest_conf(self):
        tasks = _tasks()
        undo, = [t for t in tasks if any('self-healing-undo' in a
                                         for a in _argv(t))]
        compare, = [t for t in tasks if any('self-healing-leaks' in a
                                            for a in _argv(t))]
        argv, leaks_argv = _argv(undo), _argv(compare)
        self.assertIn('--leaks', argv)
        self.assertEqual(
            leaks_argv[leaks_argv.index('--config-file') + 1],
            argv[argv.index('--config-file') + 1])
        # Its failure must not stop the logs being kept.
        self.assertIs(False, undo['failed_when'])

    def test_after_the_leak_check_before_any_failing_task(self):
        tasks = _tasks()
        names = [t['name'] for t in tasks]
        undo = next(i for i, t in enumerate(tasks)
                    if any('self-healing-undo' in a for a in _argv(t)))
        compare = next(i for i, t in enumerate(tasks)
                       if any('self-healing-leaks' in a for a in _argv(t)))
        first_fail = min(i for i, t in enumerate(tasks)
                         if 'ansible.builtin.fail' in t)
        self.assertLess(compare, undo, names)
        self.assertLess(undo, first_fail, names)
        register = tasks[undo]['register']
        kept = [t for t in tasks[undo:first_fail]
                if register in str(t.get('ansible.builtin.copy'))]
        self.assertTrue(kept, 'no task keeps %s\'s output' % register)
