import sys

from self_healing_tempest_plugin.report import cli

sys.exit(cli.main())
