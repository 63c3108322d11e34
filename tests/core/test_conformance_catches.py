"""The conformance kit catches each planted bug in exactly the check named for it, and passes the
reference provider. The kit runs in a nested pytest session (``pytester``), as a provider's own
test suite would run it."""

from __future__ import annotations

from pathlib import Path

import pytest
from core.broken_providers import BROKEN, LeaksSdkError

from cloudrig.testing import ReferenceProvider
from cloudrig.testing.conformance import ConformanceSuite

HERE = Path(__file__).parent

SUITE = """
import pytest
from cloudrig.testing import reference_target
from cloudrig.testing.conformance import ConformanceSuite
import broken_providers
from cloudrig.testing import ReferenceProvider

class TestProvider(ConformanceSuite):
    @pytest.fixture
    def conformance_target(self):
        return reference_target({cls})
"""

CHECKS = sorted(name for name in dir(ConformanceSuite) if name.startswith("test_"))


def run_kit(pytester: pytest.Pytester, cls: type[ReferenceProvider]) -> pytest.HookRecorder:
    pytester.syspathinsert(HERE)
    where = "" if cls is ReferenceProvider else "broken_providers."
    pytester.makepyfile(test_kit=SUITE.format(cls=f"{where}{cls.__name__}"))
    # hypothesis's plugin costs seconds per nested session and is not used by the kit
    return pytester.inline_run("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def failed_checks(recorder: pytest.HookRecorder) -> set[str]:
    _, _, failed = recorder.listoutcomes()
    return {r.nodeid.split("::")[-1].split("[")[0] for r in failed}


def test_reference_passes_every_check(pytester: pytest.Pytester) -> None:
    recorder = run_kit(pytester, ReferenceProvider)
    passed, skipped, failed = recorder.listoutcomes()
    assert not failed
    assert not skipped
    assert {r.nodeid.split("::")[-1].split("[")[0] for r in passed} == set(CHECKS)


@pytest.mark.parametrize(("cls", "check"), list(BROKEN.items()), ids=[c.__name__ for c in BROKEN])
def test_each_bug_fails_exactly_its_check(
    pytester: pytest.Pytester, cls: type[ReferenceProvider], check: str
) -> None:
    recorder = run_kit(pytester, cls)
    assert failed_checks(recorder) == {check}


def test_leaked_exception_is_reported_with_check_and_type(pytester: pytest.Pytester) -> None:
    recorder = run_kit(pytester, LeaksSdkError)
    (report,) = recorder.listoutcomes()[2]
    text = str(report.longrepr)
    assert "[test_errors_are_provider_errors] LeaksSdkError" in text
    assert "read_metadata raised broken_providers.ClientError" in text
    assert "not a cloudrig.ProviderError" in text


def test_missing_target_fixture_says_what_to_define(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_kit="""
from cloudrig.testing.conformance import ConformanceSuite

class TestForgotTarget(ConformanceSuite):
    pass
"""
    )
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-k", "test_check"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*TestForgotTarget must define the fixture conformance_target*"])
