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

"""The per-VM autoscaling group flow (seed 003).

Every member of the cluster is its own Heat AutoScalingGroup (min 1, max
2) of one server, tagged through ``metering.server_group`` metadata, with
Aodh Gnocchi alarms on that server's cpu samples, which come from the
Ceilometer polling agent of its compute host. The fault stops the host of
a member (its services, its polling agent with them): the member's samples
stop, its missing-sample alarm goes to insufficient data and scales its
group up (detect: the alarm's transition; act: Heat's signal event of the
scale-up policy, written once the group has grown); the new server runs
on another host, its samples bring the back-to-normal alarm, which scales
the group down, removing the oldest server: the one of the dead host.
Healed: the cluster is back to its desired count of servers, every one
running (ACTIVE on a host whose compute service is up), none of the
faulted ones, one per group; and it stays so once the host is back.
"""

import time

from tempest import config

from self_healing_tempest_plugin.common import waiters
from self_healing_tempest_plugin.flows import base
from self_healing_tempest_plugin.flows import heat_stack
from self_healing_tempest_plugin.flows import host_repair
from self_healing_tempest_plugin.harness import critical_path as cp
from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import observers
from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import timeline as tl

CONF = config.CONF

ALARM_TYPE = 'OS::Aodh::GnocchiAggregationByResourcesAlarm'
# The member template's resource names (scenarios/per_vm_group/member.yaml)
# and the Aodh state each alarm acts in.
MISSING_SAMPLE = 'missing_sample'
NO_EXECUTION = 'no_execution'
BACK_TO_NORMAL = 'back_to_normal'
SCALE_UP = 'scale_up'
SCALE_DOWN = 'scale_down'
ACTING_STATE = {MISSING_SAMPLE: 'insufficient data',
                NO_EXECUTION: 'alarm',
                BACK_TO_NORMAL: 'alarm'}
# The state of each alarm while every server reports normal samples.
ARMED_STATE = {MISSING_SAMPLE: 'ok', NO_EXECUTION: 'ok',
               BACK_TO_NORMAL: 'alarm'}
# Extra timeline marks of this flow.
REPLACEMENT_ACTIVE = 'REPLACEMENT_ACTIVE'
EXTRA_REMOVED = 'EXTRA_REMOVED'
HOST_RESTORED = 'HOST_RESTORED'


def cpu_threshold_ns(percent, granularity_s, vcpus=1):
    """``rate:mean`` of the cumulative cpu meter (ns per granularity)."""
    return int(percent / 100.0 * vcpus * granularity_s * 1e9)


def mark_replacement(timeline, healthy, desired):
    """Marks from the samples: a new server ACTIVE, the count back.

    REPLACEMENT_ACTIVE: the first sample with a server that was not in
    the cluster before the fault ACTIVE; EXTRA_REMOVED: the first later
    sample with the desired count again.
    """
    before = healthy.ids()
    fault_at = timeline.phase(tl.FAULT_INJECTED).harness_time
    previous, active = None, None
    for sample in timeline.samples:
        if sample.t < fault_at:
            continue
        if active is None and any(
                m['id'] not in before and m['status'] == 'ACTIVE'
                for m in sample.members):
            active = timeline.mark(
                REPLACEMENT_ACTIVE, at=sample.t, not_before=previous,
                detail={'members': sample.members})
        if active is not None and sample.size == desired:
            timeline.mark(EXTRA_REMOVED, at=sample.t, not_before=previous,
                          detail={'members': sample.members})
            return
        previous = sample.t
    raise AssertionError('no replacement then a return to %d servers in '
                         'the samples after the fault' % desired)


@registry.FLOWS.register('per_vm_group', feature='per_vm_group_flow')
class PerVmGroupFlow(base.FlowRunner):
    """Per-VM groups healed by their sample alarms' scalings."""

    required_services = ('nova', 'heat', 'aodh', 'ceilometer', 'gnocchi')
    # One resource list, one admin server list, one service list.
    cluster_calls = 3

    def __init__(self, test, **kwargs):
        super(PerVmGroupFlow, self).__init__(test, **kwargs)
        self.stacks = heat_stack.HeatGroupDeployer(test)

    # -- deployment -----------------------------------------------------
    def offered_parameters(self, bounds, target):
        """The group's, and the per-VM alarms' tuning."""
        conf = self.conf
        offered = self.stacks.offered_parameters(bounds, target)
        offered.update({
            'granularity': conf.sample_granularity_s,
            'evaluation_periods': conf.sample_evaluation_periods,
            'cooldown': conf.scaling_cooldown_s,
            'cpu_low_threshold': cpu_threshold_ns(
                conf.cpu_low_percent, conf.sample_granularity_s),
        })
        return offered

    def stack_alarms(self, stack):
        """{alarm id: its resource name in the member template}."""
        alarms = {}
        for name in ACTING_STATE:
            for alarm_id in self.stacks.physical_ids(stack, ALARM_TYPE,
                                                     {name}):
                alarms[alarm_id] = name
        return alarms

    def wait_samples(self, alarms):
        """Every alarm evaluated on data: each server's samples flow.

        Before that a missing-sample alarm is in insufficient data from
        its creation on, and a host fault would not change it.
        """
        def states():
            found = dict((a['alarm_id'], a['state'])
                         for a in self.test.alarming_client.list_alarms())
            return dict((alarm_id, found.get(alarm_id))
                        for alarm_id in alarms)

        def wrong(current):
            return sorted('%s %s is %s' % (alarms[i], i, state)
                          for i, state in current.items()
                          if state != ARMED_STATE[alarms[i]])
        self.test.waiter(self.conf.samples_timeout_s).until(
            states, lambda current: not wrong(current),
            'the per-VM group alarms', 'evaluated on samples (%s)' % (
                ', '.join('%s %s' % i for i in sorted(ARMED_STATE.items()))),
            describe=lambda current: '; '.join(wrong(current)))

    def deploy(self, scenario):
        bounds, target = self.cluster_rules(scenario)
        stack, _ = self.stacks.deploy(
            scenario, self.offered_parameters(bounds, target))
        alarms = self.stack_alarms(stack)
        self.wait_samples(alarms)
        healing_alarms = dict((i, ACTING_STATE[name])
                              for i, name in alarms.items()
                              if name != BACK_TO_NORMAL)
        return base.Deployment(
            self.name, stack=stack, bounds=bounds, target=target,
            healing_alarms=healing_alarms, alarm_states=healing_alarms,
            alarm_ids=sorted(healing_alarms), signal_resources=[SCALE_UP],
            steady_window_s=target.steady_window_s,
            alarming_client=self.test.alarming_client,
            orchestration_client=self.test.orchestration_client)

    def prepare(self, deployment):
        """Every faulted host must be one the harness may fault."""
        hosts = CONF.self_healing.compute_hosts
        for fault in deployment.faults:
            host = getattr(fault, 'host', None)
            if host is not None and host not in hosts:
                raise self.test.skipException(
                    'the member\'s host %s is not in [self_healing] '
                    'compute_hosts %s' % (host, hosts))

    # -- observation ----------------------------------------------------
    def group_servers(self, stack):
        """({per-VM group's stack id: its server ids}, busy resources).

        Read live from the stack's resources: a scaling changes a nested
        group, not the root stack, whose outputs Heat does not recompute.
        A failed resource ends the wait at once: nothing will heal it.
        """
        resources = self.test.orchestration_client.list_resources(
            stack, nested_depth=heat_stack.NESTED_DEPTH)['resources']
        failed = ['%s %s: %s' % (r['resource_name'], r['resource_status'],
                                 r.get('resource_status_reason'))
                  for r in resources
                  if r['resource_status'].endswith('_FAILED')]
        if failed:
            raise waiters.UnexpectedStateError(detail=(
                'stack %s has failed resources while healing: %s' % (
                    stack, '; '.join(failed))))
        groups = {}
        for resource in resources:
            if (resource['resource_type'] == heat_stack.SERVER_TYPE and
                    resource.get('physical_resource_id')):
                group = observers.heat_stack_id(resource)
                groups.setdefault(group, []).append(
                    resource['physical_resource_id'])
        busy = sorted('%s %s' % (r['resource_name'], r['resource_status'])
                      for r in resources
                      if r['resource_status'].endswith('_IN_PROGRESS'))
        return groups, busy

    def cluster_state(self, deployment):
        """A ``ClusterState`` callable: every per-VM group's servers.

        Members are the servers of the groups plus any server of the
        project Heat does not list yet; a server Nova calls ACTIVE on a
        down compute host reads HOST_DOWN. Settled: no resource of the
        stack in progress. No cloud time: the last change is a server's
        removal, which the list no longer shows; EXTRA_REMOVED carries
        Heat's time.
        """
        project_id = self.test.owner_manager().credentials.project_id
        stack = deployment.stack

        def state():
            groups, busy = self.group_servers(stack)
            servers = base.project_servers(self.test.admin_servers_client,
                                           project_id)
            refs = [i for group in groups.values() for i in group]
            ids = refs + sorted(set(servers) - set(refs))
            down = host_repair.down_hosts(self.test.admin_services_client)
            members = [base.server_member(i, servers.get(i), down)
                       for i in ids]
            return sp.ClusterState(
                members, settled=not busy,
                note='in progress: %s' % ', '.join(busy) if busy else None)
        return state

    def observers(self, deployment, since):
        return {
            dl.DETECT: observers.alarm_fired(
                self.test.alarming_client, deployment.alarm_ids, since,
                states=deployment.healing_alarms),
            dl.ACT: observers.heat_signal(
                self.test.orchestration_client, deployment.stack,
                [SCALE_UP], since),
        }

    def critical_path(self, deployment):
        def critical_path(timeline):
            removed = timeline.phase(EXTRA_REMOVED)
            return cp.collect(
                timeline, self.readers(deployment, timeline),
                seen={'nova.replacement_active':
                      cp.replacement_seen(timeline),
                      'heat.scale_down_signal':
                      removed.harness_time if removed else None})
        return critical_path

    def readers(self, deployment, timeline):
        """The faulted servers' last sample, the alarm, the scalings.

        Detected: Aodh's transition; acted: the scale-up's signal;
        recovered: the scale-down's signal (the old server removed).
        """
        since = cp.fault_time(timeline)
        faulted = cp.faulted_members(timeline)
        test, stack = self.test, deployment.stack
        return [
            cp.Reader('gnocchi.last_sample', 'gnocchi',
                      lambda: cp.gnocchi_last_sample_hops(
                          test.admin_metric_client, faulted, since)),
            cp.Reader('aodh.alarm_insufficient_data', 'aodh',
                      lambda: cp.aodh_transition_hops(
                          test.alarming_client, deployment.alarm_ids,
                          since, deployment.healing_alarms,
                          name='aodh.alarm_insufficient_data'),
                      phase=tl.DETECTED),
            cp.Reader('heat.scale_up_signal', 'heat',
                      lambda: cp.heat_signal_hops(
                          test.orchestration_client, stack, since,
                          SCALE_UP, 'heat.scale_up_signal'),
                      phase=tl.ACTION_STARTED),
            cp.Reader('nova.replacement_active', 'nova',
                      lambda: cp.nova_action_hops(
                          test.admin_servers_client,
                          cp.new_server_ids(timeline), since,
                          actions=('create',),
                          name='nova.replacement_build',
                          finished_name='nova.replacement_active')),
            cp.Reader('heat.scale_down_signal', 'heat',
                      lambda: cp.heat_signal_hops(
                          test.orchestration_client, stack, since,
                          SCALE_DOWN, 'heat.scale_down_signal'),
                      phase=tl.RECOVERED),
        ]

    # -- after the healing ----------------------------------------------
    def verify(self, result):
        """A scale-down removed the extras; one server per group again.

        None of the faulted servers is left in a group.
        """
        deployment, timeline = result.deployment, result.timeline
        desired = deployment.target.desired
        affected = deployment.affected()
        mark_replacement(timeline, result.baseline, desired)
        since = lambda: min(f.t_fault for f in result.faults)  # noqa: E731
        removed = observers.heat_signal(
            self.test.orchestration_client, deployment.stack, [SCALE_DOWN],
            since).poll()
        self.test.assertIsNotNone(removed, 'the cluster healed but no '
                                  'scale-down policy acted after the fault: '
                                  'what removed the extra servers?')
        timeline.phase(EXTRA_REMOVED).cloud_time = tl.parse_cloud_time(
            removed.cloud_time)
        timeline.phase(EXTRA_REMOVED).detail.update(removed.detail)
        groups = self.group_servers(deployment.stack)[0]
        self.test.assertEqual(
            [1] * desired, [len(g) for g in groups.values()],
            'each per-VM group must hold one server again: %s' % groups)
        replaced = sorted(affected & set(
            s for g in groups.values() for s in g))
        hosts = sorted(set(getattr(f, 'host', None) for f in result.faults)
                       - {None})
        self.test.assertEqual([], replaced, 'servers of the stopped host(s) '
                              '%s still in their groups: %s' % (
                                  ', '.join(hosts), replaced))

    def restore(self, result):
        """The hosts come back: the count must stay the desired one."""
        super(PerVmGroupFlow, self).restore(result)
        deployment = result.deployment
        hosts = sorted(set(getattr(f, 'host', None) for f in result.faults)
                       - {None})
        result.timeline.mark(HOST_RESTORED, detail={'hosts': hosts})
        self.assert_holds(self.cluster_state(deployment), result,
                          deployment.steady_window_s)

    def assert_holds(self, cluster_state, result, window_s):
        """The recovered cluster holds for ``window_s`` once polled."""
        judge = sp.ClusterJudge(result.deployment.bounds,
                                result.deployment.target, cluster_state(),
                                faulted_ids=result.deployment.affected())
        held = {}

        def check():
            state = cluster_state()
            problems = judge.problems(state)
            if problems:
                raise AssertionError(
                    'after the host came back the cluster is no longer '
                    'the recovered one: %s; %s' % (
                        '; '.join(problems), state.describe()))
            now = time.monotonic()
            held.setdefault('since', now)
            return now - held['since']
        self.test.waiter(window_s + 2 * self.conf.poll_interval_s +
                         1).until(check, lambda s: s >= window_s,
                                  'the cluster after the host came back',
                                  'recovered for %s s' % window_s)
