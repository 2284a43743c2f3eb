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

import datetime
import os
import re
import sys
import tomllib
import urllib.parse

import testtools

from localcloud import bootstrap
from localcloud import ini
from localcloud import layout
from localcloud.lib import telemetry
from localcloud import process

HERE = telemetry.HERE
sys.path.insert(0, os.path.join(HERE, 'fake_inspector'))
from localcloud_fake_inspector import stats  # noqa: E402


class TestRender(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.lay = layout.Layout('/srv/lc-test')
        self.files = telemetry.render(self.lay)

    def conf(self, rel):
        return ini.parse(self.files[rel])

    def test_every_file_and_one_polling_conf_per_host(self):
        self.assertEqual(
            {'gnocchi/gnocchi.conf', 'gnocchi/api-paste.ini',
             'gnocchi/api-quiet.conf', 'ceilometer/ceilometer.conf',
             'ceilometer/event_pipeline.yaml',
             'ceilometer/meter.conf', 'ceilometer/pipeline.yaml',
             'ceilometer/gnocchi_resources.yaml', 'ceilometer/polling.yaml'}
            | {'ceilometer/polling-%s.conf' % h
               for h in layout.COMPUTE_HOSTS},
            set(self.files))

    def test_gnocchi_api_logs_no_config_at_info(self):
        # It would log the database URL, password included.
        self.assertEqual('false',
                         self.conf('gnocchi/api-quiet.conf')['DEFAULT'][
                             'verbose'])

    def test_gnocchi_file_storage_mariadb_indexer_keystone(self):
        conf = self.conf('gnocchi/gnocchi.conf')
        self.assertEqual('file', conf['storage']['driver'])
        self.assertEqual(self.lay.data('gnocchi'),
                         conf['storage']['file_basepath'])
        self.assertEqual(layout.db_url('gnocchi'), conf['indexer']['url'])
        self.assertEqual('keystone', conf['api']['auth_mode'])
        self.assertEqual('gnocchi',
                         conf['keystone_authtoken']['username'])
        self.assertEqual('redis://127.0.0.1:6379',
                         conf['DEFAULT']['coordination_url'])
        self.assertEqual(self.lay.etc('gnocchi', 'api-paste.ini'),
                         conf['api']['paste_config'])

    def test_metricd_one_worker_fast_processing(self):
        metricd = self.conf('gnocchi/gnocchi.conf')['metricd']
        self.assertEqual('1', metricd['workers'])
        self.assertLessEqual(int(metricd['metric_processing_delay']), 5)
        self.assertEqual('-1', metricd['metric_reporting_delay'])

    def test_paste_authtoken_reads_our_config_file(self):
        paste = self.files['gnocchi/api-paste.ini']
        self.assertIn('[composite:gnocchi+keystone]', paste)
        self.assertIn('oslo_config_file = %s' % self.lay.etc(
            'gnocchi', 'gnocchi.conf'), paste)

    def test_polling_conf_calls_only_the_controller(self):
        text = telemetry.polling_conf(self.lay, 'host1', '10.77.0.1')
        self.assertNotIn('127.0.0.1', text)
        conf = ini.parse(text)
        self.assertEqual('host1', conf['DEFAULT']['host'])
        self.assertEqual('rabbit://guest:guest@10.77.0.1:5672/',
                         conf['DEFAULT']['transport_url'])
        creds = conf['service_credentials']
        self.assertEqual('http://10.77.0.1:5000/v3', creds['auth_url'])
        self.assertEqual('internal', creds['interface'])
        self.assertEqual(layout.REGION, creds['region_name'])

    def test_polling_conf_fake_inspector_and_naive_discovery(self):
        conf = self.conf('ceilometer/polling-host2.conf')
        self.assertEqual(telemetry.INSPECTOR,
                         conf['DEFAULT']['hypervisor_inspector'])
        self.assertEqual('naive',
                         conf['compute']['instance_discovery_method'])
        self.assertEqual(conf['compute']['resource_update_interval'],
                         conf['compute']['resource_cache_expiry'])
        self.assertEqual(self.lay.etc('ceilometer', 'polling.yaml'),
                         conf['polling']['cfg_file'])
        self.assertEqual(self.lay.data('ceilometer', 'host2', 'locks'),
                         conf['oslo_concurrency']['lock_path'])

    def test_render_controller_for_a_root_namespace_test(self):
        files = telemetry.render(self.lay, controller='127.0.0.1',
                                 hosts=('host1',))
        text = files['ceilometer/polling-host1.conf']
        self.assertNotIn('ceilometer/polling-host2.conf', files)
        self.assertNotIn('10.77.0.1', text)

    def test_polling_and_meter_agent_share_the_sample_topic(self):
        polling = self.conf('ceilometer/polling-host1.conf')
        meter = self.conf('ceilometer/meter.conf')
        self.assertEqual(telemetry.SAMPLE_TOPIC,
                         polling['oslo_messaging_notifications']['topics'])
        self.assertEqual(telemetry.SAMPLE_TOPIC,
                         meter['oslo_messaging_notifications']['topics'])
        # Never the event agent's topic: it would compete for its queue.
        self.assertNotEqual('notifications', telemetry.SAMPLE_TOPIC)
        self.assertEqual('meter', meter['notification']['pipelines'])
        self.assertEqual(self.lay.etc('ceilometer', 'pipeline.yaml'),
                         meter['DEFAULT']['pipeline_cfg_file'])

    def test_meters_polled_are_meters_published(self):
        def meters(text):
            return re.findall(r'^ {6}- (\S+)$', text, re.M)
        polled = meters(self.files['ceilometer/polling.yaml'])
        self.assertEqual(list(telemetry.METERS), polled)
        pipeline = self.files['ceilometer/pipeline.yaml']
        self.assertEqual(polled,
                         meters(pipeline.split('sinks:')[0]))
        self.assertIn('cpu', polled)
        self.assertIn('interval: %d' % telemetry.POLL_INTERVAL,
                      self.files['ceilometer/polling.yaml'])

    def test_publisher_is_gnocchi_with_our_resource_definitions(self):
        url = re.search(r'- (gnocchi://\S+)',
                        self.files['ceilometer/pipeline.yaml']).group(1)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        self.assertEqual(
            [self.lay.etc('ceilometer', 'gnocchi_resources.yaml')],
            query['resources_definition_file'])
        self.assertEqual(['false'], query['enable_filter_project'])

    def test_resources_server_group_and_fine_archive_policy(self):
        text = self.files['ceilometer/gnocchi_resources.yaml']
        self.assertIn('archive_policy_default: %s' % telemetry.ARCHIVE_POLICY,
                      text)
        self.assertIn('  - resource_type: instance\n', text)
        self.assertIn(
            'server_group: resource_metadata.user_metadata.server_group',
            text)
        for meter in telemetry.METERS:
            self.assertIn('      %s:\n' % meter, text)
        self.assertIn('- "rate:mean"', text)
        finest = min(g for g, _ in telemetry.ARCHIVE_DEFINITION)
        self.assertLessEqual(finest, 10)
        self.assertIn('granularity: %d seconds' % finest, text)

    def test_cpu_threshold(self):
        # 30 % of one vCPU over a 10 s granularity: measured 3.0e9 live.
        self.assertEqual(3 * 10 ** 9, telemetry.cpu_threshold(30))
        self.assertEqual(24 * 10 ** 9, telemetry.cpu_threshold(20, 60, 2))

    def test_archive_policy_body(self):
        ap = telemetry.archive_policy()
        self.assertEqual(telemetry.ARCHIVE_POLICY, ap['name'])
        self.assertIn('rate:mean', ap['aggregation_methods'])
        self.assertEqual({'granularity': '10 seconds', 'points': 360},
                         ap['definition'][0])


class TestProcesses(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.lay = layout.Layout('/srv/lc')
        self.paths = process.paths_for(self.lay, '/srv/tools/localcloud')
        self.by_name = {s.name: s for s in telemetry.control_services()}

    def test_control_services(self):
        self.assertEqual(['ceilometer-notification', 'gnocchi-api',
                          'gnocchi-metricd', 'ceilometer-meter'],
                         list(self.by_name))
        for svc in self.by_name.values():
            self.assertEqual(2, svc.stage)
            self.assertEqual('', svc.host)
            self.assertTrue(svc.check.describe())

    def test_gnocchi_api_runs_in_its_venv_behind_our_runner(self):
        svc = self.by_name['gnocchi-api']
        self.assertEqual([
            '/srv/lc/venv-gnocchi/bin/python',
            '/srv/tools/localcloud/wsgi_runner.py', '--name', 'gnocchi-api',
            '--bind', '127.0.0.1:8041',
            '--app', 'gnocchi.wsgi.api:application', '--',
            '--config-file', '/srv/lc/etc/gnocchi/gnocchi.conf',
            '--config-file', '/srv/lc/etc/gnocchi/api-quiet.conf'],
            svc.render_argv(self.paths))
        self.assertEqual((8041,), svc.ports)
        self.assertEqual('HTTP http://127.0.0.1:8041/', svc.check.describe())

    def test_metricd_and_meter_agent(self):
        self.assertEqual(
            ['/srv/lc/venv-gnocchi/bin/python',
             '/srv/tools/localcloud/single_process.py', '--in-process',
             'gnocchi-metricd', 'gnocchi.cli.metricd:metricd',
             '--config-file', '/srv/lc/etc/gnocchi/gnocchi.conf'],
            self.by_name['gnocchi-metricd'].render_argv(self.paths))
        # Both notification agents run without their cotyledon parent.
        self.assertEqual(
            ['/srv/lc/venv/bin/python',
             '/srv/tools/localcloud/single_process.py', '--in-process',
             'ceilometer-agent-notification',
             'ceilometer.cmd.agent_notification:main',
             '--config-file', '/srv/lc/etc/ceilometer/ceilometer.conf',
             '--config-file', '/srv/lc/etc/ceilometer/meter.conf'],
            self.by_name['ceilometer-meter'].render_argv(self.paths))
        self.assertEqual(
            self.by_name['ceilometer-meter'].render_argv(self.paths)[:5]
            + ['--config-file', '/srv/lc/etc/ceilometer/ceilometer.conf'],
            self.by_name['ceilometer-notification'].render_argv(self.paths))
        self.assertEqual(
            'consumer on queue %s.sample' % telemetry.SAMPLE_TOPIC,
            self.by_name['ceilometer-meter'].check.describe())

    def test_host_services_wrapped(self):
        wrap = ('ip', 'netns', 'exec', 'lc-host1')
        (svc,) = telemetry.host_services('host1', wrap)
        self.assertEqual('ceilometer-polling-host1', svc.name)
        self.assertEqual('host1', svc.host)
        self.assertEqual(2, svc.stage)
        self.assertEqual(list(wrap) + [
            '/srv/lc/venv/bin/localcloud-ceilometer-polling',
            '--polling-namespaces', 'compute', '--config-file',
            '/srv/lc/etc/ceilometer/polling-host1.conf'],
            svc.render_argv(self.paths))
        self.assertEqual('MALLOC_ARENA_MAX', list(
            svc.render_env(self.paths))[0])

    def test_host_services_unwrapped(self):
        (svc,) = telemetry.host_services('host2')
        self.assertEqual('/srv/lc/venv/bin/localcloud-ceilometer-polling',
                         svc.render_argv(self.paths)[0])

    def test_dbsync_and_upgrade_argv(self):
        self.assertEqual((telemetry.DATABASE,), telemetry.DATABASES)
        create, upgrade = telemetry.DBSYNC
        self.assertIn('CREATE DATABASE IF NOT EXISTS `gnocchi`', create[-1])
        self.assertEqual(
            ['/srv/lc/venv-gnocchi/bin/gnocchi-upgrade', '--config-file',
             '/srv/lc/etc/gnocchi/gnocchi.conf'],
            [a.format(**self.paths) for a in upgrade])
        self.assertEqual(
            '/srv/lc/venv/bin/ceilometer-upgrade',
            telemetry.CEILOMETER_UPGRADE[0].format(**self.paths))


class TestInstall(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.lay = layout.Layout('/srv/lc')

    def test_venv_argv(self):
        self.assertEqual([
            '/srv/lc/venv/bin/uv', 'pip', 'install', '--python',
            '/srv/lc/venv-gnocchi/bin/python',
            '-r', os.path.join(HERE, 'requirements-gnocchi.in'),
            '-c', os.path.join(HERE, 'constraints-gnocchi.txt')],
            telemetry.venv_argv(self.lay))

    def test_inspector_argv_into_the_main_venv(self):
        argv = telemetry.inspector_argv(self.lay, '/tmp/src')
        self.assertEqual(['/srv/lc/venv/bin/uv', 'pip', 'install',
                          '--python', '/srv/lc/venv/bin/python'], argv[:5])
        self.assertEqual('/tmp/src', argv[-1])
        self.assertIn(os.path.join(HERE, 'constraints.txt'), argv)
        self.assertIn(telemetry.INSPECTOR_DIST, argv)

    def test_pins(self):
        def pins(name):
            with open(os.path.join(HERE, name)) as f:
                return dict(line.split('#')[0].strip().split('==')
                            for line in f if '==' in line.split('#')[0])
        gnocchi = pins('constraints-gnocchi.txt')
        self.assertEqual('4.7.1', gnocchi['gnocchi'])
        for pkg in ('cheroot', 'pymysql', 'redis', 'python-memcached',
                    'keystonemiddleware'):
            self.assertIn(pkg, gnocchi)
        main = pins('constraints.txt')
        for pkg, version in gnocchi.items():
            if pkg in main:
                self.assertEqual(main[pkg], version, pkg)

    def test_inspector_package_entry_points(self):
        with open(os.path.join(HERE, 'fake_inspector',
                               'pyproject.toml'), 'rb') as f:
            project = tomllib.load(f)['project']
        self.assertEqual(telemetry.INSPECTOR_DIST, project['name'])
        self.assertEqual(
            {telemetry.INSPECTOR:
             'localcloud_fake_inspector.inspector:FakeInspector'},
            project['entry-points']['ceilometer.compute.virt'])
        self.assertIn(telemetry.POLLING_SCRIPT, project['scripts'])


class FakeSession:
    """Keystone's v3 endpoints/services/users/roles in memory."""

    def __init__(self):
        self.data = {
            'projects': [{'id': 'p-svc', 'name': 'service',
                          'domain_id': 'default'}],
            'roles': [{'id': 'r-admin', 'name': 'admin'},
                      {'id': 'r-service', 'name': 'service'}],
            'users': [], 'domains': [], 'services': [
                {'id': 's-compute', 'type': 'compute', 'name': 'nova'}],
            'endpoints': [
                {'id': 'e%d' % i, 'service_id': 's-compute',
                 'interface': iface, 'url': 'http://127.0.0.1:8774/v2.1'}
                for i, iface in enumerate(('public', 'internal', 'admin'))],
        }
        self.grants = set()
        self.writes = []

    def _split(self, path):
        parts = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        return parts.path.strip('/').split('/'), query

    def get(self, service, path, **kw):
        (coll,), query = self._split(path)
        items = [i for i in self.data[coll]
                 if all(i.get(k) == v for k, v in query.items())]
        return {coll: items}

    def post(self, service, path, body, **kw):
        (coll,), _ = self._split(path)
        item = dict(body[coll[:-1]], id='%s-%d' % (coll, len(self.writes)))
        self.data[coll].append(item)
        self.writes.append(('POST', coll, item))
        return {coll[:-1]: item}

    def request(self, method, service, path, body=None, **kw):
        parts, _ = self._split(path)
        if method == 'PUT':
            self.grants.add(tuple(parts))
        elif method == 'PATCH':
            (item,) = [i for i in self.data[parts[0]] if i['id'] == parts[1]]
            item.update(body[parts[0][:-1]])
            self.writes.append(('PATCH', parts[0], item))
        return 204, {}

    def delete(self, service, path, **kw):
        coll, iid = self._split(path)[0]
        self.data[coll] = [i for i in self.data[coll] if i['id'] != iid]
        return 204


class TestRegister(testtools.TestCase):
    """The catalog bootstrap makes from the service modules' CATALOG."""

    def endpoints(self, sess):
        return {(e['service_id'], e['interface']): e['url']
                for e in sess.data['endpoints']}

    def test_gnocchi_endpoints_and_the_hosts_internal_ones(self):
        sess = FakeSession()
        bootstrap.identity(sess)
        metric = [s for s in sess.data['services'] if s['type'] == 'metric']
        self.assertEqual('gnocchi', metric[0]['name'])
        urls = self.endpoints(sess)
        sid = metric[0]['id']
        self.assertEqual('http://127.0.0.1:8041', urls[(sid, 'public')])
        self.assertEqual('http://10.77.0.1:8041', urls[(sid, 'internal')])
        # compute's endpoint existed: its internal one is moved, in place.
        self.assertEqual('http://10.77.0.1:8774/v2.1',
                         urls[('s-compute', 'internal')])
        self.assertEqual('http://127.0.0.1:8774/v2.1',
                         urls[('s-compute', 'public')])
        (image,) = [s for s in sess.data['services'] if s['type'] == 'image']
        self.assertEqual('http://10.77.0.1:9292', urls[(image['id'],
                                                        'internal')])
        self.assertIn('gnocchi', [u['name'] for u in sess.data['users']])

    def test_idempotent(self):
        sess = FakeSession()
        self.assertTrue(bootstrap.identity(sess)['changed'])
        before = len(sess.writes)
        self.assertEqual([], bootstrap.identity(sess)['changed'])
        self.assertEqual(before, len(sess.writes))


class Server:
    def __init__(self, **attrs):
        self.id = attrs.pop('id', 'srv-1')
        self.flavor = attrs.pop('flavor', {'vcpus': 2, 'ram': 128})
        self.metadata = attrs.pop('metadata', {})
        for k, v in attrs.items():
            setattr(self, k, v)


class TestFakeStats(testtools.TestCase):

    T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

    def clock(self, seconds):
        return (self.T0 + datetime.timedelta(seconds=seconds)).timestamp()

    def test_cpu_time_grows_with_util_and_vcpus(self):
        now = [self.clock(100)]
        cpu = stats.CpuClock(lambda: now[0])
        srv = Server(**{'OS-SRV-USG:launched_at': '2026-01-01T00:00:00.000000',
                        'metadata': {stats.CPU_UTIL_KEY: '50'}})
        first = stats.instance_stats(srv, cpu, now[0])
        # 100 s since launch x 2 vCPUs x 50 %
        self.assertEqual(100 * 1e9, first['cpu_time'])
        now[0] += 10
        srv.metadata[stats.CPU_UTIL_KEY] = '10'
        second = stats.instance_stats(srv, cpu, now[0])
        self.assertEqual(100e9 + 10 * 2 * 0.1 * 1e9, second['cpu_time'])
        self.assertEqual(2, second['cpu_number'])

    def test_memory_from_flavor(self):
        cpu = stats.CpuClock(lambda: self.clock(0))
        values = stats.instance_stats(Server(), cpu, self.clock(0))
        self.assertEqual(128, values['memory_actual'])
        self.assertEqual(32, values['memory_usage'])
        self.assertEqual(96, values['memory_available'])
        self.assertEqual(stats.RUNNING, values['power_state'])

    def test_bad_util_falls_back_and_clamps(self):
        self.assertEqual(10.0, stats._percent({'k': 'x'}, 'k', 10.0))
        self.assertEqual(100.0, stats._percent({'k': '250'}, 'k', 10.0))

    def test_stopped_server_raises(self):
        cpu = stats.CpuClock(lambda: self.clock(0))
        srv = Server(**{'OS-EXT-STS:vm_state': 'stopped'})
        self.assertRaises(ValueError, stats.instance_stats, srv, cpu,
                          self.clock(0))

    def test_paused_server_uses_no_cpu(self):
        now = [self.clock(0)]
        cpu = stats.CpuClock(lambda: now[0])
        srv = Server(**{'OS-EXT-STS:vm_state': 'paused',
                        'created': '2026-01-01T00:00:00Z'})
        stats.instance_stats(srv, cpu, now[0])
        now[0] += 60
        values = stats.instance_stats(srv, cpu, now[0])
        self.assertEqual(0, values['cpu_time'])
        self.assertEqual(stats.PAUSED, values['power_state'])
