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

"""How a service authenticates: keystonemiddleware, keystoneauth, trustee.

A leaf module: the service modules (lib/) build their config sections from
it.
"""
from localcloud import layout as L
from localcloud.lib import keystone


def authtoken(user):
    """keystonemiddleware's section for a service user."""
    return {
        'www_authenticate_uri': keystone.URL,
        'auth_url': keystone.URL,
        'memcached_servers': L.MEMCACHED,
        'auth_type': 'password',
        'project_domain_name': 'Default',
        'user_domain_name': 'Default',
        'project_name': 'service',
        'username': user,
        'password': L.PASSWORD,
        'service_token_roles_required': True,
    }


def service_auth(user):
    """A keystoneauth password section for a service user."""
    return {
        'auth_type': 'password',
        'auth_url': keystone.V3,
        'project_domain_name': 'Default',
        'user_domain_name': 'Default',
        'project_name': 'service',
        'username': user,
        'password': L.PASSWORD,
        'region_name': L.REGION,
        'interface': 'public',
    }


def trustee(user):
    return {
        'auth_type': 'password',
        'auth_url': keystone.URL,
        'username': user,
        'password': L.PASSWORD,
        'user_domain_name': 'Default',
    }


def domain_ids(section):
    """``section`` with domain ids instead of names."""
    section = dict(section)
    del section['project_domain_name'], section['user_domain_name']
    section.update(project_domain_id='default', user_domain_id='default')
    return section
