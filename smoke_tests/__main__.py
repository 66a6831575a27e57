"""`python -m smoke_tests` is `freshboot`."""

import sys

from smoke_tests.cli import main

sys.exit(main())
