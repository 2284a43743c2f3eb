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

"""Declarative scenario files and the tests generated from them.

A scenario file is a YAML mapping at the top of the scenario directory
(artifacts live in sub-directories, paths relative to the file)::

    name: autoheal_delete_member          # [a-z0-9_]+, the test's name
    id: 5f0c2d4e-7f3b-4c1a-9a51-0d6b1c9e2f10   # idempotent id (uuid)
    description: free text                # optional
    flow: autoheal_group                  # the registered flow that runs it
    owner: primary        # | project_manager: the Tempest credentials
                          # that own the flow (its stack and the trust its
                          # workflow runs with); default primary
    services: [heat, aodh, zaqar, mistral]   # [service_available] names
    features: [autoheal_flow]             # more switches it needs: the
                          # flow's and the faults' own are added
    artifacts:                            # every key optional
      heat_template:
        path: heat/autoheal.yaml
        parameters: {size: 2}
        members_output: server_ids        # optional: the template output
                                          # listing the group's members
      mistral_workflow: mistral/mark_unhealthy.yaml
      vitrage_template: vitrage/host_down.yaml
    faults:                               # or one `fault:` mapping
      - kind: instance_delete             # a registered fault kind
        target: member    # | member_host | host:<nova host> | service:<n>
        count: 2          # member targets only, default 1
      - kind: nic_down
        target: member_host
        duration_s: 60    # the kinds that take it
        on: detect        # injected once this phase is seen, or
                          # at_s: 30, seconds after the first fault
    observers:            # optional: override or add phases
      detect: alarm_fired                 # a registered observer
      notified: {observer: alarm_fired, states: [alarm]}   # its params
    recovery:
      identity: replace       # | keep
      host_change: null       # keep only: true | false | null
      trigger: automatic      # | manual: the test itself starts the
                              # healing workflow once the cause is found
    invariants:               # every key optional, default from config
      desired: 2
      max: 4
      min: 1
      floor: 1
      allow_red: false
      steady_window_s: 20
    deadlines:                # <phase>_s of every observed phase and
      detect_s: 60            # recover_s; default from config
      act_s: 90
      recover_s: 300
    expect:
      missed_phase: act       # a negative check: the phase it misses
    stop_conditions:          # optional: added to [self_healing]
      - message_bus           # stop_conditions, a name or a mapping
      - {name: disk_free, floor_mib: 2048}   # whose keys override the
                              # options (harness/stop_conditions.py)
    score:                    # optional: weights of the resilience score
      weight: 1.0             # of this scenario in its flow's and the
                              # run's score (>= 0; default 1)
      phases: {detect: 1, act: 1, recover: 2}   # of each phase (>= 0,
                              # one > 0; these are the defaults)

The schema is built from the registries (harness/registry.py): the fault
kinds with their own keys and target kinds, the flows, the observers and
the stop conditions;
what a schema cannot say (ids, files, orders of values, phases) is a
small check each. The loader reports every error of a file at once:
file, field path (``faults[1].target``), what was expected and what it
found. The resilience score's formula is in report/score.py and the
README.

``generate_tests`` turns the files of one flow into test classes. With
``[self_healing] repeat`` k > 1, each scenario becomes k tests:
``test_<name>`` (the scenario's own id) and ``test_<name>_repeat_<i>``
for i = 2..k, whose idempotent id is ``uuid5(<scenario id>,
'repeat-<i>')``: stable across runs and listings, unique per test, and
each writes its own timeline file (named by its test id).
"""

import os
import re
import sys
import uuid

import jsonschema
from oslo_config import cfg
from tempest import config
from tempest.lib import decorators
import yaml

from self_healing_tempest_plugin import config as sh_config
from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import targets as tg

ARTIFACTS = ('heat_template', 'mistral_workflow', 'vitrage_template')
KNOWN_SERVICES = tuple(o.name for o in sh_config.ServiceAvailableGroup) + (
    'nova', 'neutron', 'glance', 'cinder')
KNOWN_FEATURES = tuple(o.name for o in sh_config.SelfHealingFeatureGroup)
INSTALLED_DIR = os.path.join('share', 'self_healing_tempest_plugin',
                             'scenarios')
_NAME_RE = r'^[a-z][a-z0-9_]*$'
# The Tempest credentials owning a flow: a recovery action some policy
# reserves to a role (Nova's cold migration: project manager) needs an
# owner holding it, since the workflow acts with the owner's trust.
OWNERS = ('primary', 'project_manager')
# Who starts the healing workflow: the flow itself, or the operator (the
# test) once the cloud has shown the cause.
AUTOMATIC, MANUAL = TRIGGERS = ('automatic', 'manual')
# The phases a flow observes unless its runner says otherwise; recover
# is judged by the cluster state, never by an observer.
DEFAULT_PHASES = (dl.DETECT, dl.ACT)
# Defaults of the ``score:`` mapping (the resilience score's weights).
SCORE_WEIGHT = 1.0
SCORE_PHASE_WEIGHTS = {dl.DETECT: 1.0, dl.ACT: 1.0, dl.RECOVER: 2.0}
# The switch every negative check needs: they run as their own CI target.
NEGATIVE_FEATURE = 'negative_checks'
# Top-level keys, in the order errors are reported.
_TOP = ('(file)', 'name', 'id', 'description', 'flow', 'owner', 'services',
        'features', 'artifacts', 'fault', 'faults', 'observers', 'recovery',
        'invariants', 'deadlines', 'expect', 'stop_conditions', 'score')


class ScenarioLoader(yaml.SafeLoader):
    """YAML with the booleans of YAML 1.2: true and false only.

    YAML 1.1 (PyYAML's default) reads ``on``, ``off``, ``yes`` and ``no``
    as booleans, so a fault entry's ``on: detect`` would come out as
    ``{True: 'detect'}``.
    """


ScenarioLoader.yaml_implicit_resolvers = dict(
    (first, [(tag, regexp) for tag, regexp in resolvers
             if tag != 'tag:yaml.org,2002:bool'])
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items())
ScenarioLoader.add_implicit_resolver(
    'tag:yaml.org,2002:bool',
    re.compile(r'^(?:true|True|TRUE|false|False|FALSE)$'), list('tTfF'))


def parse(stream):
    """The data of a scenario file (``ScenarioLoader``)."""
    return yaml.load(stream, Loader=ScenarioLoader)  # nosec: a SafeLoader


class ScenarioError(ValueError):
    """Every problem of one or more scenario files."""

    def __init__(self, errors):
        # [(file, field, message)]
        self.errors = list(errors)
        super(ScenarioError, self).__init__(
            '%d scenario error(s):\n%s' % (len(self.errors), '\n'.join(
                '%s: %s: %s' % error for error in self.errors)))


# -- the schema, from the registries ----------------------------------------
def _phase_name(what='a phase name'):
    return {'type': 'string', 'pattern': _NAME_RE,
            'message': '%s (lower case letters, digits and _)' % what}


_NUMBER_AT_LEAST_1 = {'type': 'number', 'minimum': 1}
_TARGETS = {
    registry.MEMBER: 'member',
    registry.HOST: '%s or %s<nova host name>' % (tg.MEMBER_HOST,
                                                 tg.HOST_PREFIX),
    registry.SERVICE: '%s<service name>' % tg.SERVICE_PREFIX,
}
_TARGET_PATTERNS = {
    registry.MEMBER: r'^member$',
    registry.HOST: r'^(member_host|host:.+)$',
    registry.SERVICE: r'^service:.+$',
}


def _fault_schema(entry):
    """One kind's entry: the common keys and its own (``schema``)."""
    properties = {
        'kind': {'const': entry.name},
        'target': {'type': 'string',
                   'pattern': _TARGET_PATTERNS[entry.target],
                   'message': '%s for fault kind %s' % (
                       _TARGETS[entry.target], entry.name)},
    }
    if entry.target == registry.MEMBER:
        properties['count'] = {'type': 'integer', 'minimum': 1}
    if entry.duration:
        properties['duration_s'] = _NUMBER_AT_LEAST_1
    properties['at_s'] = {'type': 'number', 'minimum': 0}
    properties['on'] = _phase_name()
    properties.update(entry.schema)
    required = ['kind', 'target'] + list(entry.required)
    if entry.duration == 'required':
        required.append('duration_s')
    return {'type': 'object', 'properties': properties, 'required': required,
            'additionalProperties': False, 'x-fault-kind': entry.name}


def _named_by(key, entries, schema_of, message):
    """A mapping whose ``key`` names an entry, checked by its schema."""
    return {
        'type': 'object', 'required': [key], 'message': message,
        'properties': {key: {'enum': [e.name for e in entries]}},
        'allOf': [{'if': {'type': 'object', 'required': [key],
                          'properties': {key: {'const': e.name}}},
                   'then': schema_of(e)} for e in entries]}


def _observer_params_schema(entry):
    properties = {'observer': {'const': entry.name}}
    properties.update(entry.schema)
    return {'type': 'object', 'properties': properties,
            'additionalProperties': False}


def _stop_condition_schema(entry):
    properties = {'name': {'const': entry.name}}
    properties.update(entry.schema)
    return {'type': 'object', 'properties': properties,
            'additionalProperties': False}


def _mapping(properties, required=(), **extra):
    schema = {'type': 'object', 'properties': properties,
              'additionalProperties': False}
    if required:
        schema['required'] = list(required)
    schema.update(extra)
    return schema


def _names(known):
    return {'type': 'array', 'items': {'enum': list(known)},
            'message': 'a list of names'}


def _artifact_path():
    return {'type': 'string', 'minLength': 1,
            'message': 'a path relative to the scenario file'}


def schema():
    """The jsonschema (Draft 7) of a scenario file, from the registries."""
    registry.load()
    integer = {'type': 'integer'}
    fault = _named_by('kind', registry.FAULTS.entries(), _fault_schema,
                      'a fault entry (a mapping with kind and target)')
    return _mapping({
        'name': {'type': 'string', 'pattern': _NAME_RE,
                 'message': 'lower case letters, digits and _ starting '
                            'with a letter'},
        'id': {},                       # a uuid: _check_id
        'description': {'type': 'string', 'message': 'text'},
        'flow': {'enum': registry.FLOWS.names()},
        'owner': {'enum': list(OWNERS)},
        'services': _names(KNOWN_SERVICES),
        'features': _names(KNOWN_FEATURES),
        'artifacts': _mapping({
            'heat_template': {
                'type': ['string', 'object'],
                'message': 'a path relative to the scenario file, or a '
                           'mapping with path',
                'properties': {
                    'path': _artifact_path(),
                    'parameters': {'type': 'object'},
                    'members_output': {
                        'type': 'string', 'minLength': 1,
                        'message': 'the name of the template output '
                                   'listing the group\'s member ids'}},
                'required': ['path'], 'additionalProperties': False},
            'mistral_workflow': _artifact_path(),
            'vitrage_template': _artifact_path()}),
        'fault': fault,
        'faults': {'type': 'array', 'items': fault, 'minItems': 1,
                   'message': 'a list of fault entries'},
        'observers': {'type': 'object', 'propertyNames': _phase_name(),
                      'additionalProperties': _named_by(
                          'observer', registry.OBSERVERS.entries(),
                          _observer_params_schema,
                          'an observer name, or a mapping with observer')},
        'recovery': _mapping({
            'identity': {'enum': [sp.REPLACE, sp.KEEP]},
            'host_change': {'type': ['boolean', 'null'],
                            'message': 'true, false or null'},
            'trigger': {'enum': list(TRIGGERS)}}, required=['identity']),
        'invariants': _mapping({
            'desired': dict(integer, minimum=1),
            'max': dict(integer, minimum=1),
            'min': dict(integer, minimum=0),
            'floor': dict(integer, minimum=0),
            'allow_red': {'type': 'boolean'},
            'steady_window_s': {'type': 'number', 'minimum': 0}}),
        'deadlines': {'type': 'object',
                      'additionalProperties': _NUMBER_AT_LEAST_1},
        'expect': _mapping({'missed_phase': _phase_name()}),
        'stop_conditions': {
            'type': 'array', 'message': 'a list of stop conditions',
            'items': _named_by(
                'name', registry.STOP_CONDITIONS.entries(),
                _stop_condition_schema,
                'a stop condition name, or a mapping with name')},
        'score': _mapping({
            'weight': {'type': 'number', 'minimum': 0},
            'phases': _mapping(dict(
                (phase, {'type': 'number', 'minimum': 0})
                for phase in dl.PHASES))}),
    }, required=['name', 'id', 'flow', 'recovery'])


# -- jsonschema errors in the loader's words -------------------------------
_TYPE_WORDS = {'object': 'a mapping', 'array': 'a list', 'string': 'text',
               'boolean': 'true or false', 'integer': 'an integer',
               'number': 'a number', 'null': 'null'}


def _expected(schema_):
    """What ``schema_`` expects, in words."""
    if 'message' in schema_:
        return schema_['message']
    if 'enum' in schema_ and not schema_['enum']:
        return ('a registered name, but none is registered: no module of '
                'registry.REGISTERING_MODULES registers one')
    if 'enum' in schema_:
        return 'one of %s' % ', '.join(str(v) for v in schema_['enum'])
    if 'const' in schema_:
        return repr(schema_['const'])
    types = schema_.get('type')
    types = [types] if isinstance(types, str) else list(types or ())
    words = ' or '.join(_TYPE_WORDS[t] for t in types) or 'something else'
    if 'minimum' in schema_:
        words += ' >= %s' % schema_['minimum']
    return words


def _found(value):
    if isinstance(value, (dict, list)):
        return type(value).__name__
    return repr(value)


def field_path(parts):
    """``faults[1].target`` of the parts ['faults', 1, 'target']."""
    text = ''
    for part in parts:
        if isinstance(part, int):
            text += '[%d]' % part
        else:
            text += ('.' if text else '') + str(part)
    return text or '(file)'


def _kinds_taking(key):
    return [e.name for e in registry.FAULTS.entries()
            if key in _fault_schema(e)['properties']]


def _messages(error):
    """[(field parts, message)] of one jsonschema error."""
    path = list(error.absolute_path)
    schema_ = error.schema
    if error.validator == 'required':
        return [(path + [key], 'missing; expected %s' % _expected(
            schema_.get('properties', {}).get(key, {'type': 'object'})))
            for key in error.validator_value if key not in error.instance]
    if error.validator == 'additionalProperties':
        allowed = list(schema_.get('properties', ()))
        kind = schema_.get('x-fault-kind')
        found = []
        for key in error.instance:
            if key in allowed:
                continue
            takers = _kinds_taking(key) if kind else []
            if len(takers) == 1:
                message = 'only a %s fault takes it, not %s' % (
                    takers[0], kind)
            elif takers:
                message = 'only the %s faults take it, not %s' % (
                    ', '.join(takers), kind)
            else:
                message = 'unknown field; expected one of: %s' % (
                    ', '.join(allowed))
            found.append((path + [key], message))
        return found
    if 'propertyNames' in error.schema_path:
        return [(path + [error.instance], 'expected %s, got %r' % (
            _expected(schema_), error.instance))]
    if error.validator == 'minItems':
        return [(path, 'expected at least %d entries, got %d' % (
            error.validator_value, len(error.instance)))]
    return [(path, 'expected %s, got %s' % (_expected(schema_),
                                            _found(error.instance)))]


def observer_specs(observers):
    """``{phase: {'observer': name, **params}}`` of ``observers:``.

    A value may be the observer's name alone.
    """
    return dict((phase, {'observer': spec} if isinstance(spec, str)
                 else spec) for phase, spec in observers.items())


def stop_condition_specs(specs):
    """``[{'name': name, **keys}]`` of ``stop_conditions:``.

    An entry may be the condition's name alone.
    """
    return [{'name': spec} if isinstance(spec, str) else spec
            for spec in specs]


def _schema_errors(data):
    validator = jsonschema.Draft7Validator(schema())
    if isinstance(data.get('observers'), dict):
        data = dict(data, observers=observer_specs(data['observers']))
    if isinstance(data.get('stop_conditions'), list):
        data = dict(data, stop_conditions=stop_condition_specs(
            data['stop_conditions']))
    found = []
    for error in validator.iter_errors(data):
        for parts, message in _messages(error):
            if (parts, message) not in found:
                found.append((parts, message))
    return found


# -- what the schema cannot say --------------------------------------------
def _dict(value):
    return value if isinstance(value, dict) else {}


def _check_id(data):
    value = data.get('id')
    try:
        if not isinstance(value, str):
            raise ValueError()
        uuid.UUID(value)
    except ValueError:
        return [(['id'], 'expected a uuid (idempotent id), got %r'
                 % (value,))]
    return []


def fault_entries(data):
    """The fault entries of ``data``: ``faults``, or [``fault``]."""
    if 'faults' in data:
        return data['faults'] if isinstance(data['faults'], list) else []
    return [data['fault']] if 'fault' in data else []


def _entry_parts(data, index):
    return ['faults', index] if 'faults' in data else ['fault']


def _flow_phases(flow):
    """The default phases of ``flow``'s runner (None: no such flow)."""
    if not isinstance(flow, str) or flow not in registry.FLOWS:
        return None
    return tuple(getattr(registry.FLOWS.get(flow).cls, 'default_phases',
                         DEFAULT_PHASES))


def observed_phases(data):
    """The phases a run of ``data`` observes (None: unknown flow)."""
    defaults = _flow_phases(data.get('flow'))
    if defaults is None:
        return None
    extra = [p for p in _dict(data.get('observers'))
             if p not in defaults and p != dl.RECOVER]
    return defaults + tuple(extra)


def _check_faults(data):
    found = []
    if ('fault' in data) == ('faults' in data):
        found.append((['faults'], 'expected exactly one of fault (a '
                                  'mapping) or faults (a list), got %s'
                      % ('both' if 'fault' in data else 'neither')))
    entries = [e for e in fault_entries(data) if isinstance(e, dict)]
    if entries and all('on' in e or (_number(e.get('at_s')) and e['at_s'] > 0)
                       for e in entries):
        found.append((_entry_parts(data, 0), 'expected a fault that starts '
                      'the run (neither on nor at_s > 0): the deadlines '
                      'count from it'))
    phases = observed_phases(data)
    for index, entry in enumerate(fault_entries(data)):
        if not isinstance(entry, dict):
            continue
        parts = _entry_parts(data, index)
        if 'at_s' in entry and 'on' in entry:
            found.append((parts + ['on'], 'expected at_s or on, not both'))
        if phases is not None and isinstance(entry.get('on'), str) and (
                entry['on'] not in phases):
            found.append((parts + ['on'], 'expected a phase this scenario '
                          'observes (%s), got %r'
                          % (', '.join(phases), entry['on'])))
        if entry.get('kind') in registry.FAULTS:
            cls = registry.FAULTS.get(entry['kind']).cls
            found.extend((parts + [key], message)
                         for key, message in cls.spec_errors(entry))
    return found


def _check_observers(data):
    if dl.RECOVER in _dict(data.get('observers')):
        return [(['observers', dl.RECOVER], 'recover is judged by the '
                 'cluster state, never by an observer')]
    return []


def _check_artifact_files(path, data):
    found = []
    artifacts = _dict(data.get('artifacts'))
    for key in ARTIFACTS:
        value, parts = artifacts.get(key), ['artifacts', key]
        if isinstance(value, dict):
            value, parts = value.get('path'), parts + ['path']
        if not isinstance(value, str) or not value:
            continue
        full = resolve(path, value)
        if not os.path.isfile(full):
            found.append((parts, 'expected an existing file, %s does not '
                                 'exist' % full))
    return found


def _check_recovery(data):
    recovery = _dict(data.get('recovery'))
    found = []
    if recovery.get('host_change') is not None and (
            recovery.get('identity') == sp.REPLACE):
        found.append((['recovery', 'host_change'], 'only identity keep '
                      'checks the host; expected null'))
    kinds = [e.get('kind') for e in fault_entries(data)
             if isinstance(e, dict)]
    if recovery.get('identity') == sp.KEEP and 'instance_delete' in kinds:
        found.append((['recovery', 'identity'], 'a deleted server cannot '
                      'keep its identity; expected replace'))
    return found


def _number(value):
    return (isinstance(value, (int, float)) and
            not isinstance(value, bool))


def _check_invariants(data):
    inv = _dict(data.get('invariants'))
    found = []
    for low, high in (('floor', 'desired'), ('min', 'desired'),
                      ('desired', 'max')):
        if _number(inv.get(low)) and _number(inv.get(high)) and (
                inv[low] > inv[high]):
            found.append((['invariants', low], 'expected <= %s (%s), got %s'
                          % (high, inv[high], inv[low])))
    return found


def _check_deadlines(data):
    spec = _dict(data.get('deadlines'))
    phases = observed_phases(data)
    if phases is None:
        return []
    known = ['%s_s' % p for p in phases + (dl.RECOVER,)]
    found = [(['deadlines', key], 'unknown phase; expected one of: %s'
              % ', '.join(known)) for key in spec if key not in known]
    # Every deadline counts from the first fault: the flow's own phases
    # come in order, then recover; an extra phase comes before recover.
    defaults = _flow_phases(data['flow'])
    ordered = ['%s_s' % p for p in defaults + (dl.RECOVER,)]
    given = [(k, spec[k]) for k in ordered if _number(spec.get(k))]
    for (low, a), (high, b) in zip(given, given[1:]):
        if a > b:
            found.append((['deadlines', low], _later(high, b, a)))
    recover = spec.get('recover_s')
    for key in ['%s_s' % p for p in phases if p not in defaults]:
        if _number(recover) and _number(spec.get(key)) and (
                spec[key] > recover):
            found.append((['deadlines', key], _later('recover_s', recover,
                                                     spec[key])))
    return found


def _later(high, limit, value):
    return ('expected <= %s (%s): every deadline counts from the fault, '
            'got %s' % (high, limit, value))


def _check_expect(data):
    missed = _dict(data.get('expect')).get('missed_phase')
    phases = observed_phases(data)
    if phases is None or not isinstance(missed, str) or missed in phases:
        return []
    return [(['expect', 'missed_phase'], 'expected one of %s, got %r'
             % (', '.join(phases), missed))]


def _check_stop_conditions(data):
    specs = data.get('stop_conditions')
    if not isinstance(specs, list):
        return []
    found, seen = [], {}
    for index, spec in enumerate(stop_condition_specs(specs)):
        name = spec.get('name') if isinstance(spec, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            found.append((['stop_conditions', index], 'expected each '
                          'condition once, %s is also stop_conditions[%d]'
                          % (name, seen[name])))
        seen.setdefault(name, index)
    return found


def _check_score(data):
    phases = _dict(_dict(data.get('score')).get('phases'))
    if not phases or not all(_number(v) for v in phases.values()):
        return []
    weights = dict(SCORE_PHASE_WEIGHTS, **phases)
    if not any(_number(v) and v > 0 for v in weights.values()):
        return [(['score', 'phases'], 'expected at least one weight > 0, '
                 'got %r' % (weights,))]
    return []


def resolve(path, relative):
    """The absolute path of an artifact, relative to its scenario file."""
    return os.path.normpath(os.path.join(os.path.dirname(path), relative))


def _order(error):
    parts, _ = error
    top = parts[0] if parts else '(file)'
    return (_TOP.index(top) if top in _TOP else len(_TOP),
            [(0, p, '') if isinstance(p, int) else (1, 0, str(p))
             for p in parts[1:]])


def validate(path, data):
    """The list of (file, field, message) errors of parsed ``data``."""
    if not isinstance(data, dict):
        return [(path, '(file)', 'expected a YAML mapping, got %s'
                 % type(data).__name__)]
    found = _schema_errors(data)
    for check in (_check_id, _check_faults, _check_observers,
                  _check_recovery, _check_invariants, _check_deadlines,
                  _check_expect, _check_stop_conditions, _check_score):
        found.extend(check(data))
    found.extend(_check_artifact_files(path, data))
    return [(path, field_path(parts), message)
            for parts, message in sorted(found, key=_order)]


class Scenario(object):
    """A validated scenario; artifact paths are absolute."""

    def __init__(self, path, data):
        registry.load()
        self.path = path
        self.name = data['name']
        self.id = data['id']
        self.description = data.get('description', '')
        self.flow = data['flow']
        self.owner = data.get('owner') or OWNERS[0]
        self.services = tuple(data.get('services', ()))
        self.features = tuple(data.get('features', ()))
        self.artifacts = self._absolute(data.get('artifacts', {}))
        self.faults = [dict(entry) for entry in fault_entries(data)]
        self.observers_spec = dict(
            (phase, dict(spec)) for phase, spec in observer_specs(
                data.get('observers') or {}).items())
        self.phase_names = observed_phases(data)
        self.recovery = data['recovery']
        self.invariants_spec = data.get('invariants', {})
        self.deadlines_spec = data.get('deadlines', {})
        self.expect_missed_phase = (data.get('expect') or {}).get(
            'missed_phase')
        # [{'name': ..., **keys}]: added to [self_healing] stop_conditions.
        self.stop_conditions = [dict(spec) for spec in stop_condition_specs(
            data.get('stop_conditions') or ())]
        score = data.get('score') or {}
        self.score_weight = float(score.get('weight', SCORE_WEIGHT))
        self.phase_weights = dict(SCORE_PHASE_WEIGHTS, **dict(
            (k, float(v)) for k, v in (score.get('phases') or {}).items()))

    def _absolute(self, artifacts):
        resolved = {}
        for key, value in artifacts.items():
            if isinstance(value, dict):
                value = dict(value, path=resolve(self.path, value['path']))
            else:
                value = resolve(self.path, value)
            resolved[key] = value
        return resolved

    @property
    def fault(self):
        """The first fault entry (the only one of a one-fault file)."""
        return self.faults[0]

    @property
    def fault_kinds(self):
        """The registry entries of the scenario's fault kinds, in order."""
        return [registry.FAULTS.get(f['kind']) for f in self.faults]

    @property
    def serial(self):
        """Whether any fault must run serially (a tempest serial class)."""
        return any(entry.serial for entry in self.fault_kinds)

    @property
    def negative(self):
        """A negative check: the run must miss ``expect_missed_phase``."""
        return self.expect_missed_phase is not None

    @property
    def effective_features(self):
        """Its features, its faults', its flow's (and negative_checks)."""
        features = list(self.features)
        features += [entry.feature for entry in self.fault_kinds]
        features.append(registry.FLOWS.get(self.flow).feature)
        if self.negative:
            features.append(NEGATIVE_FEATURE)
        return tuple(sorted(set(features), key=features.index))

    @property
    def trigger(self):
        return self.recovery.get('trigger') or AUTOMATIC

    def artifact(self, key):
        """Absolute path of artifact ``key`` (or None)."""
        value = self.artifacts.get(key)
        if isinstance(value, dict):
            value = value['path']
        return value

    def heat_parameters(self):
        value = self.artifacts.get('heat_template')
        return dict(value.get('parameters', {})) if isinstance(
            value, dict) else {}

    def heat_members_output(self):
        """The template output listing the members' ids, if named."""
        value = self.artifacts.get('heat_template')
        return value.get('members_output') if isinstance(value,
                                                         dict) else None

    def missing_requirements(self, conf):
        """Reasons (from config only) this cloud cannot run it."""
        reasons = []
        for service in self.services:
            if not getattr(conf.service_available, service, False):
                reasons.append('[service_available] %s is false' % service)
        for feature in self.effective_features:
            if not getattr(conf.self_healing_feature_enabled, feature,
                           False):
                reasons.append('[self_healing_feature_enabled] %s is false'
                               % feature)
        return reasons

    def cluster_rules(self, conf):
        """(sampler.Bounds, sampler.RecoveryTarget) of the file.

        [self_healing] fills what the file leaves unset
        (``sampler.cluster_rules``).
        """
        spec = self.invariants_spec
        return sp.cluster_rules(
            conf, desired=spec.get('desired'), max_size=spec.get('max'),
            floor=spec.get('floor'), min_size=spec.get('min'),
            identity=self.recovery['identity'],
            host_change=self.recovery.get('host_change'),
            allow_red=spec.get('allow_red'),
            steady_window_s=spec.get('steady_window_s'))

    def steady_window_s(self, conf):
        return self.invariants_spec.get('steady_window_s',
                                        conf.steady_window_s)

    def phase_deadline_s(self, phase, conf):
        """Seconds from the first fault by which ``phase`` must be seen.

        ``deadlines.<phase>_s``, else [self_healing] <phase>_timeout_s
        (detect, act, recover) or phase_timeout_s (an extra phase).
        """
        given = self.deadlines_spec.get('%s_s' % phase)
        if given is not None:
            return given
        if phase in dl.PHASES:
            return getattr(conf, '%s_timeout_s' % phase)
        return conf.phase_timeout_s

    def deadlines(self, conf):
        """``deadlines.Deadlines`` of every observed phase and recover."""
        return dl.Deadlines(dict(
            (p, self.phase_deadline_s(p, conf))
            for p in tuple(self.phase_names) + (dl.RECOVER,)))


def load(path):
    """A validated ``Scenario`` from ``path``, or ScenarioError."""
    try:
        with open(path) as stream:
            data = parse(stream)
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError([(path, '(file)', 'expected readable YAML: %s'
                              % exc)])
    errors = validate(path, data)
    if errors:
        raise ScenarioError(errors)
    return Scenario(path, data)


def scenario_files(directory):
    return sorted(os.path.join(directory, name)
                  for name in os.listdir(directory)
                  if name.endswith(('.yaml', '.yml')) and
                  os.path.isfile(os.path.join(directory, name)))


def load_all(directory):
    """(scenarios, broken): broken is [(path, ScenarioError)].

    Ids and names must be unique across the directory; a clash marks
    both files broken.
    """
    scenarios, broken = [], []
    for path in scenario_files(directory):
        try:
            scenarios.append(load(path))
        except ScenarioError as exc:
            broken.append((path, exc))
    for field in ('id', 'name'):
        seen = {}
        for scenario in scenarios:
            seen.setdefault(getattr(scenario, field), []).append(scenario)
        for value, clash in seen.items():
            if len(clash) < 2:
                continue
            for scenario in clash:
                others = ', '.join(s.path for s in clash if s is not scenario)
                broken.append((scenario.path, ScenarioError([(
                    scenario.path, field, 'expected a unique %s, %s is '
                    'also in %s' % (field, value, others))])))
    bad = set(path for path, _ in broken)
    return [s for s in scenarios if s.path not in bad], broken


_LOADED = {}


def _load_all_once(directory):
    """``load_all``, parsed once per process while the files stay as is.

    Six test modules read the same directory at import.
    """
    stamp = tuple((p, os.stat(p).st_mtime_ns, os.stat(p).st_size)
                  for p in scenario_files(directory))
    if _LOADED.get(directory, (None,))[0] != stamp:
        _LOADED[directory] = (stamp, load_all(directory))
    return _LOADED[directory][1]


def find_directory(configured=None):
    """[self_healing] scenario_dir, the checkout's, or the installed one."""
    if configured:
        return configured
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(
        __file__)))
    checkout = os.path.join(os.path.dirname(package_dir), 'scenarios')
    if os.path.isdir(checkout):
        return checkout
    return os.path.join(sys.prefix, INSTALLED_DIR)


# What reading the plugin's options raises when they are not there: no
# tempest.conf, or the plugin's options not registered (a plain unit test
# run). Anything else (a bad value) must surface.
_NO_CONFIG = (AttributeError, cfg.NoSuchOptError, cfg.NoSuchGroupError,
              cfg.ConfigFilesNotFoundError)


def _configured_dir():
    """[self_healing] scenario_dir ('' without a configuration)."""
    try:
        return config.CONF.self_healing.scenario_dir
    except _NO_CONFIG:
        return ''


def _configured_repeat():
    """[self_healing] repeat (1 without a configuration)."""
    try:
        return max(1, int(config.CONF.self_healing.repeat))
    except _NO_CONFIG:
        return 1


def repetition_id(scenario_id, index):
    """Idempotent id of repetition ``index`` (1: the scenario's own)."""
    if index == 1:
        return scenario_id
    return str(uuid.uuid5(uuid.UUID(scenario_id), 'repeat-%d' % index))


def repetition_name(scenario, index):
    """Test method name of repetition ``index``."""
    name = 'test_%s' % scenario.name
    return name if index == 1 else '%s_repeat_%d' % (name, index)


def _broken_test(name, test_id, message):
    def test(self):
        self.fail(message)
    test.__name__ = name
    return decorators.idempotent_id(test_id)(test)


def _scenario_test(scenario, index=1, repeat=1):
    """The test method: skip from config alone, then run the flow."""
    def test(self):
        reasons = scenario.missing_requirements(config.CONF)
        if reasons:
            raise self.skipException('scenario %s needs: %s' % (
                scenario.name, '; '.join(reasons)))
        runner = registry.FLOWS.get(scenario.flow).cls(self)
        if scenario.negative:
            runner.run_negative(scenario)
        else:
            runner.run_positive(scenario)
    test.__name__ = repetition_name(scenario, index)
    test.__doc__ = scenario.description or None
    if repeat > 1:
        test.__doc__ = '%s(repetition %d of %d)' % (
            test.__doc__ + ' ' if test.__doc__ else '', index, repeat)
    return decorators.attr(type='slow')(
        decorators.idempotent_id(repetition_id(scenario.id, index))(test))


def class_name(flow, serial=False, negative=False):
    """``AutohealGroupSerialNegativeTest`` of flow autoheal_group."""
    return '%s%s%sTest' % (''.join(p.capitalize() for p in flow.split('_')),
                           'Serial' if serial else '',
                           'Negative' if negative else '')


def _base_test():
    from self_healing_tempest_plugin.tests import base
    return base.BaseSelfHealingTest


def generate_tests(module_globals, flow, base_class=None, directory=None,
                   repeat=None):
    """Add ``flow``'s test classes to the module; return them.

    Up to four classes, named from the flow (flow autoheal_group:
    AutohealGroupTest, AutohealGroupNegativeTest, AutohealGroupSerialTest,
    AutohealGroupSerialNegativeTest), only those with scenarios; the
    serial ones are ``@decorators.serial`` (a scenario with a serial
    fault). Each subclasses ``base_class`` (default
    tests.base.BaseSelfHealingTest), with ``flow`` and the flow's
    required_services and feature (and negative_checks for the
    negative ones) as class requirements, and holds one ``test_<name>``
    per scenario file of the flow (see the module docstring for
    ``repeat``; default [self_healing] repeat). Each test carries its
    scenario's idempotent id, is tagged slow, skips from config alone
    when a service or feature is missing, and runs
    ``FLOWS.get(flow).cls(self).run_positive(scenario)`` (or
    ``run_negative``). Loading only reads local files, so listing never
    calls a cloud; broken files are ``report_broken_files``'s.
    """
    registry.load()
    entry = registry.FLOWS.get(flow)
    base_class = base_class or _base_test()
    times = repeat or _configured_repeat()
    path = directory or find_directory(_configured_dir())
    scenarios = _load_all_once(path)[0] if os.path.isdir(path) else []
    made = []
    for serial in (False, True):
        for negative in (False, True):
            chosen = [s for s in scenarios if s.flow == flow and
                      s.serial == serial and s.negative == negative]
            if not chosen:
                continue
            name = class_name(flow, serial, negative)
            if name in module_globals:
                raise ValueError('module %s already has %s' % (
                    module_globals.get('__name__'), name))
            attrs = {
                '__module__': module_globals.get('__name__'),
                '__doc__': '%s scenarios of flow %s%s.' % (
                    'Negative' if negative else 'Healing', flow,
                    ', run serially' if serial else ''),
                'flow': flow,
                'required_services': tuple(getattr(
                    entry.cls, 'required_services', ())),
                'required_features': (entry.feature,) + (
                    (NEGATIVE_FEATURE,) if negative else ()),
            }
            for scenario in chosen:
                for index in range(1, times + 1):
                    test_name = repetition_name(scenario, index)
                    attrs[test_name] = _scenario_test(scenario, index, times)
            cls = type(name, (base_class,), attrs)
            if serial:
                cls = decorators.serial(cls)
            module_globals[name] = cls
            made.append(cls)
    return made


def _light_test():
    from tempest.lib import base
    return base.BaseTestCase


def report_broken_files(module_globals, directory=None, base_class=None):
    """Add ScenarioFilesTest: one failing test per broken file.

    A broken file (or a missing directory) becomes a test that fails
    with every error, instead of an import error that would break every
    Tempest run; call it from one module only. Returns the class, or
    None when every file loads.
    """
    path = directory or find_directory(_configured_dir())
    attrs = {'__module__': module_globals.get('__name__'),
             '__doc__': 'The scenario files that do not load.'}
    if not os.path.isdir(path):
        attrs['test_scenario_directory'] = _broken_test(
            'test_scenario_directory',
            str(uuid.uuid5(uuid.NAMESPACE_URL, 'self-healing:dir')),
            'no scenario directory at %s: set [self_healing] '
            'scenario_dir or install the plugin with its scenarios' % path)
    else:
        for file_path, error in _load_all_once(path)[1]:
            stem = re.sub(r'\W+', '_', os.path.splitext(
                os.path.basename(file_path))[0]).lower()
            name = 'test_broken_scenario_%s' % stem
            attrs[name] = _broken_test(
                name, str(uuid.uuid5(uuid.NAMESPACE_URL,
                                     'self-healing:' + stem)), str(error))
    if len(attrs) == 2:
        return None
    cls = type('ScenarioFilesTest', (base_class or _light_test(),), attrs)
    module_globals['ScenarioFilesTest'] = cls
    return cls
