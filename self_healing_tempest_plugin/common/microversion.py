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

"""One context manager for the microversion of compute and placement.

tempest.lib's service clients send the microversion held in a module
global (``COMPUTE_MICROVERSION``, ``PLACEMENT_MICROVERSION``).
``requests_at`` sets it for a block and restores the value it found, so
blocks nest (a fault's 2.53 inside a flow's server microversion).
tempest.lib's APIMicroversionFixture resets every global to None
instead, which would break the outer block.
"""

import contextlib

from tempest.lib.services.compute import base_compute_client
from tempest.lib.services.placement import base_placement_client

COMPUTE, PLACEMENT = 'compute', 'placement'
_GLOBALS = {
    COMPUTE: (base_compute_client, 'COMPUTE_MICROVERSION'),
    PLACEMENT: (base_placement_client, 'PLACEMENT_MICROVERSION'),
}


@contextlib.contextmanager
def requests_at(service, version):
    """Send ``version`` on ``service``'s requests inside the block only.

    :param service: COMPUTE or PLACEMENT.
    """
    try:
        module, name = _GLOBALS[service]
    except KeyError:
        raise ValueError('no microversion global for service %r; known: %s'
                         % (service, ', '.join(sorted(_GLOBALS))))
    saved = getattr(module, name)
    setattr(module, name, version)
    try:
        yield
    finally:
        setattr(module, name, saved)
