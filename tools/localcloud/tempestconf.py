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

"""The Tempest workspace and its etc/tempest.conf for the local cloud."""
import os
import subprocess

from localcloud import hostnet
from localcloud import ini
from localcloud import layout as L
from localcloud.lib import keystone
from localcloud.lib import monitor
from localcloud import services

TOOL = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Option values of the plugin's groups. Only options declared in
# self_healing_tempest_plugin/config.py belong here (a unit test checks).
FEATURES = {
    'instance_delete_fault': True,
    'server_update_fault': True,
    'nic_fault': True,
    'host_fault': True,
    'autoheal_flow': True,
    'vitrage_flow': True,
    'integrated_flow': True,
    'per_vm_group_flow': True,      # Gnocchi + per-host samples
    'recovery_policy_flows': True,
    'service_fault': True,          # the service_* commands below
    'external_event_fault': True,   # Alertmanager at alertmanager_url
}

# The stop conditions every run here checks: the plugin's default list
# (config.py) and the message bus, which this cloud can name.
STOP_CONDITIONS = ('computes_up', 'no_other_open_fault', 'disk_free',
                   'kill_switch', 'message_bus')

# Tempest's services this cloud does not run (each service module says
# which it does: its tempest_conf's [service_available]).
SERVICES_ABSENT = {'cinder': False, 'swift': False}


def host_command(base, action):
    """What a host fault runs on a host over SSH (stop, start, or
    restart-compute).

    The host is the one whose namespace the SSH session lands in.
    """
    return '/usr/bin/python3 %s --base %s host %s' % (
        os.path.join(TOOL, 'localcloud'), base, action)


def service_unit(name):
    """This cloud's process of a healer a service fault may name.

    Its target ``service:<name>`` (the devstack plugin's list): the process
    that runs its work here (Aodh's evaluator, listener and notifier are
    aodh-alarming; Vitrage's notifier and persistor one process), and
    Mistral's API and engine are the one ``mistral`` process.
    """
    merged = services.replaced_by(name)
    if merged is not None:
        return merged.name
    return 'mistral' if name.startswith('mistral-') else name


SERVICE_UNITS = dict((name, service_unit(name))
                     for name in L.FLOW_SETTINGS.SERVICE_FAULT_SERVICES)


def service_command(base, action):
    """What a service fault runs here: this tool's ``action {unit}``."""
    return '/usr/bin/python3 %s --base %s %s {unit}' % (
        os.path.join(TOOL, 'localcloud'), base, action)


def host_options(base, key_file):
    """[self_healing] options of the host faults (SSH to each host)."""
    return {
        'host_addresses': ['%s:%s:%d' % (h.name, L.HOST, h.ssh_port)
                           for h in hostnet.HOSTS],
        'host_ssh_user': 'root',
        'host_ssh_key_file': key_file,
        'host_nic': hostnet.HOST_NIC,
        'host_stop_command': host_command(base, 'stop'),
        'host_start_command': host_command(base, 'start'),
        'compute_restart_command': host_command(base, 'restart-compute'),
        'service_kill_command': service_command(base, 'kill'),
        'service_start_command': service_command(base, 'start'),
        'service_restart_command': service_command(base, 'restart'),
        'service_freeze_command': service_command(base, 'freeze'),
        'service_thaw_command': service_command(base, 'thaw'),
        'service_units': ['%s:%s' % kv for kv in sorted(
            SERVICE_UNITS.items())],
        'alertmanager_url': monitor.ALERTMANAGER_URL,
    }


def safeguard_options(workspace):
    """[self_healing] options of the undo journal and the stop conditions.

    The journal, the kill switch and the watched filesystem are the
    workspace's: every run against this cloud (the suite, the kill test's,
    a second workspace's) shares them through this conf.
    """
    return {
        'fault_journal_dir': journal_dir(workspace),
        'kill_switch_file': kill_switch_file(workspace),
        'message_bus_address': '%s:%d' % (L.HOST, L.PORTS['rabbitmq']),
        'stop_conditions': list(STOP_CONDITIONS),
        'disk_free_path': workspace,
    }


def journal_dir(workspace):
    return os.path.join(workspace, 'journal')


def kill_switch_file(workspace):
    return os.path.join(workspace, 'kill-switch')


def merge(sections, more):
    """``more``'s sections into ``sections`` (an option set twice is an
    error naming it).
    """
    for section, options in more.items():
        into = sections.setdefault(section, {})
        for option, value in options.items():
            if option in into:
                raise KeyError('tempest.conf [%s] %s: set twice'
                               % (section, option))
            into[option] = value
    return sections


def render(image_id, flavor_ids, workspace, hosts=L.COMPUTE_HOSTS,
           negative=False, host_opts=None):
    """tempest.conf text for this cloud (pure).

    The service modules' parts (``tempest_conf``) and the plugin-wide
    options. ``negative`` switches on the plugin's negative checks (each
    flow without its trigger must miss a named deadline): their own CI
    target.
    """
    ctx = {'image_id': image_id, 'flavor': flavor_ids[0],
           'flavor_alt': flavor_ids[-1], 'hosts': hosts}
    sections = {
        'DEFAULT': {'log_dir': os.path.join(workspace, 'logs'),
                    'log_file': 'tempest.log'},
        'auth': {
            'admin_username': 'admin',
            'admin_password': L.PASSWORD,
            'admin_project_name': 'admin',
            'admin_domain_name': 'Default',
            'use_dynamic_credentials': True,
            # ML2 here has no tenant network type: no per-test networks.
            'create_isolated_networks': False,
            'tempest_roles': 'member',
        },
        'service_available': dict(SERVICES_ABSENT),
        'validation': {'run_validation': False},
        'self_healing': {
            'image_ref': image_id,
            'flavor_ref': ctx['flavor'],
            'timeline_dir': os.path.join(workspace, 'timelines'),
            'detect_timeout_s': 120,
            'act_timeout_s': 180,
            'recover_timeout_s': 300,
            'poll_interval_s': 1.0,
            'steady_window_s': 10,
            'scaling_cooldown_s': 10,
            'samples_timeout_s': 180,
            **safeguard_options(workspace),
            **(host_opts or {}),
        },
        'self_healing_feature_enabled': dict(FEATURES,
                                             negative_checks=negative),
    }
    for module in services.MODULES:
        merge(sections, module.tempest_conf(ctx))
    return ini.render(sections)


def write(lay, image_id, flavor_ids):
    """Create the workspace once (``tempest init``); (re)write its conf."""
    ws = lay.workspace
    if not os.path.exists(os.path.join(ws, '.stestr.conf')):
        env = dict(os.environ, HOME=lay.data('tempest-home'))
        os.makedirs(env['HOME'], exist_ok=True)
        with open(lay.log('setup-tempest'), 'ab') as out:
            subprocess.check_call(
                [lay.bin('tempest'), 'init', ws], stdout=out,
                stderr=subprocess.STDOUT, env=env)
    for d in ('etc', 'logs', 'timelines'):
        os.makedirs(os.path.join(ws, d), exist_ok=True)
    opts = host_options(lay.base, hostnet.ssh_key(lay))
    with open(lay.tempest_conf, 'w') as f:
        f.write(render(image_id, flavor_ids, ws, host_opts=opts))
    with open(negative_conf(lay), 'w') as f:
        f.write(render(image_id, flavor_ids, ws, negative=True,
                       host_opts=opts))
    return lay.tempest_conf


def set_repeat(lay, repeat):
    """Write ``[self_healing] repeat`` into the workspace's configs.

    ``localcloud job --repeat k``: each scenario runs k times in the run
    (k tests, each with its own timeline), so that the report judges a
    sample. Written on every job, so a later job without --repeat runs
    each scenario once again.
    """
    if repeat < 1:
        raise RuntimeError('--repeat must be 1 or more, got %d' % repeat)
    for path in (lay.tempest_conf, negative_conf(lay)):
        if not os.path.exists(path):
            continue
        with open(path) as f:
            sections = ini.parse(f.read())
        sections.setdefault('self_healing', {})['repeat'] = repeat
        with open(path, 'w') as f:
            f.write(ini.render(sections))


def write_variant(lay, name, overrides):
    """``etc/tempest-<name>.conf``: the workspace's conf with ``overrides``.

    ``overrides``: {section: {option: value}}, e.g. a stop test's lower
    disk floor, or a second run's own lock path.
    """
    with open(lay.tempest_conf) as f:
        sections = ini.parse(f.read())
    for section, options in overrides.items():
        sections.setdefault(section, {}).update(options)
    path = os.path.join(os.path.dirname(lay.tempest_conf),
                        'tempest-%s.conf' % name)
    with open(path, 'w') as f:
        f.write(ini.render(sections))
    return path


def negative_conf(lay):
    """The workspace's config with the negative checks switched on."""
    return os.path.join(os.path.dirname(lay.tempest_conf),
                        'tempest-negative.conf')


def openrc(lay):
    """Shell variables for the admin user (``. <base>/openrc``)."""
    lines = [
        'export OS_AUTH_URL=%s' % keystone.V3,
        'export OS_IDENTITY_API_VERSION=3',
        'export OS_USERNAME=admin',
        'export OS_PASSWORD=%s' % L.PASSWORD,
        'export OS_PROJECT_NAME=admin',
        'export OS_USER_DOMAIN_ID=default',
        'export OS_PROJECT_DOMAIN_ID=default',
        'export OS_REGION_NAME=%s' % L.REGION,
        'export PATH=%s:$PATH' % os.path.join(lay.venv, 'bin'),
    ]
    with open(lay.openrc, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return lay.openrc
