"""Records the Lambda call counts (the scenarios are tests/support/calls/awslambda.py, which the
Lambda tests assert budgets on):

    .venv/bin/python benchmarks/calls/awslambda.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from support.calls.awslambda import main

raise SystemExit(main())
