"""Entry script of the frozen app: exactly what the ``fpsdesk`` console script runs."""

import sys

from fpsdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
