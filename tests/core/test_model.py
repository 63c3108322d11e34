"""The neutral model's validation, health aggregation, and Frigga names and sequences."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from cloudrig import (
    Capacity,
    Conflict,
    HealthDetail,
    HealthState,
    Instance,
    Moniker,
    ServerGroup,
    TrafficWeights,
    format_cluster,
    format_name,
    next_sequence,
    parse_name,
)
from cloudrig.provider import aggregate_health

UP, DOWN, STARTING = HealthState.UP, HealthState.DOWN, HealthState.STARTING
OOS, DRAINING, UNKNOWN = HealthState.OUT_OF_SERVICE, HealthState.DRAINING, HealthState.UNKNOWN


# -- validation ------------------------------------------------------------------------------------
@pytest.mark.parametrize("app", ["", "   ", "\t\n"])
def test_blank_app_is_rejected_naming_the_field(app: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Moniker(app=app)
    (error,) = caught.value.errors()
    assert error["loc"] == ("app",)
    assert "app must not be empty" in error["msg"]


def test_sequence_is_bounded_to_three_digits() -> None:
    with pytest.raises(ValidationError) as caught:
        Moniker(app="a", sequence=1000)
    assert caught.value.errors()[0]["loc"] == ("sequence",)
    assert Moniker(app="a", sequence=999).sequence == 999


@pytest.mark.parametrize(
    ("minimum", "desired", "maximum"), [(3, 2, 4), (1, 5, 4), (3, 3, 2), (2, 1, 1)]
)
def test_capacity_must_be_ordered(minimum: int, desired: int, maximum: int) -> None:
    with pytest.raises(ValidationError, match="min <= desired <= max"):
        Capacity(min=minimum, desired=desired, max=maximum)


def test_capacity_rejects_negative_and_accepts_fixed() -> None:
    with pytest.raises(ValidationError) as caught:
        Capacity(min=-1, desired=0, max=0)
    assert caught.value.errors()[0]["loc"] == ("min",)
    assert Capacity.fixed(3) == Capacity(min=3, desired=3, max=3)
    assert Capacity.fixed(0).desired == 0


def test_models_are_immutable() -> None:
    moniker = Moniker(app="a")
    with pytest.raises(ValidationError):
        moniker.app = "b"


@pytest.mark.parametrize(
    ("weights", "problem"),
    [({}, "at least one"), ({"a": 60, "b": 30}, "sum to 100"), ({"a": 120, "b": -20}, "between")],
)
def test_traffic_weights_validated(weights: dict[str, int], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        TrafficWeights(weights=weights)


# -- health aggregation ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ((), UNKNOWN),
        ((UNKNOWN,), UNKNOWN),
        ((UNKNOWN, UNKNOWN, UNKNOWN), UNKNOWN),  # all-unknown is never Up
        ((UP,), UP),
        ((UP, UNKNOWN), UP),
        ((UP, UP, UNKNOWN), UP),
        ((UP, STARTING), STARTING),
        ((STARTING, DRAINING), DRAINING),
        ((DRAINING, OOS), OOS),
        ((OOS, DOWN), DOWN),
        ((UP, DOWN, UNKNOWN), DOWN),
        ((UP, OOS), OOS),
        ((UNKNOWN, STARTING), STARTING),
        ((UP, DRAINING, STARTING), DRAINING),
    ],
)
def test_aggregation_table(states: tuple[HealthState, ...], expected: HealthState) -> None:
    assert aggregate_health(states) is expected
    details = [HealthDetail(source=f"s{i}", state=s) for i, s in enumerate(states)]
    assert aggregate_health(details) is expected
    assert Instance(id="i", details=tuple(details)).health is expected


PRECEDENCE = [DOWN, OOS, DRAINING, STARTING, UP, UNKNOWN]


@pytest.mark.parametrize("combo", list(itertools.product(HealthState, repeat=3)))
def test_aggregation_follows_precedence_for_every_combination(
    combo: tuple[HealthState, ...],
) -> None:
    """Any Down wins, then OutOfService, Draining, Starting; Up needs at least one Up."""
    expected = min(combo, key=PRECEDENCE.index)
    assert aggregate_health(combo) is expected
    assert aggregate_health(combo) is aggregate_health(reversed(combo))


def test_server_group_counts_instances_by_aggregate() -> None:
    def instance(i: int, *states: HealthState) -> Instance:
        return Instance(
            id=f"i-{i}",
            details=tuple(HealthDetail(source=f"s{n}", state=s) for n, s in enumerate(states)),
        )

    group = ServerGroup(
        name="app-v000",
        moniker=Moniker(app="app", sequence=0),
        account="a",
        region="r",
        capacity=Capacity.fixed(4),
        enabled=True,
        instances=(
            instance(1, UP, UP),
            instance(2, UP, OOS),
            instance(3, UNKNOWN),
            instance(4, UP, UNKNOWN),
        ),
    )
    counts = group.counts
    assert (counts.total, counts.up, counts.out_of_service, counts.unknown) == (4, 2, 1, 1)
    assert group.healthy == 2


# -- Frigga names ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("app", "stack", "detail", "cluster"),
    [
        ("app", "", "", "app"),
        ("app", "prod", "", "app-prod"),
        ("app", "", "canary", "app--canary"),
        ("app", "prod", "canary-east", "app-prod-canary-east"),
    ],
)
def test_format_and_parse_round_trip(app: str, stack: str, detail: str, cluster: str) -> None:
    assert format_cluster(app, stack, detail) == cluster
    moniker = Moniker(app=app, stack=stack, detail=detail, sequence=7)
    name = format_name(moniker)
    assert name == f"{cluster}-v007"
    assert parse_name(name) == moniker
    assert parse_name(cluster) == moniker.with_sequence(None)


def test_parse_without_a_version_suffix_keeps_dashes_in_detail() -> None:
    assert parse_name("app-stack-a-b-v12") == Moniker(app="app", stack="stack", detail="a-b-v12")
    assert parse_name("app-stack-v1000") == Moniker(app="app", stack="stack", detail="v1000")


def test_format_name_needs_a_sequence() -> None:
    with pytest.raises(ValueError, match="sequence"):
        format_name(Moniker(app="app"))


# -- sequences -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("taken", "latest", "expected"),
    [
        ([], None, 1),  # the first version is v001
        ([0], None, 1),
        ([0, 1, 2], None, 3),
        ([3, 5], 3, 4),  # counts on from the newest, not from the highest
        ([3, 4, 5], 3, 6),  # skips numbers still in use
        ([999], None, 0),  # rolls over after v999
        ([998, 999, 0, 1], 999, 2),
        ([5, 999], 999, 0),
    ],
)
def test_next_sequence(taken: list[int], latest: int | None, expected: int) -> None:
    assert next_sequence(taken, latest) == expected


def test_next_sequence_finds_the_last_free_number() -> None:
    taken = set(range(1000)) - {417}
    assert next_sequence(taken, 999) == 417


def test_all_sequences_taken_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="all 1000 server group sequences"):
        next_sequence(range(1000), 500)
