"""`python -m <package>` runs the same command line as the installed script."""

from .cli import main

raise SystemExit(main())
