"""`python -m reportqa.cli`: the `reportqa` command."""

import sys

from reportqa.cli import main

sys.exit(main())
