"""``python -m self_healing_tempest_plugin.report``.

Guarded: tools that import every module of the package (check-uuid) must
not run the command.
"""

import sys

from self_healing_tempest_plugin.report import cli

if __name__ == '__main__':
    sys.exit(cli.main())
