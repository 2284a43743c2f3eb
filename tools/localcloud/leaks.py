"""What a test run left behind: the cloud's resources before and after.

The suite must delete everything it makes (stacks, alarms, workflows,
executions, Vitrage templates, trusts, servers, flavors, traits, the
Tempest projects and users). ``localcloud job`` takes an inventory before
``tempest run`` and one after; anything new is a leak and fails the job.
Zaqar queues are per project and cannot be listed across projects: they
are not in the inventory (each run's projects are, and go with them).
"""

PLACEMENT_TRAITS = {'OpenStack-API-Version': 'placement 1.6'}


def _ids(items, key='id', label=('name',)):
    found = {}
    for item in items:
        name = next((item.get(k) for k in label if item.get(k)), '')
        found[str(item[key])] = str(name)
    return found


# kind -> (service type, path, reply key, id key, label keys, headers)
KINDS = (
    ('project', 'identity', '/projects', 'projects', 'id', ('name',), None),
    ('user', 'identity', '/users', 'users', 'id', ('name',), None),
    ('trust', 'identity', '/OS-TRUST/trusts', 'trusts', 'id',
     ('trustor_user_id',), None),
    ('server', 'compute', '/servers?all_tenants=1', 'servers', 'id',
     ('name',), None),
    ('flavor', 'compute', '/flavors?is_public=None', 'flavors', 'id',
     ('name',), None),
    ('stack', 'orchestration', '/stacks?global_tenant=True&show_nested=True',
     'stacks', 'id', ('stack_name',), None),
    ('alarm', 'alarming',
     '/v2/alarms?q.field=all_projects&q.op=eq&q.value=true', None,
     'alarm_id', ('name',), None),
    ('workflow', 'workflowv2', '/workflows?all_projects=true', 'workflows',
     'id', ('name',), None),
    ('execution', 'workflowv2', '/executions?all_projects=true',
     'executions', 'id', ('workflow_name',), None),
    ('vitrage template', 'rca', '/v1/template/', None, 'uuid', ('name',),
     None),
    ('placement trait', 'placement', '/traits?name=startswith:CUSTOM_',
     'traits', None, (), PLACEMENT_TRAITS),
)


def inventory(sess):
    """{kind: {id: label}} of everything the suite could leave behind."""
    found = {}
    for kind, service, path, reply_key, key, label, headers in KINDS:
        if service not in sess.catalog and service != 'identity':
            continue
        reply = sess.get(service, path, headers=headers)
        items = reply[reply_key] if reply_key else reply
        if key is None:         # a list of names (placement traits)
            found[kind] = dict((name, name) for name in items)
        else:
            found[kind] = _ids(items, key, label)
    return found


def new_since(before, after):
    """[(kind, id, label)] in ``after`` but not in ``before``."""
    leaked = []
    for kind, items in sorted(after.items()):
        old = before.get(kind, {})
        leaked.extend((kind, i, label) for i, label in sorted(items.items())
                      if i not in old)
    return leaked


def report(leaked):
    """Lines naming each leaked resource, or one saying there is none."""
    if not leaked:
        return ['no resource left behind (%s)' % ', '.join(
            k[0] for k in KINDS)]
    return ['LEAKED %d resource(s) the run made and did not delete:'
            % len(leaked)] + ['  %s %s (%s)' % item for item in leaked]
