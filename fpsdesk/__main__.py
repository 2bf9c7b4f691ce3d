"""Allow ``python -m fpsdesk``."""

import sys

from fpsdesk.cli import main

sys.exit(main())
