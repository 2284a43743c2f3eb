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

"""The project's Zuul jobs, read from ``zuul.d/``, as doc rows.

Pure Python (no Sphinx), like ``flow_settings_table``: the jobs page is
generated from the Zuul configuration itself, so it cannot drift from it.
A job's nodeset and checkout are followed up its parents inside
``zuul.d``; a nodeset defined elsewhere (zuul-jobs, devstack) is shown by
name.
"""

import glob
import os

import yaml

HEADER = ('job', 'parent', 'nodes', 'branch', 'pipelines', 'what it runs')


class ZuulConfigError(ValueError):
    """The Zuul configuration cannot be read; names the file."""


def load(directory):
    """[(file name, item)] of every ``zuul.d/*.yaml`` item, in file order."""
    paths = sorted(glob.glob(os.path.join(directory, '*.yaml')))
    if not paths:
        raise ZuulConfigError('no Zuul configuration: %s has no *.yaml'
                              % directory)
    items = []
    for path in paths:
        with open(path) as stream:
            try:
                data = yaml.safe_load(stream) or []
            except yaml.YAMLError as exc:
                raise ZuulConfigError('%s is not YAML: %s' % (path, exc))
        if not isinstance(data, list):
            raise ZuulConfigError('%s: expected a list of Zuul items, got %s'
                                  % (path, type(data).__name__))
        items += [(os.path.basename(path), item) for item in data
                  if isinstance(item, dict)]
    return items


def _of_kind(items, kind):
    return [item[kind] for _, item in items
            if isinstance(item.get(kind), dict)]


def _entries(jobs):
    """(name, options) of a pipeline's job list (text or {name: opts})."""
    for entry in jobs or []:
        if isinstance(entry, str):
            yield entry, {}
        elif isinstance(entry, dict):
            for name, options in entry.items():
                yield name, options if isinstance(options, dict) else {}


def pipelines(items):
    """{job name: ['check', 'gate (template X)', ...]} from the projects."""
    found = {}
    for kind in ('project', 'project-template'):
        for project in _of_kind(items, kind):
            where = (' (template %s)' % project.get('name')
                     if kind == 'project-template' else '')
            for pipeline, spec in sorted(project.items()):
                if not isinstance(spec, dict) or 'jobs' not in spec:
                    continue
                for name, options in _entries(spec['jobs']):
                    label = pipeline + where
                    if options.get('voting') is False:
                        label += ', non-voting'
                    found.setdefault(name, []).append(label)
    return found


def templates(items):
    """The project templates the project itself uses."""
    used = []
    for project in _of_kind(items, 'project'):
        used += [t for t in project.get('templates') or [] if t not in used]
    return used


def _inherited(job, jobs, key):
    seen = set()
    while job is not None and job.get('name') not in seen:
        if key in job:
            return job[key]
        seen.add(job.get('name'))
        job = jobs.get(job.get('parent'))
    return None


def _outside_parent(job, jobs):
    """The first ancestor defined outside zuul.d (devstack-tempest)."""
    seen = set()
    while job.get('parent') in jobs and job.get('name') not in seen:
        seen.add(job.get('name'))
        job = jobs[job['parent']]
    return job.get('parent') or 'base'


def _nodes(nodeset, nodesets, outside):
    if isinstance(nodeset, str):
        if nodeset in nodesets:
            return '%d (%s)' % (len(nodesets[nodeset].get('nodes') or []),
                                nodeset)
        return nodeset
    if isinstance(nodeset, dict):
        return str(len(nodeset.get('nodes') or []))
    return "%s's" % outside


def _branch(job, jobs):
    checkout = _inherited(job, jobs, 'override-checkout')
    branches = job.get('branches')
    if checkout:
        return str(checkout)
    if branches:
        return ', '.join(branches) if isinstance(branches, list) else str(
            branches)
    return 'master'


def table_rows(items):
    """One row per job definition, in file order; text cells."""
    jobs = {}
    for job in _of_kind(items, 'job'):
        jobs.setdefault(job.get('name'), job)
    nodesets = dict((n.get('name'), n) for n in _of_kind(items, 'nodeset'))
    used = pipelines(items)
    rows = []
    for job in _of_kind(items, 'job'):
        name = job.get('name')
        kind = ' (abstract)' if job.get('abstract') else ''
        rows.append([
            name + kind,
            job.get('parent') or 'base',
            _nodes(_inherited(job, jobs, 'nodeset'), nodesets,
                   _outside_parent(job, jobs)),
            _branch(job, jobs),
            '; '.join(used.get(name, [])) or 'none',
            ' '.join(str(job.get('description') or '').split()),
        ])
    return rows
