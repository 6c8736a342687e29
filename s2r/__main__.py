"""``python -m s2r`` is the ``s2r`` command."""

import sys

from s2r.cli import main

sys.exit(main())
