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

"""The entry points a service module has nothing to do in.

A service module (lib/) names every entry point (services.ENTRY_POINTS);
where it has nothing to do, it names one of these, e.g. ``register =
entrypoints.no_changes``.
"""


def nothing(*args):
    """``install``, ``after_start``: nothing to do, no note."""
    return None


def no_changes(*args):
    """``prepare``, ``register``: nothing to do, nothing changed."""
    return []


def no_files(lay):
    """``render``: no config file."""
    return {}


def no_options(ctx):
    """``tempest_conf``: no tempest.conf option."""
    return {}
