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

"""Vitrage: the root-cause graph (graph, notifier and persistor, API).

Vitrage 15.0.1 has a venv of its own (``venv-vitrage``, install.py).
Notifiers ``nova,mistral``; datasources ``nova.host``, ``nova.instance``,
``nova.zone``, ``doctor``, ``prometheus`` (the monitor's alerts).

The notifier and the persistor are cotyledon services: each script would be
a supervising parent and a worker. They run as one process,
``vitrage-notifier-persistor`` (single_process.py ``--in-process``);
``localcloud stop/start vitrage-notifier`` (or -persistor) acts on it.
"""
import os
import shutil

from localcloud import authconf
from localcloud import checks
from localcloud import entrypoints
from localcloud import files
from localcloud import flows
from localcloud import identity
from localcloud import layout as L
from localcloud.lib import monitor
from localcloud import process

PORT = 8999
URL = L.url(PORT)
EVENT_URL = L.url(PORT, '/v1/event')
PORTS = {'vitrage-api': PORT}
PACKAGES = ('vitrage',)
TUNABLES = (
    L.Tunable('vitrage', 'datasources', 'snapshots_interval',
              L.flow_value('vitrage.conf', 'datasources',
                           'snapshots_interval'),
              600, 'Vitrage re-reads Nova hosts and instances every 30 s'),
)
NOTIFIER_PERSISTOR = 'vitrage-notifier-persistor'
# The monitor's alerts reach Vitrage as this receiver (a table row).
PROMETHEUS_RECEIVER = L.flow_value('vitrage.conf', 'prometheus', 'receiver')
# The monitor posts alerts to Vitrage with basic auth; Vitrage takes the
# user's first role, so it has exactly one. Vitrage scopes the password to
# its [service_credentials] project_name: the role is in that project. The
# devstack plugin gives its monitor user the same role in the project it
# names there (unit_tests/devstack/test_plugin_sh.py proves they agree).
MONITOR_USER = 'alertmanager'
MONITOR_ROLE = 'admin'
SERVICE_PROJECT = 'service'

install = entrypoints.nothing


def api_paste(conf):
    return '\n'.join([
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


def render(lay):
    return {
        'vitrage/vitrage.conf': flows.with_flows('vitrage/vitrage.conf', {
            'DEFAULT': {
                'transport_url': L.TRANSPORT_URL,
                'notifiers': flows.FLOW,
                'use_nova_versioned_notifications': flows.FLOW,
            },
            'database': {'connection': L.db_url('vitrage')},
            'datasources': {
                'types': flows.FLOW,
                'notification_topics': flows.FLOW,
                'snapshots_interval': flows.FLOW,
            },
            'prometheus': {
                'config_file': lay.etc('vitrage', 'prometheus_conf.yaml'),
                'alertmanager_url':
                    monitor.ALERTMANAGER_URL + '/api/v2/alerts',
                'receiver': flows.FLOW},
            'api': {'paste_config': lay.etc('vitrage', 'api-paste.ini'),
                    'auth_mode': 'keystone', 'host': L.HOST,
                    'port': PORT, 'workers': 1},
            # Domain ids, not names: the basic-auth filter reads the ids.
            'service_credentials': authconf.domain_ids(
                authconf.service_auth('vitrage')),
            'keystone_authtoken': authconf.authtoken('vitrage'),
            'entity_graph': {'datasources_values_dir':
                             lay.etc('vitrage', 'datasources_values')},
            'static': {'directory': lay.etc('vitrage', 'static')},
            'evaluator': {'templates_dir': lay.etc('vitrage', 'templates')},
        }),
        'vitrage/api-paste.ini': api_paste(lay.etc('vitrage', 'vitrage.conf')),
        # Alert-to-resource mapping of the Prometheus datasource: the
        # alert's labels name the Nova host it is on.
        'vitrage/prometheus_conf.yaml':
            flows.TABLE.vitrage_prometheus_conf(),
        # The monitor's route to Vitrage's event API.
        'prometheus/alertmanager.yml': flows.TABLE.alertmanager_yml(
            PROMETHEUS_RECEIVER, EVENT_URL, MONITOR_USER, L.PASSWORD),
    }


def prepare(lay):
    """Datasource value files (Vitrage's wheel ships them only as test
    data), template directories, and the API's ~/.vitrage/vitrage.conf
    (its basic-auth filter, Alertmanager's login, reads it).
    """
    vsite = files.site_packages(lay.vitrage_venv)
    files.copy(os.path.join(vsite, 'vitrage', 'tests', 'resources',
                            'datasources_values'),
               lay.etc('vitrage', 'datasources_values'))
    shutil.rmtree(lay.etc('vitrage', 'datasources_values', 'erroneous_values'),
                  ignore_errors=True)
    for d in (lay.etc('vitrage', 'static'), lay.etc('vitrage', 'templates')):
        os.makedirs(d, exist_ok=True)
    home = lay.data('vitrage-api-home', '.vitrage')
    os.makedirs(home, exist_ok=True)
    link = os.path.join(home, 'vitrage.conf')
    if not os.path.lexists(link):
        os.symlink(lay.etc('vitrage', 'vitrage.conf'), link)
    return []


DATABASES = ('vitrage',)
DBSYNC = (
    process.create_databases(*DATABASES),
    ('{vvenv}/bin/vitrage-dbsync',) + process.conf('vitrage'),
)


def processes():
    return (
        process.Service('vitrage-graph', 2,
                        ('{vvenv}/bin/vitrage-graph',)
                        + process.conf('vitrage'),
                        checks.Queue('vitrage_notifications.info'),
                        project='vitrage'),
        process.Service(
            NOTIFIER_PERSISTOR, 2, process.in_process(
                NOTIFIER_PERSISTOR, ('vitrage.cli.notifier:main',
                                     'vitrage.cli.persistor:main'),
                *process.conf('vitrage'), venv='{vvenv}'),
            checks.All((
                checks.Queue('vitrage_evaluator_notifications.mistral.info'),
                checks.Queue('vitrage_persistor.info'))),
            project='vitrage',
            replaces=('vitrage-notifier', 'vitrage-persistor')),
        # HOME: Vitrage's basic-auth filter (Alertmanager's login) reads
        # ~/.vitrage/vitrage.conf.
        process.wsgi('vitrage-api', PORT, 'vitrage', 'vitrage',
                     app_args=process.conf('vitrage'), python='{vvenv}',
                     env=(('HOME', '{data}/vitrage-api-home'),)),
    )


USERS = ('vitrage',)
EXTRA_USERS = ((MONITOR_USER, None),)
CATALOG = (('vitrage', 'rca', URL),)


def register(sess):
    """The monitor's user, with exactly one role."""
    project = identity.find(sess, 'projects', 'projects',
                            name=SERVICE_PROJECT, domain_id='default')
    role = identity.find(sess, 'roles', 'roles', name=MONITOR_ROLE)
    user = identity.ensure_user(sess, MONITOR_USER, project['id'])
    identity.grant(sess, project['id'], user['id'], role['id'])
    return []


after_start = entrypoints.nothing


def tempest_conf(ctx):
    return {'service_available': {'vitrage': True}}
