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

"""Configuration of the self-healing plugin.

Every deadline and interval is its own option with its unit in the name, so a
job (or the local cloud) tunes it through tempest.conf and a test never holds a
number of its own.
"""

from oslo_config import cfg

# -- [service_available] ----------------------------------------------------
service_available_group = cfg.OptGroup(
    name='service_available', title='Available OpenStack Services')


class SharedServiceOpt(cfg.BoolOpt):
    """A [service_available] switch other plugins may define too.

    heat-, telemetry-, zaqar-, mistral- and vitrage-tempest-plugin register
    some of these names with their own defaults and help. oslo.config
    raises DuplicateOptError when one name comes twice unless the two
    options compare equal, and Tempest registers plugins in no fixed order.
    This option compares equal to any boolean option of the same name, from
    either side of the comparison, so whichever comes first is kept and
    neither plugin fails.
    """

    def __eq__(self, other):
        return (isinstance(other, cfg.BoolOpt)
                and other.dest == self.dest)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = cfg.BoolOpt.__hash__


ServiceAvailableGroup = [
    SharedServiceOpt(
        name, default=False,
        help='Whether or not %s is expected to be available.' % title)
    for name, title in (
        ('heat', 'Heat (orchestration)'),
        ('aodh', 'Aodh (alarming)'),
        ('ceilometer', 'Ceilometer (telemetry events and samples)'),
        ('gnocchi', 'Gnocchi (metric storage)'),
        ('zaqar', 'Zaqar (messaging)'),
        ('mistral', 'Mistral (workflow)'),
        ('vitrage', 'Vitrage (root cause analysis)'))
]

# -- [self_healing] ----------------------------------------------------------
self_healing_group = cfg.OptGroup(
    name='self_healing', title='Self-healing flow options')

_CLIENT_OPTS = []
for _name, _type, _title in (
        ('orchestration', 'orchestration', 'Heat'),
        ('alarming', 'alarming', 'Aodh'),
        ('messaging', 'messaging', 'Zaqar'),
        ('workflow', 'workflowv2', 'Mistral'),
        ('rca', 'rca', 'Vitrage'),
        ('metric', 'metric', 'Gnocchi')):
    _CLIENT_OPTS.append(cfg.StrOpt(
        '%s_catalog_type' % _name, default=_type,
        help='Catalog type of the %s service.' % _title))
    _CLIENT_OPTS.append(cfg.StrOpt(
        '%s_endpoint_type' % _name, default='publicURL',
        choices=['public', 'admin', 'internal',
                 'publicURL', 'adminURL', 'internalURL'],
        help='The endpoint type to use for the %s service.' % _title))

SelfHealingGroup = _CLIENT_OPTS + [
    # Deadlines of the healing phases.
    cfg.IntOpt('detect_timeout_s', default=120, min=1,
               help='Seconds from the injected fault until the cloud has '
                    'detected it (alarm transitioned, Vitrage alarm '
                    'raised, Zaqar message posted).'),
    cfg.IntOpt('act_timeout_s', default=180, min=1,
               help='Seconds from the injected fault until the healing '
                    'action has started (Mistral execution created, Heat '
                    'stack update started).'),
    cfg.IntOpt('recover_timeout_s', default=600, min=1,
               help='Seconds from the injected fault until the cluster is '
                    'back to its desired healthy size.'),
    cfg.IntOpt('phase_timeout_s', default=180, min=1,
               help='Seconds from the first fault until an extra phase a '
                    'scenario observes (its observers: mapping, e.g. '
                    'fenced or notified) must have been seen, when the '
                    'scenario gives no deadlines.<phase>_s.'),
    cfg.IntOpt('steady_window_s', default=20, min=0,
               help='Seconds the recovered state must hold (every sample '
                    'healthy) before the flow counts as healed.'),
    cfg.FloatOpt('poll_interval_s', default=1.0, min=0.1,
                 help='Seconds between two polls of one waiter; the '
                      'harness never polls faster than this. A healing '
                      'run polls several APIs at once and waits this '
                      'long per request it made, so that it sends one '
                      'request per this many seconds.'),
    # Deadlines of the set-up steps.
    cfg.IntOpt('stack_timeout_s', default=600, min=1,
               help='Seconds a Heat stack may take to reach CREATE_COMPLETE, '
                    'UPDATE_COMPLETE or DELETE_COMPLETE.'),
    cfg.IntOpt('server_timeout_s', default=300, min=1,
               help='Seconds a server may take to reach a status (ACTIVE, '
                    'SHUTOFF, deleted) after an API call.'),
    cfg.IntOpt('service_timeout_s', default=300, min=1,
               help='Seconds a nova-compute service may take to report '
                    'up or down after a host fault or its undo.'),
    cfg.IntOpt('event_alarm_cache_ttl_s', default=60, min=0,
               help='How long the cloud\'s aodh-listener caches a '
                    'project\'s event alarms ([DEFAULT] '
                    'event_alarm_cache_ttl of aodh). A new event alarm '
                    'is blind for up to this long, so the harness proves '
                    'the alarm can fire before it injects a fault.'),
    # Sample alarms (the per-VM group flow).
    cfg.IntOpt('sample_granularity_s', default=60, min=1,
               help='Granularity (s) of the Gnocchi archive policy the '
                    'per-VM group alarms aggregate cpu samples at; the '
                    'cloud\'s archive policy must keep it.'),
    cfg.IntOpt('sample_evaluation_periods', default=3, min=1,
               help='Granularity periods a per-VM group alarm evaluates '
                    '(Aodh evaluation_periods).'),
    cfg.IntOpt('scaling_cooldown_s', default=60, min=0,
               help='Cooldown (s) of the per-VM groups\' scaling '
                    'policies: how long a scaling blocks the next.'),
    cfg.FloatOpt('cpu_low_percent', default=1.0, min=0.0,
                 help='CPU use (percent of one vCPU) below which a per-VM '
                      'group alarm counts a server as not executing, and '
                      'above which as back to normal.'),
    cfg.IntOpt('samples_timeout_s', default=600, min=1,
               help='Seconds new servers may take until their cpu '
                    'samples reach their alarms (every alarm of a per-VM '
                    'group evaluated on data) before a fault.'),
    # What the flows deploy.
    cfg.StrOpt('image_ref', default='',
               help='Image the flows boot; empty means [compute] '
                    'image_ref.'),
    cfg.StrOpt('flavor_ref', default='',
               help='Flavor the flows boot; empty means [compute] '
                    'flavor_ref.'),
    cfg.StrOpt('compute_microversion', default='2.37',
               help='Compute API microversion the harness uses to create '
                    'and inspect servers.'),
    cfg.IntOpt('cluster_min_size', default=1, min=0,
               help='Minimum size of the healed group.'),
    cfg.IntOpt('cluster_desired_size', default=2, min=1,
               help='Desired size of the healed group: the flow is '
                    'recovered when this many members are ACTIVE.'),
    cfg.IntOpt('cluster_max_size', default=4, min=1,
               help='Maximum size of the healed group: the sampler fails '
                    'the flow when it ever sees more members.'),
    cfg.IntOpt('cluster_floor', default=1, min=0,
               help='Fewest healthy members the group may fall to while '
                    'it heals; below it the health band is Red.'),
    cfg.StrOpt('scenario_dir', default='',
               help='Directory holding the scenario files; empty means '
                    'the scenarios installed with the plugin.'),
    cfg.IntOpt('repeat', default=1, min=1,
               help='How many times each scenario runs in one job: each '
                    'scenario becomes this many tests (test_<name>, '
                    'then test_<name>_repeat_<i> for i >= 2, each with '
                    'its own idempotent id and timeline file), so that '
                    'the report has a sample, not a single value, to '
                    'judge a regression by.'),
    cfg.StrOpt('timeline_dir', default='',
               help='Directory the per-test recovery timelines are '
                    'written to as JSON; empty writes none.'),
    # Compute hosts, for NIC and host faults.
    cfg.ListOpt('compute_hosts', default=[],
                help='Nova host names of the compute hosts the harness '
                     'may fault.'),
    cfg.DictOpt('host_addresses', default={},
                help='SSH address of each compute host, as '
                     'host:address pairs (host is the Nova host name); '
                     'an address may carry its port: address:port or '
                     '[v6address]:port.'),
    cfg.StrOpt('host_ssh_user', default='root',
               help='User to log into compute hosts over SSH.'),
    cfg.StrOpt('host_ssh_key_file', default='',
               help='Private key file to log into compute hosts.'),
    cfg.PortOpt('host_ssh_port', default=22,
                help='SSH port of compute hosts.'),
    cfg.IntOpt('host_ssh_timeout_s', default=20, min=1,
               help='Seconds to wait for an SSH connection to a host.'),
    cfg.StrOpt('host_nic', default='eth0',
               help='Name of the compute host NIC a NIC fault takes '
                    'down.'),
    cfg.StrOpt('host_alarm_type', default='prometheus',
               help='Vitrage datasource type of the external monitor\'s '
                    'alarm on an unreachable compute host (bound into '
                    'the Vitrage flows\' templates).'),
    cfg.StrOpt('host_alarm_name', default='ComputeHostUnreachable',
               help='Name of the external monitor\'s alarm on an '
                    'unreachable compute host, as Vitrage shows it.'),
    cfg.IntOpt('monitor_latency_s', default=10, min=0,
               help='Seconds the external monitor may take from a compute '
                    'host outage to its alarm in Vitrage (scrape interval, '
                    'the rule\'s for, evaluation interval, Alertmanager\'s '
                    'group_wait, with a margin). A host repaired after a '
                    'fault must look healthy this long before a run '
                    'trusts it: an alarm still on its way would make the '
                    'next template act on the new servers at once.'),
    cfg.StrOpt('host_stop_command',
               default='sudo systemctl stop devstack@n-cpu',
               help='Command run on a compute host over SSH to stop its '
                    'compute services (a host stop fault).'),
    cfg.StrOpt('host_start_command',
               default='sudo systemctl start devstack@n-cpu',
               help='Command run on a compute host over SSH to start its '
                    'compute services again (undo of a host stop).'),
    cfg.StrOpt('compute_restart_command',
               default='sudo systemctl restart devstack@n-cpu',
               help='Command run on a compute host over SSH to restart its '
                    'nova-compute service only, when a test repairs a host '
                    'Vitrage fenced: Nova forces a host up only after its '
                    'compute service restarted (and cleaned up the '
                    'evacuated instances). It must not stop what the '
                    'external monitor watches, or the monitor alarms and '
                    'fences the host again.'),
    # Control-plane services, for the service faults.
    cfg.StrOpt('service_kill_command',
               default='sudo systemctl kill --signal=SIGKILL {unit}',
               help='Command run on the node running Tempest to kill a '
                    'control-plane service (service_kill fault); {unit} '
                    'is its unit (service_units).'),
    cfg.StrOpt('service_start_command',
               default='sudo systemctl start {unit}',
               help='Command run on the node running Tempest to start a '
                    'control-plane service again (undo of service_kill); '
                    '{unit} is its unit (service_units).'),
    cfg.StrOpt('service_restart_command',
               default='sudo systemctl restart {unit}',
               help='Command run on the node running Tempest to restart a '
                    'control-plane service (service_restart fault); '
                    '{unit} is its unit (service_units).'),
    cfg.StrOpt('service_freeze_command',
               default='sudo systemctl kill --signal=SIGSTOP {unit}',
               help='Command run on the node running Tempest to freeze a '
                    'control-plane service (service_freeze fault); '
                    '{unit} is its unit (service_units).'),
    cfg.StrOpt('service_thaw_command',
               default='sudo systemctl kill --signal=SIGCONT {unit}',
               help='Command run on the node running Tempest to thaw a '
                    'frozen control-plane service (end and undo of '
                    'service_freeze); {unit} is its unit '
                    '(service_units).'),
    cfg.DictOpt('service_units', default={},
                help='Unit of each control-plane service a service fault '
                     'names (its target service:<name>), as name:unit '
                     'pairs, e.g. heat-engine:devstack@h-eng; a name not '
                     'listed is the unit devstack@<name>.'),
    cfg.IntOpt('service_fault_timeout_s', default=120, min=1,
               help='Seconds a control-plane service a service fault '
                    'restarted or started again may take to be back '
                    '(service_restart, undo of service_kill).'),
    cfg.StrOpt('alertmanager_url', default='',
               help='URL of the external monitor\'s Alertmanager (API v2), '
                    'where an external_event fault with via: alertmanager '
                    'posts the host alarm; empty: no such fault can run.'),
    # Nothing outlives a run: the undo journal, stop conditions, run tags.
    cfg.StrOpt('fault_journal_dir',
               default='/var/tmp/self-healing-tempest/journal',
               help='Directory of the undo journal: before a fault acts it '
                    'writes there what it did and how to undo it, as data '
                    'a fresh process can act on; its undo removes the '
                    'entry. A run replays the entries a dead run left '
                    'before any fault of its own, and so does '
                    'self-healing-undo. Shared by every worker and job '
                    'on this node; empty keeps no journal (a killed run '
                    'then leaves its faults in place).'),
    cfg.ListOpt('stop_conditions',
                default=['computes_up', 'no_other_open_fault', 'disk_free',
                         'kill_switch'],
                help='Safeguards checked before each fault and at every '
                     'poll (a scenario\'s stop_conditions adds to them): '
                     'computes_up, message_bus, no_other_open_fault, '
                     'disk_free, kill_switch. A violated one undoes the '
                     'faults and ends the test as "interrupted: '
                     '<condition>".'),
    cfg.StrOpt('message_bus_address', default='',
               help='host:port of the message bus (RabbitMQ\'s AMQP '
                    'port) the message_bus stop condition asks; it '
                    'answers when an AMQP protocol header gets the '
                    'broker\'s Connection.Start back. Empty: the '
                    'condition cannot be used.'),
    cfg.FloatOpt('message_bus_timeout_s', default=5.0, min=0.1,
                 help='Seconds the message bus has to answer the '
                      'message_bus stop condition.'),
    cfg.StrOpt('disk_free_path', default='/var/tmp',
               help='Filesystem the disk_free stop condition watches.'),
    cfg.IntOpt('disk_free_floor_mib', default=1024, min=0,
               help='Free MiB of disk_free_path below which the disk_free '
                    'stop condition interrupts the test.'),
    cfg.StrOpt('kill_switch_file',
               default='/var/tmp/self-healing-tempest/kill-switch',
               help='While this file exists no fault starts, and a test '
                    'with a fault active undoes it and ends as '
                    '"interrupted: kill_switch" (the kill_switch stop '
                    'condition).'),
    cfg.StrOpt('run_tag_prefix', default='shtp',
               help='Prefix of the run tag every resource a run creates '
                    'carries (in its name, and in its tags or metadata '
                    'where the API has them): <prefix>-<run id>. '
                    'self-healing-undo --leaks deletes only resources '
                    'with such a tag whose run is dead.'),
]

# -- [self_healing_feature_enabled] -----------------------------------------
self_healing_feature_group = cfg.OptGroup(
    name='self_healing_feature_enabled',
    title='Fault kinds and flows this cloud can run')

SelfHealingFeatureGroup = [
    cfg.BoolOpt('instance_delete_fault', default=True,
                help='Delete a member server out of band.'),
    cfg.BoolOpt('server_update_fault', default=True,
                help='Stop a member server or reset it to ERROR out of '
                     'band (reset-state needs admin).'),
    cfg.BoolOpt('nic_fault', default=False,
                help='Take a compute host NIC down over SSH; needs '
                     '[self_healing] host SSH options.'),
    cfg.BoolOpt('host_fault', default=False,
                help='Stop a compute host\'s services; needs more than '
                     'one compute host and host SSH options.'),
    cfg.BoolOpt('service_fault', default=False,
                help='Kill, restart or freeze a control-plane service '
                     '(service_kill, service_restart, service_freeze) '
                     'with the [self_healing] service_*_command options, '
                     'on the node running Tempest.'),
    cfg.BoolOpt('external_event_fault', default=False,
                help='Report a host failure through the monitoring path '
                     'alone (external_event: an alert to Alertmanager or '
                     'an event to Vitrage), breaking nothing.'),
    cfg.BoolOpt('autoheal_flow', default=True,
                help='Heat + Aodh + Zaqar + Mistral auto-healing flows.'),
    cfg.BoolOpt('vitrage_flow', default=False,
                help='Vitrage + Mistral flows (automatic and manual).'),
    cfg.BoolOpt('integrated_flow', default=False,
                help='Vitrage + Heat + Mistral integrated flow.'),
    cfg.BoolOpt('per_vm_group_flow', default=False,
                help='Per-VM autoscaling groups driven by sample '
                     'alarms.'),
    cfg.BoolOpt('recovery_policy_flows', default=False,
                help='Reboot, rebuild, evacuate and migrate policies.'),
    cfg.BoolOpt('negative_checks', default=False,
                help='Run the negative checks: each flow deployed without '
                     'its trigger must miss a named deadline. They prove '
                     'the assertions can fail and run as their own CI '
                     'target, outside the periodic suite.'),
]


def list_opts():
    """Options for oslo-config-generator and Tempest's get_opt_lists."""
    return [
        (service_available_group.name, ServiceAvailableGroup),
        (self_healing_group.name, SelfHealingGroup),
        (self_healing_feature_group.name, SelfHealingFeatureGroup),
    ]
