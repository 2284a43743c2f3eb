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

"""Install what the cloud runs: Debian servers and the venvs, side by side.

The Python packages come from the pins committed beside this file:
``constraints.txt`` for the main venv (every service but Vitrage, plus the
clients and Tempest) and ``constraints-vitrage.txt`` (+ overrides) for
Vitrage's own venv. A stamp in the state file (hash of the pin files)
makes a second install a no-op.

uv compiles every venv's bytecode at install (``UV_COMPILE_BYTECODE``):
the environment may set ``PYTHONDONTWRITEBYTECODE``, and then every service
process, schema sync and ``*-manage`` call would compile its imports anew
at each start; compiled once, they only read them.
"""
import concurrent.futures
import hashlib
import os
import shutil
import subprocess
import sys
import time

from localcloud import commands
from localcloud import state

HERE = os.path.dirname(os.path.abspath(__file__))
APT_PACKAGES = ('rabbitmq-server', 'mariadb-server', 'mariadb-client',
                'redis-server', 'memcached',
                # the compute hosts (namespaces, sshd) and their monitor
                'iproute2', 'openssh-server', 'openssh-client', 'prometheus',
                'prometheus-alertmanager', 'prometheus-node-exporter')
UV_VERSION = '0.13.9'
POLICY_RC_D = '/usr/sbin/policy-rc.d'

MAIN = {
    'requirements': os.path.join(HERE, 'requirements.in'),
    'constraints': os.path.join(HERE, 'constraints.txt'),
    'overrides': None,
}
VITRAGE = {
    'requirements': os.path.join(HERE, 'requirements-vitrage.in'),
    'constraints': os.path.join(HERE, 'constraints-vitrage.txt'),
    'overrides': os.path.join(HERE, 'overrides-vitrage.txt'),
}


def missing_apt_packages(packages=APT_PACKAGES):
    missing = []
    for pkg in packages:
        res = subprocess.run(
            ['dpkg-query', '-W', '-f=${Status}', pkg],
            capture_output=True, text=True)
        if 'install ok installed' not in res.stdout:
            missing.append(pkg)
    return missing


def apt(log):
    """Install the Debian servers, without letting apt start them.

    The tool runs each server itself, on loopback, with its state under the
    base dir; the distribution's init scripts must not start copies.
    """
    missing = missing_apt_packages()
    if not missing:
        return 'already installed'
    added_policy = False
    if not os.path.exists(POLICY_RC_D):
        with open(POLICY_RC_D, 'w') as f:
            f.write('#!/bin/sh\n# localcloud: no service starts during '
                    'install\nexit 101\n')
        os.chmod(POLICY_RC_D, 0o755)
        added_policy = True
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    try:
        commands.run(['apt-get', 'update', '-q'], log, env)
        commands.run(apt_install_argv(missing), log, env)
    finally:
        if added_policy:
            os.unlink(POLICY_RC_D)
    return 'installed ' + ' '.join(missing)


def apt_install_argv(packages):
    # dpkg without an fsync per unpacked file: a crash mid-install is
    # redone by the next run (the packages are still missing then).
    return ['apt-get', 'install', '-y', '-q', '--no-install-recommends',
            '-o', 'Dpkg::Options::=--force-unsafe-io'] + list(packages)


def apt_beside(log):
    """Start ``apt`` in a thread, so that the venvs install meanwhile.

    The venvs need nothing apt installs (the machine's own Python and uv
    from PyPI). Returns a future whose result is apt's note with the
    seconds it took on its own; the caller waits for it before anything
    that runs a Debian server.
    """
    def timed():
        t0 = time.monotonic()
        note = apt(log)
        return '%s (%.1fs beside the venvs)' % (note, time.monotonic() - t0)
    pool = concurrent.futures.ThreadPoolExecutor(1)
    future = pool.submit(timed)
    pool.shutdown(wait=False)
    return future


def lock_hash(spec):
    h = hashlib.sha256()
    for key in ('requirements', 'constraints', 'overrides'):
        if spec[key]:
            with open(spec[key], 'rb') as f:
                h.update(f.read())
    return h.hexdigest()[:16]


def uv_install_argv(uv, python, spec, extra=()):
    argv = [uv, 'pip', 'install', '--python', python,
            '-r', spec['requirements'], '-c', spec['constraints']]
    if spec['overrides']:
        argv += ['--override', spec['overrides']]
    return argv + list(extra)


def uv_path(lay):
    return lay.bin('uv')


def _ensure_uv(lay, log):
    commands.ensure_venv(lay.venv, log)
    if not os.path.exists(uv_path(lay)):
        commands.run([sys.executable, '-m', 'pip', '--python',
                      lay.bin('python'), 'install', '-q',
                      'uv==%s' % UV_VERSION], log)


def venvs(lay, log):
    """Create both venvs and install the pinned packages (skips if stamped)."""
    st = state.load(lay)
    done = []
    _ensure_uv(lay, log)
    for key, venv, spec in (('venv', lay.venv, MAIN),
                            ('venv-vitrage', lay.vitrage_venv, VITRAGE)):
        stamp = lock_hash(spec)
        if st.get('installed', {}).get(key) == stamp and os.path.exists(
                os.path.join(venv, 'bin', 'python')):
            continue
        commands.ensure_venv(venv, log)
        commands.run(uv_install_argv(
            uv_path(lay), os.path.join(venv, 'bin', 'python'), spec), log)
        state.update(lay, lambda data: data.setdefault(
            'installed', {}).__setitem__(key, stamp))
        done.append(key)
    return ('installed ' + ', '.join(done)) if done else 'up to date'


def install_plugin(lay, repo, log):
    """Install the plugin from a checkout into the main venv (editable)."""
    commands.run([uv_path(lay), 'pip', 'install', '--python',
                  lay.bin('python'), '-c', MAIN['constraints'], '-e', repo],
                 log)


def lock(lay, log, upgrade=False):
    """Re-resolve the pin files (keeps current pins unless ``upgrade``)."""
    _ensure_uv(lay, log)
    common = [uv_path(lay), 'pip', 'compile', '--python-version', '3.11',
              '--no-header', '--annotation-style', 'line']
    if upgrade:
        common.append('--upgrade')
    commands.run(common + [MAIN['requirements'], '-o', MAIN['constraints']],
                 log)
    # Vitrage's venv shares every pin it can with the main venv.
    shared = os.path.join(lay.path('run'), 'shared-pins.txt')
    os.makedirs(os.path.dirname(shared), exist_ok=True)
    with open(MAIN['constraints']) as src, open(shared, 'w') as dst:
        for line in src:
            name = line.split('==')[0].strip().lower()
            if line[:1].isalnum() and name not in ('networkx',
                                                   'python-mistralclient'):
                dst.write(line)
    commands.run(common + [VITRAGE['requirements'], '-c', shared,
                           '--override', VITRAGE['overrides'], '-o',
                           VITRAGE['constraints']], log)
    with open(VITRAGE['constraints']) as f:
        text = f.read().replace(shared, 'constraints.txt')
    with open(VITRAGE['constraints'], 'w') as f:
        f.write(text)


def have(cmd):
    return shutil.which(cmd) is not None
