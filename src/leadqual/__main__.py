"""``python -m leadqual``: the same as the ``leadqual`` command."""

import sys

from leadqual.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
