import testtools

from localcloud import leaks


class FakeSession:
    """Answers each listing path from a table; records what was asked."""

    def __init__(self, replies, catalog=None):
        self.replies = replies
        self.catalog = catalog or {k[1]: 'http://x' for k in leaks.KINDS}
        self.asked = []

    def get(self, service, path, headers=None):
        self.asked.append((service, path, headers))
        empty = dict((k[2], {k[3]: []} if k[3] else []) for k in leaks.KINDS)
        return self.replies.get(path, empty[path])


class TestInventory(testtools.TestCase):

    def test_every_kind_by_its_own_id_and_label(self):
        sess = FakeSession({
            '/stacks?global_tenant=True&show_nested=True': {'stacks': [
                {'id': 's1', 'stack_name': 'tempest-sh-x'}]},
            '/v2/alarms?q.field=all_projects&q.op=eq&q.value=true': [
                {'alarm_id': 'a1', 'name': 'deleted_alarm'}],
            '/v1/template/': [{'uuid': 't1', 'name': 'sh_evacuate'}],
            '/traits?name=startswith:CUSTOM_': {'traits': ['CUSTOM_SH_1']},
        })
        found = leaks.inventory(sess)
        self.assertEqual({'s1': 'tempest-sh-x'}, found['stack'])
        self.assertEqual({'a1': 'deleted_alarm'}, found['alarm'])
        self.assertEqual({'t1': 'sh_evacuate'}, found['vitrage template'])
        self.assertEqual({'CUSTOM_SH_1': 'CUSTOM_SH_1'},
                         found['placement trait'])
        self.assertEqual({}, found['server'])
        self.assertIn(('placement', '/traits?name=startswith:CUSTOM_',
                       leaks.PLACEMENT_TRAITS), sess.asked)

    def test_a_service_not_in_the_catalog_is_not_asked(self):
        sess = FakeSession({}, catalog={'compute': 'http://x'})
        found = leaks.inventory(sess)
        self.assertNotIn('stack', found)
        self.assertIn('server', found)
        self.assertIn('project', found)     # Keystone is always there


class TestNewSince(testtools.TestCase):

    def test_only_what_appeared_is_a_leak(self):
        before = {'stack': {'s0': 'old'}, 'trust': {}}
        after = {'stack': {'s0': 'old', 's1': 'new'}, 'trust': {'t1': 'u1'},
                 'alarm': {}}
        self.assertEqual([('stack', 's1', 'new'), ('trust', 't1', 'u1')],
                         leaks.new_since(before, after))

    def test_what_was_deleted_is_not_a_leak(self):
        self.assertEqual([], leaks.new_since({'stack': {'s0': 'old'}},
                                             {'stack': {}}))

    def test_report_names_each_leak(self):
        lines = leaks.report([('workflow', 'w1', 'sh_evacuate_1')])
        self.assertIn('LEAKED 1', lines[0])
        self.assertEqual('  workflow w1 (sh_evacuate_1)', lines[1])
        self.assertIn('no resource left behind', leaks.report([])[0])
