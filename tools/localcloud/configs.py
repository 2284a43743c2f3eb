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

"""Every service's configuration, written from Python under the base dir.

``render_all(layout)`` is pure: it returns ``{path under etc/: text}``,
every service module's ``render`` (services.MODULES). ``write_all(layout)``
writes those files, then lets each module ``prepare`` what it copies from
its packages and the directories it needs.
"""
from localcloud import files
from localcloud import services


def render_all(lay):
    rendered = {}
    for module in services.MODULES:
        for rel, text in module.render(lay).items():
            if rel in rendered:
                raise KeyError('%s is rendered by two services (%s)' % (
                    rel, services.module_name(module)))
            rendered[rel] = text
    return rendered


def write_all(lay):
    """Write every config file; returns what changed (paths, commands)."""
    changed = [lay.etc(rel) for rel, text in render_all(lay).items()
               if files.write(lay.etc(rel), text)]
    for module in services.MODULES:
        changed += module.prepare(lay)
    return changed
