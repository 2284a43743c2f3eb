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
import time

from localcloud import api
from localcloud import bootstrap
from localcloud import checks
from localcloud import configs
from localcloud import dbsync
from localcloud import hostnet
from localcloud import infra
from localcloud import install
from localcloud.lib import keystone
from localcloud import process
from localcloud import procs
from localcloud import services
from localcloud import state
from localcloud import tempestconf

START_TIMEOUT = 300


class CloudError(RuntimeError):
    pass


class Cloud:

    def __init__(self, lay, progress):
        self.lay = lay
        self.progress = progress
        self.paths = process.paths_for(lay)

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
        """Every phase, each a loop over the service modules."""
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
        with step('what the services install beyond the venvs') as r:
            r['note'] = '; '.join(filter(None, (
                m.install(lay, setup_log) for m in services.MODULES)))
        with step('Debian packages (apt, beside the venvs)') as r:
            r['note'] = apt.result()
        with step('configuration files, compute hosts\' namespaces') as r:
            r['note'] = '%d changed' % len(configs.write_all(lay))
        with step('infrastructure (RabbitMQ, MariaDB, Redis, memcached), '
                  'host sshd, monitor'):
            infra.prepare(lay, lay.log('setup-infra'))
            self.start(services.stage(0))
            infra.create_databases(lay, lay.log('setup-infra'))
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            # The other schemas are made while Keystone's is, and while
            # Keystone starts: they need neither. Niced: Keystone's chain
            # (sync, bootstrap, start, catalog) is the critical path.
            syncs = pool.submit(dbsync.run, lay, self.paths,
                                dbsync.projects(), niceness=10)
            with step('Keystone database and bootstrap') as r:
                done = dbsync.run(lay, self.paths, dbsync.projects(first=True))
                r['note'] = ' '.join(done) or 'done before'
            with step('Keystone up, service users and catalog') as r:
                self.start(services.stage(1))
                sess = api.Session()
                bootstrap.identity(sess)
                if state.load(lay).get('password_hash_rounds') != \
                        keystone.HASH_ROUNDS:
                    rehashed = bootstrap.rehash_passwords(sess)
                    state.mark(lay, 'password_hash_rounds',
                               keystone.HASH_ROUNDS)
                    r['note'] = '%d passwords hashed at %d rounds' % (
                        len(rehashed), keystone.HASH_ROUNDS)
                sess.authenticate()     # a token whose catalog is complete
            with step('databases of the other services') as r:
                r['note'] = ' '.join(syncs.result()) or 'done before'
        with step('OpenStack services') as r:
            r['note'] = 'started %d' % len(self.start(services.stage(2)))
        with step('the services\' setup once they run') as r:
            r['note'] = '; '.join(filter(None, (
                m.after_start(lay, self.paths, sess)
                for m in services.MODULES)))
        with step('image, flavors'):
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

    def sessions(self):
        """Session ids of every process we recorded (alive or not)."""
        return [p for p in (procs.read_pid(f) for f in self.pidfiles()) if p]

    def pidfiles(self):
        """Every pid file under run/, the known services' first.

        A base brought up by another version of the tool may hold
        processes under names this one does not know (e.g. aodh-listener
        before Aodh ran in one process): ``down`` stops those too.
        """
        known = [self.lay.pidfile(s.name) for s in services.SERVICES]
        run = self.lay.path('run')
        names = os.listdir(run) if os.path.isdir(run) else []
        others = sorted(os.path.join(run, n) for n in names
                        if n.endswith('.pid'))
        return known + [f for f in others if f not in known]

    def down(self):
        sessions = self.sessions()
        known = set(self.lay.pidfile(s.name) for s in services.SERVICES)
        strays = [f for f in self.pidfiles() if f not in known]
        for stage in (2, 1, 0):
            svcs = services.stage(stage)
            with self.progress.step('stop stage %d (%d services)'
                                    % (stage, len(svcs))) as r:
                killed = procs.stop([self.lay.pidfile(s.name) for s in svcs],
                                    self.lay.base)
                if killed:
                    r['note'] = 'needed SIGKILL: %d group(s)' % len(killed)
            if stage == 2 and strays:
                # After the services, before what they need (the bus, the
                # database); a Debian server's own pid file (RabbitMQ's
                # beam) may be among them: stage 0 stops its parent.
                with self.progress.step('stop what another version of the '
                                        'tool started (%d)' % len(strays)
                                        ) as r:
                    procs.stop(strays, self.lay.base)
                    r['note'] = ' '.join(os.path.basename(f)[:-4]
                                         for f in strays)
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
