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

"""The flow-settings table (flow-settings.yaml) and its renderings.

Stdlib only: devstack's plugin.sh runs it with the node's python3, and the
local cloud (tools/localcloud, stdlib only too) loads it by path. Both
renderings select rows here, so they agree by construction:

- ``rows(table, 'devstack', branch=..., enabled=..., flows=...)``: the rows
  a devstack node applies (``python3 flow_settings.py iniset ...`` prints
  them as iniset calls for plugin.sh);
- ``rows(table, 'localcloud')``: every row with a local-cloud value.

``tempest_config`` decides, from what a devstack really has, which flows
tempest.conf switches on; ``prometheus_yml`` and friends are the external
monitor's files, the same on devstack and on the local cloud.
"""

import argparse
import os
import re
import shlex
import sys

TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     'flow-settings.yaml')
FLOWS = ('autoheal', 'policies', 'vitrage', 'integrated', 'per_vm')
RENDERINGS = ('devstack', 'localcloud')
ROW_KEYS = ('file', 'section', 'option', 'value', 'flows', 'when',
            'branches', 'localcloud', 'devstack', 'why')
FILE_KEYS = ('service', 'devstack', 'localcloud')


class TableError(ValueError):
    """The table is malformed; the message names the file, line or row."""


# -- a YAML subset reader ---------------------------------------------------
def _scalar(text, where):
    text = text.strip()
    if text[:1] in '\'"':
        if len(text) < 2 or text[-1] != text[0]:
            raise TableError('%s: unterminated quoted string %s'
                             % (where, text))
        inner = text[1:-1]
        return inner.replace("''", "'") if text[0] == "'" else inner
    if text in ('', '~', 'null', 'Null', 'NULL'):
        return None
    if text in ('true', 'True', 'TRUE'):
        return True
    if text in ('false', 'False', 'FALSE'):
        return False
    if re.fullmatch(r'-?\d+', text):
        return int(text)
    if re.fullmatch(r'-?\d+\.\d*', text):
        return float(text)
    return text


def _split_flow(text, where):
    """'a, b, {c: d}' -> ['a', 'b', '{c: d}'] (no nesting beyond one)."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in '[{':
            depth += 1
        elif ch in ']}':
            depth -= 1
        elif ch == ',' and depth == 0:
            items.append(text[start:i])
            start = i + 1
    if depth:
        raise TableError('%s: unbalanced brackets in %s' % (where, text))
    items.append(text[start:])
    return [i.strip() for i in items if i.strip()]


def _value(text, where):
    text = text.strip()
    if text.startswith('['):
        if not text.endswith(']'):
            raise TableError('%s: unterminated list %s' % (where, text))
        return [_value(i, where) for i in _split_flow(text[1:-1], where)]
    if text.startswith('{'):
        if not text.endswith('}'):
            raise TableError('%s: unterminated mapping %s' % (where, text))
        out = {}
        for item in _split_flow(text[1:-1], where):
            key, sep, val = item.partition(':')
            if not sep:
                raise TableError('%s: %r is not key: value' % (where, item))
            out[key.strip()] = _value(val, where)
        return out
    return _scalar(text, where)


def _strip_comment(line):
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in '\'"' and (i == 0 or line[i - 1] in ' :[{,'):
            quote = ch
        elif ch == '#' and (i == 0 or line[i - 1] in ' \t'):
            return line[:i].rstrip()
    return line.rstrip()


def parse_yaml(text, name='<table>'):
    """The YAML subset the table is written in -> Python data."""
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw)
        if line.strip():
            if '\t' in line[:len(line) - len(line.lstrip())]:
                raise TableError('%s:%d: tab in indentation' % (name, number))
            lines.append((number, len(line) - len(line.lstrip()),
                          line.strip()))
    data, pos = _block(lines, 0, 0, name)
    if pos != len(lines):
        raise TableError('%s:%d: unexpected indentation'
                         % (name, lines[pos][0]))
    return data


def _block(lines, pos, indent, name):
    if pos >= len(lines):
        return None, pos
    if lines[pos][2].startswith('- ') or lines[pos][2] == '-':
        return _sequence(lines, pos, lines[pos][1], name)
    return _mapping(lines, pos, lines[pos][1], name)


def _continued(lines, pos, indent, first):
    """A plain scalar folded over more-indented lines."""
    parts = [first] if first else []
    while pos < len(lines) and lines[pos][1] > indent and ':' not in (
            lines[pos][2].split(' ', 1)[0]) and not lines[pos][2].startswith(
            '- '):
        parts.append(lines[pos][2])
        pos += 1
    return ' '.join(parts), pos


def _mapping(lines, pos, indent, name):
    out = {}
    while pos < len(lines) and lines[pos][1] == indent:
        number, _, text = lines[pos]
        where = '%s:%d' % (name, number)
        if text.startswith('- '):
            raise TableError('%s: list item inside a mapping' % where)
        key, sep, rest = text.partition(':')
        if not sep or (rest and not rest.startswith(' ')):
            raise TableError('%s: %r is not key: value' % (where, text))
        key = key.strip()
        if key in out:
            raise TableError('%s: key %r given twice' % (where, key))
        pos += 1
        rest = rest.strip()
        if rest:
            if rest[0] not in '[{\'"':
                rest, pos = _continued(lines, pos, indent, rest)
            out[key] = _value(rest, where)
        elif pos < len(lines) and (lines[pos][1] > indent or (
                lines[pos][1] == indent and lines[pos][2].startswith('- '))):
            out[key], pos = _block(lines, pos, lines[pos][1], name)
        else:
            out[key] = None
    if pos < len(lines) and lines[pos][1] > indent:
        raise TableError('%s:%d: unexpected indentation'
                         % (name, lines[pos][0]))
    return out, pos


def _sequence(lines, pos, indent, name):
    out = []
    while pos < len(lines) and lines[pos][1] == indent and (
            lines[pos][2].startswith('- ') or lines[pos][2] == '-'):
        number, _, text = lines[pos]
        rest = text[1:].strip()
        item_indent = indent + 2
        if not rest:
            item, pos = _block(lines, pos + 1, item_indent, name)
        elif re.match(r'^[^\'"\[{][^:]*:( |$)', rest):
            # "- key: value" opens a mapping indented past the dash.
            lines = lines[:pos] + [(number, item_indent, rest)] + \
                lines[pos + 1:]
            item, pos = _mapping(lines, pos, item_indent, name)
        else:
            item, pos = _value(rest, '%s:%d' % (name, number)), pos + 1
        out.append(item)
    return out, pos


# -- the table --------------------------------------------------------------
def load(path=TABLE):
    """The table, checked against the schema (TableError names the row)."""
    with open(path) as f:
        table = parse_yaml(f.read(), path)
    validate(table, path)
    return table


def _row_name(row):
    return '%s [%s] %s' % (row.get('file'), row.get('section'),
                           row.get('option'))


def validate(table, path=TABLE):
    if not isinstance(table, dict) or set(table) != {'files', 'settings'}:
        raise TableError('%s: the top level must be files: and settings:'
                         % path)
    for key, spec in table['files'].items():
        if not isinstance(spec, dict) or set(spec) != set(FILE_KEYS):
            raise TableError('%s: files: %s needs exactly %s'
                             % (path, key, ', '.join(FILE_KEYS)))
    seen = set()
    for row in table['settings']:
        name = _row_name(row)
        unknown = set(row) - set(ROW_KEYS)
        if unknown:
            raise TableError('%s: row %s: unknown field(s) %s'
                             % (path, name, ', '.join(sorted(unknown))))
        for field in ('file', 'section', 'option', 'flows', 'why'):
            if not row.get(field):
                raise TableError('%s: row %s: no %s' % (path, name, field))
        if row['file'] not in table['files']:
            raise TableError('%s: row %s: file %s is not a key of files:'
                             % (path, name, row['file']))
        bad = set(row['flows']) - set(FLOWS)
        if bad:
            raise TableError('%s: row %s: unknown flow(s) %s (known: %s)'
                             % (path, name, ', '.join(sorted(bad)),
                                ', '.join(FLOWS)))
        if all(row.get(c) is None for c in ('value',) + RENDERINGS):
            raise TableError('%s: row %s: no value for any rendering'
                             % (path, name))
        for column in ('value', 'localcloud'):
            if '$' in render_value(row.get(column)):
                raise TableError('%s: row %s: devstack references belong in '
                                 'the devstack column only' % (path, name))
        key = (row['file'], row['section'], row['option'])
        if key in seen:
            raise TableError('%s: row %s given twice' % (path, name))
        seen.add(key)


def render_value(value):
    """A table value as its ini text (a list renders comma-joined)."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (list, tuple)):
        return ','.join(render_value(v) for v in value)
    if value is None:
        return ''
    return str(value)


def value_for(row, rendering):
    """The row's value in one rendering; None if it has none there."""
    own = row.get(rendering)
    return own if own is not None else row.get('value')


def rows(table, rendering, branch=None, enabled=None, flows=None,
         cloud=()):
    """The rows one rendering applies, in table order.

    ``branch``: the devstack branch (None: every branch, the local cloud's
    pins). ``enabled``: the services this node runs (None: all); a row
    applies where its file's service runs. ``cloud``: services the cloud
    has elsewhere (a compute's Vitrage), for the rows' ``when``. ``flows``:
    the flows wanted (None: all).
    """
    if rendering not in RENDERINGS:
        raise ValueError('unknown rendering %r (known: %s)'
                         % (rendering, ', '.join(RENDERINGS)))
    out = []
    for row in table['settings']:
        if value_for(row, rendering) is None:
            continue
        if branch is not None and branch not in row.get(
                'branches', [branch]):
            continue
        service = table['files'][row['file']]['service']
        if enabled is not None and not (
                service in enabled
                and set(row.get('when', [])) <= set(enabled) | set(cloud)):
            continue
        if flows is not None and not set(row['flows']) & set(flows):
            continue
        out.append(row)
    return out


def value(table, rendering, file, section, option):
    """One row's value in a rendering (KeyError names what is missing)."""
    for row in table['settings']:
        if (row['file'], row['section'], row['option']) == (
                file, section, option):
            return value_for(row, rendering)
    raise KeyError('no row %s [%s] %s in %s' % (file, section, option, TABLE))


def names(table):
    """The devstack service names rows depend on (plugin.sh checks each)."""
    found = [spec['service'] for spec in table['files'].values()]
    for row in table['settings']:
        found += row.get('when', [])
    for services in FLOW_SERVICES.values():
        found += services
    found += SERVICE_FAULT_SERVICES.values()
    return sorted(set(found))


def devstack_flows(per_vm):
    """The flows whose rows a devstack applies: per_vm only when asked."""
    return [f for f in FLOWS if f != 'per_vm' or per_vm]


def _devstack_word(text):
    """Shell text for a devstack value: $references expand, nothing else."""
    return '"%s"' % re.sub(r'([\\"`])', r'\\\1', text)


# [self_healing] stop_conditions' default (config.py), kept in step by
# unit_tests/devstack/test_flow_settings.py.
DEFAULT_STOP_CONDITIONS = ('computes_up', 'no_other_open_fault', 'disk_free',
                           'kill_switch')


def iniset_lines(table, branch, enabled, per_vm, cloud=()):
    """The iniset calls of one devstack node, as shell lines."""
    out = []
    for row in rows(table, 'devstack', branch=branch, enabled=enabled,
                    flows=devstack_flows(per_vm), cloud=cloud):
        var = table['files'][row['file']]['devstack']
        text = render_value(value_for(row, 'devstack'))
        word = (_devstack_word(text) if row.get('devstack') is not None
                else shlex.quote(text))
        out.append('iniset "%s" %s %s %s' % (
            var, shlex.quote(row['section']), shlex.quote(row['option']),
            word))
    return out


# -- tempest.conf -----------------------------------------------------------
# The services each flow needs (devstack names), and what else.
FLOW_SERVICES = {
    'autoheal': ('heat', 'aodh', 'ceilometer', 'zaqar', 'mistral'),
    'policies': ('heat', 'aodh', 'ceilometer', 'zaqar', 'mistral'),
    'vitrage': ('vitrage', 'mistral'),
    'integrated': ('vitrage', 'heat', 'zaqar', 'mistral'),
    'per_vm': ('heat', 'aodh', 'ceilometer', 'gnocchi-api'),
}
FLOW_FEATURES = {
    'autoheal': 'autoheal_flow', 'policies': 'recovery_policy_flows',
    'vitrage': 'vitrage_flow', 'integrated': 'integrated_flow',
    'per_vm': 'per_vm_group_flow',
}
SERVICE_AVAILABLE = {
    'heat': 'heat', 'aodh': 'aodh', 'ceilometer': 'ceilometer',
    'gnocchi': 'gnocchi-api', 'zaqar': 'zaqar', 'mistral': 'mistral',
    'vitrage': 'vitrage',
}


# The unit of each control-plane service a service fault may name whose
# devstack unit is not devstack@<name> (the plugin's default): from the
# services' devstack plugins (run_process h-eng, zaqar-wsgi,
# ceilometer-anotification) and devstack's RabbitMQ (the Debian unit).
SERVICE_UNITS = {
    'heat-engine': 'devstack@h-eng',
    'heat-api': 'devstack@h-api',
    'zaqar': 'devstack@zaqar-wsgi',
    'ceilometer-notification': 'devstack@ceilometer-anotification',
    'rabbitmq': 'rabbitmq-server',
}
# The healers whose units Tempest's user may kill, restart, freeze and
# thaw (sudoers) when SELF_HEALING_SERVICE_FAULTS is on, each where it
# runs (the devstack service that runs it).
SERVICE_FAULT_SERVICES = {
    'heat-engine': 'h-eng', 'heat-api': 'h-api',
    'mistral-engine': 'mistral-engine', 'mistral-api': 'mistral-api',
    'zaqar': 'zaqar-wsgi', 'aodh-listener': 'aodh-listener',
    'aodh-notifier': 'aodh-notifier', 'aodh-evaluator': 'aodh-evaluator',
    'ceilometer-notification': 'ceilometer-anotification',
    'vitrage-graph': 'vitrage-graph', 'vitrage-notifier': 'vitrage-notifier',
}
# What the service faults run (config.py's defaults, with /usr/bin:
# sudoers needs the full path).
SERVICE_COMMANDS = {
    'service_kill_command': 'kill --signal=SIGKILL',
    'service_start_command': 'start',
    'service_restart_command': 'restart',
    'service_freeze_command': 'kill --signal=SIGSTOP',
    'service_thaw_command': 'kill --signal=SIGCONT',
}
SYSTEMCTL = '/usr/bin/systemctl'
# Where the monitor's Alertmanager listens on the node running
# vitrage-api (Debian's default), for the external_event fault.
ALERTMANAGER_URL = 'http://localhost:9093'


def service_unit(name):
    return SERVICE_UNITS.get(name, 'devstack@%s' % name)


def service_fault_units(enabled):
    """Units of the healers this node runs, by service name."""
    return dict((name, service_unit(name))
                for name, service in sorted(SERVICE_FAULT_SERVICES.items())
                if service in enabled)


def sudoers(user, enabled):
    """sudoers lines: ``user`` may run the service commands, those only.
    """
    units = sorted(set(service_fault_units(set(enabled)).values()))
    lines = ['# The self-healing plugin\'s service faults (devstack '
             'plugin, SELF_HEALING_SERVICE_FAULTS).']
    for action in sorted(set(SERVICE_COMMANDS.values())):
        for unit in units:
            lines.append('%s ALL=(root) NOPASSWD: %s %s %s'
                         % (user, SYSTEMCTL, action, unit))
    return lines


def _split(text, sep=','):
    return [p.strip() for p in (text or '').split(sep) if p.strip()]


def tempest_config(enabled, computes, host_addresses, ssh_key_file,
                   monitor, per_vm, negative, ttl_s, settings,
                   service_faults=False):
    """[section] -> {option: value} for tempest.conf, and the reasons.

    ``computes``: the Nova host names Tempest may fault (empty: this node's
    own compute if it runs one, which no host fault may take). Returns
    ``(sections, reasons)``; ``reasons`` says why each flow that is off is.
    """
    enabled = set(enabled)
    hosts = _split(computes)
    addresses = dict(p.split(':', 1) for p in _split(host_addresses)
                     if ':' in p)
    ssh = bool(hosts) and bool(ssh_key_file) and all(
        h in addresses for h in hosts)
    reasons = {}
    for flow, needed in FLOW_SERVICES.items():
        missing = [s for s in needed if s not in enabled]
        if missing:
            reasons[flow] = 'services not enabled: %s' % ', '.join(missing)
    host_needs = []
    if len(hosts) < 2:
        host_needs.append('two computes in SELF_HEALING_COMPUTE_HOSTS '
                          '(have %d)' % len(hosts))
    if not ssh:
        host_needs.append('SSH to every compute (SELF_HEALING_HOST_ADDRESSES'
                          ', SELF_HEALING_HOST_SSH_KEY_FILE)')
    for flow in ('vitrage', 'integrated', 'per_vm'):
        needs = list(host_needs)
        if flow != 'per_vm' and not monitor:
            needs.append('the external monitor (SELF_HEALING_MONITOR)')
        if flow == 'per_vm' and not per_vm:
            needs.append('SELF_HEALING_PER_VM')
        if needs:
            reasons.setdefault(flow, 'needs ' + '; '.join(needs))
    on = {flow: flow not in reasons for flow in FLOWS}
    features = {FLOW_FEATURES[f]: on[f] for f in FLOWS}
    units = service_fault_units(enabled) if service_faults else {}
    reported = bool(monitor) and 'vitrage-api' in enabled
    features.update(
        host_fault=len(hosts) >= 2 and ssh,
        nic_fault=ssh and bool(settings.get('host_nic')),
        service_fault=bool(units),
        external_event_fault=reported,
        negative_checks=bool(negative))
    self_healing = {'event_alarm_cache_ttl_s': ttl_s}
    if units:
        self_healing['service_units'] = ','.join(
            '%s:%s' % kv for kv in sorted(units.items()))
        for option, action in sorted(SERVICE_COMMANDS.items()):
            self_healing[option] = 'sudo %s %s {unit}' % (SYSTEMCTL, action)
    if reported:
        self_healing['alertmanager_url'] = ALERTMANAGER_URL
    for key in ('timeline_dir', 'fault_journal_dir', 'kill_switch_file',
                'message_bus_address', 'host_ssh_user', 'host_nic',
                'host_stop_command', 'host_start_command',
                'compute_restart_command'):
        if settings.get(key):
            self_healing[key] = settings[key]
    if settings.get('message_bus_address'):
        # RabbitMQ runs here: the message_bus stop condition can ask it.
        self_healing['stop_conditions'] = ','.join(
            DEFAULT_STOP_CONDITIONS + ('message_bus',))
    if hosts:
        self_healing['compute_hosts'] = ','.join(hosts)
    if addresses:
        self_healing['host_addresses'] = ','.join(
            '%s:%s' % kv for kv in addresses.items())
    if ssh_key_file:
        self_healing['host_ssh_key_file'] = ssh_key_file
    if monitor:
        # What the Vitrage flows' templates match: the monitor's alert.
        self_healing.update(host_alarm_type='prometheus',
                            host_alarm_name=HOST_ALERT,
                            monitor_latency_s=MONITOR_LATENCY_S)
    if on['per_vm']:
        # ceilometer-high (settings): samples kept at 1 min granularity.
        self_healing['sample_granularity_s'] = 60
    sections = {
        'service_available': {
            name: service in enabled
            for name, service in SERVICE_AVAILABLE.items()},
        'self_healing': self_healing,
        'self_healing_feature_enabled': features,
    }
    return sections, reasons


# -- the external monitor ---------------------------------------------------
HOST_ALERT = 'ComputeHostUnreachable'
MONITOR_JOB = 'compute-hosts'


def prometheus_yml(targets, interval_s, rules_file, alertmanager):
    """Prometheus: one scrape target per compute, labelled with its host.

    ``targets``: ``[(hostname, 'address:port')]``.
    """
    lines = '\n'.join(
        "  - targets: ['%s']\n"
        "    labels: {hostname: %s, vitrage_type: nova.host}"
        % (address, host) for host, address in targets)
    interval = '%ds' % interval_s
    return '\n'.join([
        'global:',
        '  scrape_interval: %s' % interval,
        '  scrape_timeout: %s' % interval,
        '  evaluation_interval: %s' % interval,
        'rule_files: [%s]' % rules_file,
        'alerting:',
        '  alertmanagers:',
        "  - static_configs: [{targets: ['%s']}]" % alertmanager,
        'scrape_configs:',
        '- job_name: %s' % MONITOR_JOB,
        '  static_configs:',
        lines, ''])


def rules_yml(for_s):
    """The alert rule: a host whose exporter stops answering."""
    return '\n'.join([
        'groups:',
        '- name: %s' % MONITOR_JOB,
        '  rules:',
        '  - alert: %s' % HOST_ALERT,
        '    expr: up{job="%s"} == 0' % MONITOR_JOB,
        '    for: %ds' % for_s,
        '    labels: {severity: critical}',
        '    annotations:',
        '      summary: compute host {{ $labels.hostname }} does not '
        'answer its monitor', ''])


def alertmanager_yml(receiver, url, user, password, ca_file=None):
    """Alertmanager: every alert to Vitrage's event API, basic auth."""
    lines = [
        'route:',
        '  receiver: %s' % receiver,
        '  group_by: [alertname, hostname]',
        '  group_wait: %ds' % ALERTMANAGER_GROUP_WAIT_S,
        '  group_interval: 2s',
        '  repeat_interval: 1h',
        'receivers:',
        '- name: %s' % receiver,
        '  webhook_configs:',
        '  - url: %s' % url,
        '    send_resolved: true',
        '    http_config:',
        '      basic_auth: {username: %s, password: %s}' % (user, password)]
    if ca_file:
        lines.append('      tls_config: {ca_file: %s}' % ca_file)
    return '\n'.join(lines + [''])


def vitrage_prometheus_conf():
    """Vitrage's alert -> resource mapping: the alert's hostname label."""
    return '\n'.join([
        'alerts:',
        '- key: {alertname: %s, job: %s}' % (HOST_ALERT, MONITOR_JOB),
        '  resource: {id: hostname, vitrage_type: vitrage_type}', ''])


# The monitor's speed, on devstack and on the local cloud (services.TUNABLES).
MONITOR_SCRAPE_INTERVAL_S = 2
MONITOR_ALERT_FOR_S = 4
ALERTMANAGER_GROUP_WAIT_S = 1
# Outage to alarm in Vitrage at the latest: a failed scrape, the rule's
# for, an evaluation, Alertmanager's group_wait, a second for Vitrage.
MONITOR_LATENCY_S = (2 * MONITOR_SCRAPE_INTERVAL_S + MONITOR_ALERT_FOR_S +
                     ALERTMANAGER_GROUP_WAIT_S + 1)


def parse_targets(text):
    """'host=address:port ...' -> [(host, 'address:port')]."""
    out = []
    for item in (text or '').split():
        host, sep, address = item.partition('=')
        if not sep or not host or ':' not in address:
            raise ValueError('SELF_HEALING_MONITOR_TARGETS: %r is not '
                             'hostname=address:port' % item)
        out.append((host, address))
    return out


# -- command line (plugin.sh) -----------------------------------------------
def _ini_lines(sections, var):
    return ['iniset "$%s" %s %s %s' % (var, shlex.quote(s), shlex.quote(o),
                                       shlex.quote(render_value(v)))
            for s, opts in sections.items() for o, v in opts.items()]


def main(argv=None):
    parser = argparse.ArgumentParser(prog='flow_settings.py')
    sub = parser.add_subparsers(dest='command', required=True)
    sub.add_parser('names', help='service names the rows depend on')
    p = sub.add_parser('iniset', help='iniset calls of this node')
    p.add_argument('--branch', required=True)
    p.add_argument('--enabled', default='')
    p.add_argument('--cloud', default='')
    p.add_argument('--per-vm', default='False')
    p = sub.add_parser('value', help="one row's devstack value")
    p.add_argument('file')
    p.add_argument('section')
    p.add_argument('option')
    p = sub.add_parser('tempest', help='iniset calls of tempest.conf')
    p.add_argument('--enabled', default='')
    p.add_argument('--compute-hosts', default='')
    p.add_argument('--host-addresses', default='')
    p.add_argument('--ssh-key-file', default='')
    p.add_argument('--monitor', default='False')
    p.add_argument('--per-vm', default='False')
    p.add_argument('--negative', default='False')
    p.add_argument('--ttl', type=int, required=True)
    p.add_argument('--service-faults', default='False')
    p.add_argument('--set', action='append', default=[],
                   metavar='OPTION=VALUE',
                   help='a [self_healing] option, when not empty')
    p = sub.add_parser('prometheus', help='prometheus.yml')
    p.add_argument('--targets', default='')
    p.add_argument('--rules-file', required=True)
    p.add_argument('--alertmanager', default='localhost:9093')
    sub.add_parser('rules', help='the alert rule file')
    p = sub.add_parser('alertmanager', help='alertmanager.yml')
    p.add_argument('--url', required=True)
    p.add_argument('--user', required=True)
    p.add_argument('--password', required=True)
    p.add_argument('--ca-file', default='')
    sub.add_parser('vitrage-prometheus', help="Vitrage's alert mapping")
    p = sub.add_parser('sudoers', help='sudo rules of the service faults')
    p.add_argument('--user', required=True)
    p.add_argument('--enabled', default='')
    args = parser.parse_args(argv)
    table = load()
    out = []
    if args.command == 'names':
        out = names(table)
    elif args.command == 'iniset':
        out = iniset_lines(table, args.branch, _split(args.enabled),
                           args.per_vm == 'True', _split(args.cloud))
    elif args.command == 'value':
        out = [render_value(value(table, 'devstack', args.file,
                                  args.section, args.option))]
    elif args.command == 'tempest':
        settings = dict(s.split('=', 1) for s in args.set)
        sections, reasons = tempest_config(
            _split(args.enabled), args.compute_hosts, args.host_addresses,
            args.ssh_key_file, args.monitor == 'True',
            args.per_vm == 'True', args.negative == 'True', args.ttl,
            settings, service_faults=args.service_faults == 'True')
        out = ['echo %s' % shlex.quote('self-healing: %s flow off: %s'
                                       % (flow, why))
               for flow, why in sorted(reasons.items())]
        out += _ini_lines(sections, 'TEMPEST_CONFIG')
    elif args.command == 'prometheus':
        out = [prometheus_yml(parse_targets(args.targets),
                              MONITOR_SCRAPE_INTERVAL_S, args.rules_file,
                              args.alertmanager)]
    elif args.command == 'rules':
        out = [rules_yml(MONITOR_ALERT_FOR_S)]
    elif args.command == 'alertmanager':
        out = [alertmanager_yml(
            value(table, 'devstack', 'vitrage.conf', 'prometheus',
                  'receiver'),
            args.url, args.user, args.password, args.ca_file or None)]
    elif args.command == 'vitrage-prometheus':
        out = [vitrage_prometheus_conf()]
    elif args.command == 'sudoers':
        out = sudoers(args.user, _split(args.enabled))
    sys.stdout.write(''.join(
        line if line.endswith('\n') else line + '\n' for line in out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
