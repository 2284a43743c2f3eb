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

"""Command line: ``python3 tools/conformance [--self-test]``.

Holds every job of zuul.d (and our devstack plugin and its table, when the
repository has them) against upstream code: Zuul's limits, devstack's own
variables (a committed table), the services' devstack plugins (their PyPI
sdists, pinned per branch) and the options the services register (the local
cloud's venvs). Exit status: 0 conforming, 1 findings (or a self-test
mutation that was not caught), 2 the check could not run.
"""

import argparse
import concurrent.futures
import os
import time

import yaml

from conformance import checks
from conformance import options
from conformance import sdists
from conformance import selftest
from conformance import zuul
from localcloud import layout

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(HERE, 'data')
# The branch the Vitrage jobs (and the self-test's Vitrage mutation) use.
VITRAGE_BRANCH = 'stable/2025.2'
# The service whose options the self-test's option mutation needs.
SELF_TEST_SERVICE = 'vitrage'


class SetupError(Exception):
    """The check cannot run: a table, the venvs or an sdist is missing."""


def load_yaml(path, what):
    try:
        with open(path) as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise SetupError('%s (%s): %s' % (path, what, exc))
    if not isinstance(data, dict):
        raise SetupError('%s (%s): not a mapping' % (path, what))
    return data


def load_table(root):
    """devstack/flow-settings.yaml, or None when the repository has none."""
    path = os.path.join(root, 'devstack', 'flow-settings.yaml')
    if not os.path.exists(path):
        return None
    table = load_yaml(path, 'the flow-settings table')
    if not isinstance(table.get('files'), dict) or not isinstance(
            table.get('settings'), list):
        raise SetupError('%s: needs a files: mapping and a settings: list '
                         '(devstack/flow_settings.py)' % path)
    return table


def load_own_plugin(root):
    devstack = os.path.join(root, 'devstack')
    if not any(os.path.exists(os.path.join(devstack, f))
               for f in ('settings', 'plugin.sh')):
        return None
    return sdists.read_plugin(checks.OWN_PLUGIN, devstack, '',
                              'this repository')


class Run(object):
    """Everything one run reads, each upstream source read once."""

    def __init__(self, root, cache_dir, with_options=True, log=print):
        self.root = root
        self.cache_dir = cache_dir
        self.layout = layout.Layout()
        self.log = log
        self.devstack = load_yaml(os.path.join(DATA, 'devstack.yaml'),
                                  'devstack table')
        pins_table = load_yaml(os.path.join(DATA, 'pins.yaml'), 'pins')
        services = load_yaml(os.path.join(DATA, 'services.yaml'), 'services')
        self.services = services['services']
        self.retired = pins_table.get('retired') or {}
        try:
            self.raw_jobs, self.nodesets = zuul.load(
                os.path.join(root, 'zuul.d'))
            jobs = zuul.freeze(self.raw_jobs, self.nodesets)
            self.pins = sdists.branch_pins(pins_table, self.services, root)
        except (zuul.ZuulConfigError, sdists.SdistError, OSError) as exc:
            raise SetupError(str(exc))
        branches = set(j.branch for j in jobs) | {zuul.MASTER,
                                                  VITRAGE_BRANCH}
        self.branches = sorted(b for b in branches if b in self.pins)
        wanted = [req for branch in self.branches
                  for req in self.pins.get(branch, {}).values()]
        # The option listing (CPU, local) runs while the sdists download.
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        listing = pool.submit(self._list_options, services) if \
            with_options else None
        started = time.time()
        try:
            self.devstack_dirs = sdists.fetch_all(wanted, cache_dir)
        except sdists.SdistError as exc:
            raise SetupError(str(exc))
        finally:
            pool.shutdown(wait=True)
        log('plugins: %d pinned sdists (PyPI, cache %s) in %.1f s'
            % (len(self.devstack_dirs), cache_dir, time.time() - started))
        self.own_plugin = load_own_plugin(root)
        self.table = load_table(root)
        log('our devstack plugin: %s; table %s: %s' % (
            'read' if self.own_plugin else 'absent', checks.TABLE,
            'read' if self.table else 'absent'))
        self.options = None
        if listing is not None:
            try:
                self.options, seconds = listing.result()
            except options.OptionsError as exc:
                raise SetupError(str(exc))
            log('options: %d services listed in %.1f s'
                % (len(self.options), seconds))
        self._plugins = {}

    def _used_services(self):
        """The services the jobs, devstack/ or the self-test configure."""
        text = ''
        for directory in ('zuul.d', 'devstack'):
            for dirpath, _, filenames in os.walk(os.path.join(self.root,
                                                              directory)):
                for name in sorted(filenames):
                    with open(os.path.join(dirpath, name),
                              errors='replace') as handle:
                        text += handle.read()
        return {name: row for name, row in self.services.items()
                if name == SELF_TEST_SERVICE or any(
                    variable in text for variable in row.get('files', []))}

    def _list_options(self, services):
        started = time.time()
        listed = options.load_options(
            self._used_services(),
            {name: self.layout.path(name) for name in services['venvs']},
            services['common_namespaces'], self.cache_dir)
        return listed, time.time() - started

    def _load(self, branch, name):
        requirement = self.pins[branch][name]
        key = requirement
        if key not in self._plugins:
            self._plugins[key] = sdists.read_plugin(
                name, self.devstack_dirs[requirement],
                requirement.replace('==', '-'),
                '%s, PyPI sdist pinned for %s' % (requirement, branch))
        return self._plugins[key]

    def upstream(self):
        return checks.Upstream(self.devstack, self.pins, self.services,
                               self._load, options=self.options,
                               own_plugin=self.own_plugin, table=self.table,
                               retired=self.retired, branches=self.branches)

    def check(self, raw_jobs=None):
        upstream = self.upstream()
        jobs = zuul.freeze(raw_jobs or self.raw_jobs, self.nodesets)
        return checks.check(jobs, upstream), upstream.notes


def report(findings, notes, out, checked=None):
    for finding in sorted(findings, key=lambda f: (f.rule, f.job,
                                                   f.setting)):
        out('FAIL %-8s %s' % (finding.rule, finding))
    for note in sorted(set(notes)):
        out('note %s' % note)
    rules = {}
    for finding in findings:
        rules[finding.rule] = rules.get(finding.rule, 0) + 1
    out('%d findings in %d jobs%s%s' % (
        len(findings), len(set(f.job for f in findings)),
        ' (%s)' % ', '.join('%s %d' % r for r in sorted(rules.items()))
        if rules else '',
        '; %d jobs checked' % checked if checked is not None else ''))


def main(argv=None, out=print):
    # The docstring's first line is the command itself: --help says what
    # the check holds and its exit status.
    parser = argparse.ArgumentParser(
        prog='tools/conformance',
        description=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--root', default=ROOT,
                        help='repository root (default: %(default)s)')
    parser.add_argument('--cache-dir', default=os.environ.get(
        'CONFORMANCE_CACHE', os.path.join(ROOT, '.tox', 'conformance-cache')),
        help='sdists and option listings are kept here')
    parser.add_argument('--self-test', action='store_true',
                        help='then apply each known breakage to a copy of '
                        'the jobs and require that the check catches it')
    parser.add_argument('--skip-options', action='store_true',
                        help='do not check options (no local cloud venvs); '
                        'not for CI')
    args = parser.parse_args(argv)
    started = time.time()
    try:
        run = Run(args.root, args.cache_dir,
                  with_options=not args.skip_options, log=out)
    except SetupError as exc:
        out('ERROR %s' % exc)
        return 2
    findings, notes = run.check()
    out('== the jobs of %s' % os.path.join(args.root, 'zuul.d'))
    report(findings, notes, out,
           checked=sum(1 for job in run.raw_jobs.values()
                       if not job.get('abstract')))
    status = 1 if findings else 0
    if args.self_test:
        out('== self-test: each breakage must fail the check')
        results = selftest.run(run.raw_jobs, run.nodesets, run.upstream)
        for description, passed, message in results:
            out('%s %s: %s' % ('caught ' if passed else 'MISSED', description,
                               message))
        if not all(passed for _, passed, _ in results):
            status = 1
        out('self-test: %d/%d breakages caught' % (
            sum(1 for _, p, _ in results if p), len(results)))
    out('conformance: %s in %.1f s' % ('passed' if status == 0 else 'FAILED',
                                       time.time() - started))
    return status
