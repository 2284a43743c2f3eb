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

import re
import sys
import threading
import types
from unittest import mock

import testtools

from localcloud import checks
from localcloud import cli
from localcloud import hostnet
from localcloud import layout
from localcloud.lib import hosts
from localcloud import process
from localcloud import services


class TestServiceTable(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.paths = process.paths_for(layout.Layout('/srv/lc'),
                                       '/srv/tools/localcloud')

    def test_names_unique(self):
        names = [s.name for s in services.SERVICES]
        self.assertEqual(len(names), len(set(names)))

    def test_every_service_has_a_health_check(self):
        for svc in services.SERVICES:
            self.assertTrue(hasattr(svc.check, 'probe'), svc.name)
            self.assertTrue(svc.check.describe(), svc.name)

    def test_ports_unique_and_known(self):
        ports = [p for s in services.SERVICES for p in s.ports]
        self.assertEqual(len(ports), len(set(ports)))
        self.assertEqual(set(), set(ports) - set(services.PORTS.values()))

    def test_everything_binds_to_loopback_or_its_hosts_namespace(self):
        for svc in services.SERVICES:
            argv = ' '.join(svc.render_argv(self.paths))
            for addr in re.findall(r'\b\d{1,3}(?:\.\d{1,3}){3}\b', argv):
                if svc.host:
                    h = hostnet.host(svc.host)
                    self.assertIn(addr, (h.address, h.mgmt_address),
                                  svc.name)
                    self.assertTrue(argv.startswith(
                        '/sbin/ip netns exec %s ' % h.netns), argv)
                else:
                    self.assertTrue(addr.startswith('127.'),
                                    '%s binds %s' % (svc.name, addr))
            self.assertNotIn('0.0.0.0', argv)

    def test_http_checks_probe_the_bound_port(self):
        for svc in services.SERVICES:
            http = [c for c in getattr(svc.check, 'checks', (svc.check,))
                    if isinstance(c, checks.Http)]
            for check in http:
                port = int(re.search(r':(\d+)/', check.url).group(1))
                if svc.host:    # reached through the namespace proxy
                    self.assertEqual(hostnet.host(svc.host).exporter_port,
                                     port)
                else:
                    self.assertIn(port, svc.ports, svc.name)

    def test_services_with_no_port_have_a_non_port_check(self):
        proxied = {p for r in hostnet.proxy_rules(hosts.CONTROLLER_PORTS)
                   if not r[0]
                   for p in (r[2],)}
        for svc in services.SERVICES:
            if svc.ports:
                continue
            parts = getattr(svc.check, 'checks', (svc.check,))
            if all(isinstance(c, (checks.Queue, checks.LogLine))
                   for c in parts):
                continue
            # A host's process, or the proxy itself: checked through the
            # proxy's ports on 127.0.0.1.
            port = getattr(svc.check, 'port', None) or int(
                re.search(r':(\d+)/', svc.check.url).group(1))
            self.assertIn(port, proxied, svc.name)

    def test_templates_render_completely(self):
        for svc in services.SERVICES:
            rendered = svc.render_argv(self.paths) + list(
                svc.render_env(self.paths).values())
            for part in rendered:
                self.assertNotRegex(part, r'\{[a-z]+\}', svc.name)
            self.assertTrue(rendered[0].startswith('/'), svc.name)

    def test_stages_order_infra_then_keystone_then_the_rest(self):
        machines = {'%s-%s' % (kind, h) for h in layout.COMPUTE_HOSTS
                    for kind in ('sshd', 'node-exporter')}
        self.assertEqual({'epmd', 'rabbitmq', 'mariadb', 'redis',
                          'memcached', 'nsproxy', 'prometheus',
                          'alertmanager'} | machines,
                         {s.name for s in services.stage(0)})
        self.assertEqual(['keystone'], [s.name for s in services.stage(1)])
        self.assertEqual(len(services.SERVICES),
                         sum(len(services.stage(n)) for n in (0, 1, 2)))

    def test_each_host_runs_in_its_namespace(self):
        for host in layout.COMPUTE_HOSTS:
            units = {s.name: s for s in services.SERVICES if s.host == host}
            self.assertEqual({'sshd-' + host, 'node-exporter-' + host,
                              'nova-compute-' + host,
                              'ceilometer-polling-' + host}, set(units))
            compute = units['nova-compute-' + host]
            argv = compute.render_argv(self.paths)
            self.assertEqual(['/sbin/ip', 'netns', 'exec', 'lc-' + host],
                             argv[:4])
            self.assertIn('/srv/lc/etc/nova/compute-%s.conf' % host, argv)
            self.assertEqual(checks.Queue('compute.%s' % host),
                             compute.check)

    def test_a_host_stop_keeps_its_sshd(self):
        names = {s.name for s in services.host_services('host1')}
        self.assertEqual({'node-exporter-host1', 'nova-compute-host1',
                          'ceilometer-polling-host1'}, names)

    def test_a_compute_restart_is_nova_compute_only(self):
        self.assertEqual('nova-compute-host2',
                         services.host_compute('host2').name)

    def test_openstack_processes_get_the_python_env(self):
        self.assertEqual({}, services.by_name('mariadb').render_env(
            self.paths))
        self.assertEqual('2', services.by_name('keystone').render_env(
            self.paths)['MALLOC_ARENA_MAX'])

    def test_the_former_process_names_act_on_their_process(self):
        said = []
        svcs = cli._services(['aodh-listener', 'aodh-notifier',
                              'vitrage-persistor', 'keystone'], said.append)
        self.assertEqual(['aodh-alarming', 'vitrage-notifier-persistor',
                          'keystone'], [s.name for s in svcs])
        self.assertIn('aodh-listener runs inside aodh-alarming now', said[0])
        self.assertIn('aodh-evaluator', said[0])
        err = self.assertRaises(RuntimeError, cli._services, ['aodh-x'])
        self.assertIn('unknown service(s) aodh-x', str(err))

    def test_alarm_services_run_in_one_process(self):
        svc = services.by_name('aodh-alarming')
        argv = svc.render_argv(self.paths)
        self.assertEqual(['--in-process', 'aodh-alarming',
                          'aodh.cmd.alarm:evaluator,aodh.cmd.alarm:listener,'
                          'aodh.cmd.alarm:notifier'], argv[2:5])
        self.assertEqual(
            {'log line /evaluat/', 'consumer on queue alarm.all.sample',
             'consumer on queue alarming.sample'},
            {c.describe() for c in svc.check.checks})

    def test_mistral_runs_without_its_event_engine(self):
        argv = services.by_name('mistral').render_argv(self.paths)
        servers = argv[argv.index('--server') + 1].split(',')
        self.assertNotIn('event-engine', servers)
        self.assertNotIn('all', servers)
        self.assertIn('engine', servers)


class TestSingleProcess(testtools.TestCase):

    def test_one_worker_runs_without_fork(self):
        from localcloud import single_process
        calls = []
        launch = single_process._single_process(
            lambda conf, svc, workers=1, *a, **kw: calls.append(
                (workers, kw.get('no_fork'))))
        launch('conf', 'svc', 1, restart_method='mutate')
        launch('conf', 'svc', workers=None)
        launch('conf', 'svc', 3)
        self.assertEqual([(1, True), (None, True), (3, None)], calls)

    def test_scripts_services_are_collected_not_forked(self):
        from localcloud import single_process
        made = []

        class Svc:
            def __init__(self, worker_id, argv):
                made.append((worker_id, argv))

        def script():
            import cotyledon
            sm = cotyledon.ServiceManager()
            sm.register_hooks(on_reload=None)
            sm.add(Svc, workers=2, args=(sys.argv,))
            sm.run()
        fakes = {'cotyledon': types.ModuleType('cotyledon'),
                 'lc_fake_script': types.ModuleType('lc_fake_script')}
        fakes['lc_fake_script'].main = script
        fakes['lc_fake_script'].other = script
        with mock.patch.dict(sys.modules, fakes), \
                mock.patch.object(sys, 'argv', list(sys.argv)):
            added = single_process.collect(
                'prog', 'lc_fake_script:main,lc_fake_script:other',
                ['--config-file', 'x.conf'])
        self.assertEqual([(Svc, (['prog', '--config-file', 'x.conf'],), {})]
                         * 2, added)
        self.assertEqual([], made)      # made only when run

    def test_the_global_config_is_cleared_before_each_next_script(self):
        from localcloud import single_process
        calls = []
        conf = types.SimpleNamespace(clear=lambda: calls.append('clear'))
        script = types.ModuleType('lc_fake_script')
        script.main = lambda: calls.append('script')
        fakes = {'cotyledon': types.ModuleType('cotyledon'),
                 'oslo_config.cfg': types.SimpleNamespace(CONF=conf),
                 'lc_fake_script': script}
        with mock.patch.dict(sys.modules, fakes), \
                mock.patch.object(sys, 'argv', list(sys.argv)):
            single_process.collect(
                'prog', 'lc_fake_script:main,lc_fake_script:main', [])
        # Never after the last: its services read the config it parsed.
        self.assertEqual(['script', 'clear', 'script'], calls)

    def test_services_run_in_this_process_until_stopped(self):
        from localcloud import single_process
        events, ran = [], threading.Event()

        class Svc:
            def __init__(self, worker_id, name):
                self.name = name
                events.append(('made', worker_id, name))

            def run(self):
                if self.name == 'b':
                    ran.set()

            def terminate(self):
                events.append(('terminated', self.name))
        stop = threading.Event()
        stop.set()
        single_process.run_in_process(
            [(Svc, ('a',), {}), (Svc, ('b',), {})], stop)
        self.assertEqual([('made', 0, 'a'), ('made', 0, 'b'),
                          ('terminated', 'b'), ('terminated', 'a')], events)
        self.assertTrue(ran.wait(10), 'b.run() never ran')

    def test_rpc_services_use_it(self):
        paths = process.paths_for(layout.Layout('/srv/lc'), '/t')
        for name in ('nova-conductor', 'nova-scheduler'):
            argv = services.by_name(name).render_argv(paths)
            self.assertEqual(['/srv/lc/venv/bin/python',
                              '/t/single_process.py', name], argv[:3])
