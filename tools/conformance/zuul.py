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

"""The jobs of zuul.d/*.yaml as Zuul freezes them: inheritance resolved.

Only the parts the conformance check holds against upstream code: the
timeout, the nodeset, the branch (override-checkout), required-projects and
the variables, for the controller (job vars) and for each group-vars group
(a group's variable replaces the job's variable of that name, as Ansible's
group precedence does).
"""

import copy
import glob
import os

import yaml

MASTER = 'master'


class ZuulConfigError(Exception):
    """The zuul.d files cannot be read as Zuul config."""


def load(zuul_dir):
    """Jobs and nodesets of ``zuul_dir``/*.yaml, each job with its file."""
    jobs, nodesets = {}, {}
    paths = sorted(glob.glob(os.path.join(zuul_dir, '*.yaml')))
    if not paths:
        raise ZuulConfigError('%s: no *.yaml files' % zuul_dir)
    for path in paths:
        with open(path) as handle:
            items = yaml.safe_load(handle) or []
        for item in items:
            if 'job' in item:
                job = dict(item['job'])
                job['_file'] = os.path.relpath(path, os.path.dirname(
                    os.path.abspath(zuul_dir)))
                jobs[job['name']] = job
            elif 'nodeset' in item:
                nodesets[item['nodeset']['name']] = item['nodeset']
    return jobs, nodesets


def merge(base, override):
    """Zuul's deep merge of job variables (dicts merge, others replace)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _project_name(entry):
    name = entry if isinstance(entry, str) else entry['name']
    # opendev.org/openstack/x and openstack/x name the same project.
    return name.split('/', 1)[1] if name.count('/') == 2 else name


class Job(object):
    """One job of ours, frozen along its ``parent:`` chain in our files."""

    def __init__(self, name, jobs, nodesets):
        self.name = name
        chain = []
        seen = set()
        current = name
        while current in jobs:
            if current in seen:
                raise ZuulConfigError('job %s: parent loop at %s'
                                      % (name, current))
            seen.add(current)
            chain.append(jobs[current])
            current = jobs[current].get('parent')
        self.chain = chain
        self.file = chain[0]['_file']
        self.upstream_parent = current
        self.abstract = bool(chain[0].get('abstract'))
        self.timeout, self.timeout_from = self._last('timeout')
        self.nodeset, _ = self._last('nodeset')
        self.branch_override, _ = self._last('override-checkout')
        self.vars, self.group_vars, self.host_vars = {}, {}, {}
        self.required_projects = set()
        for job in reversed(chain):
            self.vars = merge(self.vars, job.get('vars') or {})
            self.group_vars = merge(self.group_vars,
                                    job.get('group-vars') or {})
            self.host_vars = merge(self.host_vars, job.get('host-vars') or {})
            for entry in job.get('required-projects') or []:
                self.required_projects.add(_project_name(entry))
        self.nodesets = nodesets

    def _last(self, key):
        """A setting the nearest job of the chain sets, and that job."""
        for job in self.chain:
            if key in job:
                return job[key], job['name']
        return None, None

    @property
    def branch(self):
        """The branch devstack and the services are checked out at."""
        return self.branch_override or MASTER

    def node_count(self, upstream_nodesets):
        """Nodes of the job's nodeset, None if the nodeset is unknown."""
        nodeset = self.nodeset
        if nodeset is None:
            return upstream_nodesets.get('(default)')
        if isinstance(nodeset, dict):
            return len(nodeset.get('nodes') or [])
        if nodeset in self.nodesets:
            return len(self.nodesets[nodeset].get('nodes') or [])
        return upstream_nodesets.get(nodeset)

    def groups(self):
        """The group names of the job's nodeset (ours only)."""
        nodeset = self.nodeset
        if not isinstance(nodeset, dict):
            nodeset = self.nodesets.get(nodeset) or {}
        return [g['name'] for g in nodeset.get('groups') or []]

    def contexts(self, upstream_group_keys):
        """(node context name, variables) for the controller and groups.

        ``controller`` is the job's vars (merged with host-vars.controller);
        ``group-vars.<group>`` is the job's vars with that group's
        variables replacing theirs. ``upstream_group_keys``: {group: [var]}
        that the upstream parents set in their group-vars, so on that group
        the job's vars of those names never apply.
        """
        controller = dict(self.vars)
        controller.update(self.host_vars.get('controller') or {})
        yield 'controller', controller
        groups = set(self.group_vars) | (set(self.groups()) & set(
            upstream_group_keys))
        for group in sorted(groups):
            values = dict(self.vars)
            for key in upstream_group_keys.get(group, []):
                values[key] = {}
            values.update(self.group_vars.get(group) or {})
            yield 'group-vars.%s' % group, values


def freeze(jobs, nodesets):
    """Every job of ``load()``'s result, frozen, abstract ones included."""
    return [Job(name, jobs, nodesets) for name in sorted(jobs)]
