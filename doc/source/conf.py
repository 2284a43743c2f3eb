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

"""Sphinx configuration of the self-healing-tempest-plugin documentation."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(HERE, '_exts'))

extensions = [
    'openstackdocstheme',
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
    'flow_settings',
    'zuul_jobs',
]

# -- the project's own extensions -------------------------------------------
# The table of what each flow needs from the services (devstack/flow-settings.yaml);
# SELF_HEALING_FLOW_SETTINGS names another file (relative to the checkout).
flow_settings_file = os.path.join(ROOT, os.environ.get(
    'SELF_HEALING_FLOW_SETTINGS',
    os.path.join('devstack', 'flow-settings.yaml')))
# The Zuul configuration the jobs page lists.
zuul_jobs_dir = os.path.join(ROOT, 'zuul.d')


# -- oslo.config -------------------------------------------------------------
config_generator_config_file = [
    ('config-generator.conf', '_static/self-healing-tempest-plugin'),
]

# -- openstackdocstheme ------------------------------------------------------
openstackdocs_repo_name = 'openstack/self-healing-tempest-plugin'
openstackdocs_use_storyboard = True
openstackdocs_bug_project = 'openstack/self-healing-sig'
openstackdocs_pdf_link = False
openstackdocs_auto_name = False

# -- general -----------------------------------------------------------------
project = 'self-healing-tempest-plugin'
copyright = '2026, OpenStack Self-Healing SIG'
source_suffix = '.rst'
master_doc = 'index'
exclude_patterns = ['_build']
add_module_names = False
pygments_style = 'native'

html_theme = 'openstackdocs'
html_static_path = ['_static']
htmlhelp_basename = 'self-healing-tempest-plugin-doc'
