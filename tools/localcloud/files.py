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

"""Writing the cloud's files: only when their content changes.

A leaf module: the config phase writes what the service modules render,
and their ``prepare`` copies files shipped inside the packages.
"""
import glob
import os
import shutil


def write(path, text):
    """Write ``text`` to ``path`` unless it holds it; True if it changed."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(path) as f:
            if f.read() == text:
                return False
    except OSError:
        pass
    with open(path, 'w') as f:
        f.write(text)
    return True


def copy(src, dest):
    """A file or a whole directory, over what is there."""
    if os.path.isdir(src):
        shutil.copytree(src, dest, dirs_exist_ok=True)
    else:
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(src, dest)


def site_packages(venv):
    found = glob.glob(os.path.join(venv, 'lib', 'python3*', 'site-packages'))
    if not found:
        raise RuntimeError('no site-packages in %s' % venv)
    return found[0]
