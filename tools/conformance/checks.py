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

"""The rules: every job setting held against the upstream code it needs.

Each rule yields Findings that name the job, the setting, what is wrong and
the upstream file (or data table row) that proves it.
"""

import re

from conformance import shell

MAX_TIMEOUT_S = 10800
MAX_NODES = 10
TIMEOUT_EVIDENCE = ('Zuul\'s default max-job-timeout, which the openstack '
                    'tenant keeps (zuul doc/source/admin/tenants.rst '
                    'max-job-timeout; project-config zuul/main.yaml sets '
                    'none): a config error, no job of the change runs')
NODES_EVIDENCE = 'the openstack tenant\'s max-nodes-per-job'
MERGE_EVIDENCE = ('devstack inc/meta-config merge_config_group: an empty '
                  'file variable warns and skips every later file of the '
                  'phase')
CLONE_EVIDENCE = ('ERROR_ON_CLONE is true (devstack .zuul.yaml:417): '
                  'git_clone dies for a repository Zuul did not check out '
                  '(devstack functions-common:613-628)')
TEMPEST_CONFIG = '$TEMPEST_CONFIG'
OWN_PLUGIN = 'self-healing-tempest-plugin'
TABLE = 'devstack/flow-settings.yaml'
_VALUE_REFERENCE = re.compile(r'\$\{?([A-Z_][A-Z0-9_]*)')
_INISET = re.compile(r'^\s*iniset\s+\$\{?([A-Z_][A-Z0-9_]*)\}?\s+'
                     r'["\']?([\w.:-]+)["\']?\s+["\']?([\w.-]+)')


class Finding(object):
    """One setting that upstream code disproves."""

    def __init__(self, job, setting, problem, evidence, rule):
        self.job, self.setting = job, setting
        self.problem, self.evidence, self.rule = problem, evidence, rule

    def __str__(self):
        return '%s: %s: %s [%s]' % (self.job, self.setting, self.problem,
                                    self.evidence)

    def key(self):
        return (self.rule, self.job, self.setting)


class Upstream(object):
    """What the rules read: devstack's table, the plugins, the options.

    ``plugin_loader(branch, plugin)`` returns a shell.Plugin of the pinned
    release; ``options`` is {service: options.ServiceOptions}, or None to
    skip the option rules; ``own_plugin`` is our devstack/ (or None);
    ``table`` is devstack/flow-settings.yaml (or None); ``branches``
    the branches whose plugins the table and our plugin are held against.
    """

    def __init__(self, devstack, pins, services, plugin_loader,
                 options=None, own_plugin=None, table=None, retired=None,
                 branches=None):
        self.devstack = devstack
        self.pins = pins
        # Branches whose pinned plugins can be read (all pinned by default).
        self.branches = sorted(branches or pins)
        self.services = services
        self._load = plugin_loader
        self._plugins = {}
        self.options = options
        self.own_plugin = own_plugin
        self.table = table
        self.retired = retired or {}
        self.notes = []
        self.by_plugin = {row['plugin']: name for name, row in
                          services.items() if row.get('plugin')}
        self.by_file = {}
        for name, row in services.items():
            for variable in row.get('files', []):
                self.by_file[variable] = name

    def plugin(self, branch, name):
        if name == OWN_PLUGIN:
            return self.own_plugin
        if name not in self.pins.get(branch, {}):
            return None
        key = (branch, name)
        if key not in self._plugins:
            self._plugins[key] = self._load(branch, name)
        return self._plugins[key]

    def devstack_place(self, kind, variable):
        place = self.devstack[kind].get(variable)
        if place:
            return 'devstack %s (%s)' % (place,
                                         self.devstack['source']['commit'][:8])
        return None

    def devstack_table(self):
        return ('tools/conformance/data/devstack.yaml (devstack %s)'
                % self.devstack['source']['commit'][:8])


def _truthy(value):
    return value is True or str(value).lower() in ('true', '1', 'yes')


def _files_of(plugins):
    return ', '.join(sorted(set(p.rsplit('/', 1)[0] for plugin in plugins
                                for p in plugin.files))) or 'none'


class _Node(object):
    """One node context of a frozen job: what runs there."""

    def __init__(self, job, context, values, upstream):
        self.job, self.context, self.values = job, context, values
        self.upstream = upstream
        self.is_controller = context == 'controller'
        plugins = values.get('devstack_plugins') or {}
        self.plugin_names = [n for n, v in plugins.items() if v]
        self.plugins = {}
        for name in self.plugin_names:
            plugin = upstream.plugin(job.branch, name)
            if plugin is not None:
                self.plugins[name] = plugin
        parents = upstream.devstack['parents']['devstack-tempest']
        role = 'controller' if self.is_controller else 'subnode'
        services = dict(parents['services'][role])
        for plugin in self.plugins.values():
            services.update((s, True) for s in plugin.enables)
        services.update(values.get('devstack_services') or {})
        self.services = sorted(s for s, on in services.items() if on)
        self.localrc = values.get('devstack_localrc') or {}
        self.local_conf = values.get('devstack_local_conf') or {}

    def setting(self, name):
        prefix = '' if self.is_controller else self.context + '.'
        return prefix + name

    def defines(self, variable):
        """Where ``variable`` is defined on this node, or None."""
        place = self.upstream.devstack_place('defines', variable)
        if place:
            return place
        for plugin in self.plugins.values():
            if variable in plugin.defines:
                return str(plugin.defines[variable])
        return None

    def libs_from_git(self, required):
        explicit = self.localrc.get('LIBS_FROM_GIT')
        if explicit is None:
            # The role fills it with every required project (devstack
            # roles/write-devstack-local-conf devstack_local_conf.py).
            return [p.split('/')[-1] for p in required]
        return [name.strip() for name in str(explicit).split(',')]


def check_zuul_limits(jobs, upstream):
    nodesets = dict(upstream.devstack['nodesets'])
    nodesets['(default)'] = upstream.devstack['parents']['devstack-tempest'][
        'nodeset']
    nodesets['(default)'] = nodesets.get(nodesets['(default)'])
    for job in jobs:
        if job.timeout is not None and int(job.timeout) > MAX_TIMEOUT_S:
            where = '' if job.timeout_from == job.name else \
                ' (inherited from %s)' % job.timeout_from
            yield Finding(job.name, 'timeout %s%s' % (job.timeout, where),
                          'above %d s, the tenant maximum' % MAX_TIMEOUT_S,
                          TIMEOUT_EVIDENCE, 'timeout')
        count = job.node_count(nodesets)
        if count is None:
            yield Finding(job.name, 'nodeset %s' % job.nodeset,
                          'unknown nodeset: not in zuul.d, and its node '
                          'count is not in the table',
                          upstream.devstack_table(),
                          'nodeset')
        elif count > MAX_NODES:
            yield Finding(job.name, 'nodeset %s' % job.nodeset,
                          '%d nodes, above %d' % (count, MAX_NODES),
                          NODES_EVIDENCE, 'nodeset')


def _enabled_services_of(node, upstream):
    """(service, setting that enables it) of the services.yaml rows."""
    test_config = (node.local_conf.get('test-config') or {}).get(
        TEMPEST_CONFIG) or {}
    available = test_config.get('service_available') or {}
    for service, row in sorted(upstream.services.items()):
        plugin = row.get('plugin')
        if not plugin:
            continue
        if plugin in node.plugin_names:
            yield service, 'devstack_plugins.%s' % plugin
        for name, on in sorted((node.values.get('devstack_services')
                                or {}).items()):
            if on and any(name == p or (p.endswith('-') and
                                        name.startswith(p))
                          for p in row.get('services', [])):
                yield service, 'devstack_services.%s' % name
        # Tempest (and its config) runs on the controller only.
        if row.get('tempest') and node.is_controller and _truthy(
                available.get(row['tempest'])):
            yield service, ('devstack_local_conf.test-config.%s '
                            '[service_available] %s' % (TEMPEST_CONFIG,
                                                        row['tempest']))


def check_branches(node, upstream):
    job = node.job
    pins = upstream.pins.get(job.branch)
    if pins is None:
        yield Finding(job.name, 'override-checkout %s' % job.branch,
                      'no plugin pins for this branch',
                      'tools/conformance/data/pins.yaml', 'branch')
        return
    for service, setting in _enabled_services_of(node, upstream):
        plugin = upstream.services[service]['plugin']
        if plugin not in pins:
            reason = upstream.retired.get(plugin) or (
                'tools/conformance/data/pins.yaml pins no %s release for %s'
                % (plugin, job.branch))
            yield Finding(job.name, node.setting(setting),
                          '%s does not exist on %s (the job checks out %s)'
                          % (service, job.branch, job.branch), reason,
                          'branch')
    if OWN_PLUGIN in node.plugin_names and upstream.own_plugin is None:
        yield Finding(job.name, node.setting('devstack_plugins.' + OWN_PLUGIN),
                      'this repository has no devstack/settings or '
                      'devstack/plugin.sh', 'devstack/', 'branch')


def check_localrc(node, upstream):
    for key in sorted(node.localrc):
        readers = []
        place = upstream.devstack_place('reads', key)
        if place:
            readers.append(place)
        overwritten = []
        for plugin in node.plugins.values():
            if key in plugin.overwrites:
                overwritten.append(str(plugin.overwrites[key]))
            elif key in plugin.reads:
                readers.append(str(plugin.reads[key]))
        setting = node.setting('devstack_localrc.%s' % key)
        if overwritten and not place:
            yield Finding(node.job.name, setting,
                          'the plugin sets it unconditionally after localrc: '
                          'the value is ignored', ', '.join(overwritten),
                          'localrc')
        elif not readers:
            yield Finding(node.job.name, setting,
                          'read neither by devstack nor by an enabled plugin',
                          '%s has no row; enabled plugins read: %s'
                          % (upstream.devstack_table(),
                             _files_of(node.plugins.values())), 'localrc')


def check_local_conf(node, upstream):
    job = node.job
    for phase, files in sorted(node.local_conf.items()):
        undefined = None
        for variable, sections in (files or {}).items():
            setting = node.setting('devstack_local_conf.%s.%s'
                                   % (phase, variable))
            name = variable[1:] if variable.startswith('$') else None
            if name and node.defines(name) is None:
                evidence = ('%s has no row; enabled plugins: %s; %s'
                            % (upstream.devstack_table(),
                               _files_of(node.plugins.values()),
                               MERGE_EVIDENCE))
                if node.is_controller:
                    yield Finding(job.name, setting,
                                  '$%s is defined neither by devstack nor '
                                  'by an enabled plugin' % name, evidence,
                                  'conf-var')
                undefined = undefined or (setting, name, evidence)
            elif undefined and not node.is_controller and name:
                yield Finding(job.name, undefined[0],
                              '$%s is undefined on this node, so devstack '
                              'skips %s after it' % (undefined[1], variable),
                              undefined[2], 'conf-var')
                undefined = None
            for section, values in (sections or {}).items():
                for option, value in (values or {}).items():
                    for ref in _VALUE_REFERENCE.findall(str(value)):
                        if node.defines(ref) is None and \
                                upstream.devstack_place('reads', ref) is None:
                            yield Finding(
                                job.name, '%s [%s] %s' % (setting, section,
                                                          option),
                                'its value uses $%s, which neither devstack '
                                'nor an enabled plugin defines' % ref,
                                upstream.devstack_table(), 'conf-var')
                    if phase == 'post-config' and node.is_controller:
                        for finding in check_option(
                                upstream, job.name, variable, section,
                                option, '%s [%s] %s' % (setting, section,
                                                        option)):
                            yield finding


def check_option(upstream, owner, variable, section, option, setting):
    """The option is registered by the service of ``variable``."""
    service = upstream.by_file.get(variable)
    if service is None or upstream.options is None:
        if service is None and variable != TEMPEST_CONFIG:
            upstream.notes.append('%s: %s is not an oslo.config file of a '
                                  'service in services.yaml: not checked'
                                  % (owner, variable))
        return
    registered = upstream.options.get(service)
    if registered is None:
        upstream.notes.append('%s: %s: the options of %s were not listed: '
                              'not checked' % (owner, setting, service))
        return
    if registered.registers(section, option):
        return
    elsewhere = registered.sections_with(option)
    hint = (' (it does in %s)' % ', '.join('[%s]' % s for s in elsewhere)
            if elsewhere else '')
    evidence = registered.evidence(elsewhere[0] if elsewhere else section)
    yield Finding(owner, setting,
                  '%s registers no option %s in [%s]%s'
                  % (service, option, section, hint), evidence, 'option')


def check_clones(node, upstream):
    job = node.job
    required = set(job.required_projects) | set(
        upstream.devstack['parents']['devstack-tempest']['required-projects'])
    environment = shell.Environment(node.services,
                                    node.libs_from_git(required))
    for name, plugin in sorted(node.plugins.items()):
        for clone in plugin.clones:
            if '/' not in clone.repo or clone.repo in required:
                continue
            if environment.reaches(clone):
                yield Finding(job.name, node.setting(
                    'required-projects: %s' % clone.repo),
                    'missing, and the %s plugin clones it (%s)' % (
                        name, plugin.origin), '%s; %s' % (clone.line,
                                                          CLONE_EVIDENCE),
                    'clone')


def _repo_of_url(url):
    """owner/name of a git URL (https://opendev.org/openstack/heat)."""
    match = re.search(r'([\w.-]+/[\w.-]+?)(?:\.git)?/?$', str(url))
    return match.group(1) if match else str(url)


def check_job_vars(node, upstream):
    """Variables of devstack's and tempest's roles that need another."""
    job = node.job
    evidence = upstream.devstack['evidence']
    required = set(job.required_projects) | set(
        upstream.devstack['parents']['devstack-tempest']['required-projects'])
    short_names = set(p.split('/')[-1] for p in required)
    plugins = node.values.get('devstack_plugins') or {}
    for name, url in sorted(plugins.items()):
        if url and _repo_of_url(url) not in required:
            yield Finding(job.name, node.setting('devstack_plugins.%s' % name),
                          '%s is not in required-projects'
                          % _repo_of_url(url), evidence['devstack_plugins'],
                          'clone')
    if not node.is_controller:
        return
    for name in node.values.get('tempest_plugins') or []:
        if name not in short_names:
            yield Finding(job.name, 'tempest_plugins: %s' % name,
                          'no required project has this short name',
                          evidence['tempest_plugins'], 'zuul-var')
    values = node.values
    if _truthy(values.get('run_tempest_fail_if_leaked_resources')) and not (
            _truthy(values.get('run_tempest_dry_cleanup'))
            or _truthy(values.get('run_tempest_cleanup'))):
        yield Finding(job.name, 'run_tempest_fail_if_leaked_resources',
                      'no effect without run_tempest_dry_cleanup (or '
                      'run_tempest_cleanup)',
                      evidence['run_tempest_fail_if_leaked_resources'],
                      'zuul-var')


def _rendered(value):
    if isinstance(value, list):
        return ','.join(_rendered(v) for v in value)
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value).strip().lower()


def check_table(upstream, branches):
    """devstack/flow-settings.yaml: files and options are real."""
    table = upstream.table
    files = table.get('files') or {}
    for key, row in sorted(files.items()):
        service = row.get('service')
        if service not in upstream.services:
            yield Finding(TABLE, 'files.%s.service %s' % (key, service),
                          'not a service of services.yaml',
                          'tools/conformance/data/services.yaml', 'table')
            continue
        variable = row.get('devstack')
        if variable and variable not in upstream.services[service].get(
                'files', []):
            yield Finding(TABLE, 'files.%s.devstack %s' % (key, variable),
                          'not the devstack variable of %s\'s config file '
                          '(%s)' % (service, ', '.join(
                              upstream.services[service].get('files', []))),
                          'tools/conformance/data/services.yaml', 'table')
        if variable:
            name = variable.lstrip('$')
            plugin = upstream.services[service].get('plugin')
            places = [upstream.devstack_place('defines', name)]
            for branch in branches:
                loaded = upstream.plugin(branch, plugin) if plugin else None
                if loaded is not None and name in loaded.defines:
                    places.append(str(loaded.defines[name]))
            if not any(places):
                yield Finding(TABLE, 'files.%s.devstack %s' % (key, variable),
                              'defined neither by devstack nor by the %s '
                              'plugin on %s' % (plugin, ', '.join(branches)),
                              upstream.devstack_table(), 'conf-var')
    for index, row in enumerate(table.get('settings') or []):
        file_row = files.get(row.get('file'))
        setting = 'settings[%d] %s [%s] %s' % (index, row.get('file'),
                                               row.get('section'),
                                               row.get('option'))
        if file_row is None:
            yield Finding(TABLE, setting, 'file is not a key of files:',
                          TABLE, 'table')
            continue
        variable = file_row.get('devstack') or file_row['service']
        service_files = upstream.services.get(file_row['service'], {}).get(
            'files', [])
        for finding in check_option(upstream, TABLE, variable if variable
                                    in service_files else (service_files or
                                                           [None])[0],
                                    row.get('section'), row.get('option'),
                                    setting):
            yield finding


def check_shared_settings(node, upstream):
    """Where a job sets what the table sets, the two agree."""
    table = upstream.table
    files = table.get('files') or {}
    post_config = node.local_conf.get('post-config') or {}
    for index, row in enumerate(table.get('settings') or []):
        file_row = files.get(row.get('file')) or {}
        variable = file_row.get('devstack')
        branches = row.get('branches')
        if branches and node.job.branch not in branches:
            continue
        if not all(shell.Environment(node.services, []).service_enabled(w)
                   or w in node.plugin_names for w in row.get('when') or []):
            continue
        section = (post_config.get(variable) or {}).get(row.get('section'))
        if not section or row.get('option') not in section:
            continue
        wanted = row.get('devstack')
        if wanted is None:
            wanted = row.get('value')
        seen = section[row['option']]
        if _rendered(seen) != _rendered(wanted):
            yield Finding(node.job.name, node.setting(
                'devstack_local_conf.post-config.%s [%s] %s' % (
                    variable, row['section'], row['option'])),
                'the job sets %r, the table %r: set it in the table only'
                % (seen, wanted), '%s settings[%d] (%s)' % (
                    TABLE, index, row.get('why', '')), 'shared')


def check_own_plugin(upstream, branches):
    """Our devstack plugin: its config files exist, its iniset options too."""
    plugin = upstream.own_plugin
    known = set(upstream.devstack['defines'])
    for branch in branches:
        for name in upstream.pins.get(branch, {}):
            loaded = upstream.plugin(branch, name)
            if loaded is not None:
                known.update(loaded.defines)
    known.update(plugin.defines)
    for variable, line in sorted(plugin.reads.items()):
        if re.search(r'_CONF(IG|_FILE)?$', variable) and variable not in known:
            yield Finding('devstack/ (%s)' % OWN_PLUGIN, '$%s' % variable,
                          'read at %s, defined neither by devstack nor by a '
                          'pinned plugin' % line, upstream.devstack_table(),
                          'conf-var')
    for path, text in sorted(plugin.files.items()):
        for number, line in enumerate(text.splitlines(), 1):
            match = _INISET.match(line)
            if match:
                variable, section, option = match.groups()
                for finding in check_option(
                        upstream, 'devstack/ (%s)' % OWN_PLUGIN,
                        '$' + variable, section, option,
                        '%s:%d iniset $%s [%s] %s' % (
                            path, number, variable, section, option)):
                    yield finding


def check(jobs, upstream):
    """Every Finding of the frozen ``jobs`` (zuul.Job) and the table."""
    findings = list(check_zuul_limits(jobs, upstream))
    branches = [b for b in upstream.branches if b in upstream.pins]
    for job in jobs:
        if job.abstract:
            continue
        group_keys = upstream.devstack['parents']['devstack-tempest'][
            'group_vars_keys']
        for context, values in job.contexts(group_keys):
            node = _Node(job, context, values, upstream)
            for rule in (check_branches, check_localrc, check_local_conf,
                         check_clones, check_job_vars):
                findings.extend(rule(node, upstream))
            if upstream.table is not None and node.is_controller:
                findings.extend(check_shared_settings(node, upstream))
    if upstream.table is not None:
        findings.extend(check_table(upstream, branches))
    if upstream.own_plugin is not None:
        findings.extend(check_own_plugin(upstream, branches))
    unique, seen = [], set()
    for finding in findings:
        if str(finding) not in seen:
            seen.add(str(finding))
            unique.append(finding)
    return unique
