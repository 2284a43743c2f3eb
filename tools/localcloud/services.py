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

"""The service list: one module per service (lib/), and every process.

Each module of MODULES has the same entry points (ENTRY_POINTS), as
devstack's lib/* have:

- what it installs: ``PACKAGES`` (its requirements in requirements*.in),
  ``install(lay, log)`` (anything beyond the pinned venvs; a note or None);
- its config files: ``render(lay)`` -> ``{path under etc/: text}`` (pure),
  ``prepare(lay)`` (files copied from its packages, directories; returns
  what it changed);
- its database: ``DATABASES``, ``DBSYNC`` (commands in order, the first
  makes its databases);
- its processes and their health checks: ``processes()``, ``PORTS``;
- its catalog and users: ``USERS`` (service users), ``EXTRA_USERS``
  ((name, domain name) of the users ``register`` makes), ``CATALOG``
  ((name, type, URL or {interface: URL})), ``register(sess)``;
- what it does once the cloud runs: ``after_start(lay, paths, sess)``;
- its tempest.conf part: ``tempest_conf(ctx)`` -> ``{section: {option:
  value}}``;
- its speed settings: ``TUNABLES``.

The phase modules (configs, dbsync, bootstrap, tempestconf, cloud) loop
over MODULES. Adding a service is one module in lib/ and one line here.
"""
from localcloud.lib import aodh
from localcloud.lib import glance
from localcloud.lib import heat
from localcloud.lib import hosts
from localcloud.lib import infrastructure
from localcloud.lib import keystone
from localcloud.lib import mistral
from localcloud.lib import monitor
from localcloud.lib import neutron
from localcloud.lib import nova
from localcloud.lib import placement
from localcloud.lib import telemetry
from localcloud.lib import vitrage
from localcloud.lib import zaqar
from localcloud import process

MODULES = (
    infrastructure,
    hosts,
    monitor,
    keystone,
    placement,
    glance,
    nova,
    neutron,
    heat,
    mistral,
    zaqar,
    aodh,
    telemetry,
    vitrage,
)
ENTRY_POINTS = ('PACKAGES', 'install', 'render', 'prepare', 'DATABASES',
                'DBSYNC', 'processes', 'PORTS', 'USERS', 'EXTRA_USERS',
                'CATALOG', 'register', 'after_start', 'tempest_conf',
                'TUNABLES')


def module_name(module):
    return module.__name__.rpartition('.')[2]


SERVICES = tuple(s for m in MODULES for s in m.processes())
PORTS = {k: v for m in MODULES for k, v in m.PORTS.items()}
DATABASES = tuple(d for m in MODULES for d in m.DATABASES)
TUNABLES = tuple(t for m in MODULES for t in m.TUNABLES) + (
    process.WSGI_TUNABLE,)


def tunable(service, section, option):
    for t in TUNABLES:
        if (t.service, t.section, t.option) == (service, section, option):
            return t.local
    raise KeyError((service, section, option))


def by_name(name):
    for s in SERVICES:
        if s.name == name:
            return s
    raise KeyError(name)


def replaced_by(name):
    """The process that took the work of the former process ``name``."""
    for s in SERVICES:
        if name in s.replaces:
            return s
    return None


def stage(n):
    return tuple(s for s in SERVICES if s.stage == n)


def host_services(name):
    """What a host stop stops (all of the host's but its management)."""
    return tuple(s for s in SERVICES if s.host == name and not s.management)


def host_compute(name):
    """The host's nova-compute service."""
    svc, = nova.compute_processes(name)
    return svc
