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

"""The local cloud's module structure: one module per service, no cycle.

Every localcloud module imports on its own (a fresh interpreter each), the
import graph (imports inside functions included) has no cycle, no module
reaches into another's private names, and every service module has the
same entry points (services.ENTRY_POINTS).
"""
import ast
import os
import subprocess
import sys
import types
from unittest import mock

import testtools

from localcloud import configs
from localcloud import install
from localcloud import layout
from localcloud import services
from localcloud import tempestconf

TOOLS = os.path.dirname(os.path.dirname(services.__file__))
PACKAGE = os.path.join(TOOLS, 'localcloud')
# Not modules of the tool: the fake inspector is a package of its own,
# installed into the cloud's venv.
SKIP_DIRS = ('fake_inspector', '__pycache__')


def module_files(root=PACKAGE):
    """{dotted module name: path} of every module of the package."""
    found = {}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in files:
            if not name.endswith('.py'):
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), TOOLS)
            dotted = rel[:-3].replace(os.sep, '.')
            if dotted.endswith('.__init__'):
                dotted = dotted[:-len('.__init__')]
            found[dotted] = os.path.join(dirpath, name)
    return found


def imported(tree, modules):
    """The package's modules ``tree`` imports, anywhere (functions too).

    Returns {module: {name it is bound to}}.
    """
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    found.setdefault(alias.name, set()).add(
                        alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = '%s.%s' % (node.module, alias.name)
                if full in modules:
                    found.setdefault(full, set()).add(
                        alias.asname or alias.name)
                elif node.module in modules:
                    found.setdefault(node.module, set())
    return found


def import_graph(files):
    graph = {}
    for name, path in files.items():
        with open(path) as f:
            graph[name] = set(imported(ast.parse(f.read()), files))
    return graph


def cycles(graph):
    """The strongly connected components with more than one module (or a
    module importing itself), each sorted (Tarjan's algorithm).
    """
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def private_uses(tree, modules):
    """``alias._name`` where ``alias`` is one of the package's modules, and
    ``from localcloud.x import _name``: (line, text).
    """
    aliases = {bound for names in imported(tree, modules).values()
               for bound in names}
    uses = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith('_')
                and not node.attr.startswith('__')
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases):
            uses.append((node.lineno, '%s.%s' % (node.value.id, node.attr)))
        elif isinstance(node, ast.ImportFrom) and node.module in modules:
            uses += [(node.lineno, '%s.%s' % (node.module, a.name))
                     for a in node.names if a.name.startswith('_')]
    return uses


class TestImports(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.files = module_files()

    def test_the_package_has_its_service_modules(self):
        self.assertIn('localcloud.lib.nova', self.files)
        self.assertIn('localcloud.services', self.files)

    def test_every_module_imports_on_its_own(self):
        for name in sorted(self.files):
            result = subprocess.run(
                [sys.executable, '-c', 'import %s' % name],
                cwd=TOOLS, capture_output=True, text=True,
                env=dict(os.environ, PYTHONPATH=TOOLS))
            self.assertEqual(0, result.returncode,
                             'import %s alone failed:\n%s'
                             % (name, result.stderr))

    def test_no_import_cycle(self):
        found = cycles(import_graph(self.files))
        self.assertEqual([], found, 'import cycles (imports inside '
                         'functions counted): %s' % found)

    def test_the_cycle_finder_finds_a_cycle_through_a_function(self):
        files = {'localcloud.a': 'from localcloud import b\n',
                 'localcloud.b': 'def f():\n    from localcloud import c\n',
                 'localcloud.c': 'import localcloud.a\n',
                 'localcloud.d': 'from localcloud import a\n'}
        graph = {name: set(imported(ast.parse(text), files))
                 for name, text in files.items()}
        self.assertEqual([['localcloud.a', 'localcloud.b', 'localcloud.c']],
                         cycles(graph))

    def test_no_module_uses_another_modules_private_names(self):
        for name, path in sorted(self.files.items()):
            with open(path) as f:
                uses = private_uses(ast.parse(f.read()), self.files)
            self.assertEqual([], uses, '%s reaches into private names' % name)

    def test_the_private_use_finder_sees_one(self):
        tree = ast.parse('from localcloud import install as inst\n'
                         'inst._run([])\n')
        self.assertEqual([(2, 'inst._run')],
                         private_uses(tree, {'localcloud.install': ''}))


class TestServiceModules(testtools.TestCase):

    def test_every_service_module_has_every_entry_point(self):
        for module in services.MODULES:
            missing = [e for e in services.ENTRY_POINTS
                       if not hasattr(module, e)]
            self.assertEqual([], missing, module.__name__)
            for entry in services.ENTRY_POINTS:
                self.assertEqual(entry.islower(),
                                 callable(getattr(module, entry)),
                                 '%s.%s' % (module.__name__, entry))

    def test_every_module_of_lib_is_in_the_list(self):
        listed = {m.__name__ for m in services.MODULES}
        in_lib = {n for n in module_files() if n.startswith('localcloud.lib.')}
        self.assertEqual(in_lib, listed)

    def test_what_each_service_installs_is_in_the_requirements(self):
        text = ''
        for name in ('requirements.in', 'requirements-vitrage.in',
                     'requirements-gnocchi.in'):
            with open(os.path.join(install.HERE, name)) as f:
                text += f.read().lower()
        for module in services.MODULES:
            for package in module.PACKAGES:
                self.assertRegex(text, r'(?m)^%s\b' % package.lower(),
                                 module.__name__)

    def test_ports_and_databases_are_each_one_services(self):
        ports = [p for m in services.MODULES for p in m.PORTS.values()]
        self.assertEqual(sorted(set(ports)), sorted(ports))
        self.assertEqual(sorted(set(services.DATABASES)),
                         sorted(services.DATABASES))

    def test_a_service_with_a_database_makes_it_first(self):
        for module in services.MODULES:
            if not module.DATABASES:
                self.assertEqual((), module.DBSYNC, module.__name__)
                continue
            create = module.DBSYNC[0][-1]
            for db in module.DATABASES:
                self.assertIn('CREATE DATABASE IF NOT EXISTS `%s`' % db,
                              create, module.__name__)

    def test_speed_settings_name_their_service(self):
        names = [(t.service, t.section, t.option) for t in services.TUNABLES]
        self.assertEqual(len(names), len(set(names)))

    def test_two_services_rendering_one_file_is_an_error(self):
        twin = types.SimpleNamespace(
            __name__='localcloud.lib.twin',
            render=lambda lay: {'nova/nova.conf': ''})
        with mock.patch.object(services, 'MODULES',
                               services.MODULES + (twin,)):
            err = self.assertRaises(KeyError, configs.render_all,
                                    layout.Layout('/srv/lc'))
        self.assertIn('nova/nova.conf is rendered by two services (twin)',
                      str(err))

    def test_a_tempest_option_set_by_two_services_is_an_error(self):
        sections = tempestconf.merge({}, {'compute': {'region': 'A'}})
        err = self.assertRaises(KeyError, tempestconf.merge, sections,
                                {'compute': {'region': 'B'}})
        self.assertIn('[compute] region: set twice', str(err))


class TestWsgiThreads(testtools.TestCase):

    def _threads(self, name):
        service, = [s for s in services.SERVICES if s.name == name]
        argv = list(service.argv)
        return argv[argv.index('--threads') + 1] if '--threads' in argv \
            else None

    def test_keystone_serves_from_one_thread(self):
        # Its auth middleware keeps the validated token on itself: two
        # threads swap tokens (a project token read as domain-scoped).
        self.assertEqual('1', self._threads('keystone'))

    def test_the_other_apis_keep_the_runner_default(self):
        self.assertIsNone(self._threads('nova-api'))
