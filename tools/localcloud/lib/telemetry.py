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

"""Ceilometer and Gnocchi: events for Aodh, and per-VM samples.

Events: ``ceilometer-notification`` (event pipeline only) turns Nova's
notifications into events and publishes them to Aodh's listener
(``notifier://?topic=alarm.all``).

Per-VM samples: Ceilometer polling on each compute host, into Gnocchi.

The flow (upstream's own, nothing replaced but the hypervisor)::

  lc-hostN: localcloud-ceilometer-polling --polling-namespaces compute
      discovers the host's servers through Nova's API (naive discovery,
      ``[DEFAULT] host = hostN``), asks the fake inspector for their stats
      every POLL_INTERVAL s, sends the samples over RabbitMQ (topic
      SAMPLE_TOPIC)
  root:     ceilometer-meter (a second ceilometer-agent-notification, meter
      pipeline only, on SAMPLE_TOPIC) publishes them to Gnocchi
  root:     gnocchi-api (wsgi_runner, 127.0.0.1:8041) + gnocchi-metricd;
      file storage under data/gnocchi, indexer in MariaDB, Redis coordination
  root:     aodh-evaluator evaluates gnocchi_* alarms on the public endpoint

Stopping a host stops its polling agent: its servers' samples stop and a
Gnocchi alarm on them goes to ``insufficient data``.

Why a second notification agent on a topic of its own: the existing agent
(event pipeline only) also consumes ``notifications.sample`` (the polling
agents' default topic) and would drop the samples; and the meter pipeline
inside it would turn every Nova notification on ``notifications.info`` into
samples too, an exception there requeueing the batch the event pipeline
shares. On SAMPLE_TOPIC the meter agent sees only the polling agents'
samples, and the event agent never sees them.

Alarm thresholds on ``cpu`` (cumulative ns): in a
``gnocchi_aggregation_by_resources_threshold`` alarm, ``rate:mean`` is taken
over the granularity's means, so it is CPU ns per granularity:
``cpu_threshold(percent, granularity, vcpus)``. (In a
``gnocchi_resources_threshold`` alarm it is the mean of the raw per-poll
differences: ns per POLL_INTERVAL.)

The cotyledon agents (both notification agents, gnocchi-metricd) run without
their supervising parent (single_process.py ``--in-process``).

Catalog: the hosts find Nova and Glance through the catalog (Ceilometer has no
endpoint override for either: ``nova_client.Client`` passes only the
interface and ``[service_types] nova``; the image lookup of every discovered
server passes only ``image_interface``). The hosts use ``interface =
internal``; the internal endpoints of ``compute``, ``image`` and ``metric``
are at the controller address (their modules' CATALOG). Nothing in the
root namespace may look these up with the internal interface (it cannot
reach the controller address): every service config here sets ``interface
= public``, except nova.conf's [glance], whose keystoneauth default is
``internal, public``: it has ``valid_interfaces = public``.

Stdlib only, like the rest of the tool.
"""
import hashlib
import os
import shutil
import urllib.parse

from localcloud import authconf
from localcloud import checks
from localcloud import commands
from localcloud import entrypoints
from localcloud import files
from localcloud import flows
from localcloud import hostnet
from localcloud import ini
from localcloud import install as inst
from localcloud import layout as L
from localcloud.lib import aodh
from localcloud.lib import keystone
from localcloud import process
from localcloud import state

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTROLLER = hostnet.CONTROLLER
PORT = 8041
PORTS = {'gnocchi': PORT}
PACKAGES = ('ceilometer', 'gnocchi')
TUNABLES = (
    L.Tunable('ceilometer', 'notification', 'workers', 1, 1,
              'one notification worker'),
)
DATABASE = 'gnocchi'
SERVICE_USER = 'gnocchi'
VENV = 'venv-gnocchi'
SPEC = {
    'requirements': os.path.join(HERE, 'requirements-gnocchi.in'),
    'constraints': os.path.join(HERE, 'constraints-gnocchi.txt'),
    'overrides': None,
}
INSPECTOR_SRC = os.path.join(HERE, 'fake_inspector')
INSPECTOR = 'fake'                       # ceilometer.compute.virt entry point
INSPECTOR_DIST = 'localcloud-fake-inspector'
POLLING_SCRIPT = 'localcloud-ceilometer-polling'
SAMPLE_TOPIC = 'localcloud_samples'
POLL_INTERVAL = 5                        # seconds between two polls
DISCOVERY_INTERVAL = 10                  # s between two server lists
ARCHIVE_POLICY = 'localcloud-fine'
# (granularity s, points): 10 s for 1 h (fast alarms), 1 min for 1 day (the
# upstream flow's 60 s periods).
ARCHIVE_DEFINITION = ((10, 360), (60, 1440))
AGGREGATION_METHODS = ('mean', 'min', 'max', 'rate:mean')
METERS = ('cpu', 'vcpus', 'memory', 'memory.usage', 'power.state')
# One processor; no reporting process (-1: its backlog log lines only, one
# process fewer); measures processed 2 s after they arrive at the latest.
METRICD = {'workers': 1, 'metric_processing_delay': 2,
           'metric_reporting_delay': -1, 'metric_cleanup_delay': 60}


def venv(lay):
    return lay.path(VENV)


def _tmpl_venv():
    return '{base}/' + VENV


def cpu_threshold(percent, granularity=ARCHIVE_DEFINITION[0][0], vcpus=1):
    """An aggregation-by-resources ``rate:mean`` threshold on ``cpu``."""
    return int(percent / 100.0 * vcpus * granularity * 1e9)


def gnocchi_url(host=L.HOST):
    return 'http://%s:%d' % (host, PORT)


# -- configuration ---------------------------------------------------------
def gnocchi_conf(lay):
    return ini.render({
        'DEFAULT': {
            'coordination_url': L.REDIS_URL,
            'parallel_operations': 2,
        },
        'api': {'auth_mode': 'keystone',
                'paste_config': lay.etc('gnocchi', 'api-paste.ini')},
        'indexer': {'url': L.db_url(DATABASE)},
        'storage': {'driver': 'file',
                    'file_basepath': lay.data('gnocchi')},
        'metricd': METRICD,
        'keystone_authtoken': authconf.authtoken(SERVICE_USER),
    })


def gnocchi_paste(lay):
    """Gnocchi's paste file, its authtoken filter told which file to read.

    Upstream's filter names only ``oslo_config_project = gnocchi``
    (/etc/gnocchi): keystonemiddleware would not find its options.
    """
    conf = lay.etc('gnocchi', 'gnocchi.conf')
    return '\n'.join([
        '[composite:gnocchi+keystone]',
        'use = egg:Paste#urlmap',
        '/ = gnocchiversions_pipeline',
        '/v1 = gnocchiv1+keystone',
        '/healthcheck = healthcheck',
        '',
        '[pipeline:gnocchiv1+keystone]',
        'pipeline = keystone_authtoken gnocchiv1',
        '',
        '[pipeline:gnocchiversions_pipeline]',
        'pipeline = gnocchiversions',
        '',
        '[app:gnocchiversions]',
        'paste.app_factory = gnocchi.rest.app:app_factory',
        'root = gnocchi.rest.api.VersionsController',
        '',
        '[app:gnocchiv1]',
        'paste.app_factory = gnocchi.rest.app:app_factory',
        'root = gnocchi.rest.api.V1Controller',
        '',
        '[filter:keystone_authtoken]',
        'use = egg:keystonemiddleware#auth_token',
        'oslo_config_project = gnocchi',
        'oslo_config_file = %s' % conf,
        '',
        '[app:healthcheck]',
        'use = egg:oslo.middleware#healthcheck',
        'oslo_config_project = gnocchi',
        'oslo_config_file = %s' % conf,
        ''])


def archive_policy():
    return {
        'name': ARCHIVE_POLICY,
        'back_window': 0,
        'aggregation_methods': list(AGGREGATION_METHODS),
        'definition': [{'granularity': '%d seconds' % g, 'points': n}
                       for g, n in ARCHIVE_DEFINITION],
    }


def _yaml_list(items, indent):
    return ''.join('%s- %s\n' % (' ' * indent, i) for i in items)


def gnocchi_resources():
    """Ceilometer's resource definitions for Gnocchi: servers only.

    The ``instance`` attributes are upstream's; ``server_group`` is read from
    the server's ``metering.server_group`` metadata (Heat's convention), so
    an Aodh alarm can aggregate the cpu of one group's servers.
    """
    ap = archive_policy()
    lines = ['---', 'archive_policy_default: %s' % ARCHIVE_POLICY,
             'archive_policies:', '  - name: %s' % ap['name'],
             '    back_window: 0', '    aggregation_methods:']
    lines += ['      - "%s"' % m for m in ap['aggregation_methods']]
    lines.append('    definition:')
    for d in ap['definition']:
        lines += ['      - granularity: %s' % d['granularity'],
                  '        points: %d' % d['points']]
    lines += ['resources:', '  - resource_type: instance', '    metrics:']
    lines += ['      %s:' % m for m in METERS]
    lines += [
        '    attributes:',
        '      host: resource_metadata.(instance_host|host)',
        '      image_ref: resource_metadata.image_ref',
        '      launched_at: resource_metadata.launched_at',
        '      created_at: resource_metadata.created_at',
        '      deleted_at: resource_metadata.deleted_at',
        '      display_name: resource_metadata.display_name',
        '      flavor_id: resource_metadata.(instance_flavor_id|(flavor.id)'
        '|flavor_id)',
        '      flavor_name: resource_metadata.(instance_type|(flavor.name)'
        '|flavor_name)',
        '      server_group: resource_metadata.user_metadata.server_group',
        '']
    return '\n'.join(lines)


def polling_yaml(interval=POLL_INTERVAL):
    return ('---\nsources:\n  - name: per_vm\n    interval: %d\n'
            '    meters:\n%s' % (interval, _yaml_list(METERS, 6)))


def publisher_url(lay):
    return 'gnocchi://?' + urllib.parse.urlencode([
        # Samples of the service project are kept (the filter would also
        # need the identity endpoint from the catalog).
        ('enable_filter_project', 'false'),
        ('resources_definition_file',
         lay.etc('ceilometer', 'gnocchi_resources.yaml'))], safe='/')


def pipeline_yaml(lay):
    return ('---\nsources:\n  - name: per_vm\n    meters:\n%s'
            '    sinks:\n      - gnocchi\n'
            'sinks:\n  - name: gnocchi\n    publishers:\n      - %s\n'
            % (_yaml_list(METERS, 6), publisher_url(lay)))


def meter_conf(lay):
    """Layer over ceilometer.conf for the meter agent (ceilometer-meter)."""
    return ini.render({
        'DEFAULT': {'pipeline_cfg_file':
                    lay.etc('ceilometer', 'pipeline.yaml')},
        'notification': {'pipelines': 'meter', 'workers': 1},
        'oslo_messaging_notifications': {'topics': SAMPLE_TOPIC},
    })


def polling_conf(lay, host, controller=CONTROLLER):
    """The polling agent of compute host ``host``; a file of its own.

    Everything it calls goes to ``controller``: RabbitMQ and Keystone by
    address, Nova and Glance through the catalog's internal endpoints.
    """
    state_dir = lay.data('ceilometer', host)
    return ini.render({
        'DEFAULT': {
            'host': host,
            'transport_url': L.TRANSPORT_URL.replace(L.HOST, controller),
            'hypervisor_inspector': INSPECTOR,
        },
        # Every discovery lists the host's servers afresh (no
        # changes-since): a metadata change (localcloud.cpu_util) does not
        # bump a server's updated_at, and a moved server must leave.
        'compute': {'instance_discovery_method': 'naive',
                    'resource_update_interval': DISCOVERY_INTERVAL,
                    'resource_cache_expiry': DISCOVERY_INTERVAL},
        'polling': {'cfg_file': lay.etc('ceilometer', 'polling.yaml')},
        'oslo_messaging_notifications': {'topics': SAMPLE_TOPIC},
        'publisher': {'telemetry_secret': 'localcloud'},
        'oslo_concurrency': {'lock_path': os.path.join(state_dir, 'locks')},
        'service_credentials': {
            'auth_type': 'password',
            'auth_url': 'http://%s:%d/v3' % (controller, keystone.PORT),
            'project_domain_name': 'Default',
            'user_domain_name': 'Default',
            'project_name': 'service',
            'username': 'ceilometer',
            'password': L.PASSWORD,
            'region_name': L.REGION,
            'interface': 'internal',
        },
    })


def ceilometer_conf(lay):
    """The event agent's ceilometer.conf (the meter agent's base too)."""
    pipeline = (
        '---\n'
        'sources:\n'
        '  - name: event_source\n'
        '    events:\n'
        '      - "*"\n'
        '    sinks:\n'
        '      - event_sink\n'
        'sinks:\n'
        '  - name: event_sink\n'
        '    publishers:\n'
        '      - notifier://?topic=%s\n' % aodh.EVENT_TOPIC)
    conf = 'ceilometer/ceilometer.conf'
    return {
        conf: flows.with_flows(conf, {
            'DEFAULT': {
                'transport_url': L.TRANSPORT_URL,
                'event_pipeline_cfg_file':
                    lay.etc('ceilometer', 'event_pipeline.yaml'),
            },
            'notification': {
                'workers': TUNABLES[0].local,
                'pipelines': 'event',
            },
            'event': {'definitions_cfg_file':
                      lay.etc('ceilometer', 'event_definitions.yaml')},
            'publisher': {'telemetry_secret': 'localcloud'},
            'oslo_concurrency': {'lock_path': lay.data('ceilometer', 'locks')},
            'service_credentials': authconf.service_auth('ceilometer'),
        }),
        'ceilometer/event_pipeline.yaml': pipeline,
    }


def render(lay, controller=CONTROLLER, hosts=None):
    """Every file of this module: ``{path under etc/: text}`` (pure)."""
    files_ = dict(ceilometer_conf(lay), **{
        'gnocchi/gnocchi.conf': gnocchi_conf(lay),
        'gnocchi/api-paste.ini': gnocchi_paste(lay),
        'gnocchi/api-quiet.conf': ini.render({'DEFAULT': {'verbose': False}}),
        'ceilometer/meter.conf': meter_conf(lay),
        'ceilometer/pipeline.yaml': pipeline_yaml(lay),
        'ceilometer/gnocchi_resources.yaml': gnocchi_resources(),
        'ceilometer/polling.yaml': polling_yaml(),
    })
    for host in (L.COMPUTE_HOSTS if hosts is None else hosts):
        files_['ceilometer/polling-%s.conf' % host] = polling_conf(
            lay, host, controller)
    return files_


def prepare(lay, hosts=None):
    """Ceilometer's event definitions (from its package); the directories
    the processes write to (storage, locks).
    """
    files.copy(os.path.join(files.site_packages(lay.venv), 'ceilometer',
                            'pipeline', 'data', 'event_definitions.yaml'),
               lay.etc('ceilometer', 'event_definitions.yaml'))
    os.makedirs(lay.data('gnocchi'), exist_ok=True)
    for host in (L.COMPUTE_HOSTS if hosts is None else hosts):
        os.makedirs(lay.data('ceilometer', host, 'locks'), exist_ok=True)
    return []


# -- database and processes ------------------------------------------------
GNOCCHI_CONF = ('--config-file', '{etc}/gnocchi/gnocchi.conf')
# The API logs its whole configuration (the database URL with its password)
# at INFO when it starts: it logs warnings only.
GNOCCHI_API_CONF = GNOCCHI_CONF + ('--config-file',
                                   '{etc}/gnocchi/api-quiet.conf')
METER_CONF = ('--config-file', '{etc}/ceilometer/ceilometer.conf',
              '--config-file', '{etc}/ceilometer/meter.conf')
DATABASES = (DATABASE,)
# gnocchi-upgrade: the indexer schema and the file storage's layout.
DBSYNC = (
    process.create_databases(*DATABASES),
    (_tmpl_venv() + '/bin/gnocchi-upgrade',) + GNOCCHI_CONF,
)
# After gnocchi-api is up: Ceilometer's resource types (``instance`` with
# ``server_group``) in Gnocchi.
CEILOMETER_UPGRADE = ('{venv}/bin/ceilometer-upgrade', '--config-file',
                      '{etc}/ceilometer/ceilometer.conf', '--retry', '10')
UPGRADED = 'ceilometer-upgrade'     # its stamp in the state file
NOTIFICATION_AGENT = 'ceilometer.cmd.agent_notification:main'


def control_services():
    """The root-namespace processes (stage 2)."""
    return (
        process.Service(
            'ceilometer-notification', 2, process.in_process(
                'ceilometer-agent-notification', (NOTIFICATION_AGENT,),
                *process.conf('ceilometer')),
            checks.Queue('notifications.info'), project='ceilometer'),
        process.Service(
            'gnocchi-api', 2,
            (_tmpl_venv() + '/bin/python', '{runner}', '--name',
             'gnocchi-api', '--bind', '%s:%d' % (L.HOST, PORT),
             '--app', 'gnocchi.wsgi.api:application', '--')
            + GNOCCHI_API_CONF,
            checks.Http(gnocchi_url() + '/'), ports=(PORT,),
            project='gnocchi'),
        # Its processor and janitor: cotyledon services of one script.
        process.Service(
            'gnocchi-metricd', 2, process.in_process(
                'gnocchi-metricd', ('gnocchi.cli.metricd:metricd',),
                *GNOCCHI_CONF, venv=_tmpl_venv()),
            checks.LogLine(r'Joined coordination group'),
            project='gnocchi'),
        process.Service(
            'ceilometer-meter', 2, process.in_process(
                'ceilometer-agent-notification', (NOTIFICATION_AGENT,),
                *METER_CONF),
            checks.Queue(SAMPLE_TOPIC + '.sample'), project='ceilometer'),
    )


def polling_argv(host, wrap=()):
    return tuple(wrap) + (
        '{venv}/bin/' + POLLING_SCRIPT, '--polling-namespaces', 'compute',
        '--config-file', '{etc}/ceilometer/polling-%s.conf' % host)


def host_services(host, wrap=()):
    """The processes of compute host ``host`` (``wrap``: e.g. ip netns)."""
    return (process.Service(
        'ceilometer-polling-%s' % host, 2, polling_argv(host, wrap),
        # Logged once its pollsters are loaded (a host without servers
        # logs nothing more at INFO).
        checks.LogLine(r'dynamic pollsters|Polling pollster'),
        project='ceilometer', host=host),)


def processes():
    return control_services() + tuple(
        s for h in hostnet.HOSTS for s in host_services(h.name, h.wrap(())))


# -- install ---------------------------------------------------------------
def venv_argv(lay):
    return inst.uv_install_argv(
        inst.uv_path(lay), os.path.join(venv(lay), 'bin', 'python'), SPEC)


def inspector_argv(lay, src):
    # Same version every time: reinstalled so that an edit is picked up.
    return [inst.uv_path(lay), 'pip', 'install', '--python',
            lay.bin('python'), '-c', inst.MAIN['constraints'],
            '--reinstall-package', INSPECTOR_DIST, src]


def install(lay, log):
    """Gnocchi's venv (pinned) and the fake inspector in the main venv.

    Runs after ``install.venvs`` (uv and the main venv exist). A stamp in
    the state file makes a second run a no-op.
    """
    stamp = inst.lock_hash(SPEC) + '-' + _tree_hash(INSPECTOR_SRC)
    if state.load(lay).get('installed', {}).get(VENV) == stamp and all(
            os.path.exists(p) for p in (
                os.path.join(venv(lay), 'bin', 'gnocchi-api'),
                lay.bin(POLLING_SCRIPT))):
        return 'up to date'
    install_gnocchi(lay, log)
    install_inspector(lay, log)
    state.update(lay, lambda data: data.setdefault(
        'installed', {}).__setitem__(VENV, stamp))
    return 'installed %s and the fake inspector' % VENV


def install_gnocchi(lay, log):
    """Gnocchi's own venv from the pins (no pip inside: uv from outside)."""
    commands.ensure_venv(venv(lay), log)
    commands.run(venv_argv(lay), log)


def install_inspector(lay, log):
    """The fake inspector package into the main venv.

    Built from a copy: a build leaves build/ and *.egg-info beside it.
    """
    src = lay.path('run', 'fake_inspector-src')
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(INSPECTOR_SRC, src, ignore=shutil.ignore_patterns(
        'build', '*.egg-info', '__pycache__'))
    try:
        commands.run(inspector_argv(lay, src), log)
    finally:
        shutil.rmtree(src, ignore_errors=True)


def _tree_hash(path):
    names = []
    for root, dirs, found in os.walk(path):
        dirs[:] = [d for d in dirs if d not in ('build', '__pycache__')
                   and not d.endswith('.egg-info')]
        names += [os.path.relpath(os.path.join(root, f), path)
                  for f in found]
    h = hashlib.sha256()
    for name in sorted(names):
        h.update(name.encode())
        with open(os.path.join(path, name), 'rb') as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def lock(lay, log, upgrade=False):
    """Re-resolve constraints-gnocchi.txt against constraints.txt."""
    argv = [inst.uv_path(lay), 'pip', 'compile', '--python-version',
            '3.11', '--no-header', '--annotation-style', 'line',
            os.path.basename(SPEC['requirements']), '-c', 'constraints.txt',
            '-o', os.path.basename(SPEC['constraints'])]
    if upgrade:
        argv.append('--upgrade')
    commands.run(argv, log, cwd=HERE)


# -- catalog, users, after start, tempest.conf ------------------------------
USERS = ('ceilometer', SERVICE_USER)
EXTRA_USERS = ()
# The internal endpoint at the controller address, for symmetry with
# compute's and image's (the samples reach Gnocchi through RabbitMQ and the
# root-namespace meter agent, so a host never calls it).
CATALOG = (('gnocchi', 'metric', {
    'public': gnocchi_url(), 'admin': gnocchi_url(),
    'internal': gnocchi_url(CONTROLLER)}),)


register = entrypoints.no_changes


def after_start(lay, paths, sess):
    """Ceilometer's resource types in Gnocchi (once gnocchi-api is up)."""
    if state.load(lay).get('synced', {}).get(UPGRADED):
        return 'Gnocchi resource types made before'
    commands.run([a.format(**paths) for a in CEILOMETER_UPGRADE],
                 lay.log('setup-' + UPGRADED))
    state.update(lay, lambda data: data.setdefault(
        'synced', {}).__setitem__(UPGRADED, True))
    return 'Gnocchi resource types made'


def tempest_conf(ctx):
    return {
        'service_available': {'ceilometer': True, 'gnocchi': True},
        # Seed 003's sample alarms: Gnocchi's finest granularity, one
        # evaluation period (Aodh evaluates every 10 s here).
        'self_healing': {'sample_granularity_s': ARCHIVE_DEFINITION[0][0],
                         'sample_evaluation_periods': 1},
    }
