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

"""Self-test: each known breakage, applied to a copy of the real jobs, fails.

Each mutation breaks one thing the audit found (or could come back) in a
deep copy of zuul.d's jobs, and the check must then report a new finding of
the expected rule, naming the job and the setting.
"""

import copy

from conformance import checks
from conformance import zuul

NOBODY_READS = 'SELF_HEALING_CONFORMANCE_NOBODY_READS_THIS'


MUTANT = 'conformance-mutant'


def _mutant(jobs, nodesets, want=lambda job: True):
    """A copy of the first runnable job ``want`` accepts, as MUTANT.

    The copy has the same parent, so it inherits what the real job does.
    """
    frozen = [j for j in zuul.freeze(jobs, nodesets) if not j.abstract]
    picked = next((j for j in frozen if want(j)), frozen[0])
    raw = copy.deepcopy(jobs[picked.name])
    raw['name'] = MUTANT
    raw['_copied_from'] = picked.name
    jobs[MUTANT] = raw
    return raw


def _vars(raw_job):
    return raw_job.setdefault('vars', {})


def _plugins(raw_job):
    return _vars(raw_job).setdefault('devstack_plugins', {})


def _post_config(raw_job, variable):
    local_conf = _vars(raw_job).setdefault('devstack_local_conf', {})
    return local_conf.setdefault('post-config', {}).setdefault(variable, {})


def _enables(job, name):
    return bool((job.vars.get('devstack_plugins') or {}).get(name))


def timeout_14400(jobs, nodesets):
    _mutant(jobs, nodesets)['timeout'] = 14400
    return 'timeout 14400'


def localrc_nobody_reads(jobs, nodesets):
    _vars(_mutant(jobs, nodesets)).setdefault('devstack_localrc', {})[
        NOBODY_READS] = 'true'
    return 'devstack_localrc.' + NOBODY_READS


def vitrage_on_master(jobs, nodesets):
    raw = _mutant(jobs, nodesets, lambda j: j.branch == zuul.MASTER
                  and not _enables(j, 'vitrage'))
    raw.pop('override-checkout', None)
    _plugins(raw)['vitrage'] = 'https://opendev.org/openstack/vitrage'
    return 'devstack_plugins.vitrage'


def vitrage_conf_undefined(jobs, nodesets):
    raw = _mutant(jobs, nodesets, lambda j: j.branch == zuul.MASTER
                  and not _enables(j, 'vitrage'))
    raw.pop('override-checkout', None)
    _plugins(raw)['vitrage'] = None     # off, even if a parent enables it
    _post_config(raw, '$VITRAGE_CONF').setdefault(
        'datasources', {})['snapshots_interval'] = 120
    return 'devstack_local_conf.post-config.$VITRAGE_CONF'


def snapshots_interval_in_default(jobs, nodesets):
    raw = _mutant(jobs, nodesets, lambda j: j.branch != zuul.MASTER
                  and _enables(j, 'vitrage'))
    if raw.get('override-checkout', zuul.MASTER) == zuul.MASTER:
        # No Vitrage job: pin the copy to the Vitrage branch, enable it.
        raw['override-checkout'] = 'stable/2025.2'
        _plugins(raw)['vitrage'] = 'https://opendev.org/openstack/vitrage'
    _post_config(raw, '$VITRAGE_CONF').setdefault(
        'DEFAULT', {})['snapshots_interval'] = 120
    return ('devstack_local_conf.post-config.$VITRAGE_CONF '
            '[DEFAULT] snapshots_interval')


def zaqar_tempest_plugin_missing(jobs, nodesets):
    repo = 'openstack/zaqar-tempest-plugin'
    raw = _mutant(jobs, nodesets, lambda j: j.branch == zuul.MASTER
                  and _enables(j, 'zaqar'))
    raw.pop('override-checkout', None)
    _plugins(raw)['zaqar'] = 'https://opendev.org/openstack/zaqar'
    for job in jobs.values():
        projects = job.get('required-projects') or []
        job['required-projects'] = [
            p for p in projects if (p if isinstance(p, str) else p['name'])
            not in (repo, 'opendev.org/' + repo)]
    return 'required-projects: ' + repo


MUTATIONS = [
    ('a timeout of 14400', timeout_14400, 'timeout'),
    ('snapshots_interval under [DEFAULT] of $VITRAGE_CONF',
     snapshots_interval_in_default, 'option'),
    ('a localrc variable nobody reads', localrc_nobody_reads, 'localrc'),
    ('Vitrage enabled on a master job', vitrage_on_master, 'branch'),
    ('$VITRAGE_CONF where no enabled plugin defines it',
     vitrage_conf_undefined, 'conf-var'),
    ('a missing required project that a plugin clones',
     zaqar_tempest_plugin_missing, 'clone'),
]


def run(raw_jobs, nodesets, upstream_factory):
    """[(description, passed, message)] of every mutation.

    ``upstream_factory()`` gives a fresh checks.Upstream (shared caches).
    A mutation passes when the check reports, on the mutated copy, a finding
    of the expected rule and setting, and not on the unmutated copy.
    """
    def hits_in(raw, rule, setting):
        return [f for f in checks.check(zuul.freeze(raw, nodesets),
                                        upstream_factory())
                if f.rule == rule and f.job == MUTANT and setting in f.setting]

    results = []
    for description, mutate, rule in MUTATIONS:
        jobs = copy.deepcopy(raw_jobs)
        setting = mutate(jobs, nodesets)
        unmutated = copy.deepcopy(raw_jobs)
        unmutated[MUTANT] = dict(copy.deepcopy(
            raw_jobs[jobs[MUTANT]['_copied_from']]), name=MUTANT)
        already = hits_in(unmutated, rule, setting)
        hits = [] if already else hits_in(jobs, rule, setting)
        if hits:
            results.append((description, True, str(hits[0])))
        elif already:
            results.append((description, False,
                            'the unmutated copy fails the same way already: '
                            '%s' % already[0]))
        else:
            results.append((description, False,
                            'expected a %r finding for %s %s; none'
                            % (rule, MUTANT, setting)))
    return results
