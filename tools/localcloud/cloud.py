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

"""up / down / status of the whole local cloud."""
import concurrent.futures
import os
import subprocess
import time
import uuid

from localcloud import api
from localcloud import bootstrap
from localcloud import checks
from localcloud import configs
from localcloud import dbsync
from localcloud import hostnet
from localcloud import infra
from localcloud import install
from localcloud import layout as L
from localcloud import procs
from localcloud import services
from localcloud import state
from localcloud import telemetry
from localcloud import tempestconf

TOOLDIR = os.path.dirname(os.path.abspath(__file__))
START_TIMEOUT = 300


class CloudError(RuntimeError):
    pass


class Cloud:

    def __init__(self, lay, progress):
        self.lay = lay
        self.progress = progress
        self.paths = services.paths_for(lay, TOOLDIR)

    # -- processes ---------------------------------------------------------
    def pid(self, svc):
        return procs.running_pid(self.lay.pidfile(svc.name), self.lay.base)

    def probe_context(self):
        rabbit_env = dict(services.by_name('rabbitmq').render_env(self.paths))
        return checks.ProbeContext(
            infra.rabbitmqctl_argv(), rabbit_env,
            lambda svc: self.lay.log(svc.name))

    def healthy(self, svc, ctx):
        ctx.current = svc
        return bool(self.pid(svc)) and svc.check.probe(ctx)

    def start(self, svcs):
        """Start the services not running; wait until every check passes."""
        started = []
        for svc in svcs:
            if self.pid(svc):
                continue
            procs.start(svc.name, svc.render_argv(self.paths), self.lay.base,
                        self.lay.log(svc.name), self.lay.pidfile(svc.name),
                        env=svc.render_env(self.paths))
            started.append(svc.name)
        self.wait_healthy(svcs)
        return started

    def wait_healthy(self, svcs, timeout=START_TIMEOUT):
        ctx = self.probe_context()
        pending = list(svcs)
        t0 = time.monotonic()
        deadline = t0 + timeout
        while pending:
            still = []
            for svc in pending:
                if not self.pid(svc):
                    raise CloudError('%s exited during start:\n%s' % (
                        svc.name, self.log_tail(svc.name, 30)))
                ctx.current = svc
                if not svc.check.probe(ctx):
                    still.append(svc)
                elif len(svcs) > 1:
                    self.progress.info('%-26s healthy at +%.0fs (%s)' % (
                        svc.name, time.monotonic() - t0,
                        svc.check.describe()))
            pending = still
            if pending and time.monotonic() > deadline:
                raise CloudError('not healthy after %ds: %s\n%s' % (
                    timeout, ', '.join('%s (%s)' % (s.name, s.check.describe())
                                       for s in pending),
                    '\n'.join(self.log_tail(s.name, 15) for s in pending)))
            if pending:
                time.sleep(1)

    def log_tail(self, name, lines=40):
        path = self.lay.log(name)
        try:
            with open(path, 'rb') as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 200000))
                text = f.read().decode(errors='replace').splitlines()
        except OSError:
            return '---- %s: no log' % name
        return '---- %s (%s)\n%s' % (name, path, '\n'.join(text[-lines:]))

    # -- the whole cloud ---------------------------------------------------
    def all_up(self):
        if not state.done(self.lay, 'ready'):
            return False
        ctx = self.probe_context()
        return all(self.healthy(s, ctx) for s in services.SERVICES)

    def up(self):
        lay, step = self.lay, self.progress.step
        if os.path.exists(lay.state_file) and self.all_up():
            self.progress.info('already up (base %s)' % lay.base)
            st = state.load(lay)
            if st.get('image_id'):
                # Cheap, and keeps it in step with the plugin's options.
                tempestconf.write(lay, st['image_id'], st['flavor_ids'])
            return
        state.mark(lay, 'ready', False)
        setup_log = lay.log('setup-install')
        os.makedirs(lay.path('logs'), exist_ok=True)
        apt = install.apt_beside(lay.log('setup-apt'))
        with step('Python venvs (uv, pinned)') as r:
            r['note'] = install.venvs(lay, setup_log)
        with step('Gnocchi venv and the fake hypervisor inspector') as r:
            r['note'] = telemetry.install(lay, setup_log)
        with step('Debian packages (apt, beside the venvs)') as r:
            r['note'] = apt.result()
        with step('configuration files') as r:
            changed = configs.write_all(lay)
            self.compute_ids()
            r['note'] = '%d changed' % len(changed)
        with step('compute hosts\' network namespaces and keys') as r:
            made = hostnet.ensure(lay.log('setup-hostnet'))
            hostnet.ensure_keys(lay, lay.log('setup-hostnet'))
            r['note'] = '%d made' % len(made) if made else 'there before'
        with step('infrastructure (RabbitMQ, MariaDB, Redis, memcached), '
                  'host sshd, monitor'):
            infra.prepare(lay, lay.log('setup-infra'))
            self.start(services.stage(0))
            infra.create_databases(lay, lay.log('setup-infra'))
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            # The other schemas are made while Keystone's is, and while
            # Keystone starts: they need neither. Niced: Keystone's chain
            # (sync, bootstrap, start, catalog) is the critical path.
            syncs = pool.submit(dbsync.run, lay, self.paths, dbsync.OTHERS,
                                niceness=10)
            with step('Keystone database and bootstrap') as r:
                done = dbsync.run(lay, self.paths, [dbsync.KEYSTONE])
                r['note'] = ' '.join(done) or 'done before'
            with step('Keystone up, service users and catalog') as r:
                self.start(services.stage(1))
                sess = api.Session()
                bootstrap.identity(sess)
                telemetry.register(sess, controller=hostnet.CONTROLLER)
                rounds = L.tunable('keystone', 'identity',
                                   'password_hash_rounds')
                if state.load(lay).get('password_hash_rounds') != rounds:
                    rehashed = bootstrap.rehash_passwords(
                        sess, (telemetry.SERVICE_USER,))
                    state.mark(lay, 'password_hash_rounds', rounds)
                    r['note'] = '%d passwords hashed at %d rounds' % (
                        len(rehashed), rounds)
                sess.authenticate()     # a token whose catalog is complete
            with step('databases of the other services') as r:
                r['note'] = ' '.join(syncs.result()) or 'done before'
        with step('OpenStack services') as r:
            r['note'] = 'started %d' % len(self.start(services.stage(2)))
        with step('Gnocchi resource types (ceilometer-upgrade)') as r:
            ran = dbsync.run(lay, self.paths, [
                ('ceilometer-upgrade', (telemetry.CEILOMETER_UPGRADE,))])
            r['note'] = 'done' if ran else 'done before'
        with step('compute hosts, image, flavors'):
            self.register_computes(sess)
            image_id = bootstrap.image(sess, lay)
            flavor_ids = bootstrap.flavors(sess)
        with step('Tempest workspace') as r:
            r['note'] = tempestconf.write(lay, image_id, flavor_ids)
            tempestconf.openrc(lay)
        state.update(lay, lambda data: data.update(
            ready=True, image_id=image_id, flavor_ids=flavor_ids))

    def host_stop(self, name):
        """Stop a compute host's services at once (its sshd stays).

        The host loses power: no graceful shutdown (nova-compute's takes
        ~8 s and is not what a failed host does).
        """
        svcs = services.host_services(name)
        procs.stop([self.lay.pidfile(s.name) for s in svcs], self.lay.base,
                   term_timeout=0)
        return [s.name for s in svcs]

    def host_start(self, name):
        """Start a compute host's services; no wait on the control plane.

        Run on the host itself (over SSH, inside its namespace), where the
        control plane's health checks cannot be run; the caller waits for
        Nova to report the compute service up.
        """
        started = []
        for svc in services.host_services(name):
            if not self.pid(svc):
                procs.start(svc.name, svc.render_argv(self.paths),
                            self.lay.base, self.lay.log(svc.name),
                            self.lay.pidfile(svc.name),
                            env=svc.render_env(self.paths))
                started.append(svc.name)
        return started

    def host_restart_compute(self, name):
        """Restart the host's nova-compute only (its exporter stays up)."""
        svc = services.host_compute(name)
        procs.stop([self.lay.pidfile(svc.name)], self.lay.base)
        procs.start(svc.name, svc.render_argv(self.paths), self.lay.base,
                    self.lay.log(svc.name), self.lay.pidfile(svc.name),
                    env=svc.render_env(self.paths))
        return [svc.name]

    def compute_ids(self):
        """A stable node identity per compute host, so a host restarts."""
        for host in L.COMPUTE_HOSTS:
            path = os.path.join(self.lay.compute_state(host), 'compute_id')
            if not os.path.exists(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                node = uuid.uuid5(uuid.NAMESPACE_URL,
                                  'localcloud:%s:%s' % (self.lay.base, host))
                with open(path, 'w') as f:
                    f.write(str(node))

    def register_computes(self, sess):
        manage = [self.lay.bin('nova-manage'), '--config-file',
                  self.lay.etc('nova', 'nova.conf'), 'cell_v2',
                  'discover_hosts']

        def mapped():
            with open(self.lay.log('setup-nova'), 'ab') as out:
                subprocess.call(manage, stdout=out, stderr=subprocess.STDOUT)
            return bootstrap.hypervisors_up(sess, L.COMPUTE_HOSTS)
        api.wait_for(mapped, 120, interval=2,
                     what='compute hosts %s up' % ', '.join(L.COMPUTE_HOSTS))

    def sessions(self):
        """Session ids of every process we recorded (alive or not)."""
        return [p for p in (procs.read_pid(self.lay.pidfile(s.name))
                            for s in services.SERVICES) if p]

    def down(self):
        sessions = self.sessions()
        for stage in (2, 1, 0):
            svcs = services.stage(stage)
            with self.progress.step('stop stage %d (%d services)'
                                    % (stage, len(svcs))) as r:
                killed = procs.stop([self.lay.pidfile(s.name) for s in svcs],
                                    self.lay.base)
                if killed:
                    r['note'] = 'needed SIGKILL: %d group(s)' % len(killed)
        with self.progress.step('sweep leftovers') as r:
            left = procs.sweep(self.lay.base, sessions)
            r['note'] = ('killed %s' % left) if left else 'none'
        with self.progress.step('remove the hosts\' namespaces') as r:
            r['note'] = ' '.join(hostnet.remove()) or 'none'
        if os.path.exists(self.lay.state_file):
            state.mark(self.lay, 'ready', False)

    def status_rows(self):
        ctx = self.probe_context()
        rows = []
        for svc in services.SERVICES:
            pid = self.pid(svc)
            ok = pid and self.healthy(svc, ctx)
            rss = sum(procs.rss_kib(p) for p in procs.owned_pids(
                self.lay.base, [pid]) if procs.session_of(p) == pid) \
                if pid else 0
            rows.append((svc.name, pid or '-',
                         'up' if ok else ('unhealthy' if pid else 'stopped'),
                         ','.join(str(p) for p in svc.ports) or '-',
                         rss // 1024, svc.check.describe()))
        return rows
