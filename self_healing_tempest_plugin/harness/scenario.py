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
    owner: primary        # | project_manager: the Tempest credentials
                          # that own the flow (its stack and the trust its
                          # workflow runs with); default primary
    services: [heat, aodh, zaqar, mistral]   # [service_available] names
    features: [autoheal_flow, instance_delete_fault]
    artifacts:                            # every key optional
      heat_template: {path: heat/autoheal.yaml, parameters: {size: 2}}
      mistral_workflow: mistral/mark_unhealthy.yaml
      vitrage_template: vitrage/host_down.yaml
    fault:
      kind: instance_delete   # | server_stop | server_error | nic_down
                              # | host_stop
      target: member          # | member_host | host:<nova host name>
      duration_s: 60          # nic_down only, optional
      nic: eth1               # nic_down only, optional
      force_down: true        # host_stop only, default true
      ssh_stop: true          # host_stop only, default true
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
    deadlines:                # every key optional, default from config
      detect_s: 60
      act_s: 90
      recover_s: 300
    score:                    # optional: weights of the resilience score
      weight: 1.0             # of this scenario in its flow's and the
                              # run's score (>= 0; default 1)
      phases: {detect: 1, act: 1, recover: 2}   # of each phase (>= 0,
                              # one > 0; these are the defaults)

The resilience score's formula is in report/score.py and the README.

With ``[self_healing] repeat`` k > 1, each scenario becomes k tests:
``test_<name>`` (the scenario's own id) and ``test_<name>_repeat_<i>``
for i = 2..k, whose idempotent id is ``uuid5(<scenario id>,
'repeat-<i>')``: stable across runs and listings, unique per test, and
each writes its own timeline file (named by its test id).

The loader reports every error of a file at once: file, field, what was
expected and what it found.
"""

import os
import re
import sys
import uuid

from tempest import config
from tempest.lib import decorators
import yaml

from self_healing_tempest_plugin import config as sh_config
from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import sampler as sp

FAULT_KINDS = ('instance_delete', 'server_stop', 'server_error',
               'nic_down', 'host_stop')
MEMBER_FAULTS = ('instance_delete', 'server_stop', 'server_error')
HOST_FAULTS = ('nic_down', 'host_stop')
MEMBER_TARGETS = ('member',)
HOST_TARGETS = ('member_host',)
ARTIFACTS = ('heat_template', 'mistral_workflow', 'vitrage_template')
KNOWN_SERVICES = tuple(o.name for o in sh_config.ServiceAvailableGroup) + (
    'nova', 'neutron', 'glance', 'cinder')
KNOWN_FEATURES = tuple(o.name for o in sh_config.SelfHealingFeatureGroup)
INSTALLED_DIR = os.path.join('share', 'self_healing_tempest_plugin',
                             'scenarios')
_NAME_RE = re.compile(r'^[a-z][a-z0-9_]*$')
_TOP = ('name', 'id', 'description', 'owner', 'services', 'features',
        'artifacts', 'fault', 'recovery', 'invariants', 'deadlines',
        'expect', 'score')
# The Tempest credentials owning a flow: a recovery action some policy
# reserves to a role (Nova's cold migration: project manager) needs an
# owner holding it, since the workflow acts with the owner's trust.
OWNERS = ('primary', 'project_manager')
# A negative scenario deploys a flow without its trigger and expects the
# healing run to miss one of these deadlines.
MISSABLE_PHASES = (dl.DETECT, dl.ACT)
# Who starts the healing workflow: the flow itself, or the operator (the
# test) once the cloud has shown the cause.
AUTOMATIC, MANUAL = TRIGGERS = ('automatic', 'manual')
# Defaults of the ``score:`` mapping (the resilience score's weights).
SCORE_WEIGHT = 1.0
SCORE_PHASE_WEIGHTS = {dl.DETECT: 1.0, dl.ACT: 1.0, dl.RECOVER: 2.0}


class ScenarioError(ValueError):
    """Every problem of one or more scenario files."""

    def __init__(self, errors):
        # [(file, field, message)]
        self.errors = list(errors)
        super(ScenarioError, self).__init__(
            '%d scenario error(s):\n%s' % (len(self.errors), '\n'.join(
                '%s: %s: %s' % error for error in self.errors)))


class Scenario(object):
    """A validated scenario; artifact paths are absolute."""

    def __init__(self, path, data):
        self.path = path
        self.name = data['name']
        self.id = data['id']
        self.description = data.get('description', '')
        self.owner = data.get('owner') or OWNERS[0]
        self.services = tuple(data.get('services', ()))
        self.features = tuple(data.get('features', ()))
        self.artifacts = data.get('artifacts', {})
        self.fault = data['fault']
        self.recovery = data['recovery']
        self.invariants_spec = data.get('invariants', {})
        self.deadlines_spec = data.get('deadlines', {})
        self.expect_missed_phase = (data.get('expect') or {}).get(
            'missed_phase')
        score = data.get('score') or {}
        self.score_weight = float(score.get('weight', SCORE_WEIGHT))
        self.phase_weights = dict(SCORE_PHASE_WEIGHTS, **dict(
            (k, float(v)) for k, v in (score.get('phases') or {}).items()))

    @property
    def host_fault(self):
        """Host faults must run serially (tempest serial classes)."""
        return self.fault['kind'] in HOST_FAULTS

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

    def missing_requirements(self, conf):
        """Reasons (from config only) this cloud cannot run it."""
        reasons = []
        for service in self.services:
            if not getattr(conf.service_available, service, False):
                reasons.append('[service_available] %s is false' % service)
        for feature in self.features:
            if not getattr(conf.self_healing_feature_enabled, feature,
                           False):
                reasons.append('[self_healing_feature_enabled] %s is false'
                               % feature)
        return reasons

    def invariants(self, conf):
        """``sampler.Invariants``; [self_healing] fills what is unset."""
        spec = self.invariants_spec
        return sp.Invariants.from_config(
            conf, desired=spec.get('desired'), max_size=spec.get('max'),
            floor=spec.get('floor'), min_size=spec.get('min'),
            identity=self.recovery['identity'],
            host_change=self.recovery.get('host_change'),
            allow_red=spec.get('allow_red'))

    def steady_window_s(self, conf):
        return self.invariants_spec.get('steady_window_s',
                                        conf.steady_window_s)

    def deadlines(self, conf):
        spec = self.deadlines_spec
        return dl.Deadlines.from_config(
            conf, detect_s=spec.get('detect_s'), act_s=spec.get('act_s'),
            recover_s=spec.get('recover_s'))


class _Checker(object):
    """Collects the errors of one file."""

    def __init__(self, path):
        self.path = path
        self.errors = []

    def error(self, field, message):
        self.errors.append((self.path, field, message))

    def unknown_keys(self, mapping, allowed, prefix):
        for key in sorted(set(mapping) - set(allowed), key=str):
            self.error('%s%s' % (prefix, key),
                       'unknown field; expected one of: %s'
                       % ', '.join(allowed))

    def mapping(self, data, field, required=False):
        value = data.get(field) if isinstance(data, dict) else None
        if value is None:
            if required:
                self.error(field, 'missing; expected a mapping')
            return {}
        if not isinstance(value, dict):
            self.error(field, 'expected a mapping, got %s'
                       % type(value).__name__)
            return {}
        return value

    def choice(self, data, field, choices, prefix, required=True):
        value = data.get(field)
        if value is None and not required:
            return None
        if value not in choices:
            self.error(prefix + field, 'expected one of %s, got %r'
                       % (', '.join(choices), value))
            return None
        return value

    def number(self, data, field, prefix, minimum, integer=False):
        value = data.get(field)
        if value is None:
            return None
        kinds = (int,) if integer else (int, float)
        if (isinstance(value, bool) or not isinstance(value, kinds) or
                value < minimum):
            self.error(prefix + field, 'expected %s >= %s, got %r' % (
                'an integer' if integer else 'a number', minimum, value))
            return None
        return value

    def boolean(self, data, field, prefix):
        value = data.get(field)
        if value is not None and not isinstance(value, bool):
            self.error(prefix + field, 'expected true or false, got %r'
                       % (value,))

    def names(self, data, field, known):
        value = data.get(field, [])
        if not isinstance(value, list):
            self.error(field, 'expected a list of names, got %r' % (value,))
            return
        for index, name in enumerate(value):
            if name not in known:
                self.error('%s[%d]' % (field, index),
                           'expected one of %s, got %r'
                           % (', '.join(known), name))

    def artifact_path(self, field, value):
        if not isinstance(value, str) or not value:
            self.error(field, 'expected a path relative to the scenario '
                              'file, got %r' % (value,))
            return None
        full = os.path.normpath(os.path.join(
            os.path.dirname(self.path), value))
        if not os.path.isfile(full):
            self.error(field, 'expected an existing file, %s does not '
                              'exist' % full)
            return None
        return full


def _check_identity(chk, data):
    name = data.get('name')
    if not isinstance(name, str) or not _NAME_RE.match(name):
        chk.error('name', 'expected lower case letters, digits and _ '
                          'starting with a letter, got %r' % (name,))
    value = data.get('id')
    try:
        if not isinstance(value, str):
            raise ValueError()
        uuid.UUID(value)
    except ValueError:
        chk.error('id', 'expected a uuid (idempotent id), got %r'
                  % (value,))
    description = data.get('description', '')
    if not isinstance(description, str):
        chk.error('description', 'expected text, got %r' % (description,))


def _check_artifacts(chk, data):
    artifacts = chk.mapping(data, 'artifacts')
    chk.unknown_keys(artifacts, ARTIFACTS, 'artifacts.')
    for key in ARTIFACTS:
        if key not in artifacts:
            continue
        value = artifacts[key]
        field = 'artifacts.%s' % key
        if key == 'heat_template' and isinstance(value, dict):
            chk.unknown_keys(value, ('path', 'parameters'), field + '.')
            parameters = value.get('parameters', {})
            if not isinstance(parameters, dict):
                chk.error(field + '.parameters', 'expected a mapping, got '
                          '%r' % (parameters,))
            full = chk.artifact_path(field + '.path', value.get('path'))
            if full:
                value['path'] = full
        else:
            full = chk.artifact_path(field, value)
            if full:
                artifacts[key] = full


def _check_fault(chk, data):
    fault = chk.mapping(data, 'fault', required=True)
    if not fault:
        return None
    chk.unknown_keys(fault, ('kind', 'target', 'duration_s', 'nic',
                             'force_down', 'ssh_stop'), 'fault.')
    kind = chk.choice(fault, 'kind', FAULT_KINDS, 'fault.')
    target = fault.get('target')
    if kind in MEMBER_FAULTS:
        chk.choice(fault, 'target', MEMBER_TARGETS, 'fault.')
    elif kind in HOST_FAULTS and not (
            target in HOST_TARGETS or (isinstance(target, str) and
                                       target.startswith('host:') and
                                       len(target) > 5)):
        chk.error('fault.target', 'expected member_host or host:<nova '
                                  'host name> for a %s fault, got %r'
                  % (kind, target))
    chk.number(fault, 'duration_s', 'fault.', 1)
    if kind != 'nic_down':
        for key in ('duration_s', 'nic'):
            if key in fault:
                chk.error('fault.%s' % key, 'only a nic_down fault takes '
                                            'it, not %s' % kind)
    if kind != 'host_stop':
        for key in ('force_down', 'ssh_stop'):
            if key in fault:
                chk.error('fault.%s' % key, 'only a host_stop fault takes '
                                            'it, not %s' % kind)
    for key in ('force_down', 'ssh_stop'):
        chk.boolean(fault, key, 'fault.')
    if kind == 'host_stop' and fault.get('force_down') is False and (
            fault.get('ssh_stop') is False):
        chk.error('fault.force_down', 'a host_stop needs force_down or '
                                      'ssh_stop (both are false)')
    if 'nic' in fault and not (isinstance(fault['nic'], str) and
                               fault['nic']):
        chk.error('fault.nic', 'expected an interface name, got %r'
                  % (fault['nic'],))
    return kind


def _check_recovery(chk, data, kind):
    recovery = chk.mapping(data, 'recovery', required=True)
    if not recovery:
        return
    chk.unknown_keys(recovery, ('identity', 'host_change', 'trigger'),
                     'recovery.')
    identity = chk.choice(recovery, 'identity', (sp.REPLACE, sp.KEEP),
                          'recovery.')
    chk.choice(recovery, 'trigger', TRIGGERS, 'recovery.', required=False)
    host_change = recovery.get('host_change')
    if host_change is not None:
        chk.boolean(recovery, 'host_change', 'recovery.')
        if identity == sp.REPLACE:
            chk.error('recovery.host_change', 'only identity keep checks '
                                              'the host; expected null')
    if identity == sp.KEEP and kind == 'instance_delete':
        chk.error('recovery.identity', 'a deleted server cannot keep its '
                                       'identity; expected replace')


def _check_invariants(chk, data):
    inv = chk.mapping(data, 'invariants')
    chk.unknown_keys(inv, ('desired', 'max', 'min', 'floor', 'allow_red',
                           'steady_window_s'), 'invariants.')
    values = dict((key, chk.number(inv, key, 'invariants.', minimum,
                                   integer=True))
                  for key, minimum in (('desired', 1), ('max', 1),
                                       ('min', 0), ('floor', 0)))
    chk.number(inv, 'steady_window_s', 'invariants.', 0)
    chk.boolean(inv, 'allow_red', 'invariants.')
    for low, high in (('floor', 'desired'), ('min', 'desired'),
                      ('desired', 'max')):
        if values[low] is not None and values[high] is not None and (
                values[low] > values[high]):
            chk.error('invariants.%s' % low, 'expected <= %s (%s), got %s'
                      % (high, values[high], values[low]))


def _check_deadlines(chk, data):
    spec = chk.mapping(data, 'deadlines')
    chk.unknown_keys(spec, ('detect_s', 'act_s', 'recover_s'), 'deadlines.')
    values = [(key, chk.number(spec, key, 'deadlines.', 1))
              for key in ('detect_s', 'act_s', 'recover_s')]
    given = [(k, v) for k, v in values if v is not None]
    for (low, a), (high, b) in zip(given, given[1:]):
        if a > b:
            chk.error('deadlines.%s' % low, 'expected <= %s (%s): every '
                      'deadline counts from the fault, got %s'
                      % (high, b, a))


def _check_expect(chk, data):
    spec = chk.mapping(data, 'expect')
    chk.unknown_keys(spec, ('missed_phase',), 'expect.')
    if spec:
        chk.choice(spec, 'missed_phase', MISSABLE_PHASES, 'expect.')


def _check_score(chk, data):
    spec = chk.mapping(data, 'score')
    chk.unknown_keys(spec, ('weight', 'phases'), 'score.')
    chk.number(spec, 'weight', 'score.', 0)
    phases = chk.mapping(spec, 'phases')
    if not phases:
        return
    chk.unknown_keys(phases, dl.PHASES, 'score.phases.')
    values = [chk.number(phases, name, 'score.phases.', 0)
              for name in dl.PHASES if name in phases]
    weights = dict(SCORE_PHASE_WEIGHTS, **dict(
        (k, v) for k, v in phases.items() if k in dl.PHASES))
    if None not in values and not any(
            isinstance(v, (int, float)) and v > 0
            for v in weights.values()):
        chk.error('score.phases', 'expected at least one weight > 0, got '
                  '%r' % (weights,))


def validate(path, data):
    """The list of (file, field, message) errors of parsed ``data``."""
    chk = _Checker(path)
    if not isinstance(data, dict):
        chk.error('(file)', 'expected a YAML mapping, got %s'
                  % type(data).__name__)
        return chk.errors
    chk.unknown_keys(data, _TOP, '')
    _check_identity(chk, data)
    chk.choice(data, 'owner', OWNERS, '', required=False)
    chk.names(data, 'services', KNOWN_SERVICES)
    chk.names(data, 'features', KNOWN_FEATURES)
    _check_artifacts(chk, data)
    kind = _check_fault(chk, data)
    _check_recovery(chk, data, kind)
    _check_invariants(chk, data)
    _check_deadlines(chk, data)
    _check_expect(chk, data)
    _check_score(chk, data)
    return chk.errors


def load(path):
    """A validated ``Scenario`` from ``path``, or ScenarioError."""
    try:
        with open(path) as stream:
            data = yaml.safe_load(stream)
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


def _configured_dir():
    """The option, read without ever failing test listing."""
    try:
        return config.CONF.self_healing.scenario_dir
    except Exception:
        # No tempest.conf or the plugin's options not registered (e.g. a
        # plain unit test run): fall back to the shipped scenarios.
        return ''


def _configured_repeat():
    """[self_healing] repeat, read without ever failing test listing."""
    try:
        return max(1, int(config.CONF.self_healing.repeat))
    except Exception:
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


def _scenario_test(scenario, runner, index=1, repeat=1):
    def test(self):
        reasons = scenario.missing_requirements(config.CONF)
        if reasons:
            raise self.skipException('scenario %s needs: %s' % (
                scenario.name, '; '.join(reasons)))
        getattr(self, runner)(scenario)
    test.__name__ = repetition_name(scenario, index)
    test.__doc__ = scenario.description or None
    if repeat > 1:
        test.__doc__ = '%s(repetition %d of %d)' % (
            test.__doc__ + ' ' if test.__doc__ else '', index, repeat)
    return decorators.attr(type='slow')(
        decorators.idempotent_id(repetition_id(scenario.id, index))(test))


def generate_tests(select=None, directory=None, runner='run_scenario',
                   report_broken=True, repeat=None):
    """Class decorator: one ``test_<name>`` per scenario file.

    Each generated test carries its scenario's idempotent id (the
    ``id-<uuid>`` attribute Tempest lists), is tagged slow, skips from
    config alone when a service or feature is missing, and calls
    ``self.<runner>(scenario)``. Loading only reads local files, so
    listing never calls a cloud. A broken file (or a missing directory)
    becomes a test that fails with every error, instead of an import
    error that would break every Tempest run. Host-fault scenarios
    belong in a ``@decorators.serial`` class:
    ``select=lambda s: s.host_fault``. Give ``report_broken=True`` to one
    class only. ``repeat`` (default: [self_healing] repeat) makes each
    scenario that many tests (see the module docstring).
    """
    def decorate(cls):
        times = repeat or _configured_repeat()
        path = directory or find_directory(_configured_dir())
        if not os.path.isdir(path):
            if report_broken:
                setattr(cls, 'test_scenario_directory', _broken_test(
                    'test_scenario_directory',
                    str(uuid.uuid5(uuid.NAMESPACE_URL, 'self-healing:dir')),
                    'no scenario directory at %s: set [self_healing] '
                    'scenario_dir or install the plugin with its '
                    'scenarios' % path))
            return cls
        scenarios, broken = load_all(path)
        for scenario in scenarios:
            if select is not None and not select(scenario):
                continue
            for index in range(1, times + 1):
                name = repetition_name(scenario, index)
                if hasattr(cls, name):
                    raise ValueError('%s already has %s: rename scenario %s'
                                     % (cls.__name__, name, scenario.path))
                setattr(cls, name, _scenario_test(scenario, runner, index,
                                                  times))
        if report_broken:
            for file_path, error in broken:
                stem = re.sub(r'\W+', '_', os.path.splitext(
                    os.path.basename(file_path))[0]).lower()
                name = 'test_broken_scenario_%s' % stem
                setattr(cls, name, _broken_test(
                    name, str(uuid.uuid5(uuid.NAMESPACE_URL,
                                         'self-healing:' + stem)),
                    str(error)))
        return cls
    return decorate
