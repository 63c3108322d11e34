"""Records the Kubernetes call counts (the scenarios are tests/support/calls/kube.py, which the
Kubernetes tests assert budgets on):

    .venv/bin/python benchmarks/calls/kube.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from support.calls.kube import main

raise SystemExit(main())
