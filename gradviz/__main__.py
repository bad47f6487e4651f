"""`python -m gradviz` runs the command line."""

from gradviz.cli import main

raise SystemExit(main())
