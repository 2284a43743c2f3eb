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

"""The devstack plugins of the jobs, from the services' sdists on PyPI.

Each sdist is downloaded once with pip (PyPI only) into the cache and only
its ``devstack/`` files are kept; a plugin is then read from them: its
``settings``, ``plugin.sh`` and the ``lib/*`` files plugin.sh sources.
"""

import concurrent.futures
import os
import re
import subprocess
import sys
import tarfile

from conformance import shell


class SdistError(Exception):
    """A pinned sdist cannot be had or has no devstack plugin."""


def read_requirements_pins(path):
    """{package: version} of the ``name==version`` lines of a file."""
    pins = {}
    with open(path) as handle:
        for line in handle:
            match = re.match(r'^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s#;]+)', line)
            if match:
                pins[match.group(1).lower()] = match.group(2)
    return pins


def branch_pins(pins_table, services, root):
    """{branch: {plugin: 'package==version'}} from pins.yaml."""
    packages = {row['plugin']: row['package'] for row in services.values()
                if row.get('plugin')}
    result = {}
    for branch, row in pins_table['branches'].items():
        plugins = row['plugins']
        if 'pins_from' in row:
            path = os.path.join(root, row['pins_from'])
            versions = read_requirements_pins(path)
            pinned = {}
            for plugin in plugins:
                package = packages[plugin]
                if package.lower() not in versions:
                    raise SdistError('%s: no %s==<version> line (pins.yaml '
                                     'takes %s\'s pins of %s from it)'
                                     % (path, package, plugin, branch))
                pinned[plugin] = '%s==%s' % (package,
                                             versions[package.lower()])
            plugins = pinned
        result[branch] = dict(plugins)
    return result


def _normalized(filename):
    return re.sub(r'[-_.]+', '_', filename.lower())


def _sdist_dir(cache_dir, requirement):
    return os.path.join(cache_dir, 'plugins',
                        requirement.replace('==', '-').lower())


def fetch(requirement, cache_dir, timeout_s=600):
    """The cached ``devstack/`` dir of ``requirement``'s sdist."""
    target = _sdist_dir(cache_dir, requirement)
    devstack = os.path.join(target, 'devstack')
    if os.path.isdir(devstack):
        return devstack
    downloads = os.path.join(cache_dir, 'sdists')
    os.makedirs(downloads, exist_ok=True)
    command = [sys.executable, '-m', 'pip', 'download', '--quiet',
               '--no-deps', '--no-binary', ':all:',
               '--disable-pip-version-check',
               '-d', downloads, requirement]
    process = subprocess.run(command, capture_output=True, text=True,
                             timeout=timeout_s)
    if process.returncode:
        raise SdistError('pip download %s failed: %s'
                         % (requirement, process.stderr.strip()[-1500:]))
    name, version = requirement.split('==')
    wanted = _normalized('%s-%s.tar.gz' % (name, version))
    archives = [f for f in os.listdir(downloads) if _normalized(f) == wanted]
    if not archives:
        raise SdistError('pip download %s left no sdist in %s'
                         % (requirement, downloads))
    partial = target + '.partial'
    with tarfile.open(os.path.join(downloads, archives[0])) as archive:
        members = [m for m in archive.getmembers()
                   if m.isfile() and '/devstack/' in m.name
                   and m.name.count('/') >= 2
                   and m.name.split('/')[1] == 'devstack']
        if not members:
            raise SdistError('%s ships no devstack/ plugin' % archives[0])
        for member in members:
            relative = member.name.split('/', 1)[1]
            path = os.path.join(partial, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with archive.extractfile(member) as source, \
                    open(path, 'wb') as out:
                out.write(source.read())
    os.replace(partial, target)
    return devstack


def fetch_all(requirements, cache_dir, jobs=3):
    """{requirement: devstack dir}, downloading the missing ones at once."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {r: pool.submit(fetch, r, cache_dir)
                   for r in sorted(set(requirements))}
        return {r: f.result() for r, f in futures.items()}


def read_plugin(name, devstack_dir, label, origin):
    """A shell.Plugin from a ``devstack/`` dir.

    Its files are shown as ``<label>/devstack/<file>`` (``devstack/<file>``
    when ``label`` is empty: our own plugin).
    """
    prefix = '%s/devstack/' % label if label else 'devstack/'
    files = {}
    for filename in ('settings', 'plugin.sh'):
        path = os.path.join(devstack_dir, filename)
        if os.path.exists(path):
            with open(path) as handle:
                files[prefix + filename] = handle.read()
    for lib in shell.sourced_libs(files.get(prefix + 'plugin.sh', '')):
        path = os.path.join(devstack_dir, 'lib', lib)
        if os.path.exists(path):
            with open(path) as handle:
                files[prefix + 'lib/' + lib] = handle.read()
    if not files:
        raise SdistError('%s: no devstack/settings or devstack/plugin.sh'
                         % devstack_dir)
    return shell.Plugin(name, origin, files)
