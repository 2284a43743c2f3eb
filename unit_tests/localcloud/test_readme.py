import os

import testtools

from localcloud import layout

README = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'README.rst')


class TestReadme(testtools.TestCase):

    def test_every_speed_setting_is_documented_with_both_values(self):
        with open(README) as f:
            rows = [line for line in f if line.count('  ') >= 2]
        for t in layout.TUNABLES:
            name = t.option if t.section == '-' else '``[%s] %s``' % (
                t.section, t.option)
            matching = [r for r in rows if name in r]
            self.assertTrue(matching, 'README lacks %s' % t.option)
            row = matching[0]
            self.assertIn(str(t.local), row, t.option)
            self.assertIn(str(t.production), row, t.option)
