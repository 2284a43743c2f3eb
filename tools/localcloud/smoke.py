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

"""End-to-end smoke check of a running local cloud.

1. ``openstack server create`` (compute microversion 2.37, ``--nic none``)
   with the generated credentials; the server goes ACTIVE, then is deleted.
2. A Heat stack: an AutoScalingGroup of two servers and an Aodh event alarm
   on ``compute.instance.delete.*``.
3. One member's server is deleted out of band; the alarm goes to ``alarm``.
4. With ``--heal``: the stack also holds a Zaqar queue, a MistralTrigger and
   a Mistral workflow (mark the member unhealthy, update the stack), and the
   group is back to two ACTIVE members without the deleted one.
5. With ``--vitrage``: a Vitrage template (Doctor ``compute.host.down`` on a
   host raises "Instance Down" on its instances and runs a public Mistral
   workflow); a Doctor event for host1 makes Vitrage run the workflow.

Everything it creates is deleted on every exit path (unless ``--keep``).
"""
import json
import os
import subprocess
import time
import uuid

from localcloud import api
from localcloud import bootstrap

COMPUTE_MV = {'OpenStack-API-Version': 'compute 2.37',
              'X-OpenStack-Nova-API-Version': '2.37'}


def template(heal):
    member = {
        'type': 'OS::Nova::Server',
        'properties': {
            'image': {'get_param': 'image'},
            'flavor': {'get_param': 'flavor'},
            'networks': [{'allocate_network': 'none'}],
        },
    }
    alarm = {
        'type': 'OS::Aodh::EventAlarm',
        'properties': {
            'event_type': 'compute.instance.delete.*',
            'repeat_actions': True,
        },
    }
    res = {
        'group': {'type': 'OS::Heat::AutoScalingGroup', 'properties': {
            'min_size': 2, 'max_size': 3, 'resource': member}},
        'delete_alarm': alarm,
    }
    if heal:
        alarm['properties']['alarm_queues'] = [{'get_resource': 'queue'}]
        res['queue'] = {'type': 'OS::Zaqar::Queue'}
        res['heal_workflow'] = {
            'type': 'OS::Mistral::Workflow',
            'properties': {
                'type': 'direct',
                'input': {'stack_id': None, 'group_id': None},
                'tasks': [
                    {'name': 'mark_unhealthy',
                     'action': {'list_join': [' ', [
                         'heat.resources_mark_unhealthy',
                         'stack_id=<% $.group_id %>',
                         'resource_name=<% env().notification.body.'
                         'reason_data.event.traits.where($[0] = '
                         "'instance_id').select($[2]).first() %>",
                         'mark_unhealthy=true',
                         "resource_status_reason='deleted out of band'"]]},
                     'on_success': ['update_stack']},
                    {'name': 'update_stack',
                     'action': 'heat.stacks_update stack_id=<% $.stack_id %>'
                               ' existing=true'},
                ],
            },
        }
        res['trigger'] = {
            'type': 'OS::Zaqar::MistralTrigger',
            'properties': {
                'queue_name': {'get_resource': 'queue'},
                'workflow_id': {'get_resource': 'heal_workflow'},
                'input': {'stack_id': {'get_param': 'OS::stack_id'},
                          'group_id': {'get_resource': 'group'}},
            },
        }
    return {
        'heat_template_version': '2018-08-31',
        'parameters': {'image': {'type': 'string'},
                       'flavor': {'type': 'string'}},
        'resources': res,
        'outputs': {'refs': {'value': {'get_attr': ['group', 'refs']}},
                    'group_id': {'value': {'get_resource': 'group'}}},
    }


VITRAGE_WORKFLOW = """---
version: '2.0'
localcloud_smoke_vitrage:
  input:
    - instance_id
  tasks:
    noop:
      action: std.noop
"""

VITRAGE_TEMPLATE = """metadata:
  version: 3
  name: localcloud_smoke_host_down
  type: standard
entities:
  host_alarm:
    type: doctor
    name: compute.host.down
  host:
    type: nova.host
  instance:
    type: nova.instance
scenarios:
  - condition: host_alarm [ on ] host AND host [ contains ] instance
    actions:
      - raise_alarm:
          target: instance
          alarm_name: Instance Down
          severity: CRITICAL
          causing_alarm: host_alarm
      - execute_mistral:
          workflow: localcloud_smoke_vitrage
          input:
            instance_id: get_attr(instance, id)
"""


def doctor_event(host, status):
    return json.dumps({
        'hostname': host, 'source': 'localcloud-smoke', 'cause': 'smoke',
        'severity': 'critical', 'status': status, 'monitor_id': 'smoke',
        'monitor_event_id': '%s-%s' % (host, status)})


class Smoke:

    def __init__(self, cloud, log):
        self.cloud = cloud
        self.lay = cloud.lay
        self.log = log
        self.sess = api.Session()
        self.t0 = time.monotonic()
        self.stack = None        # (name, id)
        self.servers = []
        self.vitrage = {}        # what the Vitrage check made

    def say(self, text):
        self.log('[%6.1fs] %s' % (time.monotonic() - self.t0, text))

    def cli(self, *args, prog='openstack', user='admin', project='admin'):
        env = dict(os.environ, OS_AUTH_URL=self.sess.auth_url,
                   OS_IDENTITY_API_VERSION='3', OS_USERNAME=user,
                   OS_PASSWORD=self.sess.password, OS_PROJECT_NAME=project,
                   OS_USER_DOMAIN_ID='default', OS_PROJECT_DOMAIN_ID='default',
                   OS_REGION_NAME='RegionOne')
        out = subprocess.run([self.lay.bin(prog)] + list(args),
                             env=env, capture_output=True, text=True,
                             timeout=300)
        if out.returncode:
            raise RuntimeError('%s %s: %s' % (prog, ' '.join(args[:3]),
                                              out.stderr[-2000:]))
        return out.stdout

    # -- resources -----------------------------------------------------------
    def server_status(self, sid):
        st, data = self.sess.request('GET', 'compute', '/servers/%s' % sid,
                                     headers=COMPUTE_MV, expect=(200, 404))
        return 'DELETED' if st == 404 else data['server']['status']

    def wait_server(self, sid, want, timeout=120):
        def check():
            s = self.server_status(sid)
            if s == 'ERROR' and want != 'ERROR':
                raise RuntimeError('server %s went to ERROR' % sid)
            return s == want
        api.wait_for(check, timeout, what='server %s %s' % (sid, want))

    def stack_status(self):
        name, sid = self.stack
        data = self.sess.get('orchestration', '/stacks/%s/%s' % (name, sid))
        return data['stack']

    def wait_stack(self, want, timeout=300):
        def check():
            st = self.stack_status()
            if st['stack_status'].endswith('FAILED'):
                raise RuntimeError('stack %s: %s' % (
                    st['stack_status'], st.get('stack_status_reason')))
            return st['stack_status'] == want and st
        return api.wait_for(check, timeout, interval=2,
                            what='stack %s' % want)

    def output(self, stack, key):
        for o in stack.get('outputs') or []:
            if o['output_key'] == key:
                return o['output_value']
        raise KeyError(key)

    def resource_id(self, resource):
        name, sid = self.stack
        return self.sess.get('orchestration', '/stacks/%s/%s/resources/%s' % (
            name, sid, resource))['resource']['physical_resource_id']

    # -- the checks ----------------------------------------------------------
    def server_create(self, image_id, flavor_id):
        name = 'localcloud-smoke-%s' % uuid.uuid4().hex[:6]
        out = self.cli('--os-compute-api-version', '2.37', 'server', 'create',
                       '--image', image_id, '--flavor', flavor_id,
                       '--nic', 'none', '--wait', '-f', 'json', name)
        server = json.loads(out)
        self.servers.append(server['id'])
        self.say('openstack server create (2.37, --nic none): %s %s on %s' % (
            server['id'], server['status'],
            server.get('OS-EXT-SRV-ATTR:host')))
        if server['status'] != 'ACTIVE':
            raise RuntimeError('server not ACTIVE: %s' % server['status'])
        self.sess.delete('compute', '/servers/%s' % server['id'])
        self.wait_server(server['id'], 'DELETED')
        self.servers.remove(server['id'])
        self.say('server deleted')

    def stack_create(self, image_id, flavor_id, heal):
        name = 'localcloud-smoke-%s' % uuid.uuid4().hex[:6]
        data = self.sess.post('orchestration', '/stacks', {
            'stack_name': name, 'template': template(heal),
            'parameters': {'image': image_id, 'flavor': flavor_id},
            'timeout_mins': 10})
        self.stack = (name, data['stack']['id'])
        stack = self.wait_stack('CREATE_COMPLETE')
        refs = self.output(stack, 'refs')
        self.say('Heat stack %s CREATE_COMPLETE; group members %s' % (
            name, ', '.join(refs)))
        return refs

    def alarm_state(self, alarm_id):
        return self.sess.get('alarming', '/v2/alarms/%s' % alarm_id)['state']

    def delete_member(self, refs, alarm_id):
        victim = refs[0]
        self.say('alarm %s is %s; deleting member server %s' % (
            alarm_id, self.alarm_state(alarm_id), victim))
        t_delete = time.monotonic()
        self.sess.delete('compute', '/servers/%s' % victim)
        api.wait_for(lambda: self.alarm_state(alarm_id) == 'alarm', 90,
                     what='alarm %s to go to alarm' % alarm_id)
        self.say('Aodh event alarm went to "alarm" %.1fs after the delete' % (
            time.monotonic() - t_delete))
        return victim, t_delete

    def healed(self, victim, t_delete, timeout=300):
        def check():
            st = self.stack_status()
            if st['stack_status'] != 'UPDATE_COMPLETE':
                return False
            refs = self.output(st, 'refs')
            if victim in refs or len(refs) < 2:
                return False
            return all(self.server_status(r) == 'ACTIVE' for r in refs) \
                and refs
        refs = api.wait_for(check, timeout, interval=2,
                            what='the group to heal')
        self.say('HEALED %.1fs after the delete: members %s' % (
            time.monotonic() - t_delete, ', '.join(refs)))

    def vitrage_host_down(self, image_id, flavor_id, host='host1'):
        """Doctor host-down -> Vitrage alarm -> Mistral execution."""
        tmp = self.lay.path('run', 'smoke')
        os.makedirs(tmp, exist_ok=True)
        for name, text in (('wf.yaml', VITRAGE_WORKFLOW),
                           ('template.yaml', VITRAGE_TEMPLATE)):
            with open(os.path.join(tmp, name), 'w') as f:
                f.write(text)
        self.cli('workflow', 'create', '--public',
                 os.path.join(tmp, 'wf.yaml'))
        self.vitrage['workflow'] = 'localcloud_smoke_vitrage'
        self.cli('template', 'add', '--path',
                 os.path.join(tmp, 'template.yaml'), prog='vitrage')
        self.vitrage['template'] = 'localcloud_smoke_host_down'
        active = '%s ACTIVE' % self.vitrage['template']
        api.wait_for(lambda: active in self.cli(
            'template', 'list', '-f', 'value', '-c', 'Name', '-c', 'Status',
            prog='vitrage'), 60, what='Vitrage template ACTIVE')
        server = self.sess.post('compute', '/servers', {'server': {
            'name': 'localcloud-smoke-vitrage', 'imageRef': image_id,
            'flavorRef': flavor_id, 'networks': 'none',
            'availability_zone': 'nova:%s' % host}},
            headers=COMPUTE_MV)['server']
        self.servers.append(server['id'])
        self.wait_server(server['id'], 'ACTIVE')
        api.wait_for(lambda: server['id'] in self.cli(
            'topology', 'show', '--all-tenants', prog='vitrage'), 60,
            what='the server in Vitrage\'s topology')
        self.say('Vitrage sees server %s on %s' % (server['id'], host))
        t0 = time.monotonic()
        self.vitrage['event_host'] = host
        self.cli('event', 'post', '--type', 'compute.host.down',
                 '--details', doctor_event(host, 'down'), prog='vitrage')

        def executed():
            out = self.cli('workflow', 'execution', 'list', '-f', 'json',
                           user='vitrage', project='service')
            mine = [e for e in json.loads(out)
                    if e['Workflow name'] == self.vitrage['workflow']]
            self.vitrage['executions'] = [e['ID'] for e in mine]
            return [e for e in mine if e['State'] == 'SUCCESS']
        api.wait_for(executed, 60, interval=2,
                     what='a Mistral execution started by Vitrage')
        self.say('Vitrage ran the Mistral workflow %.1fs after the Doctor '
                 'host-down event' % (time.monotonic() - t0))

    def vitrage_cleanup(self):
        if 'event_host' in self.vitrage:
            self.cli('event', 'post', '--type', 'compute.host.down',
                     '--details', doctor_event(self.vitrage['event_host'],
                                               'up'), prog='vitrage')
        if 'template' in self.vitrage:
            self.cli('template', 'delete', self.vitrage['template'],
                     prog='vitrage')
        for eid in self.vitrage.get('executions', []):
            self.cli('workflow', 'execution', 'delete', eid,
                     user='vitrage', project='service')
        if 'workflow' in self.vitrage:
            self.cli('workflow', 'delete', self.vitrage['workflow'])

    def cleanup(self):
        try:
            self.vitrage_cleanup()
        except RuntimeError as e:
            self.say('cleanup: %s' % e)
        for sid in list(self.servers):
            self.sess.delete('compute', '/servers/%s' % sid)
        if self.stack:
            name, sid = self.stack
            self.sess.delete('orchestration', '/stacks/%s/%s' % (name, sid))
            try:
                api.wait_for(lambda: self.sess.request(
                    'GET', 'orchestration', '/stacks/%s/%s' % (name, sid),
                    expect=None)[1].get('stack', {}).get('stack_status')
                    in (None, 'DELETE_COMPLETE'), 180, interval=2,
                    what='stack delete')
                self.say('stack %s deleted' % name)
            except TimeoutError as e:
                self.say('cleanup: %s' % e)


def run(cloud, keep=False, heal=False, vitrage=False, log=print):
    sess = api.Session()
    image_id = [i['id'] for i in sess.get('image', '/v2/images?name=%s'
                                          % bootstrap.IMAGE_NAME)['images']][0]
    flavor_id = bootstrap.FLAVORS[0][0]
    smoke = Smoke(cloud, log)
    ok = False
    try:
        smoke.server_create(image_id, flavor_id)
        refs = smoke.stack_create(image_id, flavor_id, heal)
        alarm_id = smoke.resource_id('delete_alarm')
        victim, t_delete = smoke.delete_member(refs, alarm_id)
        if heal:
            smoke.healed(victim, t_delete)
        if vitrage:
            smoke.vitrage_host_down(image_id, flavor_id)
        ok = True
    finally:
        if keep:
            smoke.say('keeping resources: stack %s' % (smoke.stack,))
        else:
            smoke.cleanup()
        smoke.say('SMOKE %s' % ('PASSED' if ok else 'FAILED'))
    return 0 if ok else 1
