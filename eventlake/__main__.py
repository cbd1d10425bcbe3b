"""`python -m eventlake` runs the eventlake command."""

import sys

from eventlake.cli import main

sys.exit(main())
