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

"""``ceilometer-polling``, accepting ``hypervisor_inspector = fake``, in one
process.

1. Ceilometer loads its inspector from the ``ceilometer.compute.virt`` entry
   points by the name in ``[DEFAULT] hypervisor_inspector``, but that option
   (deprecated, libvirt being the only in-tree inspector) only allows
   ``libvirt``. The choices are widened to every installed inspector before
   Ceilometer registers its options.
2. ``ceilometer-polling`` runs its one polling service under a cotyledon
   ServiceManager: a supervising parent plus the worker, each a full copy
   (about 85 MiB more per compute host). Here the same service object
   (``ceilometer.cmd.polling.create_polling_service``) runs in this process
   and is terminated on SIGTERM/SIGINT. With a heartbeat socket configured,
   or ``LOCALCLOUD_POLLING_FORK=1``, upstream's ``main`` runs unchanged.
"""
import os
import shlex
import signal
import sys
import threading

from oslo_config import cfg
from stevedore import extension

NAMESPACE = 'ceilometer.compute.virt'


def allow_installed_inspectors():
    from ceilometer.compute.virt import inspector
    names = sorted(set(['libvirt'] + extension.ExtensionManager(
        NAMESPACE).names()))
    for i, opt in enumerate(inspector.OPTS):
        if opt.name == 'hypervisor_inspector':
            inspector.OPTS[i] = cfg.StrOpt(
                opt.name, default=opt.default, choices=names, help=opt.help)
    return names


def run_single(polling):
    from oslo_privsep import priv_context

    from ceilometer import utils
    conf = polling._prepare_config()
    if conf.polling.heartbeat_socket_dir is not None:
        return None
    priv_context.init(root_helper=shlex.split(utils.get_root_helper(conf)))
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    service = polling.create_polling_service(0, conf)
    service.run()
    while not stop.wait(1):
        pass
    service.terminate()
    return 0


def main():
    allow_installed_inspectors()
    from ceilometer.cmd import polling
    if os.environ.get('LOCALCLOUD_POLLING_FORK') != '1':
        rc = run_single(polling)
        if rc is not None:
            return rc
    return polling.main()


if __name__ == '__main__':
    sys.exit(main())
