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

"""Tempest's peers judge the local cloud: ``localcloud conformance``.

The cloud claims to be a real OpenStack, so tests this repository did not
write are its judge: Tempest's smoke tests of Identity, Image and Compute,
heat-tempest-plugin's API tests and telemetry-tempest-plugin's Aodh API
tests. The two plugins come from PyPI, pinned (``requirements-peers.in``,
``constraints-peers.txt``; every other package keeps the cloud's pin), into
the cloud's venv beside Tempest. They run with a tempest.conf of their own,
the cloud's plus the peers' sections; the cloud's tempest.conf, which the
suite reads, is left as it is.

``conformance-expected.yaml`` lists the tests that fail here, each with its
reason. A failure it does not list fails the command, and so does a listed
test that passes or no longer runs: the file stays the truth about the
cloud.
"""
import csv
import dataclasses
import datetime
import os
import re
import subprocess
import tempfile
import time

from localcloud import api
from localcloud import commands
from localcloud import ini
from localcloud import install
from localcloud import layout as L
from localcloud.lib import keystone
from localcloud.lib import telemetry

HERE = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = os.path.join(HERE, 'requirements-peers.in')
CONSTRAINTS = os.path.join(HERE, 'constraints-peers.txt')
EXPECTED = os.path.join(HERE, 'conformance-expected.yaml')
# heat-tempest-plugin's API tests run as one static, non-admin user.
DEMO_USER = 'conformance-demo'
DEMO_PROJECT = 'conformance-demo'
DEMO_ROLE = 'member'
# The three suites take 2-3 min here (one worker); a run still going after
# this is stuck: it is stopped, and the command fails.
TIMEOUT_S = 900
CONF_NAME = 'tempest-conformance.conf'
FAILED = ('fail', 'failure', 'error')
SKIPPED = ('skip',)


class ExpectedFileError(RuntimeError):
    """The expected-failures file is malformed; the message says where."""


@dataclasses.dataclass(frozen=True)
class Suite:
    """One peer suite: what ``tempest run`` selects, and its test ids."""
    name: str
    regex: str
    prefixes: tuple


SUITES = (
    Suite('tempest smoke (identity, image, compute)',
          r'^tempest\.api\.(identity|image|compute)\..*\[.*\bsmoke\b.*\]',
          ('tempest.api.identity.', 'tempest.api.image.',
           'tempest.api.compute.')),
    Suite('heat-tempest-plugin API', r'^heat_tempest_plugin\.tests\.api\.',
          ('heat_tempest_plugin.tests.api.',)),
    Suite('telemetry-tempest-plugin Aodh API',
          r'^telemetry_tempest_plugin\.aodh\.api\.',
          ('telemetry_tempest_plugin.aodh.api.',)),
)


def selection_regex(suites=SUITES):
    """One ``tempest run --regex`` for every suite (one test discovery)."""
    return '|'.join('(%s)' % s.regex for s in suites)


# -- install ----------------------------------------------------------------
def install_argv(uv, python):
    """uv's command line: the peers, the cloud's pins, then the peers'."""
    return install.uv_install_argv(uv, python, dict(
        install.MAIN, requirements=REQUIREMENTS), extra=('-c', CONSTRAINTS))


def install_peers(lay, log):
    """Install the pinned peers into the cloud's venv (a no-op when in)."""
    commands.run(install_argv(install.uv_path(lay), lay.bin('python')), log)


def peer_pins(compiled, cloud_pins):
    """The compiled lines of packages that the cloud does not pin (pure)."""
    def name(line):
        return line.split('==')[0].strip().lower()
    have = {name(line) for line in cloud_pins.splitlines()
            if line[:1].isalnum()}
    return [line.rstrip() for line in compiled.splitlines()
            if line[:1].isalnum() and name(line) not in have]


def lock(lay, log):
    """Re-resolve constraints-peers.txt against the cloud's pins."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, 'compiled.txt')
        commands.run([install.uv_path(lay), 'pip', 'compile',
                      '--python-version', '3.11', '--no-header',
                      '--annotation-style', 'line', REQUIREMENTS, '-c',
                      install.MAIN['constraints'], '-o', out], log)
        with open(out) as f, open(install.MAIN['constraints']) as cloud:
            lines = peer_pins(f.read(), cloud.read())
    with open(CONSTRAINTS, 'w') as f:
        f.write('# The peers\' dependencies that constraints.txt does not '
                'pin (`localcloud\n# conformance --lock` writes this file '
                'from requirements-peers.in).\n')
        f.write('\n'.join(lines) + '\n')
    return CONSTRAINTS


# -- the demo user ----------------------------------------------------------
def _one(sess, collection, **params):
    found = sess.get('identity', '/%s?%s' % (
        collection, '&'.join('%s=%s' % kv for kv in sorted(params.items()))))
    return (found[collection] or [None])[0]


def ensure_demo(sess):
    """heat-tempest-plugin's non-admin user, its project and role."""
    project = _one(sess, 'projects', name=DEMO_PROJECT,
                   domain_id='default') or sess.post(
        'identity', '/projects', {'project': {
            'name': DEMO_PROJECT, 'domain_id': 'default',
            'description': 'localcloud conformance: heat-tempest-plugin'}}
    )['project']
    user = _one(sess, 'users', name=DEMO_USER, domain_id='default') or \
        sess.post('identity', '/users', {'user': {
            'name': DEMO_USER, 'password': L.PASSWORD,
            'domain_id': 'default', 'default_project_id': project['id']}}
        )['user']
    role = _one(sess, 'roles', name=DEMO_ROLE)
    if role is None:
        raise RuntimeError('Keystone has no %r role: is the cloud up?'
                           % DEMO_ROLE)
    sess.request('PUT', 'identity', '/projects/%s/users/%s/roles/%s' % (
        project['id'], user['id'], role['id']), expect=(200, 201, 204))
    return project['id'], user['id']


# -- tempest.conf -----------------------------------------------------------
def peer_sections(cloud):
    """The peers' options (pure), from the cloud's parsed tempest.conf."""
    compute = cloud.get('compute', {})
    image, flavor = compute.get('image_ref'), compute.get('flavor_ref')
    if not image or not flavor:
        raise RuntimeError('the cloud\'s tempest.conf has no [compute] '
                           'image_ref or flavor_ref: run `localcloud up`')
    auth = cloud.get('auth', {})
    return {
        'heat_plugin': {
            'auth_url': keystone.V3,
            'region': L.REGION,
            'username': DEMO_USER,
            'password': L.PASSWORD,
            'project_name': DEMO_PROJECT,
            'admin_username': auth.get('admin_username', 'admin'),
            'admin_password': auth.get('admin_password', L.PASSWORD),
            'admin_project_name': auth.get('admin_project_name', 'admin'),
            'user_domain_name': 'Default',
            'project_domain_name': 'Default',
            'image_ref': image,
            'minimal_image_ref': image,
            'instance_type': flavor,
            'minimal_instance_type': flavor,
            # Only the API tests run: their functional and scenario tests
            # boot images that log in and reach the servers.
            'skip_functional_tests': True,
            'skip_scenario_tests': True,
        },
        'telemetry_services': {'metric_backends': ['gnocchi'],
                               'alarm_backend': 'mysql'},
        'alarming_plugin': {'catalog_type': 'alarming',
                            'endpoint_type': 'public'},
        'metric': {'catalog_type': 'metric', 'endpoint_type': 'public'},
        'telemetry': {
            # Gnocchi's finest archive granularity here.
            'alarm_granularity': telemetry.ARCHIVE_DEFINITION[0][0]},
    }


def render_conf(cloud_text):
    """The peers' tempest.conf text: the cloud's, plus their sections."""
    sections = ini.parse(cloud_text)
    for name, options in peer_sections(sections).items():
        sections.setdefault(name, {}).update(options)
    sections.setdefault('DEFAULT', {})['log_file'] = 'tempest-conformance.log'
    available = sections.setdefault('service_available', {})
    for service in ('heat', 'aodh', 'gnocchi'):
        available.setdefault(service, True)
    return ini.render(sections)


def conf_path(lay):
    return os.path.join(os.path.dirname(lay.tempest_conf), CONF_NAME)


def write_conf(lay):
    if not os.path.exists(lay.tempest_conf):
        raise RuntimeError('no %s: run `localcloud up` first'
                           % lay.tempest_conf)
    with open(lay.tempest_conf) as f:
        text = render_conf(f.read())
    with open(conf_path(lay), 'w') as f:
        f.write(text)
    return conf_path(lay)


# -- expected failures ------------------------------------------------------
def load_expected(path=EXPECTED):
    """``{test id: reason}`` from the file; bad entries name themselves."""
    with open(path) as f:
        text = f.read()
    try:
        data = L.FLOW_SETTINGS.parse_yaml(text, path)
    except ValueError as e:
        raise ExpectedFileError(str(e)) from None
    if not isinstance(data, dict) or set(data) != {'expected_failures'}:
        raise ExpectedFileError('%s: one key, expected_failures, holds the '
                                'list; got %r' % (path, sorted(data or ())))
    entries = data['expected_failures'] or []
    if not isinstance(entries, list):
        raise ExpectedFileError('%s: expected_failures is not a list' % path)
    out = {}
    for number, entry in enumerate(entries, 1):
        where = '%s: expected_failures entry %d' % (path, number)
        if not isinstance(entry, dict) or set(entry) != {'test', 'reason'}:
            raise ExpectedFileError('%s: needs exactly test and reason, got '
                                    '%r' % (where, entry))
        test, reason = entry['test'], entry['reason']
        if not isinstance(test, str) or not test.strip():
            raise ExpectedFileError('%s: test is empty' % where)
        if not isinstance(reason, str) or not reason.strip():
            raise ExpectedFileError('%s (%s): reason is empty'
                                    % (where, test))
        key = test_key(test)
        if key in out:
            raise ExpectedFileError('%s: %s is listed twice' % (where, key))
        if suite_of(key) is None:
            raise ExpectedFileError('%s: %s is in none of the suites (%s)' % (
                where, key, ', '.join(s.name for s in SUITES)))
        out[key] = reason
    return out


# -- results ----------------------------------------------------------------
def test_key(test_id):
    """A test id without its attributes; a class fixture's, its class's."""
    test_id = test_id.strip()
    fixture = re.match(r'^(setUpClass|tearDownClass) \((.+)\)$', test_id)
    if fixture:
        test_id = '%s.%s' % (fixture.group(2), fixture.group(1))
    return re.sub(r'\[[^\]]*\]$', '', test_id)


def suite_of(key, suites=SUITES):
    for suite in suites:
        if key.startswith(suite.prefixes):
            return suite
    return None


@dataclasses.dataclass
class Result:
    key: str
    status: str
    start: datetime.datetime = None
    stop: datetime.datetime = None


def _time(text):
    try:
        return datetime.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def parse_csv(text):
    """subunit2csv's rows -> Results (pure)."""
    rows = list(csv.reader(text.splitlines()))
    if not rows or rows[0][:2] != ['test', 'status']:
        raise RuntimeError('not subunit2csv output (first line %r)'
                           % (rows[0] if rows else ''))
    out = []
    for row in rows[1:]:
        if not row:
            continue
        out.append(Result(test_key(row[0]), row[1], _time(row[2]),
                          _time(row[3])))
    return out


@dataclasses.dataclass
class Count:
    """One suite's figures."""
    suite: str
    passed: int
    skipped: int
    failed: int
    expected: int       # of the failed, those the file lists
    seconds: float      # first start to last stop (class fixtures in)

    def line(self):
        return '%s: %d passed, %d skipped, %d failed (%d expected), %.0f s' % (
            self.suite, self.passed, self.skipped, self.failed,
            self.expected, self.seconds)


@dataclasses.dataclass
class Verdict:
    """The run held against the expected failures."""
    counts: list           # a Count per suite
    new_failures: list     # keys failed, not listed
    fixed: list            # (key, reason): listed, passed
    not_run: list          # (key, reason): listed, skipped or not run
    outside: list          # keys of no suite (an earlier run's?)

    @property
    def empty(self):
        return [c.suite for c in self.counts
                if not (c.passed or c.skipped or c.failed)]

    @property
    def ok(self):
        return not (self.new_failures or self.fixed or self.not_run
                    or self.outside or self.empty)


def _span_s(results):
    starts = [r.start for r in results if r.start]
    stops = [r.stop for r in results if r.stop]
    if not starts or not stops:
        return 0.0
    return (max(stops) - min(starts)).total_seconds()


def judge(results, expected, suites=SUITES):
    """Count each suite and hold its failures against the list (pure).

    Each result counts (two gabbi tests may share a name, their ids differ
    in the attributes); an expected failure's key matches every result of
    that name, and it has failed when any of them failed.
    """
    outcome = {}    # key -> 'failed', 'skipped' or 'passed', the worst seen
    order = ('passed', 'skipped', 'failed')
    for r in results:
        seen = ('failed' if r.status in FAILED else
                'skipped' if r.status in SKIPPED else 'passed')
        if order.index(seen) >= order.index(outcome.get(r.key, 'passed')):
            outcome[r.key] = seen
    counts = []
    for suite in suites:
        mine = [r for r in results if suite_of(r.key, suites) is suite]
        failed = [r for r in mine if r.status in FAILED]
        skipped = [r for r in mine if r.status in SKIPPED]
        counts.append(Count(
            suite.name, len(mine) - len(failed) - len(skipped), len(skipped),
            len(failed), sum(1 for r in failed if r.key in expected),
            _span_s(mine)))
    return Verdict(
        counts,
        new_failures=sorted(k for k, o in outcome.items()
                            if o == 'failed' and k not in expected),
        fixed=sorted((k, why) for k, why in expected.items()
                     if outcome.get(k) == 'passed'),
        not_run=sorted((k, why) for k, why in expected.items()
                       if outcome.get(k) in (None, 'skipped')),
        outside=sorted(k for k in outcome if suite_of(k, suites) is None))


def verdict_lines(verdict, expected_path=EXPECTED):
    """A summary line per suite, then each thing that fails the run."""
    name = os.path.basename(expected_path)
    out = [c.line() for c in verdict.counts]
    for key in verdict.new_failures:
        out.append('NEW FAILURE: %s (not in %s)' % (key, name))
    for key, why in verdict.fixed:
        out.append('EXPECTED FAILURE PASSED: %s (listed in %s: %s); take it '
                   'out of the file' % (key, name, why))
    for key, why in verdict.not_run:
        out.append('EXPECTED FAILURE DID NOT RUN: %s (listed in %s: %s); '
                   'renamed, skipped or gone?' % (key, name, why))
    for key in verdict.outside:
        out.append('TEST OF NO SUITE: %s' % key)
    for suite in verdict.empty:
        out.append('SUITE RAN NO TEST: %s' % suite)
    return out


# -- the command ------------------------------------------------------------
def _next_stream(workspace):
    try:
        with open(os.path.join(workspace, '.stestr', 'next-stream')) as f:
            return int(f.read().strip() or 0)
    except FileNotFoundError:
        return 0


def last_results(lay, env):
    """The newest stestr run of the workspace, as Results."""
    stream = subprocess.run([lay.bin('stestr'), 'last', '--subunit'],
                            cwd=lay.workspace, env=env, capture_output=True)
    if stream.returncode not in (0, 1):     # 1: the run had failures
        raise RuntimeError('stestr last --subunit exited %d in %s: %s' % (
            stream.returncode, lay.workspace, stream.stderr.decode()[-500:]))
    rows = subprocess.run([lay.bin('subunit2csv')], input=stream.stdout,
                          capture_output=True)
    if rows.returncode not in (0, 1):       # 1: the run had failures
        raise RuntimeError('subunit2csv exited %d: %s' % (
            rows.returncode, rows.stderr.decode()[-500:]))
    return parse_csv(rows.stdout.decode())


def run(c, run_bounded, timeout_s=TIMEOUT_S, concurrency=1):
    """Up, install, configure, run the peers, judge; the exit code."""
    started = time.monotonic()
    lay, step = c.lay, c.progress.step
    expected = load_expected()      # a bad file fails before any work
    c.up()
    with step('install Tempest\'s peers (%s)' % os.path.basename(
            REQUIREMENTS)):
        install_peers(lay, lay.log('setup-peers'))
    # Tempest's discovery loads every installed plugin: this checkout's
    # must import (as `job` installs it).
    with step('install the plugin from %s' % L.REPO):
        install.install_plugin(lay, L.REPO, lay.log('setup-plugin'))
    with step('demo project and user %s (heat-tempest-plugin)' % DEMO_USER):
        ensure_demo(api.Session())
    with step('the peers\' tempest.conf') as r:
        r['note'] = write_conf(lay)
    env = dict(os.environ, HOME=lay.data('tempest-home'),
               PATH=os.path.join(lay.venv, 'bin') + ':'
               + os.environ.get('PATH', ''))
    argv = [lay.bin('tempest'), 'run', '--config-file', conf_path(lay),
            '--regex', selection_regex(), '--concurrency', str(concurrency)]
    print('==> %s (in %s, at most %d s)' % (' '.join(argv), lay.workspace,
                                            timeout_s), flush=True)
    before = _next_stream(lay.workspace)
    with step('tempest run (Tempest\'s peers)'):
        rc = run_bounded(argv, timeout_s, cwd=lay.workspace, env=env)
    c.progress.summary()
    if rc is None:
        print('conformance: tempest run did not end within %d s '
              '(--timeout-s): stopped' % timeout_s)
        return 124
    if _next_stream(lay.workspace) <= before:
        print('conformance: tempest run exited %d and recorded no run '
              '(see %s)' % (rc, os.path.join(lay.workspace, 'logs')))
        return rc or 1
    results = last_results(lay, env)
    verdict = judge(results, expected)
    print('\n'.join(verdict_lines(verdict)))
    wall = time.monotonic() - started
    if rc and not any(r.status in FAILED for r in results):
        print('conformance FAILED: tempest run exited %d with no failed '
              'test (see its output above), %.0f s wall time' % (rc, wall))
        return rc
    if verdict.ok:
        print('conformance: as expected (%d expected failure(s) listed in '
              '%s), %.0f s wall time' % (len(expected),
                                         os.path.basename(EXPECTED), wall))
        return 0
    print('conformance FAILED, %.0f s wall time' % wall)
    return 1
