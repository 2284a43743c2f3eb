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

"""The flow runner contract: deploy, judge, observe, verify, restore.

A flow runner knows one self-healing flow: how to deploy it from a
scenario's artifacts, how to read its cluster, which observers see its
phases and what it promises once healed. ``FlowRunner.heal`` is the same
for every flow: deploy, read the healthy cluster, build the scenario's
faults (``harness/faults.from_specs``), build the phases (the flow's
default observers, overridden or extended by the scenario's
``observers:``) and run the engine (``harness/run.HealingRun``). Every
flow returns a ``HealingResult``.

Runners do not inherit from each other: what two flows share is a helper
they both hold (``heat_stack.HeatGroupDeployer``, ``vitrage.VitrageBinder``,
``host_repair.HostRepair``), and everything a step needs travels in the
``Deployment``, never in hidden attributes of the runner.
"""

import abc
import logging
import time

from tempest import config
from tempest.lib import exceptions as lib_exc

from self_healing_tempest_plugin.harness import deadlines as dl
from self_healing_tempest_plugin.harness import failures
from self_healing_tempest_plugin.harness import faults
from self_healing_tempest_plugin.harness import observers as obs
from self_healing_tempest_plugin.harness import registry
from self_healing_tempest_plugin.harness import run
from self_healing_tempest_plugin.harness import sampler as sp
from self_healing_tempest_plugin.harness import stop_conditions
from self_healing_tempest_plugin.harness import timeline as tl

CONF = config.CONF
LOG = logging.getLogger(__name__)


def server_member(server_id, server, down_hosts=()):
    """A ``sampler.Member`` of a server as Nova lists it (None: gone).

    A server Nova calls ACTIVE on a host whose compute service Nova
    reports down does not run: it reads HOST_DOWN. (The hosts a fault cut
    off are the engine's to mark, for every flow.)
    """
    if server is None:
        return sp.Member(server_id, sp.GONE)
    host = server.get('OS-EXT-SRV-ATTR:host')
    status = server['status']
    if status == 'ACTIVE' and host in down_hosts:
        status = sp.HOST_DOWN
    return sp.Member(server_id, status, host=host)


def project_servers(servers_client, project_id):
    """{server id: server} of a project, admin view (it shows the host)."""
    return dict((s['id'], s) for s in servers_client.list_servers(
        detail=True, all_tenants=True, project_id=project_id)['servers'])


def delete_and_wait(client, delete, resource_id):
    """Delete a resource, then ``client.wait_for_resource_deletion``.

    A cleanup: a resource already gone needs nothing.
    """
    try:
        delete(resource_id)
    except lib_exc.NotFound:
        return
    client.wait_for_resource_deletion(resource_id)


class Deployment(object):
    """What a flow deployed, for its observers, checks and critical path.

    Free attributes (``stack``, ``alarm_ids``, ``workflows``, ``host``,
    ``alarm_name``, ``queues``, ``servers`` ...), set by the flow's
    ``deploy``; ``healthy`` (the baseline ``ClusterState``) and ``faults``
    are set by ``FlowRunner.heal``. ``cleanup`` holds notes on what the
    cleanups will remove, for a reader of a failed run.
    """

    def __init__(self, flow, **attributes):
        self.flow = flow
        self.cleanup = []
        self.healthy = None
        self.faults = []
        self.__dict__.update(attributes)

    def affected(self):
        """Ids of the healthy members any of the faults hits."""
        found = set()
        for fault in self.faults:
            found |= fault.affected(self.healthy)
        return found

    def instance_ids(self):
        """The faulted instances (what a Vitrage observer waits for)."""
        return self.affected()

    def __repr__(self):
        names = sorted(k for k in vars(self) if k != 'flow')
        return 'Deployment of flow %s: %s' % (self.flow, ', '.join(names))


class HealingResult(object):
    """What every flow's ``heal`` returns.

    :param scenario: the ``harness/scenario.Scenario`` run.
    :param deployment: the flow's ``Deployment``.
    :param faults: the injected ``Fault`` objects, in injection order.
    :param baseline: the healthy ``ClusterState`` before the first fault.
    :param timeline: the run's ``Timeline``.
    """

    def __init__(self, scenario, deployment, faults, baseline, timeline):
        self.scenario = scenario
        self.deployment = deployment
        self.faults = faults
        self.baseline = baseline
        self.timeline = timeline

    def affected(self):
        """Ids of the baseline members the faults hit, sorted."""
        return sorted(self.deployment.affected())


class FlowRunner(abc.ABC):
    """One self-healing flow, run by a generated test.

    :param test: the running ``tests/base.BaseSelfHealingTest``: its
        clients, ``addCleanup``, assertions and ``waiter``.
    :param conf: [self_healing] (default: tempest's).
    :param clock: epoch seconds, for the faults and the engine.
    :param sleep: the engine's and the faults' sleep.
    """

    # The registry key (``flow:`` in a scenario file), set by the
    # registration, which also holds the flow's feature flag:
    # @registry.FLOWS.register('<name>', feature='<flag>').
    name = None
    # [service_available] names the flow needs.
    required_services = ()
    # The Tempest credentials that may own the flow's resources (a
    # scenario's ``owner``): the generated classes get them all.
    owners = ('primary',)
    # The phases the flow's observers see, in order (recover is judged
    # from the cluster state).
    default_phases = (dl.DETECT, dl.ACT)
    # Requests one ``cluster_state()`` call makes (the engine spaces its
    # polls to one request per [self_healing] poll_interval_s).
    cluster_calls = 1
    # Microversions the flow needs, declared the way tempest's
    # ScenarioTest declares them: the test class skips below them.
    compute_min_microversion = None
    placement_min_microversion = None

    def __init__(self, test, conf=None, clock=time.time, sleep=time.sleep):
        self.test = test
        self.conf = conf or CONF.self_healing
        self.clock = clock
        self.sleep = sleep

    # -- what each flow provides -------------------------------------
    @abc.abstractmethod
    def deploy(self, scenario):
        """Deploy the flow (every cleanup before any wait); a Deployment."""

    @abc.abstractmethod
    def cluster_state(self, deployment):
        """A callable returning the cluster's ``sampler.ClusterState``."""

    @abc.abstractmethod
    def observers(self, deployment, since):
        """{phase name: Observer} of the default phases.

        ``since`` returns the first fault's time (the observers are built
        before it is injected).
        """

    def prepare(self, deployment):
        """Last steps once the healthy cluster is known, before a fault."""

    def critical_path(self, deployment):
        """A callable(timeline) -> hops of the flow, or None."""
        return None

    def verify(self, result):
        """What the flow promises beyond the timeline (post-heal checks)."""

    def restore(self, result):
        """After verify: undo the faults, latest first."""
        for fault in reversed(result.faults):
            fault.undo()

    def fault_context(self):
        """Every client and option a fault kind may need, in one object.

        Its journal (``[self_healing] fault_journal_dir``) is where the
        faults write their undo before they act.
        """
        from self_healing_tempest_plugin.harness import journal
        test = self.test
        return faults.FaultContext(
            self.conf, servers_client=test.servers_client,
            admin_servers_client=test.admin_servers_client,
            services_client=test.admin_services_client,
            rca_client=test.admin_rca_client,
            alarming_client=test.alarming_client,
            workflow_client=test.admin_workflow_client, clock=self.clock,
            sleep=self.sleep, journal=journal.current(self.conf))

    # -- the run ------------------------------------------------------
    def cluster_rules(self, scenario):
        """(sampler.Bounds, sampler.RecoveryTarget) of the scenario."""
        return scenario.cluster_rules(self.conf)

    def phases(self, scenario, deployment, since):
        """The run's phases, in the scenario's order (``phase_names``).

        The flow's default observers, each overridden or extended by the
        scenario's ``observers:`` (a registered observer built from the
        Deployment); each phase's deadline is the scenario's.
        """
        chosen = obs.for_scenario(scenario, self.observers(deployment, since),
                                  deployment, since)
        return [run.Phase(phase, observer,
                          scenario.phase_deadline_s(phase, self.conf))
                for phase, observer in chosen.items()]

    def heal(self, scenario):
        """Deploy, fault and watch the flow heal; a ``HealingResult``.

        First the undo journal's entries dead runs left are replayed
        (before the deploy: a host they left stopped would break it);
        the stop conditions are the options' and the scenario's.
        Raises a ``HealingFailure`` naming what went wrong (a missed
        deadline names its phase), or the test's skip when a stop
        condition interrupted the run.
        """
        self.test.use_owner(scenario.owner)
        ctx = self.fault_context()
        journal = getattr(ctx, 'journal', None)
        repaired = None
        if journal is not None:
            repaired = journal.replay(ctx)
            for item in repaired:
                LOG.info('%s: before its first fault, repaired %s',
                         self.test.id(), tl.repair_text(item))
        conditions = stop_conditions.build(self.conf,
                                           scenario.stop_conditions, ctx)
        deployment = self.deploy(scenario)
        cluster_state = self.cluster_state(deployment)
        deployment.healthy = healthy = cluster_state()
        scheduled = faults.from_specs(scenario.faults, healthy, ctx)
        deployment.faults = [s.fault for s in scheduled]
        self.prepare(deployment)

        def since():
            return min(f.t_fault for f in deployment.faults
                       if f.t_fault is not None)
        bounds, target = self.cluster_rules(scenario)
        judgement = run.Judgement(
            bounds, target, self.phases(scenario, deployment, since),
            recover_s=scenario.phase_deadline_s(dl.RECOVER, self.conf))
        timeline = run.HealingRun(
            self.test, scheduled, cluster_state, judgement,
            cluster_calls=self.cluster_calls,
            poll_interval_s=self.conf.poll_interval_s, conf=self.conf,
            clock=self.clock, sleep=self.sleep,
            scenario_name=scenario.name,
            expect_missed_phase=scenario.expect_missed_phase,
            critical_path=self.critical_path(deployment),
            stop_conditions=conditions, repaired=repaired).run()
        return HealingResult(scenario, deployment, deployment.faults,
                             healthy, timeline)

    def run_positive(self, scenario):
        """Heal, check what the flow promises, then restore the cloud."""
        result = self.heal(scenario)
        self.verify(result)
        self.restore(result)
        return result

    def run_negative(self, scenario):
        """The flow without its trigger must miss a deadline, by name."""
        error = self.test.assertRaises(failures.DeadlineMissed, self.heal,
                                       scenario)
        expected = scenario.expect_missed_phase
        self.test.assertEqual(
            expected, error.phase, 'the failure named phase %r, expected '
            '%r: %s' % (error.phase, expected, error))
        return error


def flow_class(name):
    """The registered runner class of flow ``name``."""
    registry.load()
    return registry.FLOWS.get(name).cls


def assert_health_bands(test, timeline, bounds):
    """Green -> Yellow (-> Red below the floor) -> Green.

    A host flow's cluster must leave GREEN once its host is cut off:
    the engine counts the host's members down from the fault on.
    """
    bands = timeline.bands()
    degraded = bands[1:-1]
    allowed = ({tl.YELLOW, tl.RED} if bounds.allow_red
               else {tl.YELLOW})
    test.assertTrue(
        len(bands) >= 3 and bands[0] == bands[-1] == tl.GREEN and
        degraded and set(degraded) <= allowed,
        'cluster health went %s; expected GREEN, then %s, then GREEN'
        % (' -> '.join(bands), ' / '.join(sorted(allowed))))
