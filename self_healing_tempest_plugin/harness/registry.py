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

"""The extension points: fault kinds, flows and observers, each by name.

A fault kind, a flow or an observer is one class (or builder) plus one
registration; the scenario schema, the feature flags a scenario needs,
the serial rule and the generated test classes are all derived from
these registries, so they are the one place to read to learn what
exists::

    @registry.FAULTS.register(
        'host_stop', target=registry.HOST, feature='host_fault',
        serial=True, schema={'force_down': {'type': 'boolean'}})
    class HostStop(faults.Fault): ...

``load()`` imports every module that registers something.
"""

import importlib

# Target kinds a fault takes (its ``target:`` in the scenario file):
# ``member`` | ``member_host`` or ``host:<nova host>`` | ``service:<name>``.
MEMBER, HOST, SERVICE = TARGET_KINDS = ('member', 'host', 'service')

# Every module that registers a fault kind, a flow or an observer. A
# module not written yet is skipped; an import error inside one that
# exists is not.
REGISTERING_MODULES = (
    'self_healing_tempest_plugin.harness.faults',
    'self_healing_tempest_plugin.harness.observers',
    'self_healing_tempest_plugin.harness.control_plane_faults',
    'self_healing_tempest_plugin.harness.reported_faults',
    'self_healing_tempest_plugin.harness.stop_conditions',
    'self_healing_tempest_plugin.flows.autoheal_group',
    'self_healing_tempest_plugin.flows.recovery_policy',
    'self_healing_tempest_plugin.flows.vitrage_host',
    'self_healing_tempest_plugin.flows.integrated',
    'self_healing_tempest_plugin.flows.per_vm_group',
)


class Entry(object):
    """One registered name: ``name``, ``cls``, ``meta``; meta keys too.

    ``cls`` is what was registered (a class, or an observer's builder).
    """

    def __init__(self, name, cls, meta):
        clash = set(meta) & {'name', 'cls', 'meta'}
        if clash:
            raise ValueError('%s: meta may not be named %s'
                             % (name, ', '.join(sorted(clash))))
        self.name = name
        self.cls = cls
        self.meta = dict(meta)
        self.__dict__.update(meta)

    def __repr__(self):
        return 'Entry(%r, %s)' % (self.name, getattr(
            self.cls, '__qualname__', self.cls))


class Registry(object):
    """Extension point: name -> Entry.

    :param what: what it holds, for messages ('fault kind', 'flow').
    :param required: meta keys every registration must give.
    :param defaults: meta of a registration that does not give it.
    :param name_attribute: set to the registered name on what is
        registered (a fault's ``kind``, a flow's ``name``), so the name is
        written once, in the registration.
    """

    def __init__(self, what, required=(), defaults=None,
                 name_attribute=None):
        self.what = what
        self.required = tuple(required)
        self.defaults = dict(defaults or {})
        self.name_attribute = name_attribute
        self._entries = {}

    def register(self, name, **meta):
        """Class (or function) decorator; a name taken twice: ValueError.

        Registering the same class again (its module reloaded) replaces
        the entry.
        """
        missing = [key for key in self.required if key not in meta]
        if missing:
            raise ValueError('%s %r: its registration needs %s'
                             % (self.what, name, ', '.join(missing)))

        def decorate(cls):
            known = self._entries.get(name)
            if known is not None and _where(known.cls) != _where(cls):
                raise ValueError('%s %r is registered twice: by %s and %s'
                                 % (self.what, name, _where(known.cls),
                                    _where(cls)))
            if self.name_attribute:
                setattr(cls, self.name_attribute, name)
            self._entries[name] = Entry(name, cls,
                                        dict(self.defaults, **meta))
            return cls
        return decorate

    def get(self, name):
        """The Entry of ``name``; unknown: KeyError naming the known ones.
        """
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError('unknown %s %r; known: %s' % (
                self.what, name, ', '.join(self.names()) or 'none'))

    def __contains__(self, name):
        return name in self._entries

    def names(self):
        return sorted(self._entries)

    def entries(self):
        return [self._entries[name] for name in self.names()]


def _where(obj):
    return '%s.%s' % (getattr(obj, '__module__', '?'),
                      getattr(obj, '__qualname__', repr(obj)))


# A fault kind: ``target`` (a TARGET_KINDS), ``feature`` (its
# [self_healing_feature_enabled] switch), ``serial`` (its scenario runs in
# a @decorators.serial class), ``schema`` (jsonschema properties of its
# own YAML keys), ``required`` (those of its own keys a file must give),
# ``duration`` (False, True: takes duration_s, or 'required').
FAULTS = Registry('fault kind', required=('target', 'feature'),
                  defaults={'serial': False, 'schema': {}, 'required': (),
                            'duration': False},
                  name_attribute='kind')
# A flow runner: ``feature``, its [self_healing_feature_enabled] switch.
FLOWS = Registry('flow', required=('feature',), name_attribute='name')
# An observer's builder ``build(deployment, since, **params)``: ``phase``
# it observes by default, what it ``reads``, ``calls`` (requests per
# poll), ``needs`` (the Deployment attributes it reads), ``schema``
# (jsonschema properties of its YAML params).
OBSERVERS = Registry('observer', required=('phase', 'reads', 'calls'),
                     defaults={'needs': (), 'schema': {}})
# A stop condition (harness/stop_conditions.py): ``calls`` (cloud
# requests per check, added to the poll spacing), ``schema`` (jsonschema
# properties of its keys in a scenario's ``stop_conditions:``).
STOP_CONDITIONS = Registry('stop condition', defaults={'calls': 0,
                                                       'schema': {}},
                           name_attribute='name')


def _absent(module, error):
    """Whether ``error`` says ``module`` (or a package of it) is absent."""
    missing = getattr(error, 'name', None) or ''
    return bool(missing) and (module == missing or
                              module.startswith(missing + '.'))


def load():
    """Import every module that registers something (idempotent)."""
    for module in REGISTERING_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if not _absent(module, error):
                raise
