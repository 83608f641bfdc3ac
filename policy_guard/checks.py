"""The checks: one property each, stated once as "violated iff this formula is satisfiable".

    check_no_new_access(existing, new)    violated by: allowed by NEW and not by EXISTING
    check_access_not_granted(policy, A)   violated by: allowed by POLICY and within A

Everything else — compiling, solving, decoding, confirming each counterexample with the
reference evaluator, finding the responsible statements — is `encode.analysis.Analysis`,
shared with every other check built on it. Before it, `encode.slicing` drops the statements
that cannot change the answer (each direction of no-new-access, and access-not-granted, has
its own exact rule); reasons and counterexamples still refer to the original policies.
Results use IAM Access Analyzer's wording. The engine (and pySMT) is imported only when a
question really needs solving.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policy_guard.errors import InputError
from policy_guard.globs import Kind, compile_pattern
from policy_guard.model import Effect, Policy, PolicyType, Statement
from policy_guard.request import Request
from policy_guard.results import CheckResult, Outcome, Reason, Relation

if TYPE_CHECKING:
    from policy_guard.encode.analysis import Analysis, Verdict
    from policy_guard.encode.slicing import Slice
    from policy_guard.encode.vocabulary import StringSpace

NO_NEW_ACCESS = "no-new-access"
ACCESS_NOT_GRANTED = "access-not-granted"

NEW_ACCESS = "The modified permissions grant new access compared to your existing policy."
NO_NEW_ACCESS_MESSAGE = (
    "The modified permissions do not grant new access compared to your existing policy."
)


@dataclass(frozen=True)
class EngineOptions:
    """`solver`: z3 or cvc5; `timeout`: seconds for the whole check (None: no limit);
    `max_partition_states`: the exact partition's automaton budget per string variable, past
    which the variable gets the lazy domain (None: the engine's default; 0: always lazy, which
    tests use to run every check on the lazy domain)."""

    solver: str = "z3"
    timeout: float | None = None
    max_partition_states: int | None = None

    def analysis_options(self) -> dict[str, Any]:
        """The keyword arguments of `encode.analysis.Analysis` these options set."""
        chosen: dict[str, Any] = {"solver": self.solver, "timeout": self.timeout}
        if self.max_partition_states is not None:
            chosen["max_partition_states"] = self.max_partition_states
        return chosen


@dataclass(frozen=True)
class Access:
    """What must not be granted: actions (IAM patterns), resources (ARN patterns), or both."""

    actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()

    @property
    def listed(self) -> str:
        """How AWS names the list in its messages."""
        if self.actions and self.resources:
            return "actions or resources"
        return "actions" if self.actions else "resources"


def statement_reference(statement: Statement) -> str:
    """AWS's way of naming a statement: `sid: X` when it has one, else `index: N`."""
    if statement.sid:
        return f"sid: {statement.sid}"
    return f"index: {statement.index}"


def _reasons(
    policy: Policy, found: dict[int, Request], describe: Callable[[Statement], str]
) -> tuple[Reason, ...]:
    by_index = {s.index: s for s in policy.statements}
    return tuple(
        Reason(describe(by_index[i]), i, by_index[i].sid, request, by_index[i].path)
        for i, request in found.items()
    )


def _analysis(
    policies: Sequence[Policy],
    options: EngineOptions,
    access: Access = Access(),
    actions: StringSpace | None = None,
) -> Analysis:
    """Resource policies decide for a principal, which is then part of the request. `actions`:
    the action space query slicing built, reused under the default partition budget."""
    from policy_guard.encode.analysis import Analysis

    principal = any(p.policy_type is PolicyType.RESOURCE for p in policies)
    reuse = actions if options.max_partition_states is None else None
    return Analysis(
        policies,
        **options.analysis_options(),
        principal_in_request=principal,
        extra_actions=access.actions,
        extra_resources=access.resources,
        action_space=reuse,
    )


def _allow_statements(policy: Policy) -> list[tuple[Policy, Statement]]:
    return [(policy, s) for s in policy.statements if s.effect is Effect.ALLOW]


def check_no_new_access(
    existing: Policy, new: Policy, options: EngineOptions = EngineOptions()
) -> CheckResult:
    """FAIL iff some request is allowed by `new` and not by `existing`.

    Reasons: each Allow statement of `new` that takes part in new access, with a request the
    evaluator confirms (allowed by new, not by existing, that statement matching). The
    relation says how the allowed requests compare (equivalent, narrower, wider, incomparable).
    For resource policies the principal is part of the request.
    """
    if existing.statements == new.statements and existing.version == new.version:
        return CheckResult(
            NO_NEW_ACCESS, Outcome.PASS, NO_NEW_ACCESS_MESSAGE, (), Relation.EQUIVALENT
        )
    from policy_guard.encode.analysis import Holds
    from policy_guard.encode.delta import reduced_for_gains
    from policy_guard.encode.slicing import sliced_for_new_access, sliced_for_pairs
    from policy_guard.explain import new_access_covers
    from policy_guard.witnesses import quick_witnesses

    wider_pair = reduced_for_gains(existing, new)
    narrower_pair = reduced_for_gains(new, existing)
    gained, lost = new_access_covers(existing, new), new_access_covers(new, existing)
    # Each direction may be settled before any partition or solver: a reduced policy with no
    # Allow left gains nothing; confirmed requests found without solving (`witnesses`) settle
    # the wider direction when every Allow statement left has one, the narrower one by any.
    wider, found = _settled(wider_pair[1], quick_witnesses(wider_pair[1], gained), every=True)
    narrower, _ = _settled(narrower_pair[1], quick_witnesses(narrower_pair[1], lost), every=False)
    if wider is None or narrower is None:
        if wider_pair == (existing, new) and narrower_pair == (new, existing):
            wider_slice, narrower_slice = sliced_for_new_access(existing, new)
        else:  # each direction on what it adds (encode.delta), then sliced
            wider_slice, narrower_slice = sliced_for_pairs(wider_pair, narrower_pair)
        if wider is None:
            wider, found, narrower_too = _wider(
                wider_slice,
                options,
                gained,
                lost if narrower is None else None,
                narrower_slice.policies[::-1],
                found,
            )
            narrower = narrower or narrower_too
        if narrower is None:
            narrower = _gains(narrower_slice, options, lost)
    relation = {
        (True, True): Relation.EQUIVALENT,
        (True, False): Relation.NARROWER,
        (False, True): Relation.WIDER,
        (False, False): Relation.INCOMPARABLE,
    }[(isinstance(wider, Holds), isinstance(narrower, Holds))]
    if isinstance(wider, Holds):
        return CheckResult(NO_NEW_ACCESS, Outcome.PASS, NO_NEW_ACCESS_MESSAGE, (), relation)
    reasons = _reasons(
        new, found, lambda s: f"New access in the statement with {statement_reference(s)}."
    )
    return CheckResult(NO_NEW_ACCESS, Outcome.FAIL, NEW_ACCESS, reasons, relation)


def _settled(
    policy: Policy, witnesses: dict[int, Request], *, every: bool
) -> tuple[Verdict | None, dict[int, Request]]:
    """A direction decided without solving: Holds when `policy` (a reduced candidate) has no
    Allow statement left; Violated when `witnesses` has a request for every Allow statement
    (`every`) or for any; else None (the solver decides). With the witnesses found."""
    from policy_guard.encode.analysis import Holds, Violated

    allows = [s.index for s in policy.statements if s.effect is Effect.ALLOW]
    if not allows:
        return Holds(), {}
    if witnesses and (not every or all(i in witnesses for i in allows)):
        return Violated(next(iter(witnesses.values()))), witnesses
    return None, witnesses


def _wider(
    sliced: Slice,
    options: EngineOptions,
    gained: Callable[[Request], frozenset[int]],
    lost: Callable[[Request], frozenset[int]] | None,
    narrower_pair: tuple[Policy, ...],
    known: Mapping[int, Request],
) -> tuple[Verdict, dict[int, Request], Verdict | None]:
    """The wider direction on its slice, localised (each Allow statement of NEW taking part,
    with a confirmed request; `known` ones first). With `lost`, the narrower direction too in
    the same analysis, when its slice is the mirror image (`narrower_pair`): else None."""
    from policy_guard.encode.analysis import Holds

    with _analysis(sliced.policies, options, actions=sliced.actions) as analysis:
        m = analysis.session.manager
        old, current = sliced.policies
        before, after = analysis.allows(old), analysis.allows(current)
        wider = analysis.prove(m.And(after, m.Not(before)), lambda r: bool(gained(r)))
        narrower: Verdict | None = None
        if lost is not None and sliced.policies == narrower_pair:
            narrower = analysis.prove(m.And(before, m.Not(after)), lambda r: bool(lost(r)))
        found: dict[int, Request] = {}
        if not isinstance(wider, Holds):
            found = analysis.localise(
                m.And(after, m.Not(before)),
                _allow_statements(current),
                gained,
                known=[wider.request, *known.values()],
            )
    return wider, found, narrower


def _gains(
    sliced: Slice, options: EngineOptions, gained: Callable[[Request], frozenset[int]]
) -> Verdict:
    """Whether some request is allowed by the second policy of `sliced.policies` and not by
    the first (`gained` confirms on the original policies)."""
    with _analysis(sliced.policies, options, actions=sliced.actions) as analysis:
        m = analysis.session.manager
        old, current = sliced.policies
        violation = m.And(analysis.allows(current), m.Not(analysis.allows(old)))
        return analysis.prove(violation, lambda r: bool(gained(r)))


def _access_predicate(access: Access) -> Callable[[Request], bool]:
    """The listed access, decided on a concrete request (the evaluator's side of the check)."""
    actions = [compile_pattern(a, Kind.ACTION) for a in access.actions]
    resources = [compile_pattern(r, Kind.RESOURCE) for r in access.resources]

    def wanted(request: Request) -> bool:
        return (not actions or any(g.matches(request.action) for g in actions)) and (
            not resources or any(g.matches(request.resource) for g in resources)
        )

    return wanted


def check_access_not_granted(
    policy: Policy, access: Access, options: EngineOptions = EngineOptions()
) -> CheckResult:
    """FAIL iff the policy allows a listed action (on any resource), any action on a listed
    resource, or — both listed — a listed action on a listed resource.

    Reasons: each Allow statement that grants some of it, with a confirmed request.
    """
    if not access.actions and not access.resources:
        raise InputError("the access to check must list `actions`, `resources` or both")
    from policy_guard.encode.analysis import Holds
    from policy_guard.encode.slicing import sliced_for_access
    from policy_guard.explain import granted_covers

    granted = (
        f"The policy document grants access to perform one or more of the listed {access.listed}."
    )
    not_granted = (
        "The policy document does not grant access to perform one or more of the listed "
        f"{access.listed}."
    )
    covers = granted_covers(policy, _access_predicate(access))
    sliced = sliced_for_access(policy, access.actions, access.resources)
    (kept,) = sliced.policies
    if not any(s.effect is Effect.ALLOW for s in kept.statements):
        return CheckResult(ACCESS_NOT_GRANTED, Outcome.PASS, not_granted)  # nothing can grant
    with _analysis([kept], options, access, sliced.actions) as analysis:
        m = analysis.session.manager
        within = m.And(
            analysis.action_in(access.actions) if access.actions else m.TRUE(),
            analysis.resource_in(access.resources) if access.resources else m.TRUE(),
        )
        violation = m.And(analysis.allows(kept), within)
        verdict = analysis.prove(violation, lambda r: bool(covers(r)))
        if isinstance(verdict, Holds):
            return CheckResult(ACCESS_NOT_GRANTED, Outcome.PASS, not_granted)
        found = analysis.localise(
            violation, _allow_statements(kept), covers, known=[verdict.request]
        )
    reasons = _reasons(
        policy,
        found,
        lambda s: (
            f"One or more of the listed {access.listed} in the statement with "
            f"{statement_reference(s)}."
        ),
    )
    return CheckResult(ACCESS_NOT_GRANTED, Outcome.FAIL, granted, reasons)


from policy_guard.checks_access import check_no_external_access, check_no_public_access  # noqa: E402, F401
