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

"""The README's Configuration section names the options that exist.

It once listed options removed long before (a lock directory, guest SSH
settings); an operator copying them got nothing. Held both ways: every
name there is registered, every registered option is named.
"""

import os
import re

import testtools

from self_healing_tempest_plugin import config

README = os.path.join(os.path.dirname(__file__), '..', '..', 'README.rst')
# The services of the client options (config._CLIENT_OPTS).
SERVICES = ('orchestration', 'alarming', 'messaging', 'workflow', 'rca',
            'metric')
_LITERAL_RE = re.compile(r'``([a-z<][a-z0-9_<>]*)``')


def _section(text, group, next_group):
    start = text.index('``[%s]``\n' % group)
    return text[start:text.index('``[%s]``\n' % next_group, start)]


def _per_service(names):
    """``<service>_catalog_type`` stands for one option per service."""
    out = set()
    for name in names:
        if name.startswith('<service>_'):
            suffix = name[len('<service>_'):]
            out |= {'%s_%s' % (s, suffix) for s in SERVICES}
        else:
            out.add(name)
    return out


class ReadmeOptionsTest(testtools.TestCase):

    def setUp(self):
        super(ReadmeOptionsTest, self).setUp()
        with open(README) as f:
            self.text = f.read()

    def _check(self, group, next_group, options, ignore=()):
        section = _section(self.text, group, next_group)
        named = _per_service(_LITERAL_RE.findall(section)) - set(ignore)
        registered = {o.name for o in options}
        self.assertEqual([], sorted(named - registered),
                         'README [%s] names options that do not exist'
                         % group)
        self.assertEqual([], sorted(registered - named),
                         'README [%s] leaves out registered options' % group)

    def test_self_healing_options(self):
        # Values and service names quoted in the prose, not options.
        self._check('self_healing', 'self_healing_feature_enabled',
                    config.SelfHealingGroup,
                    ignore={'orchestration', 'alarming', 'messaging',
                            'workflow', 'rca', 'metric',
                            'event_alarm_cache_ttl', 'unit'})

    def test_feature_switches(self):
        start = self.text.index('``[self_healing_feature_enabled]``\n')
        section = self.text[start:self.text.index('\nA test whose', start)]
        named = set(_LITERAL_RE.findall(section))
        registered = {o.name for o in config.SelfHealingFeatureGroup}
        self.assertEqual([], sorted(named - registered))
        self.assertEqual([], sorted(registered - named))
