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

"""Every service's configuration, written from Python under the base dir.

``render_all(layout)`` is pure: it returns ``{path under etc/: text}``.
``write_all(layout)`` writes those files and the few files copied (and, for
Aodh's paste file, edited) from the installed packages.
"""
import glob
import os
import re
import shutil

from localcloud import bootstrap
from localcloud import hostnet
from localcloud import ini
from localcloud import layout as L
from localcloud import telemetry

KEYSTONE_V3 = L.url('keystone', '/v3')
MEMCACHED = '%s:%d' % (L.HOST, L.PORTS['memcached'])


def authtoken(user):
    """keystonemiddleware's section for a service user."""
    return {
        'www_authenticate_uri': L.url('keystone'),
        'auth_url': L.url('keystone'),
        'memcached_servers': MEMCACHED,
        'auth_type': 'password',
        'project_domain_name': 'Default',
        'user_domain_name': 'Default',
        'project_name': 'service',
        'username': user,
        'password': L.PASSWORD,
        'service_token_roles_required': True,
    }


def service_auth(user):
    """A keystoneauth password section for a service user."""
    return {
        'auth_type': 'password',
        'auth_url': KEYSTONE_V3,
        'project_domain_name': 'Default',
        'user_domain_name': 'Default',
        'project_name': 'service',
        'username': user,
        'password': L.PASSWORD,
        'region_name': L.REGION,
        'interface': 'public',
    }


def trustee(user):
    return {
        'auth_type': 'password',
        'auth_url': L.url('keystone'),
        'username': user,
        'password': L.PASSWORD,
        'user_domain_name': 'Default',
    }


def _domain_ids(section):
    section = dict(section)
    del section['project_domain_name'], section['user_domain_name']
    section.update(project_domain_id='default', user_domain_id='default')
    return section


def _tun(service, section, option):
    return L.tunable(service, section, option)


FLOWS = L.FLOW_SETTINGS
# Placeholder of an option whose value is a row of the flow-settings table
# (devstack/flow-settings.yaml): it keeps the option's place in the file.
FLOW = object()


def flow_rows(rel):
    """The table's rows for the local cloud's file ``rel`` (under etc/)."""
    keys = [k for k, spec in L.FLOW_TABLE['files'].items()
            if spec['localcloud'] == rel]
    return [row for row in FLOWS.rows(L.FLOW_TABLE, 'localcloud')
            if row['file'] in keys]


def with_flows(rel, sections):
    """``sections`` of file ``rel`` with the table's rows set in them.

    A row sets its option where the renderer placed it (FLOW), or at the
    end of its section; a FLOW no row fills is an error naming it.
    """
    for row in flow_rows(rel):
        sections.setdefault(row['section'], {})[row['option']] = \
            FLOWS.value_for(row, 'localcloud')
    for section, options in sections.items():
        for option, value in options.items():
            if value is FLOW:
                raise KeyError('%s [%s] %s: no row in %s' % (
                    rel, section, option, FLOWS.TABLE))
    return ini.render(sections)


def keystone(lay):
    keys = lay.data('keystone')
    return {'keystone/keystone.conf': ini.render({
        'DEFAULT': {},
        'database': {'connection': L.db_url('keystone')},
        'identity': {'password_hash_rounds': _tun(
            'keystone', 'identity', 'password_hash_rounds')},
        'token': {'provider': 'fernet'},
        'fernet_tokens': {'key_repository': os.path.join(keys, 'fernet')},
        'fernet_receipts': {'key_repository': os.path.join(keys, 'fernet')},
        'credential': {'key_repository': os.path.join(keys, 'credential')},
        'cache': {'enabled': True, 'backend': 'dogpile.cache.pymemcache',
                  'memcache_servers': MEMCACHED},
    })}


def placement(lay):
    return {'placement/placement.conf': ini.render({
        'api': {'auth_strategy': 'keystone'},
        'placement_database': {'connection': L.db_url('placement')},
        'keystone_authtoken': authtoken('placement'),
    })}


def glance(lay):
    return {'glance/glance-api.conf': ini.render({
        'DEFAULT': {'enabled_backends': 'fs:file',
                    'transport_url': L.TRANSPORT_URL},
        'glance_store': {'default_backend': 'fs'},
        'fs': {'filesystem_store_datadir': lay.data('glance', 'images')},
        'os_glance_staging_store': {
            'filesystem_store_datadir': lay.data('glance', 'staging')},
        'os_glance_tasks_store': {
            'filesystem_store_datadir': lay.data('glance', 'tasks')},
        'database': {'connection': L.db_url('glance')},
        'paste_deploy': {'flavor': 'keystone'},
        'oslo_messaging_notifications': {'driver': 'noop'},
        'keystone_authtoken': authtoken('glance'),
    })}


# Nova's notifications (format, topics) are rows of the flow-settings
# table: Ceilometer's event traits read the legacy payload, and Vitrage has
# a topic of its own so that it does not compete with Ceilometer for the
# messages of the shared ``notifications`` queue.
def nova(lay):
    files = {'nova/nova.conf': with_flows('nova/nova.conf', {
        'DEFAULT': {
            'transport_url': L.TRANSPORT_URL,
            'my_ip': L.HOST,
            'state_path': lay.data('nova'),
            'compute_driver': 'fake.FakeDriverWithoutFakeNodes',
            'report_interval': _tun('nova', 'DEFAULT', 'report_interval'),
            'service_down_time': _tun('nova', 'DEFAULT', 'service_down_time'),
            'heal_instance_info_cache_interval':
                _tun('nova', 'DEFAULT', 'heal_instance_info_cache_interval'),
            'osapi_compute_workers': 1,
            'metadata_workers': 1,
            'use_rootwrap_daemon': False,
        },
        'api': {'auth_strategy': 'keystone'},
        'wsgi': {'api_paste_config': lay.etc('nova', 'api-paste.ini')},
        'api_database': {'connection': L.db_url('nova_api')},
        'database': {'connection': L.db_url('nova')},
        'conductor': {'workers': 1},
        'scheduler': {
            'workers': 1,
            'discover_hosts_in_cells_interval':
                _tun('nova', 'scheduler', 'discover_hosts_in_cells_interval'),
        },
        'filter_scheduler': {'enabled_filters': [
            'ComputeFilter', 'ComputeCapabilitiesFilter',
            'ImagePropertiesFilter']},
        'oslo_concurrency': {'lock_path': lay.data('nova', 'locks')},
        'oslo_messaging_notifications': {'driver': FLOW, 'topics': FLOW},
        'notifications': {'notification_format': FLOW,
                          'notify_on_state_change': FLOW},
        # The image service's internal endpoint is the hosts' (telemetry).
        'glance': dict(telemetry.NOVA_GLANCE, region_name=L.REGION),
        'vnc': {'enabled': False},
        'spice': {'enabled': False},
        'keystone_authtoken': authtoken('nova'),
        'service_user': dict(service_auth('nova'),
                             send_service_user_token=True),
        'placement': service_auth('placement'),
        'neutron': service_auth('nova'),
    })}
    for host in L.COMPUTE_HOSTS:
        files['nova/compute-%s.conf' % host] = nova_compute_host(lay, host)
    return files


def nova_compute_host(lay, host):
    """The per-host layer over nova.conf: a compute host is one unit.

    The host lives in its own network namespace: everything it calls goes
    to the controller address (the namespace proxy), never to 127.0.0.1.
    """
    state = lay.compute_state(host)
    h = hostnet.host(host)
    ctl = 'http://%s:%%d' % hostnet.CONTROLLER
    keystone = ctl % L.PORTS['keystone'] + '/v3'

    def via_controller(section, port):
        return dict(section, auth_url=keystone,
                    endpoint_override=ctl % port)
    return ini.render({
        'DEFAULT': {
            'host': host,
            'my_ip': h.address,
            'state_path': state,
            'instances_path': os.path.join(state, 'instances'),
            'transport_url': L.TRANSPORT_URL.replace(
                L.HOST, hostnet.CONTROLLER),
        },
        'oslo_concurrency': {'lock_path': os.path.join(state, 'locks')},
        # A compute host has no database access (it asks the conductor).
        # Nova still tries the cells' databases once at start (minimum
        # service version): fail at once instead of retrying for a minute.
        'database': {'connection': '', 'max_retries': 0},
        'api_database': {'connection': ''},
        'placement': via_controller(service_auth('placement'),
                                    L.PORTS['placement']),
        'neutron': via_controller(service_auth('nova'), L.PORTS['neutron']),
        'glance': {'region_name': L.REGION,
                   'endpoint_override': ctl % L.PORTS['glance']},
        'service_user': dict(service_auth('nova'), auth_url=keystone,
                             send_service_user_token=True),
    })


def hosts(lay):
    """The hosts' sshd configs and the namespace proxy's rules."""
    files = {'hostnet/nsproxy.json': hostnet.proxy_config()}
    for h in hostnet.HOSTS:
        files['hostnet/sshd-%s.conf' % h.name] = hostnet.sshd_config(lay, h)
    return files


# The external monitor: Prometheus scrapes each host's node exporter over
# the host's data NIC; a host that stops answering raises an alert that
# Alertmanager posts to Vitrage's event API (Prometheus datasource).
HOST_ALERT = FLOWS.HOST_ALERT


def monitor(lay):
    """Prometheus, its rule and Alertmanager: devstack's files, local hosts."""
    return {
        'prometheus/prometheus.yml': FLOWS.prometheus_yml(
            [(h.name, '%s:%d' % (L.HOST, h.exporter_port))
             for h in hostnet.HOSTS],
            _tun('prometheus', 'global', 'scrape_interval'),
            lay.etc('prometheus', 'rules.yml'),
            '%s:%d' % (L.HOST, L.PORTS['alertmanager'])),
        'prometheus/rules.yml': FLOWS.rules_yml(
            _tun('prometheus', 'rules', 'for')),
        'prometheus/alertmanager.yml': FLOWS.alertmanager_yml(
            L.flow_value('vitrage.conf', 'prometheus', 'receiver'),
            L.url('vitrage-api', '/v1/event'), bootstrap.MONITOR_USER,
            L.PASSWORD),
    }


def neutron(lay):
    """The real neutron-server, ML2 with no mechanism driver and no agents.

    Servers on this cloud have no ports; Nova still asks the Networking API
    for ports and security groups.
    """
    return {'neutron/neutron.conf': with_flows('neutron/neutron.conf', {
        'DEFAULT': {
            'core_plugin': 'ml2',
            'service_plugins': '',
            'auth_strategy': 'keystone',
            'transport_url': L.TRANSPORT_URL,
            'api_paste_config': lay.etc('neutron', 'api-paste.ini'),
            'api_workers': 1,
            'rpc_workers': _tun('neutron', 'DEFAULT', 'rpc_workers'),
            'rpc_state_report_workers': 0,
            'notify_nova_on_port_status_changes': False,
            'notify_nova_on_port_data_changes': False,
            'state_path': lay.data('neutron'),
        },
        'database': {'connection': L.db_url('neutron')},
        'keystone_authtoken': authtoken('neutron'),
        'oslo_concurrency': {'lock_path': lay.data('neutron', 'locks')},
        'ml2': {'type_drivers': 'flat,vlan', 'tenant_network_types': '',
                'mechanism_drivers': '', 'extension_drivers': 'port_security'},
        'ml2_type_flat': {'flat_networks': '*'},
        'nova': service_auth('nova'),
    })}


def heat(lay):
    conf = {
        'DEFAULT': {
            'transport_url': L.TRANSPORT_URL,
            'heat_metadata_server_url': 'http://%s:8000' % L.HOST,
            'heat_waitcondition_server_url':
                'http://%s:8000/v1/waitcondition' % L.HOST,
            'stack_domain_admin': 'heat_domain_admin',
            'stack_domain_admin_password': L.PASSWORD,
            'stack_user_domain_name': 'heat',
            'num_engine_workers': _tun('heat', 'DEFAULT',
                                       'num_engine_workers'),
            'region_name_for_services': L.REGION,
            'environment_dir': lay.etc('heat', 'environment.d'),
            'template_dir': lay.etc('heat', 'templates'),
            'convergence_engine': True,
        },
        'database': {'connection': L.db_url('heat')},
        'paste_deploy': {'api_paste_config': lay.etc('heat', 'api-paste.ini')},
        'heat_api': {'bind_host': L.HOST, 'workers': 1},
        'trustee': trustee('heat'),
        'clients_keystone': {'auth_uri': L.url('keystone')},
        'clients': {'endpoint_type': 'public'},
        'oslo_messaging_notifications': {'driver': 'messagingv2'},
        'keystone_authtoken': authtoken('heat'),
        'oslo_policy': {'policy_file': lay.etc('heat', 'policy.yaml')},
    }
    return {'heat/heat.conf': with_flows('heat/heat.conf', conf),
            # The job's leak check lists every project's stacks (Heat
            # denies that to everybody by default).
            'heat/policy.yaml': '"stacks:global_index": "role:admin"\n'}


def mistral(lay):
    return {'mistral/mistral.conf': with_flows('mistral/mistral.conf', {
        'DEFAULT': {'transport_url': L.TRANSPORT_URL},
        'api': {'host': L.HOST, 'port': L.PORTS['mistral'],
                'api_workers': _tun('mistral', 'api', 'api_workers')},
        'database': {'connection': L.db_url('mistral')},
        'pecan': {'auth_enable': True},
        'executor': {'type': _tun('mistral', 'executor', 'type')},
        # Cron triggers (unused here) run in the API's master process, and
        # every Mistral DB transaction holds one process-wide lock: a fork
        # of the API and engine workers while the master's cron loop was in
        # a transaction left both workers holding a lock no thread of theirs
        # owns, and Mistral never answered again (Heat stacks stuck
        # creating or deleting their workflows).
        'cron_trigger': {'enabled': False},
        # std.http refuses loopback by default (SSRF), and this cloud's APIs
        # are all on loopback: seed 002's service-side workflow posts to
        # Zaqar there. The allow-list keeps every other host out (the
        # metadata address included), so the loopback deny goes.
        'action_std_http': {'allowed_hosts': L.HOST, 'denied_cidrs': ''},
        'oslo_messaging_notifications': {'driver': 'noop'},
        'keystone_authtoken': authtoken('mistral'),
    })}


def zaqar(lay):
    return {'zaqar/zaqar.conf': with_flows('zaqar/zaqar.conf', {
        'DEFAULT': {'auth_strategy': 'keystone', 'unreliable': True},
        'drivers': {'transport': 'wsgi', 'message_store': 'redis',
                    'management_store': 'sqlalchemy'},
        'drivers:message_store:redis': {
            'uri': 'redis://%s:%d' % (L.HOST, L.PORTS['redis'])},
        'drivers:management_store:sqlalchemy': {'uri': L.db_url('zaqar')},
        'drivers:transport:wsgi': {'bind': L.HOST, 'port': L.PORTS['zaqar']},
        'notification': {'require_confirmation': False},
        'storage': {'message_pipeline': 'zaqar.notification.notifier'},
        'keystone_authtoken': authtoken('zaqar'),
        # Without a trustee, trust subscriptions (MistralTrigger) fail: 503.
        'trustee': trustee('zaqar'),
        # Signed queue URLs (OS::Zaqar::SignedQueueURL): seed 002's Vitrage
        # workflow, a service user's, posts to the project's queue with one.
        'signed_url': {'secret_key': L.PASSWORD},
    })}


def aodh(lay):
    return {'aodh/aodh.conf': with_flows('aodh/aodh.conf', {
        'DEFAULT': {
            'transport_url': L.TRANSPORT_URL,
            'auth_strategy': 'keystone',
            'event_alarm_cache_ttl': FLOW,
        },
        'api': {'paste_config': lay.etc('aodh', 'api-paste.ini')},
        'database': {'connection': L.db_url('aodh')},
        'evaluator': {'evaluation_interval': FLOW},
        'listener': {'event_alarm_topic': FLOW},
        'oslo_messaging_notifications': {'driver': 'messagingv2'},
        'keystone_authtoken': authtoken('aodh'),
        'service_credentials': service_auth('aodh'),
    })}


def aodh_paste(upstream_text, conf_file):
    """Aodh's paste file, its authtoken filter told which config file to read.

    Upstream's filter names only ``oslo_config_project = aodh``, which reads
    /etc/aodh: every call would fail with MissingAuthPlugin.
    """
    pattern = re.compile(r'^(\[filter:authtoken\][^\[]*?)(?=^\[|\Z)',
                         re.M | re.S)
    match = pattern.search(upstream_text)
    if not match:
        raise ValueError('no [filter:authtoken] in aodh api-paste.ini')
    section = re.sub(r'^oslo_config_file\s*=.*\n?', '', match.group(1),
                     flags=re.M).rstrip('\n')
    section += '\noslo_config_file = %s\n\n' % conf_file
    return (upstream_text[:match.start()] + section
            + upstream_text[match.end():])


# Where Aodh's listener takes the events from (a row of the table).
CEILOMETER_EVENT_TOPIC = L.flow_value('aodh.conf', 'listener',
                                      'event_alarm_topic')


def ceilometer(lay):
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
        '      - notifier://?topic=%s\n' % CEILOMETER_EVENT_TOPIC)
    conf = 'ceilometer/ceilometer.conf'
    return {
        conf: with_flows(conf, {
            'DEFAULT': {
                'transport_url': L.TRANSPORT_URL,
                'event_pipeline_cfg_file':
                    lay.etc('ceilometer', 'event_pipeline.yaml'),
            },
            'notification': {
                'workers': _tun('ceilometer', 'notification', 'workers'),
                'pipelines': 'event',
            },
            'event': {'definitions_cfg_file':
                      lay.etc('ceilometer', 'event_definitions.yaml')},
            'publisher': {'telemetry_secret': 'localcloud'},
            'oslo_concurrency': {'lock_path': lay.data('ceilometer', 'locks')},
            'service_credentials': service_auth('ceilometer'),
        }),
        'ceilometer/event_pipeline.yaml': pipeline,
    }


def vitrage(lay):
    conf = lay.etc('vitrage', 'vitrage.conf')
    paste = '\n'.join([
        '[composite:vitrage+keystone]',
        'use = egg:Paste#urlmap',
        '/ = vitrageversions_pipeline',
        '/v1 = vitragev1_keystone_pipeline',
        '',
        '[pipeline:vitrageversions_pipeline]',
        'pipeline = vitrageversions',
        '',
        '[app:vitrageversions]',
        'paste.app_factory = vitrage.api.app:app_factory',
        'root = vitrage.api.controllers.root.VersionsController',
        '',
        '[pipeline:vitragev1_keystone_pipeline]',
        'pipeline = authtoken vitragev1',
        '',
        '[app:vitragev1]',
        'paste.app_factory = vitrage.api.app:app_factory',
        'root = vitrage.api.controllers.v1.root.V1Controller',
        '',
        '[filter:authtoken]',
        # Keystone tokens, and on /v1/event also basic auth (Alertmanager)
        'paste.filter_factory = '
        'vitrage.middleware.basic_and_keystone_auth:filter_factory',
        'oslo_config_project = vitrage',
        'oslo_config_file = %s' % conf,
        ''])
    return {
        'vitrage/vitrage.conf': with_flows('vitrage/vitrage.conf', {
            'DEFAULT': {
                'transport_url': L.TRANSPORT_URL,
                'notifiers': FLOW,
                'use_nova_versioned_notifications': FLOW,
            },
            'database': {'connection': L.db_url('vitrage')},
            'datasources': {
                'types': FLOW,
                'notification_topics': FLOW,
                'snapshots_interval': FLOW,
            },
            'prometheus': {
                'config_file': lay.etc('vitrage', 'prometheus_conf.yaml'),
                'alertmanager_url': L.url('alertmanager', '/api/v2/alerts'),
                'receiver': FLOW},
            'api': {'paste_config': lay.etc('vitrage', 'api-paste.ini'),
                    'auth_mode': 'keystone', 'host': L.HOST,
                    'port': L.PORTS['vitrage-api'], 'workers': 1},
            # Domain ids, not names: the basic-auth filter reads the ids.
            'service_credentials': _domain_ids(service_auth('vitrage')),
            'keystone_authtoken': authtoken('vitrage'),
            'entity_graph': {'datasources_values_dir':
                             lay.etc('vitrage', 'datasources_values')},
            'static': {'directory': lay.etc('vitrage', 'static')},
            'evaluator': {'templates_dir': lay.etc('vitrage', 'templates')},
        }),
        'vitrage/api-paste.ini': paste,
        # Alert-to-resource mapping of the Prometheus datasource: the
        # alert's labels name the Nova host it is on.
        'vitrage/prometheus_conf.yaml': FLOWS.vitrage_prometheus_conf(),
    }


RENDERERS = (keystone, placement, glance, nova, neutron, heat, mistral, zaqar,
             aodh, ceilometer, vitrage, hosts, monitor)


def render_all(lay):
    files = {}
    for renderer in RENDERERS:
        files.update(renderer(lay))
    files.update(telemetry.render(lay, controller=hostnet.CONTROLLER))
    return files


def site_packages(venv):
    found = glob.glob(os.path.join(venv, 'lib', 'python3*', 'site-packages'))
    if not found:
        raise RuntimeError('no site-packages in %s' % venv)
    return found[0]


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(path) as f:
            if f.read() == text:
                return False
    except OSError:
        pass
    with open(path, 'w') as f:
        f.write(text)
    return True


def _copy(src, dest):
    if os.path.isdir(src):
        shutil.copytree(src, dest, dirs_exist_ok=True)
    else:
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(src, dest)


def write_all(lay):
    """Write every config file; returns the paths whose content changed."""
    changed = []
    for rel, text in render_all(lay).items():
        path = lay.etc(rel)
        if _write(path, text):
            changed.append(path)
    # Files shipped inside the packages.
    venv_etc = os.path.join(lay.venv, 'etc')
    site = site_packages(lay.venv)
    _copy(os.path.join(venv_etc, 'nova', 'api-paste.ini'),
          lay.etc('nova', 'api-paste.ini'))
    _copy(os.path.join(venv_etc, 'neutron', 'api-paste.ini'),
          lay.etc('neutron', 'api-paste.ini'))
    _copy(os.path.join(venv_etc, 'glance', 'glance-api-paste.ini'),
          lay.etc('glance', 'glance-api-paste.ini'))
    for item in ('api-paste.ini', 'environment.d', 'templates'):
        _copy(os.path.join(venv_etc, 'heat', item), lay.etc('heat', item))
    _copy(os.path.join(site, 'ceilometer', 'pipeline', 'data',
                       'event_definitions.yaml'),
          lay.etc('ceilometer', 'event_definitions.yaml'))
    with open(os.path.join(site, 'aodh', 'api', 'api-paste.ini')) as f:
        if _write(lay.etc('aodh', 'api-paste.ini'),
                  aodh_paste(f.read(), lay.etc('aodh', 'aodh.conf'))):
            changed.append(lay.etc('aodh', 'api-paste.ini'))
    # Vitrage's wheel ships its datasource value files only as test data.
    vsite = site_packages(lay.vitrage_venv)
    _copy(os.path.join(vsite, 'vitrage', 'tests', 'resources',
                       'datasources_values'),
          lay.etc('vitrage', 'datasources_values'))
    shutil.rmtree(lay.etc('vitrage', 'datasources_values', 'erroneous_values'),
                  ignore_errors=True)
    for d in (lay.etc('vitrage', 'static'), lay.etc('vitrage', 'templates')):
        os.makedirs(d, exist_ok=True)
    telemetry.prepare(lay)
    home = lay.data('vitrage-api-home', '.vitrage')
    os.makedirs(home, exist_ok=True)
    link = os.path.join(home, 'vitrage.conf')
    if not os.path.lexists(link):
        os.symlink(lay.etc('vitrage', 'vitrage.conf'), link)
    return changed
