"""Records the GCP call counts (the scenarios are tests/support/calls/gcp.py, which the
GCP tests assert budgets on):

    .venv/bin/python benchmarks/calls/gcp.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from support.calls.gcp import main

raise SystemExit(main())
