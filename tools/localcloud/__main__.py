"""Entry point: ``python3 tools/localcloud <subcommand>``."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from localcloud import cli  # noqa: E402

if __name__ == '__main__':
    sys.exit(cli.main())
