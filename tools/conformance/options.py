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

"""The options each service registers, read from the local cloud's venvs.

Each service's namespaces of the entry point group ``oslo.config.opts``
(the ones oslo-config-generator reads) are listed by that venv's own python
in a subprocess, one per service (two services' modules in one process can
clash on the global CONF). The result is cached as JSON, keyed by the
venv's installed distributions, so one run lists each venv once.
"""

import concurrent.futures
import hashlib
import json
import os
import subprocess

_LIST_OPTIONS = r'''
import fnmatch, importlib, inspect, json, os, sys, warnings
warnings.simplefilter('ignore')
from importlib.metadata import entry_points
patterns, modules, packages = json.loads(sys.argv[1])
result = {'groups': {}, 'sources': {}, 'errors': {}}


def add(group, opts, namespace):
    name = getattr(group, 'name', group) or 'DEFAULT'
    options = result['groups'].setdefault(name, {})
    opts = list(opts)
    for opt in opts:
        options.setdefault(opt.name.replace('-', '_'), namespace)
    if any(o.name in ('auth_type', 'auth_section') for o in opts):
        # A keystoneauth group also takes the auth plugin's options.
        from keystoneauth1 import loading
        for plugin in ('password', 'v3password'):
            for opt in loading.get_auth_plugin_conf_options(plugin):
                options.setdefault(opt.name.replace('-', '_'),
                                   'keystoneauth1 ' + plugin)


def where(module):
    top = sys.modules[module.__name__.split('.')[0]]
    base = os.path.dirname(os.path.dirname(top.__file__))
    return os.path.relpath(inspect.getsourcefile(module) or module.__file__,
                           base), base

for ep in sorted(entry_points(group='oslo.config.opts'), key=lambda e: e.name):
    if not any(fnmatch.fnmatchcase(ep.name, p) for p in patterns):
        continue
    try:
        path, base = where(importlib.import_module(ep.module))
        os.chdir(base)   # vitrage's datasources listing walks the cwd
        listed = list(ep.load()())
        result['sources'][ep.name] = '%s (%s)' % (path, ep.value)
    except Exception as exc:
        result['errors'][ep.name] = '%s: %s' % (type(exc).__name__, exc)
        continue
    for group, opts in listed:
        add(group, opts, ep.name)
from oslo_config import cfg
for name in modules:
    # Groups registered on the global CONF when the module is imported (or
    # when its function named after ':' runs, as the service does at start).
    module_name, _, function = name.partition(':')
    module = importlib.import_module(module_name)
    if function:
        getattr(module, function)()
    path, _ = where(module)
    result['sources'][name] = path + (' ' + function if function else '')
    for group_name, group in cfg.CONF._groups.items():
        add(group_name, [o['opt'] for o in group._opts.values()], name)
for name in packages:
    # Sub-packages whose OPTS the service registers under their own name
    # (vitrage's datasources: [prometheus], [nova.host] ...).
    package = importlib.import_module(name)
    import pkgutil
    for info in pkgutil.walk_packages(package.__path__, name + '.'):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception as exc:
            result['errors'][info.name] = '%s: %s' % (type(exc).__name__, exc)
            continue
        if 'OPTS' in vars(module):
            group = info.name[len(name) + 1:]
            source = '%s (OPTS, registered as [%s])' % (where(module)[0],
                                                        group)
            result['sources'][info.name] = source
            add(group, module.OPTS, info.name)
json.dump(result, sys.stdout)
'''
_SCRIPT_VERSION = hashlib.sha256(_LIST_OPTIONS.encode()).hexdigest()[:12]


class OptionsError(Exception):
    """The options cannot be listed (no venv, a listing that fails)."""


def _python(venv):
    python = os.path.join(venv, 'bin', 'python')
    if not os.path.exists(python):
        raise OptionsError(
            '%s is missing: the option check reads the services the local '
            'cloud installs; `python3 tools/localcloud up` creates its '
            'venvs' % python)
    return python


def _installed(venv):
    """The venv's distributions (dist-info names): the cache key."""
    names = []
    for root in (os.path.join(venv, 'lib'),):
        for dirpath, dirnames, _ in os.walk(root):
            if os.path.basename(dirpath) == 'site-packages':
                names.extend(d for d in dirnames if d.endswith('.dist-info'))
                dirnames[:] = []
    return sorted(names)


class ServiceOptions(object):
    """Registered options of one service: {group: {option: namespace}}."""

    def __init__(self, service, venv, groups, sources):
        self.service = service
        self.venv = venv
        self.groups = groups
        self.sources = sources

    def registers(self, section, option):
        return option in self.groups.get(section, {})

    def sections_with(self, option):
        return sorted(g for g, opts in self.groups.items() if option in opts)

    def evidence(self, section):
        """Where the service's options of ``section`` come from."""
        namespaces = sorted(set(self.groups.get(section, {}).values()))
        places = [self.sources.get(n, n) for n in namespaces]
        return '%s oslo.config.opts %s' % (
            self.venv, ', '.join(places) if places else
            '(no namespace registers [%s])' % section)


def list_service(service, venv, spec, timeout_s=300):
    """Run the listing in ``venv``'s python: its result as a dict.

    ``spec``: [namespace patterns, modules whose import registers options,
    packages whose sub-packages' OPTS are registered under their name].
    """
    command = [_python(venv), '-c', _LIST_OPTIONS, json.dumps(spec)]
    process = subprocess.run(command, capture_output=True, text=True,
                             timeout=timeout_s)
    if process.returncode:
        raise OptionsError('listing the options of %s in %s failed: %s'
                           % (service, venv, process.stderr.strip()[-2000:]))
    result = json.loads(process.stdout)
    if not result['groups']:
        raise OptionsError('%s: no oslo.config.opts namespace matching %s '
                           'in %s (errors: %s)' % (service, spec[0], venv,
                                                   result['errors']))
    return result


def load_options(services, venvs, common, cache_dir, jobs=2):
    """{service: ServiceOptions} for ``services`` (services.yaml rows)."""
    wanted = {}
    for name, row in services.items():
        venv = venvs[row['venv']]
        wanted[name] = (venv, [list(row['namespaces']) + list(common),
                               row.get('import_modules', []),
                               row.get('opts_packages', [])])
    installed = {}
    for venv in set(v for v, _ in wanted.values()):
        _python(venv)
        installed[venv] = _installed(venv)
    results = {}
    todo = []
    for name, (venv, patterns) in wanted.items():
        key = hashlib.sha256(json.dumps(
            [_SCRIPT_VERSION, installed[venv], patterns]).encode()
        ).hexdigest()[:16]
        path = os.path.join(cache_dir, 'options', '%s-%s.json' % (name, key))
        if os.path.exists(path):
            with open(path) as handle:
                results[name] = json.load(handle)
        else:
            todo.append((name, venv, patterns, path))
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(list_service, n, v, p): (n, path)
                   for n, v, p, path in todo}
        for future in concurrent.futures.as_completed(futures):
            name, path = futures[future]
            results[name] = future.result()
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w') as handle:
                json.dump(results[name], handle)
    return {name: ServiceOptions(name, wanted[name][0], r['groups'],
                                 r['sources'])
            for name, r in results.items()}


def from_fixture(path):
    """{service: ServiceOptions} from a JSON file (unit tests)."""
    with open(path) as handle:
        data = json.load(handle)
    return {name: ServiceOptions(name, 'fixture %s' % os.path.basename(path),
                                 row['groups'], row.get('sources', {}))
            for name, row in data.items()}
