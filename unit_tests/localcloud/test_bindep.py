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

"""bindep.txt's localcloud profile and the installer's apt list agree.

The installer apt-installs ``install.APT_PACKAGES`` itself (it runs before
bindep could); bindep.txt lists the same packages for those who ask bindep.
Written in two places, so this test holds them together.
"""

import os
import re

import testtools

from localcloud import install

BINDEP = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'bindep.txt')
# In the localcloud profile, but the machine's base the installer needs
# before it runs (git for the checkout, python3-venv for its venvs).
BASE = {'git', 'python3-venv'}


def localcloud_packages(path=BINDEP):
    """Names of bindep.txt's rows whose profiles include localcloud."""
    found = set()
    with open(path) as handle:
        for line in handle:
            line = line.split('#', 1)[0].strip()
            match = re.match(r'^(\S+)\s*\[([^\]]*)\]', line)
            if match and 'localcloud' in match.group(2).split():
                found.add(match.group(1))
    return found


class BindepTest(testtools.TestCase):

    def test_localcloud_profile_is_the_installers_apt_list(self):
        listed = localcloud_packages() - BASE
        self.assertEqual(sorted(install.APT_PACKAGES), sorted(listed),
                         'bindep.txt [localcloud] vs '
                         'tools/localcloud/install.py APT_PACKAGES')
