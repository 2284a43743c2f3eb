import testtools

from localcloud import ini


class TestIni(testtools.TestCase):

    def test_render_values(self):
        text = ini.render({'DEFAULT': {'a': True, 'b': False, 'c': [1, 'x'],
                                       'd': None, 'e': 3}})
        self.assertEqual(
            '[DEFAULT]\na = true\nb = false\nc = 1,x\nd =\ne = 3\n', text)

    def test_round_trip(self):
        data = {'s1': {'k': 'v', 'url': 'http://h:1/?a=b'},
                'drivers:x': {'uri': 'redis://127.0.0.1:6379'}}
        self.assertEqual(data, ini.parse(ini.render(data)))

    def test_parse_rejects_an_option_outside_a_section(self):
        self.assertRaises(ValueError, ini.parse, 'a = b\n')
