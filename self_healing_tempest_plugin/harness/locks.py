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

"""An inter-process lock serializing host faults across test workers.

stestr runs tests in several processes; two host faults at once could take
every compute host away. An flock on one file is released by the kernel
when its holder dies, so a killed worker never leaves the lock held.
"""

import fcntl
import os
import tempfile

HOST_FAULT_LOCK = 'self-healing-host-fault.lock'


def lock_dir(conf=None):
    """[self_healing] fault_lock_dir, or the system temp directory."""
    configured = getattr(conf, 'fault_lock_dir', '') if conf else ''
    return configured or tempfile.gettempdir()


class InterProcessLock(object):
    """An exclusive flock on ``<directory>/<name>``; usable as a context."""

    def __init__(self, directory, name=HOST_FAULT_LOCK):
        self.path = os.path.join(directory, name)
        self._fd = None

    @property
    def held(self):
        return self._fd is not None

    def _open(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)

    def acquire(self, blocking=True):
        """Take the lock; without ``blocking`` return False if taken."""
        if self._fd is not None:
            return True
        fd = self._open()
        flags = fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB)
        try:
            fcntl.flock(fd, flags)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self):
        """Release; releasing a lock not held does nothing."""
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()
