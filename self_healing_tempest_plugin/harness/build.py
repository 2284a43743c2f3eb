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

"""Turn a scenario's ``fault`` spec into a fault object.

Targets: ``member`` is the member with the smallest id of the healthy
cluster (deterministic), ``member_host`` is that member's compute host,
``host:<name>`` names the compute host.
"""

from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import locks
from self_healing_tempest_plugin.harness import remote


def pick_member(state):
    if not state.members:
        raise ValueError('no member to fault: the cluster is empty')
    return sorted(state.members, key=lambda m: m.id)[0]


def target_host(spec, state):
    target = spec['target']
    if target.startswith('host:'):
        return target[len('host:'):]
    host = pick_member(state).host
    if not host:
        raise ValueError('member_host needs the cluster state to carry '
                         'each member\'s host (admin server view)')
    return host


def make_fault(spec, state, conf, servers_client=None,
               admin_servers_client=None, services_client=None,
               ssh_client_factory=remote.host_client):
    """The fault ``spec`` (a scenario's ``fault`` mapping) describes.

    :param state: the healthy cluster (``sampler.ClusterState``).
    :param conf: CONF.self_healing.
    """
    kind = spec['kind']
    if kind == 'instance_delete':
        return faults.InstanceDelete(servers_client, pick_member(state).id)
    if kind == 'server_stop':
        return faults.ServerStop(servers_client, pick_member(state).id)
    if kind == 'server_error':
        return faults.ServerResetError(admin_servers_client,
                                       pick_member(state).id)
    host = target_host(spec, state)
    if kind == 'nic_down':
        return faults.NicDown(
            ssh_client_factory(conf, host), spec.get('nic', conf.host_nic),
            duration_s=spec.get('duration_s'), host=host,
            poll_interval_s=conf.poll_interval_s,
            reconnect_timeout_s=conf.host_ssh_timeout_s + conf.poll_interval_s)
    if kind == 'host_stop':
        ssh_stop = spec.get('ssh_stop', True)
        return faults.HostStop(
            host, services_client,
            locks.InterProcessLock(locks.lock_dir(conf)),
            ssh_client=ssh_client_factory(conf, host) if ssh_stop else None,
            stop_command=conf.host_stop_command if ssh_stop else None,
            start_command=conf.host_start_command,
            force_down=spec.get('force_down', True),
            poll_interval_s=conf.poll_interval_s,
            service_timeout_s=conf.service_timeout_s,
            lock_timeout_s=conf.host_fault_lock_timeout_s)
    raise ValueError('unknown fault kind %r' % kind)
