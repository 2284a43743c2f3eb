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

"""What a devstack plugin's shell files read, define, enable and clone.

A plugin is read from its ``devstack/`` files (``settings``, ``plugin.sh``
and the ``lib/*`` files ``plugin.sh`` sources), as text: no shell runs.
Line numbers are kept so a finding can name the line that proves it.
"""

import re

_NAME = r'[A-Za-z_][A-Za-z0-9_]*'
_REFERENCE = re.compile(r'\$\{?(' + _NAME + r')')
_TRUEORFALSE = re.compile(r'\btrueorfalse\s+\S+\s+(' + _NAME + r')')
_ASSIGNMENT = re.compile(r'^(\s*)(?:export\s+|local\s+)?(' + _NAME
                         + r')(\+?=)(.*)$')
_ENABLE = re.compile(r'^\s*enable_service\s+(.+?)\s*(?:#.*)?$')
_FUNCTION = re.compile(r'^(?:function\s+(' + _NAME + r'|[\w-]+)\s*(?:\(\))?'
                       r'|(' + _NAME + r')\s*\(\))\s*\{?\s*$')
_CLONE_BY_NAME = re.compile(r'\bgit_clone_by_name\s+["\']?([\w.-]+)')
_CLONE = re.compile(r'\bgit_clone\s+(\S+)')
_GITREPO = re.compile(r'GITREPO\[["\']?([\w.-]+)["\']?\]=(\S+)')
_REPO_URL = re.compile(r'(?:GIT_BASE\}?|opendev\.org|github\.com)/'
                       r'([\w.-]+/[\w.-]+?)(?:\.git)?\}?["\']?$')
_SOURCE = re.compile(r'^\s*(?:source|\.)\s+(\S*devstack/lib/[\w.-]+)')
_IF = re.compile(r'^\s*(if|elif)\s+(.*?)(?:;\s*then)?\s*$')


class Line(object):
    """A place in a plugin file: for messages."""

    def __init__(self, path, number, text):
        self.path, self.number, self.text = path, number, text.strip()

    def __str__(self):
        return '%s:%d' % (self.path, self.number)


class Clone(object):
    """A ``git_clone`` of a plugin, with the conditions that lead to it."""

    def __init__(self, repo, line, conditions):
        self.repo = repo            # owner/name, or the shell word if unknown
        self.line = line
        self.conditions = conditions  # lists of condition texts (any path)


class Plugin(object):
    """The parsed ``devstack/`` files of one plugin."""

    def __init__(self, name, origin, files):
        """``files``: {path shown in messages: text}, settings first."""
        self.name = name
        self.origin = origin        # e.g. "vitrage 15.0.1 (PyPI sdist)"
        self.files = files
        self.reads = {}             # variable -> first Line reading it
        self.defines = {}           # variable -> first Line assigning it
        self.overwrites = {}        # variable -> Line ignoring localrc
        self.enables = {}           # service -> Line of enable_service
        self._functions = {}        # function -> (path, start, end)
        self._lines = []            # (path, number, text, function, conds)
        self.clones = []
        for path, text in files.items():
            self._scan(path, text)
        self._find_clones()

    def _scan(self, path, text):
        function = None
        conditions = []
        is_settings = path.endswith('/settings') or path == 'settings'
        for number, raw in enumerate(text.splitlines(), 1):
            code = raw.split('#', 1)[0] if not raw.lstrip().startswith(
                '#!') else ''
            if not code.strip():
                continue
            match = _FUNCTION.match(code)
            if match:
                function = match.group(1) or match.group(2)
                self._functions[function] = path
                conditions = []
            elif code.startswith('}'):
                function = None
                conditions = []
            line = Line(path, number, raw)
            for name in _REFERENCE.findall(code) + _TRUEORFALSE.findall(code):
                self.reads.setdefault(name, line)
            assignment = _ASSIGNMENT.match(code)
            if assignment:
                indent, name, _, value = assignment.groups()
                self.defines.setdefault(name, line)
                if (is_settings and not indent and function is None
                        and not conditions and name not in self.reads
                        and name not in _REFERENCE.findall(value)):
                    self.overwrites.setdefault(name, line)
            enable = _ENABLE.match(code)
            if enable:
                for service in enable.group(1).split():
                    self.enables.setdefault(service.strip('"\''), line)
            condition = _IF.match(code)
            if condition and condition.group(1) == 'if':
                conditions = conditions + [condition.group(2)]
            elif condition:
                conditions = conditions[:-1] + [condition.group(2)]
            elif re.match(r'^\s*else\b', code):
                conditions = conditions[:-1] + ['else']
            self._lines.append((path, number, code, function,
                                list(conditions)))
            if re.match(r'^\s*fi\b', code) or code.rstrip().endswith('; fi'):
                conditions = conditions[:-1]

    def _repo_of(self, word):
        """owner/name of a clone's repository word, from the settings."""
        by_name = {}
        for path, number, code, _, _ in self._lines:
            for name, url in _GITREPO.findall(code):
                by_name.setdefault(name, url)
        if word in by_name:
            word = by_name[word]
        variable = re.match(r'^\$\{?(' + _NAME + r')\}?$', word)
        if variable:
            for path, number, code, _, _ in self._lines:
                assignment = _ASSIGNMENT.match(code)
                if assignment and assignment.group(2) == variable.group(1):
                    word = assignment.group(4).strip()
                    break
        url = _REPO_URL.search(word.strip('"\''))
        return url.group(1) if url else word

    def _callers(self, function):
        for path, number, code, caller, conditions in self._lines:
            # devstack's stack_install_service X runs install_X.
            installs = re.search(r'\bstack_install_service\s+([\w-]+)', code)
            if installs and function == 'install_' + installs.group(1):
                yield caller, conditions
                continue
            call = re.search(r'(^|[;&|]\s*|\bthen\s+)' + re.escape(function)
                             + r'\b(?!\s*\()', code.strip())
            if call and not _FUNCTION.match(code):
                yield caller, conditions

    def _paths(self, function, conditions, depth=0):
        """Every chain of conditions from the top level to a place."""
        if function is None:
            return [conditions]
        if depth > 8:
            return []
        paths = []
        for caller, caller_conditions in self._callers(function):
            for path in self._paths(caller, caller_conditions, depth + 1):
                paths.append(path + conditions)
        return paths

    def _find_clones(self):
        for path, number, code, function, conditions in self._lines:
            match = _CLONE_BY_NAME.search(code)
            if match:
                word = match.group(1)
            else:
                match = _CLONE.search(code)
                if not match or 'ERROR_ON_CLONE=false' in code.replace(
                        ' ', ''):
                    continue
                word = match.group(1)
            raw = dict((p, t) for p, t in self.files.items())[path]
            line = Line(path, number, raw.splitlines()[number - 1])
            self.clones.append(Clone(self._repo_of(word), line,
                                     self._paths(function, conditions)))


class Environment(object):
    """What a condition of a plugin file depends on, for one node."""

    def __init__(self, services, libs_from_git):
        self.services = set(services)
        self.libs_from_git = set(libs_from_git)

    def service_enabled(self, name):
        # devstack's is_service_enabled: a name, or a service group such as
        # "nova" for n-*; plugins' is_<x>_enabled work the same way.
        prefixes = {'nova': 'n-', 'neutron': 'q-', 'glance': 'g-',
                    'cinder': 'c-', 'swift': 's-', 'heat': 'h-'}
        for service in self.services:
            if service == name or service.startswith(name + '-') or (
                    name in prefixes and service.startswith(prefixes[name])):
                return True
        return False

    def _atom(self, text):
        text = text.strip()
        negate = text.startswith('!')
        text = text.lstrip('!').strip()
        value = True    # what is not understood may hold: conservative
        enabled = re.match(r'^is_service_enabled\s+(.+)$', text)
        plugin_enabled = re.match(r'^is_(' + _NAME + r')_enabled$', text)
        library = re.match(r'^use_library_from_git\s+["\']?([\w.-]+)', text)
        if enabled:
            value = any(self.service_enabled(s.strip('"\''))
                        for s in enabled.group(1).split())
        elif plugin_enabled:
            value = self.service_enabled(plugin_enabled.group(1))
        elif library:
            value = library.group(1) in self.libs_from_git
        elif re.search(r'"\$1"\s*==\s*"(unstack|clean)"', text):
            value = False
        return not value if negate else value

    def holds(self, condition):
        """Whether a shell condition can hold on this node."""
        if condition == 'else':
            return True
        tests = {}

        def bracket(match):
            key = '@%d@' % len(tests)
            tests[key] = self._atom(match.group(1))
            return key

        text = re.sub(r'\[\[?(.*?)\]\]?', bracket, condition)
        alternatives = []
        for alternative in text.split('||'):
            values = []
            for atom in alternative.split('&&'):
                atom = atom.strip()
                negate = atom.startswith('!') and atom.lstrip('! ') in tests
                key = atom.lstrip('! ')
                if key in tests:
                    values.append(tests[key] != negate)
                else:
                    values.append(self._atom(atom))
            alternatives.append(all(values))
        return any(alternatives)

    def reaches(self, clone):
        """Whether a clone runs on this node (any chain of conditions)."""
        return any(all(self.holds(c) for c in path)
                   for path in clone.conditions)


def sourced_libs(plugin_sh_text):
    """Names of ``devstack/lib/*`` files a plugin.sh sources."""
    names = []
    for line in plugin_sh_text.splitlines():
        match = _SOURCE.match(line)
        if match:
            names.append(match.group(1).rsplit('/', 1)[1])
    return names
