"""``python -m explorer`` and the installer's executable: the command line (the window with no command)."""

import multiprocessing
import sys

from explorer.cli import main

if __name__ == "__main__":
    # Ingest starts parser processes with 'spawn'; in a frozen bundle each child re-runs this
    # executable, and freeze_support() turns it into the worker instead of a second application.
    multiprocessing.freeze_support()
    sys.exit(main())
