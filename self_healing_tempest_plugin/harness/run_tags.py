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

"""The run tag every resource of a run carries, and how to read it back.

A run that dies (a Zuul timeout, Ctrl-C, the OOM killer) never runs its
cleanups: what it created stays. So that ``self-healing-undo --leaks``
can tell a dead run's resources from a live run's and from everything
else, each resource carries its run's tag, ``<run_tag_prefix>-<run id>``
(``[self_healing] run_tag_prefix``; the run id is ``harness/runs``'s, one
per process): at the start of its name, and where the API has them in its
tags or metadata too (Heat stack tags, Nova server metadata under
``METADATA_KEY``, Keystone project tags, a Mistral execution's
description). A stack's resources are named after the stack by Heat
(a Zaqar queue's name cut to its first two characters and its end:
the stack's deletion takes them). ``parse`` reads the run id back.
"""

import re
import uuid

from tempest.lib.common.utils import data_utils

# The metadata key of a server that holds its run tag.
METADATA_KEY = 'self_healing_run'
# Placement trait names: CUSTOM_ then upper case letters, digits and _.
TRAIT_PREFIX = 'CUSTOM_'
# Run ids are harness/runs': 12 hex characters.
RUN_ID = re.compile(r'[0-9a-f]{12}')

# A run id of this process when there is no run registry
# ([self_healing] fault_journal_dir = ''): resources are still tagged,
# but no reaper can tell whether the run lives.
_UNREGISTERED_RUN_ID = uuid.uuid4().hex[:12]


def run_registry():
    """``harness/runs``: the registry of live and dead runs.

    Imported when first used: the flows import this module, and the
    registry is only needed once a resource is named.
    """
    from self_healing_tempest_plugin.harness import runs
    return runs


def run_id(conf):
    """This process's run id (``conf``: the [self_healing] group)."""
    if not conf.fault_journal_dir:
        return _UNREGISTERED_RUN_ID
    return run_registry().current(conf.fault_journal_dir).id


def tag(conf):
    """This process's run tag: '<run_tag_prefix>-<run id>'."""
    return '%s-%s' % (conf.run_tag_prefix, run_id(conf))


def name(conf, base):
    """A new resource's name: '<run tag>-<base>-<random number>'."""
    return data_utils.rand_name(base, prefix=tag(conf))


def trait(conf, base):
    """A new placement trait: 'CUSTOM_<RUN TAG>_<BASE>_<RANDOM HEX>'.

    Placement allows upper case letters, digits and '_' only.
    """
    return _trait_text('%s_%s_%s' % (tag(conf), base,
                                     data_utils.rand_uuid_hex()[:8]))


def metadata(conf):
    """Server metadata carrying the run tag."""
    return {METADATA_KEY: tag(conf)}


def _trait_text(text):
    return TRAIT_PREFIX + re.sub(r'[^A-Z0-9_]', '_', text.upper())


def _normal(text):
    # A trait's form and a name's form compare equal.
    return text.lower().replace('_', '-')


def parse(name_or_tag, prefix):
    """The run id of a run tag, or of a name or trait starting with one.

    None when ``name_or_tag`` carries no tag of ``prefix`` (an untagged
    resource, another prefix's, or no text at all).
    """
    if not name_or_tag or not prefix:
        return None
    text = str(name_or_tag)
    if text.startswith(TRAIT_PREFIX):
        text = text[len(TRAIT_PREFIX):]
    text, start = _normal(text), _normal(prefix) + '-'
    if not text.startswith(start):
        return None
    rest = text[len(start):]
    found = RUN_ID.match(rest)
    if found is None or rest[found.end():found.end() + 1] not in ('', '-'):
        return None
    return found.group(0)


def parse_any(prefix, *texts):
    """The run id the first tagged one of ``texts`` carries, or None."""
    for text in texts:
        found = parse(text, prefix)
        if found:
            return found
    return None
