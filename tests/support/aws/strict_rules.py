"""Documented AWS rules that need the account's state, patched into moto's backends in process.

Active only while the strict target is on (``strict.STRICT``); otherwise moto behaves as shipped.
Each refusal is answered with AWS's error code and recorded (so a caller that swallows it still
fails the test). Sources in tests/README.md, section "Strict AWS target".

- **One load balancer per target group** (ALB/NLB quota "load balancers per target group: 1";
  ``TargetGroupAssociationLimit``): a listener or rule may forward to a target group only when no
  listener or rule of another load balancer forwards to it.
- **A listener's certificate exists** (``CertificateNotFound``): CreateListener's certificate is
  in ACM or IAM (moto checks it on ModifyListener only).
- **At most 50 tags per Auto Scaling group**, counting those it already has
  (``CreateOrUpdateTags``; moto adds without limit).
- **Suspended ``AddToLoadBalancer``** (Auto Scaling user guide, "Suspend and resume processes"):
  instances launched while it is suspended are not registered with the group's target groups,
  and are not registered later when it is resumed; instances already registered stay registered.
  ``AttachLoadBalancerTargetGroups`` registers the group's running instances with the target
  groups it attaches, and DetachLoadBalancerTargetGroups deregisters those registered. moto
  registers every instance of the group whenever capacity changes, and its detach fails on
  instances that are not registered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from moto.autoscaling.exceptions import AutoscalingClientError
from moto.autoscaling.models import AutoScalingBackend
from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend

from support.aws.strict import STRICT
from support.aws.strict_model import Violation
from support.aws.strict_requests import MAX_TAGS

ADD_TO_LB = "AddToLoadBalancer"


def _refuse(error: type[Exception], service: str, operation: str, member: str, rule: str) -> None:
    violation = Violation(service, operation, member, rule, source="AWS documentation")
    STRICT.record([violation])
    code, _, _ = rule.partition(":")
    raise error(code, str(violation))


def _forwarded(actions: Any) -> Iterator[str]:
    """Target group ARNs the forward actions name (moto's ``FakeAction`` or request dicts)."""
    for action in actions or []:
        data = getattr(action, "data", action)
        if data.get("Type", getattr(action, "type", None)) != "forward":
            continue
        if data.get("TargetGroupArn"):
            yield data["TargetGroupArn"]
        for target in (data.get("ForwardConfig") or {}).get("TargetGroups") or []:
            yield target["TargetGroupArn"]


def _users(backend: ELBv2Backend, target_group_arn: str) -> set[str]:
    """The load balancers whose listeners or rules forward to the target group."""
    users: set[str] = set()
    for lb_arn, balancer in backend.load_balancers.items():
        for listener in balancer.listeners.values():
            actions = list(listener.default_actions)
            for rule in listener._non_default_rules.values():
                actions += list(rule.actions)
            if target_group_arn in set(_forwarded(actions)):
                users.add(lb_arn)
    return users


def _listener_lb(backend: ELBv2Backend, listener_arn: str) -> str | None:
    for lb_arn, balancer in backend.load_balancers.items():
        if listener_arn in balancer.listeners:
            return str(lb_arn)
    return None


def _one_lb_per_target_group(
    backend: ELBv2Backend, operation: str, lb_arn: str | None, actions: Any
) -> None:
    for arn in _forwarded(actions):
        others = _users(backend, arn) - {lb_arn}
        if others:
            name = arn.split(":targetgroup/", 1)[-1].split("/", 1)[0]
            _refuse(
                ELBClientError,
                "elbv2",
                operation,
                "Actions.ForwardConfig",
                f"TargetGroupAssociationLimit: target group {name!r} already serves another load "
                "balancer (one load balancer per target group)",
            )


class StrictRules:
    """Installs the patches; ``clear`` forgets the instances kept out of target groups."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._kept_out: dict[tuple[str, str, str], set[str]] = {}
        self._originals: dict[tuple[type, str], Callable[..., Any]] = {}

    def clear(self) -> None:
        with self._lock:
            self._kept_out.clear()

    def _patch(self, owner: type, name: str, make: Callable[[Callable[..., Any]], Any]) -> None:
        original = getattr(owner, name)
        self._originals[(owner, name)] = original
        setattr(owner, name, make(original))

    def uninstall(self) -> None:
        for (owner, name), original in self._originals.items():
            setattr(owner, name, original)
        self._originals = {}

    def install(self) -> None:
        self._install_elbv2()
        self._install_autoscaling()

    # --- ELBv2 ---------------------------------------------------------------------------------

    def _install_elbv2(self) -> None:
        def create_listener(original: Callable[..., Any]) -> Any:
            def patched(
                backend: ELBv2Backend,
                load_balancer_arn: str,
                protocol: str,
                port: str,
                ssl_policy: str,
                certificate: str | None,
                actions: list[dict[str, Any]],
                *args: Any,
                **kwargs: Any,
            ) -> Any:
                if STRICT.enabled:
                    if certificate and not backend._certificate_exists(certificate):
                        _refuse(
                            ELBClientError,
                            "elbv2",
                            "CreateListener",
                            "Certificates",
                            f"CertificateNotFound: certificate {certificate} is in neither ACM "
                            "nor IAM",
                        )
                    _one_lb_per_target_group(backend, "CreateListener", load_balancer_arn, actions)
                return original(
                    backend,
                    load_balancer_arn,
                    protocol,
                    port,
                    ssl_policy,
                    certificate,
                    actions,
                    *args,
                    **kwargs,
                )

            return patched

        def modify_listener(original: Callable[..., Any]) -> Any:
            def patched(backend: ELBv2Backend, arn: str, *args: Any, **kwargs: Any) -> Any:
                actions = kwargs.get("actions", args[4] if len(args) > 4 else None)
                if STRICT.enabled and actions:
                    lb = _listener_lb(backend, arn)
                    _one_lb_per_target_group(backend, "ModifyListener", lb, actions)
                return original(backend, arn, *args, **kwargs)

            return patched

        def create_rule(original: Callable[..., Any]) -> Any:
            def patched(
                backend: ELBv2Backend,
                listener_arn: str,
                conditions: Any,
                priority: Any,
                actions: Any,
                *args: Any,
                **kwargs: Any,
            ) -> Any:
                if STRICT.enabled:
                    lb = _listener_lb(backend, listener_arn)
                    _one_lb_per_target_group(backend, "CreateRule", lb, actions)
                return original(
                    backend, listener_arn, conditions, priority, actions, *args, **kwargs
                )

            return patched

        def modify_rule(original: Callable[..., Any]) -> Any:
            def patched(backend: ELBv2Backend, rule_arn: str, conditions: Any, actions: Any) -> Any:
                if STRICT.enabled and actions:
                    listener_arn = rule_arn.replace(":listener-rule/", ":listener/").rsplit("/", 1)
                    lb = _listener_lb(backend, listener_arn[0])
                    _one_lb_per_target_group(backend, "ModifyRule", lb, actions)
                return original(backend, rule_arn, conditions, actions)

            return patched

        self._patch(ELBv2Backend, "create_listener", create_listener)
        self._patch(ELBv2Backend, "modify_listener", modify_listener)
        self._patch(ELBv2Backend, "create_rule", create_rule)
        self._patch(ELBv2Backend, "modify_rule", modify_rule)

    # --- Auto Scaling --------------------------------------------------------------------------

    def _install_autoscaling(self) -> None:
        rules = self

        def create_or_update_tags(original: Callable[..., Any]) -> Any:
            def patched(backend: AutoScalingBackend, tags: list[dict[str, str]]) -> Any:
                if STRICT.enabled:
                    by_group: dict[str, set[str]] = {}
                    for tag in tags:
                        group = backend.autoscaling_groups.get(tag["ResourceId"])
                        keys = by_group.setdefault(
                            tag["ResourceId"], {t["Key"] for t in (group.tags if group else [])}
                        )
                        keys.add(tag["Key"])
                    for name, keys in by_group.items():
                        if len(keys) > MAX_TAGS:
                            _refuse(
                                AutoscalingClientError,
                                "autoscaling",
                                "CreateOrUpdateTags",
                                "Tags",
                                f"LimitExceeded: group {name!r} would have {len(keys)} tags "
                                f"(at most {MAX_TAGS})",
                            )
                return original(backend, tags)

            return patched

        def update_attached_target_groups(original: Callable[..., Any]) -> Any:
            def patched(backend: AutoScalingBackend, group_name: str) -> None:
                if not STRICT.enabled:
                    return original(backend, group_name)  # type: ignore[no-any-return]
                rules._register_launched(backend, group_name)
                return None

            return patched

        def attach_target_groups(original: Callable[..., Any]) -> Any:
            def patched(backend: AutoScalingBackend, group_name: str, arns: list[str]) -> None:
                original(backend, group_name, arns)
                if STRICT.enabled:
                    group = backend.autoscaling_groups[group_name]
                    ids = [s.instance.id for s in group.instance_states]
                    for arn in arns:
                        tg = backend.elbv2_backend.target_groups[arn]
                        backend.elbv2_backend.register_targets(
                            arn, [{"Id": i, "Port": tg.port} for i in ids]
                        )

            return patched

        def detach_target_groups(original: Callable[..., Any]) -> Any:
            def patched(backend: AutoScalingBackend, group_name: str, arns: list[str]) -> None:
                if not STRICT.enabled:
                    return original(backend, group_name, arns)  # type: ignore[no-any-return]
                # moto deregisters every instance of the group, registered or not (and fails
                # on those that are not); AWS deregisters the group's registered instances.
                group = backend.autoscaling_groups[group_name]
                group.target_group_arns = [a for a in group.target_group_arns if a not in arns]
                ids = {s.instance.id for s in group.instance_states}
                for arn in arns:
                    tg = backend.elbv2_backend.target_groups[arn]
                    gone = [{"Id": i} for i in ids & set(tg.targets)]
                    if gone:
                        backend.elbv2_backend.deregister_targets(arn, gone)
                return None

            return patched

        self._patch(AutoScalingBackend, "create_or_update_tags", create_or_update_tags)
        self._patch(AutoScalingBackend, "detach_load_balancer_target_groups", detach_target_groups)
        self._patch(
            AutoScalingBackend, "update_attached_target_groups", update_attached_target_groups
        )
        self._patch(AutoScalingBackend, "attach_load_balancer_target_groups", attach_target_groups)

    def _register_launched(self, backend: AutoScalingBackend, group_name: str) -> None:
        """Capacity changed: register the group's instances as AWS would (see module doc)."""
        group = backend.autoscaling_groups[group_name]
        if not group.target_group_arns:
            return
        elbv2 = backend.elbv2_backend
        groups = [elbv2.target_groups[a] for a in group.target_group_arns]
        ids = {s.instance.id for s in group.instance_states}
        registered = set().union(*(set(tg.targets) for tg in groups))
        key = (backend.account_id, backend.region_name, group_name)
        suspended = ADD_TO_LB in {p["ProcessName"] for p in group.suspended_processes}
        with self._lock:
            kept_out = self._kept_out.setdefault(key, set())
            if suspended:
                kept_out |= ids - registered
                return
            wanted = ids - kept_out
        for tg in groups:
            new = wanted - set(tg.targets)
            if new:
                elbv2.register_targets(tg.arn, [{"Id": i, "Port": tg.port} for i in new])
