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

"""plugin.sh under bash, with stub devstack functions that record calls.

For each combination of enabled services the iniset calls recorded must
be the table's devstack rendering (flow_settings.rows), with the devstack
variables expanded; the other calls (packages, users, files, tempest.conf)
are what that devstack needs.
"""

import os
import string
import subprocess

import fixtures
import testtools

import flow_settings as fs
from unit_tests.devstack import DEVSTACK
from unit_tests import localcloud  # noqa: F401 (puts tools/ on sys.path)

from localcloud import bootstrap  # noqa: E402
from localcloud import configs  # noqa: E402
from localcloud import ini  # noqa: E402
from localcloud import layout  # noqa: E402

# Stubs of the devstack functions plugin.sh calls; each records its call.
STUBS = r'''
record() { printf '%s\n' "$*" >> "$CALLS"; }
iniset() { printf 'iniset\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$CALLS"; }
iniget() { echo "${STUB_INIGET:-}"; }
is_service_enabled() {
    local s
    for s in "$@"; do
        [[ ",$ENABLED_SERVICES," == *",$s,"* ]] && return 0
    done
    return 1
}
trueorfalse() {
    case "${!2:-}" in
        1|[yY]es|YES|[tT]rue|TRUE) echo True ;;
        0|[nN]o|NO|[fF]alse|FALSE) echo False ;;
        *) echo "$1" ;;
    esac
}
use_library_from_git() { [[ ",${LIBS_FROM_GIT:-}," == *",$1,"* ]]; }
pip_install() { record pip_install "$@"; }
install_package() { record install_package "$@"; }
get_or_create_user() { record get_or_create_user "$@"; }
get_or_add_user_project_role() { record get_or_add_user_project_role "$@"; }
vitrage_service_url() { echo "http://$SERVICE_HOST/rca"; }
echo_summary() { :; }
die() { record die "$@"; exit 1; }
promtool() { record promtool "$@"; }
sudo() {
    if [[ "$1" == install && "$2" == -D ]]; then
        local args=("$@")
        record "sudo install $4 $6 -> ${args[-1]}"
        { printf 'FILE %s\n' "${args[-1]}"; cat "${args[-2]}"
          printf 'EOF\n'; } >> "$FILES"
    else
        record sudo "$@"
    fi
}
'''

BASE_ENV = {
    'HOST_IP': '10.0.0.1', 'SERVICE_HOST': '10.0.0.1',
    'SERVICE_PASSWORD': 'secret', 'SERVICE_PROJECT_NAME': 'service',
    'NOVA_CONF': '/etc/nova/nova.conf', 'AODH_CONF': '/etc/aodh/aodh.conf',
    'CEILOMETER_CONF': '/etc/ceilometer/ceilometer.conf',
    'ZAQAR_CONF': '/etc/zaqar/zaqar.conf',
    'MISTRAL_CONF_FILE': '/etc/mistral/mistral.conf',
    'HEAT_CONF': '/etc/heat/heat.conf',
    'NEUTRON_CONF': '/etc/neutron/neutron.conf',
    'TEMPEST_CONFIG': '/opt/stack/tempest/etc/tempest.conf',
}
VITRAGE_ENV = {'VITRAGE_CONF': '/etc/vitrage/vitrage.conf',
               'VITRAGE_CONF_DIR': '/etc/vitrage'}
FLOW_SERVICES = ['nova', 'n-api', 'neutron', 'q-svc', 'heat', 'aodh',
                 'ceilometer', 'ceilometer-anotification', 'zaqar',
                 'mistral', 'tempest']
VITRAGE_SERVICES = ['vitrage', 'vitrage-api']
COMPUTE = ['nova', 'n-cpu', 'neutron']
MULTINODE = {
    'SELF_HEALING_MONITOR': 'True',
    'SELF_HEALING_MONITOR_TARGETS': 'c1=10.0.0.2:9100 c2=10.0.0.3:9100',
    'SELF_HEALING_COMPUTE_HOSTS': 'c1,c2',
    'SELF_HEALING_HOST_ADDRESSES': 'c1:10.0.0.2,c2:10.0.0.3',
    'SELF_HEALING_HOST_SSH_KEY_FILE': '/opt/stack/self-healing/ssh/id',
    'SELF_HEALING_HOST_NIC': 'br-infra',
}
PHASES = ('install', 'post-config', 'extra', 'test-config')


class Stack:
    """One node's run of the plugin's phases; what it called."""

    def __init__(self, test, branch, services, between=None, **variables):
        """``between``: {phase: shell run after it} (another plugin)."""
        tmp = test.useFixture(fixtures.TempDir()).path
        pipeline = variables.pop('pipeline', '      - notifier://?topic='
                                 'alarm.all\n      - gnocchi://\n')
        self.env = dict(BASE_ENV, TARGET_BRANCH=branch,
                        ENABLED_SERVICES=','.join(services), **variables)
        if 'vitrage' in services:
            self.env.update(VITRAGE_ENV)
        pipeline_dir = os.path.join(tmp, 'ceilometer')
        os.makedirs(pipeline_dir)
        with open(os.path.join(pipeline_dir, 'event_pipeline.yaml'),
                  'w') as f:
            f.write(pipeline)
        self.env['CEILOMETER_CONF_DIR'] = pipeline_dir
        calls = os.path.join(tmp, 'calls')
        files = os.path.join(tmp, 'files')
        script = os.path.join(tmp, 'run.sh')
        with open(script, 'w') as f:
            f.write(STUBS)
            for name, val in self.env.items():
                f.write('%s=%s\n' % (name, _sh(val)))
            # As stack.sh runs plugins (errexit), and stricter (nounset).
            f.write('set -o errexit -o nounset\n')
            f.write('source %s/settings\n' % DEVSTACK)
            for phase in PHASES:
                f.write('source %s/plugin.sh stack %s\n' % (DEVSTACK, phase))
                f.write((between or {}).get(phase, '') + '\n')
            f.write('declare -p GNOCCHI_ARCHIVE_POLICY '
                    'CEILOMETER_PIPELINE_INTERVAL CEILOMETER_EVENT_ALARM '
                    '> %s/vars 2>/dev/null || true\n' % tmp)
        env = {'PATH': os.environ['PATH'], 'CALLS': calls, 'FILES': files}
        self.run = subprocess.run(['bash', script], env=env, cwd=tmp,
                                  capture_output=True, text=True, check=False)
        self.calls = _lines(calls)
        self.files = _files(files)
        self.vars = _lines(os.path.join(tmp, 'vars'))

    def inisets(self, path):
        return {tuple(c.split('\t')[2:4]): c.split('\t')[4]
                for c in self.calls
                if c.startswith('iniset\t') and c.split('\t')[1] == path}

    def all_inisets(self):
        return {(c.split('\t')[1],) + tuple(c.split('\t')[2:4]):
                c.split('\t')[4] for c in self.calls
                if c.startswith('iniset\t')
                and c.split('\t')[1] != self.env['TEMPEST_CONFIG']}

    def others(self):
        return [c for c in self.calls if not c.startswith('iniset\t')]


def _sh(value):
    return "'%s'" % value.replace("'", "'\\''")


def _lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except OSError:
        return []


def _files(path):
    files, current = {}, None
    for line in _lines(path):
        if current is None and line.startswith('FILE '):
            current = line[5:]
            files[current] = []
        elif line == 'EOF' and current is not None:
            files[current] = '\n'.join(files[current]) + '\n'
            current = None
        elif current is not None:
            files[current].append(line)
    return files


class TestPluginSh(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.table = fs.load()

    def stack(self, branch, services, **variables):
        node = Stack(self, branch, services, **variables)
        self.assertEqual(0, node.run.returncode,
                         'plugin.sh failed: %s\n%s\ncalls: %s' % (
                             node.run.stdout, node.run.stderr, node.calls))
        return node

    def expected(self, node, branch, enabled, per_vm=False, cloud=()):
        """The table's devstack rendering, devstack variables expanded."""
        out = {}
        for row in fs.rows(self.table, 'devstack', branch=branch,
                           enabled=enabled, flows=fs.devstack_flows(per_vm),
                           cloud=cloud):
            var = self.table['files'][row['file']]['devstack']
            text = fs.render_value(fs.value_for(row, 'devstack'))
            out[(string.Template(var).substitute(node.env),
                 row['section'], row['option'])] = string.Template(
                     text).substitute(node.env)
        return out

    def tempest(self, node):
        return node.inisets(node.env['TEMPEST_CONFIG'])

    def test_single_node_gets_the_autoheal_and_policy_flows(self):
        node = self.stack('master', FLOW_SERVICES + ['n-cpu'])
        enabled = ['aodh', 'ceilometer', 'heat', 'mistral', 'neutron',
                   'nova', 'zaqar']
        self.assertEqual(self.expected(node, 'master', enabled),
                         node.all_inisets())
        self.assertIn('pip_install mistral-extra', node.others())
        self.assertFalse([c for c in node.others()
                          if c.startswith('install_package')])
        conf = self.tempest(node)
        self.assertEqual('true', conf[('self_healing_feature_enabled',
                                       'autoheal_flow')])
        self.assertEqual('true', conf[('self_healing_feature_enabled',
                                       'recovery_policy_flows')])
        for off in ('vitrage_flow', 'integrated_flow', 'per_vm_group_flow',
                    'host_fault', 'nic_fault', 'negative_checks'):
            self.assertEqual('false', conf[('self_healing_feature_enabled',
                                            off)], off)
        self.assertEqual('60', conf[('self_healing',
                                     'event_alarm_cache_ttl_s')])
        self.assertEqual('false', conf[('service_available', 'vitrage')])
        self.assertIn('self-healing: vitrage flow off: services not '
                      'enabled: vitrage', node.run.stdout)
        self.assertEqual(['declare -- CEILOMETER_EVENT_ALARM="True"'],
                         [v for v in node.vars if 'EVENT_ALARM' in v])

    def test_the_cache_ttl_written_is_the_one_aodh_has(self):
        node = self.stack('master', FLOW_SERVICES, STUB_INIGET='5')
        self.assertEqual('5', self.tempest(node)[
            ('self_healing', 'event_alarm_cache_ttl_s')])

    def test_mistral_extra_from_git_is_left_to_mistral(self):
        node = self.stack('master', FLOW_SERVICES,
                          LIBS_FROM_GIT='mistral-extra')
        self.assertNotIn('pip_install mistral-extra', node.others())

    def test_a_pipeline_without_the_aodh_publisher_fails_naming_it(self):
        node = Stack(self, 'master', FLOW_SERVICES,
                     pipeline='      - gnocchi://\n')
        self.assertEqual(1, node.run.returncode)
        died = [c for c in node.calls if c.startswith('die ')]
        self.assertEqual(1, len(died), node.calls)
        self.assertIn('notifier://?topic=alarm.all', died[0])
        self.assertIn('CEILOMETER_EVENT_ALARM', died[0])

    def test_without_vitrage_master_multinode_controller(self):
        # Vitrage is retired on master: its plugin enables nothing, and
        # with the monitor on nothing of Vitrage's is set.
        node = self.stack('master', FLOW_SERVICES, **MULTINODE)
        enabled = ['aodh', 'ceilometer', 'heat', 'mistral', 'neutron',
                   'nova', 'zaqar']
        inisets = node.all_inisets()
        self.assertEqual(self.expected(node, 'master', enabled,
                                       cloud=['vitrage']), inisets)
        self.assertFalse([k for k in inisets if 'topics' in k])
        self.assertFalse([c for c in node.others()
                          if 'prometheus' in c or 'monitor' in c])
        conf = self.tempest(node)
        self.assertEqual('false', conf[('self_healing_feature_enabled',
                                       'vitrage_flow')])
        self.assertEqual('true', conf[('self_healing_feature_enabled',
                                       'host_fault')])

    def test_with_vitrage_multinode_controller_runs_the_monitor(self):
        branch = 'stable/2025.2'
        node = self.stack(branch, FLOW_SERVICES + VITRAGE_SERVICES,
                          **MULTINODE)
        enabled = ['aodh', 'ceilometer', 'heat', 'mistral', 'neutron',
                   'nova', 'vitrage', 'zaqar']
        inisets = node.all_inisets()
        self.assertEqual(self.expected(node, branch, enabled), inisets)
        vitrage = node.inisets('/etc/vitrage/vitrage.conf')
        self.assertEqual('120', vitrage[('datasources',
                                         'snapshots_interval')])
        self.assertEqual('service', vitrage[('service_credentials',
                                             'project_name')])
        self.assertEqual('http://10.0.0.1:9093/api/v2/alerts',
                         vitrage[('prometheus', 'alertmanager_url')])
        others = node.others()
        self.assertIn('install_package prometheus prometheus-alertmanager',
                      others)
        self.assertNotIn('install_package prometheus-node-exporter', others)
        self.assertIn('get_or_add_user_project_role admin '
                      'self-healing-monitor service default default', others)
        self.assertIn('sudo systemctl restart prometheus-alertmanager',
                      others)
        # Its basic-auth password is for root and Alertmanager only.
        self.assertIn('sudo install 0640 prometheus -> '
                      '/etc/prometheus/alertmanager.yml', others)
        self.assertIn('sudo amtool check-config '
                      '/etc/prometheus/alertmanager.yml', others)
        self.assertIn('promtool check config /etc/prometheus/prometheus.yml',
                      others)
        self.assertIn("  - targets: ['10.0.0.3:9100']\n"
                      "    labels: {hostname: c2, vitrage_type: nova.host}",
                      node.files['/etc/prometheus/prometheus.yml'])
        self.assertIn('url: http://10.0.0.1/rca/v1/event',
                      node.files['/etc/prometheus/alertmanager.yml'])
        self.assertEqual(fs.vitrage_prometheus_conf(),
                         node.files['/etc/vitrage/prometheus_conf.yaml'])
        conf = self.tempest(node)
        for on in ('vitrage_flow', 'integrated_flow', 'host_fault',
                   'nic_fault', 'autoheal_flow'):
            self.assertEqual('true', conf[('self_healing_feature_enabled',
                                           on)], on)
        self.assertEqual('c1,c2', conf[('self_healing', 'compute_hosts')])
        self.assertEqual('ComputeHostUnreachable',
                         conf[('self_healing', 'host_alarm_name')])
        self.assertEqual('sudo systemctl stop devstack@n-cpu '
                         'prometheus-node-exporter',
                         conf[('self_healing', 'host_stop_command')])

    def test_multinode_compute_with_the_monitor_runs_an_exporter(self):
        branch = 'stable/2025.2'
        node = self.stack(branch, COMPUTE, SELF_HEALING_MONITOR='True',
                          SELF_HEALING_MONITOR_ADDRESS='172.24.4.2')
        inisets = node.all_inisets()
        self.assertEqual(self.expected(node, branch, ['nova', 'neutron'],
                                       cloud=['vitrage']), inisets)
        # nova-compute publishes instance events to Vitrage's topic too.
        self.assertEqual('notifications,vitrage_notifications', inisets[
            ('/etc/nova/nova.conf', 'oslo_messaging_notifications',
             'topics')])
        self.assertIn('install_package prometheus-node-exporter',
                      node.others())
        self.assertEqual(
            'ARGS="--web.listen-address=172.24.4.2:9100"\n',
            node.files['/etc/default/prometheus-node-exporter'])
        self.assertFalse(self.tempest(node))

    def test_with_vitrage_single_node_switches_the_host_flows_off(self):
        branch = 'unmaintained/2025.1'
        node = self.stack(branch, FLOW_SERVICES + VITRAGE_SERVICES)
        enabled = ['aodh', 'ceilometer', 'heat', 'mistral', 'neutron',
                   'nova', 'vitrage', 'zaqar']
        self.assertEqual(self.expected(node, branch, enabled),
                         node.all_inisets())
        conf = self.tempest(node)
        self.assertEqual('true', conf[('service_available', 'vitrage')])
        self.assertEqual('false', conf[('self_healing_feature_enabled',
                                        'vitrage_flow')])
        self.assertIn('SELF_HEALING_MONITOR', node.run.stdout)

    def test_per_vm_sets_samples_archive_policy_and_evaluation(self):
        branch = 'stable/2025.2'
        node = self.stack(branch, FLOW_SERVICES + VITRAGE_SERVICES + [
            'gnocchi-api'], SELF_HEALING_PER_VM='True', **MULTINODE)
        enabled = ['aodh', 'ceilometer', 'gnocchi-api', 'heat', 'mistral',
                   'neutron', 'nova', 'vitrage', 'zaqar']
        inisets = node.all_inisets()
        self.assertEqual(self.expected(node, branch, enabled, per_vm=True),
                         inisets)
        self.assertEqual('10', inisets[('/etc/aodh/aodh.conf', 'evaluator',
                                        'evaluation_interval')])
        self.assertIn('declare -- GNOCCHI_ARCHIVE_POLICY="ceilometer-high"',
                      node.vars)
        self.assertIn('declare -- CEILOMETER_PIPELINE_INTERVAL="10"',
                      node.vars)
        conf = self.tempest(node)
        self.assertEqual('true', conf[('self_healing_feature_enabled',
                                       'per_vm_group_flow')])
        self.assertIn('devstack@ceilometer-acompute',
                      conf[('self_healing', 'host_stop_command')])

    def test_settings_win_over_a_plugin_whose_post_config_runs_later(self):
        # Zuul's devstack role sorts enable_plugin lines by name: vitrage's
        # post-config runs after ours and writes its own project_name.
        overwrite = ('iniset "$VITRAGE_CONF" service_credentials '
                     'project_name admin')
        node = self.stack('stable/2025.2', FLOW_SERVICES + VITRAGE_SERVICES
                          + ['n-cpu'], between={'post-config': overwrite})
        self.assertEqual(
            'service', node.inisets('/etc/vitrage/vitrage.conf')[
                ('service_credentials', 'project_name')])

    def test_leak_inventory_is_taken_before_the_tests_when_asked(self):
        tempest_dir = self.useFixture(fixtures.TempDir()).path
        leaks = os.path.join(tempest_dir, '.tox', 'tempest', 'bin',
                             'self-healing-leaks')
        os.makedirs(os.path.dirname(leaks))
        with open(leaks, 'w') as f:
            f.write('#!/bin/sh\necho "$@" >> "%s.calls"\n' % leaks)
        os.chmod(leaks, 0o755)
        self.stack('master', FLOW_SERVICES + ['n-cpu'],
                   TEMPEST_DIR=tempest_dir,
                   SELF_HEALING_LEAKS_BEFORE_FILE='/opt/stack/before.json')
        self.assertEqual(
            ['--config-file /opt/stack/tempest/etc/tempest.conf snapshot '
             '--output /opt/stack/before.json'], _lines(leaks + '.calls'))

    def test_no_leak_inventory_unless_asked(self):
        node = self.stack('master', FLOW_SERVICES + ['n-cpu'])
        self.assertFalse([c for c in node.calls if 'self-healing-leaks' in c])

    def test_monitor_user_role_agrees_with_the_local_cloud(self):
        # Not an ini setting, so not a table row: the monitor's user must
        # hold the same role, in the project each cloud's Vitrage scopes
        # basic auth to ([service_credentials] project_name).
        node = self.stack('stable/2025.2', FLOW_SERVICES + VITRAGE_SERVICES,
                          **MULTINODE)
        grants = [c.split() for c in node.others()
                  if c.startswith('get_or_add_user_project_role ')]
        self.assertEqual(1, len(grants), node.others())
        _, role, _user, project = grants[0][:4]
        self.assertEqual(bootstrap.MONITOR_ROLE, role)
        self.assertEqual(project, node.inisets('/etc/vitrage/vitrage.conf')[
            ('service_credentials', 'project_name')])
        rendered = ini.parse(configs.render_all(
            layout.Layout('/srv/lc-test'))['vitrage/vitrage.conf'])
        self.assertEqual(bootstrap.SERVICE_PROJECT,
                         rendered['service_credentials']['project_name'])
