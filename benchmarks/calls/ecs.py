"""Records the ECS call counts (the scenarios are tests/support/calls/ecs.py, which the
ECS tests assert budgets on):

    .venv/bin/python benchmarks/calls/ecs.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from support.calls.ecs import main

raise SystemExit(main())
