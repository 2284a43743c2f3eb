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

"""Aodh: the alarms (API, and the evaluator, listener and notifier).

The evaluator, listener and notifier are cotyledon services: each script
would be a supervising parent and a worker, six processes in all. They run
as one process, ``aodh-alarming`` (single_process.py ``--in-process``):
each service's own class, started as its script would start it in its
worker. ``localcloud stop/start aodh-listener`` (or -evaluator, -notifier)
acts on it.

Ceilometer's event pipeline publishes to ``notifier://?topic=alarm.all``,
which the listener consumes. Aodh's paste file names its config file
(``oslo_config_file``), else every API call fails with MissingAuthPlugin.
"""
import os
import re

from localcloud import authconf
from localcloud import checks
from localcloud import entrypoints
from localcloud import files
from localcloud import flows
from localcloud import layout as L
from localcloud import process

PORT = 8042
URL = L.url(PORT)
PORTS = {'aodh-api': PORT}
PACKAGES = ('aodh',)
TUNABLES = (
    L.Tunable('aodh', 'DEFAULT', 'event_alarm_cache_ttl',
              L.flow_value('aodh.conf', 'DEFAULT', 'event_alarm_cache_ttl'),
              60, 'an event alarm created just before a fault still fires'),
    L.Tunable('aodh', 'evaluator', 'evaluation_interval',
              L.flow_value('aodh.conf', 'evaluator', 'evaluation_interval'),
              60, 'threshold alarms are evaluated every 10 s'),
)
EVENT_ALARM_CACHE_TTL = TUNABLES[0].local
# Where the listener takes the events from (a row of the table).
EVENT_TOPIC = L.flow_value('aodh.conf', 'listener', 'event_alarm_topic')
ALARMING = 'aodh-alarming'
ALARM_SCRIPTS = ('aodh-evaluator', 'aodh-listener', 'aodh-notifier')

install = entrypoints.nothing


def render(lay):
    return {'aodh/aodh.conf': flows.with_flows('aodh/aodh.conf', {
        'DEFAULT': {
            'transport_url': L.TRANSPORT_URL,
            'auth_strategy': 'keystone',
            'event_alarm_cache_ttl': flows.FLOW,
        },
        'api': {'paste_config': lay.etc('aodh', 'api-paste.ini')},
        'database': {'connection': L.db_url('aodh')},
        'evaluator': {'evaluation_interval': flows.FLOW},
        'listener': {'event_alarm_topic': flows.FLOW},
        'oslo_messaging_notifications': {'driver': 'messagingv2'},
        'keystone_authtoken': authconf.authtoken('aodh'),
        'service_credentials': authconf.service_auth('aodh'),
    })}


def paste(upstream_text, conf_file):
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


def prepare(lay):
    site = files.site_packages(lay.venv)
    with open(os.path.join(site, 'aodh', 'api', 'api-paste.ini')) as f:
        text = paste(f.read(), lay.etc('aodh', 'aodh.conf'))
    target = lay.etc('aodh', 'api-paste.ini')
    return [target] if files.write(target, text) else []


DATABASES = ('aodh',)
DBSYNC = (
    process.create_databases(*DATABASES),
    ('{venv}/bin/aodh-dbsync',) + process.conf('aodh'),
)


def processes():
    return (
        process.wsgi('aodh-api', PORT, 'aodh', 'aodh',
                     app_args=process.conf('aodh')),
        process.Service(
            ALARMING, 2, process.in_process(
                ALARMING, ('aodh.cmd.alarm:evaluator',
                           'aodh.cmd.alarm:listener',
                           'aodh.cmd.alarm:notifier'),
                *process.conf('aodh')),
            checks.All((checks.LogLine(r'evaluat'),
                        checks.Queue('%s.sample' % EVENT_TOPIC),
                        checks.Queue('alarming.sample'))),
            project='aodh', replaces=ALARM_SCRIPTS),
    )


USERS = ('aodh',)
EXTRA_USERS = ()
CATALOG = (('aodh', 'alarming', URL),)

register = entrypoints.no_changes
after_start = entrypoints.nothing


def tempest_conf(ctx):
    return {
        'service_available': {'aodh': True},
        # How long a new event alarm is blind (the listener's cache).
        'self_healing': {'event_alarm_cache_ttl_s': EVENT_ALARM_CACHE_TTL},
    }
