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

"""The step lines the benchmark reads, and the install's speed options."""
import io
import os
import subprocess
import tempfile

import testtools

from localcloud import commands
from localcloud import install
from localcloud import progress

STAT = ('cpu  %d %d %d %d %d %d %d %d 0 0\n'
        'cpu0 1 2 3 4 5 6 7 8 0 0\n')


class TestCpuUsage(testtools.TestCase):

    def _stat(self, *fields):
        path = os.path.join(tempfile.mkdtemp(), 'stat')
        self.addCleanup(subprocess.call, ['rm', '-rf', os.path.dirname(path)])
        with open(path, 'w') as f:
            f.write(STAT % fields)
        return path

    def test_busy_iowait_and_total_from_the_cpu_line(self):
        # user nice system idle iowait irq softirq steal
        path = self._stat(100, 10, 40, 800, 30, 5, 5, 10)
        self.assertEqual((170, 30, 1000), progress.cpu_times(path))

    def test_unreadable_stat_is_none(self):
        self.assertIsNone(progress.cpu_times('/nonexistent/stat'))

    def test_usage_counts_one_core_as_100_percent(self):
        # 2 cores, 1000 jiffies in all: 900 busy is 180 %, 50 iowait 10 %.
        self.assertEqual('cpu 180%, iowait 10%', progress.cpu_usage(
            (0, 0, 0), (900, 50, 1000), ncpu=2))

    def test_usage_without_elapsed_time_is_unknown(self):
        self.assertEqual('cpu ?', progress.cpu_usage((5, 0, 10), (5, 0, 10),
                                                     ncpu=2))
        self.assertEqual('cpu ?', progress.cpu_usage(None, (5, 0, 10), 2))

    def test_step_line_carries_seconds_usage_and_note(self):
        out = io.StringIO()
        p = progress.Progress(out)
        with p.step('venvs') as r:
            r['note'] = 'up to date'
        last = out.getvalue().splitlines()[-1]
        self.assertRegex(
            last, r'^<== venvs done in [\d.]+s \(cpu (\d+%|\?)[^)]*\): '
                  r'up to date$')
        self.assertEqual('venvs', p.steps[0][0])


class TestInstallSpeed(testtools.TestCase):

    def test_apt_install_skips_dpkgs_fsync(self):
        argv = install.apt_install_argv(['redis-server'])
        self.assertIn('Dpkg::Options::=--force-unsafe-io', argv)
        self.assertEqual('redis-server', argv[-1])

    def test_uv_compiles_bytecode_at_install(self):
        log = os.path.join(tempfile.mkdtemp(), 'log')
        self.addCleanup(subprocess.call, ['rm', '-rf', os.path.dirname(log)])
        commands.run(['sh', '-c', 'echo "compile=$UV_COMPILE_BYTECODE"'],
                     log, env={'PATH': os.environ['PATH']})
        with open(log) as f:
            self.assertIn('compile=1', f.read())

    def test_apt_beside_returns_apts_note_with_its_seconds(self):
        self.patch(install, 'apt', lambda log: 'already installed')
        note = install.apt_beside('/dev/null').result(timeout=10)
        self.assertRegex(note, r'^already installed \([\d.]+s beside the '
                               r'venvs\)$')
