"""no-new-access: violated by a request allowed by NEW and not by EXISTING.

The property (`check_no_new_access`, the `check-no-new-access` command's) and the workflow's
check (`run`: the changed policy against its version at the base). Everything else —
compiling, solving, decoding, confirming each counterexample with the reference evaluator,
finding the responsible statements — is `encode.analysis.Analysis`. Before it, `encode.delta`
and `encode.slicing` drop what cannot change the answer (each direction has its own exact
rule); reasons and counterexamples still refer to the original policies."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from policy_guard.checks.access_diff import AccessDiff
from policy_guard.checks.common import (
    DEFAULT_OPTIONS,
    EngineOptions,
    allow_statements,
    analysis_for,
    decided,
    flags_for,
    reasons_for,
    statement_reference,
)
from policy_guard.checks.results import CheckResult, Flag, Outcome, Reason, Relation
from policy_guard.checks.settings import NewFiles, Settings
from policy_guard.checks.spec import Check, Rule, Severity, Stage, Target
from policy_guard.document.values import Decoded
from policy_guard.policy.guardrails import engine_policy, is_synthetic
from policy_guard.policy.model import Effect, Policy, PolicyType, Statement
from policy_guard.policy.parse import parse_policy
from policy_guard.semantics.request import Request

if TYPE_CHECKING:
    from policy_guard.encode.analysis import Verdict
    from policy_guard.encode.slicing import Slice

CHECK_ID = NO_NEW_ACCESS = "no-new-access"  # the workflow's check id and the result's

RULE = Rule(
    CHECK_ID,
    "NoNewAccess",
    "The changed policy grants access that its version at the base commit did not grant.",
    "Some request is allowed by the new version of the policy and denied by the old one. "
    "The finding names the statement responsible and a request that proves it, confirmed "
    "by the reference evaluator. Narrow the statement, or waive the finding if the new "
    "access is intended.",
    Severity.ERROR,
    security=True,
    security_severity="8.0",
)

NEW_ACCESS = "The modified permissions grant new access compared to your existing policy."
NO_NEW_ACCESS_MESSAGE = (
    "The modified permissions do not grant new access compared to your existing policy."
)
NEW_POLICY = (
    "new policy: there is no version at the base to compare with (`new_files: fail`); "
    "review it, then waive or merge it"
)


def check_no_new_access(
    existing: Policy,
    new: Policy,
    options: EngineOptions = DEFAULT_OPTIONS,
    *,
    diff: bool = False,
    new_policy: bool = False,
) -> CheckResult:
    """FAIL iff some request is allowed by `new` and not by `existing`.

    Reasons: each Allow statement of `new` that takes part in new access, with a request the
    evaluator confirms (allowed by new, not by existing, that statement matching). The
    relation says how the allowed requests compare (equivalent, narrower, wider, incomparable).
    For resource policies the principal is part of the request. An SCP, RCP or boundary is
    read as `policy.guardrails.engine_policy` says: "does the new version let through requests
    the old one blocked?" (and its access diff is the diff of those readings). With `diff`, the
    result carries the access diff (`checks.access_diff`: the actions gained and lost);
    `new_policy` says `existing` stands for no policy at all.
    """
    guardrail = new.policy_type.is_guardrail
    existing = engine_policy(existing, options.full_aws_access)
    new = engine_policy(new, options.full_aws_access)
    result = _check(existing, new, options, guardrail)
    return with_access_diff(result, existing, new, options, new_policy) if diff else result


def with_access_diff(
    result: CheckResult,
    existing: Policy,
    new: Policy,
    options: EngineOptions,
    new_policy: bool = False,
) -> CheckResult:
    """`result` (the check's answer on the pair) with the pair's access diff: none to compute
    when the two allow the same requests. An SCP, RCP or boundary is diffed as the check reads
    it (`engine_policy`, which leaves a policy it has read as it is)."""
    from policy_guard.checks.access_diff import access_diff

    if result.relation is Relation.EQUIVALENT:
        changes = AccessDiff(new_policy=new_policy)
    else:
        existing = engine_policy(existing, options.full_aws_access)
        new = engine_policy(new, options.full_aws_access)
        changes = access_diff(existing, new, options, new_policy=new_policy)
    return dataclasses.replace(result, access_diff=changes)


def _check(existing: Policy, new: Policy, options: EngineOptions, guardrail: bool) -> CheckResult:
    if existing.statements == new.statements and existing.version == new.version:
        return CheckResult(
            NO_NEW_ACCESS, Outcome.PASS, NO_NEW_ACCESS_MESSAGE, (), Relation.EQUIVALENT
        )
    from policy_guard.encode.analysis import Holds
    from policy_guard.encode.concretize import new_access_covers
    from policy_guard.encode.delta import reduced_for_gains
    from policy_guard.encode.slicing import sliced_for_new_access, sliced_for_pairs
    from policy_guard.encode.witnesses import quick_witnesses

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
                (existing, new),
            )
            narrower = narrower or narrower_too
        if narrower is None:
            narrower = _gains(narrower_slice, options, lost, (existing, new))
    relation = {
        (True, True): Relation.EQUIVALENT,
        (True, False): Relation.NARROWER,
        (False, True): Relation.WIDER,
        (False, False): Relation.INCOMPARABLE,
    }[(isinstance(wider, Holds), isinstance(narrower, Holds))]
    if isinstance(wider, Holds):
        return CheckResult(NO_NEW_ACCESS, Outcome.PASS, NO_NEW_ACCESS_MESSAGE, (), relation)
    reasons = reasons_for(new, found, _new_access_in)
    if guardrail:
        reasons = tuple(_blocked_before(existing, reason) for reason in reasons)
    return CheckResult(NO_NEW_ACCESS, Outcome.FAIL, NEW_ACCESS, reasons, relation)


def _new_access_in(statement: Statement) -> str:
    if is_synthetic(statement):  # an SCP's or RCP's implicit full access: a Deny is gone
        return (
            f"New access through the implicit `{statement.sid}`: no Deny statement of the new "
            "version blocks the request, and one of the existing version did."
        )
    return f"New access in the statement with {statement_reference(statement)}."


def _blocked_before(existing: Policy, reason: Reason) -> Reason:
    """An SCP's, RCP's or boundary's new access is often a Deny narrowed or removed: name the
    existing version's Deny statements that blocked the request."""
    from policy_guard.semantics.evaluate import evaluate

    by_index = {s.index: s for s in existing.statements if not is_synthetic(s)}
    blockers = [
        by_index[m.statement_index].label
        for m in evaluate(existing, reason.counterexample).matched_statements
        if m.effect is Effect.DENY and m.statement_index in by_index
    ]
    if not blockers:
        return reason
    which = ", ".join(blockers)
    plural = "s" if len(blockers) > 1 else ""
    return replace(
        reason,
        description=f"{reason.description} The existing version blocked it by statement{plural} "
        f"{which}.",
    )


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
    whole: tuple[Policy, Policy],
) -> tuple[Verdict, dict[int, Request], Verdict | None]:
    """The wider direction on its slice, localised (each Allow statement of NEW taking part,
    with a confirmed request; `known` ones first). With `lost`, the narrower direction too in
    the same analysis, when its slice is the mirror image (`narrower_pair`): else None."""
    from policy_guard.encode.analysis import Holds

    with analysis_for(sliced.policies, options, actions=sliced.actions, whole=whole) as analysis:
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
                allow_statements(current),
                gained,
                known=[wider.request, *known.values()],
            )
    return wider, found, narrower


def _gains(
    sliced: Slice,
    options: EngineOptions,
    gained: Callable[[Request], frozenset[int]],
    whole: tuple[Policy, Policy],
) -> Verdict:
    """Whether some request is allowed by the second policy of `sliced.policies` and not by
    the first (`gained` confirms on the original policies)."""
    with analysis_for(sliced.policies, options, actions=sliced.actions, whole=whole) as analysis:
        m = analysis.session.manager
        old, current = sliced.policies
        violation = m.And(analysis.allows(current), m.Not(analysis.allows(old)))
        return analysis.prove(violation, lambda r: bool(gained(r)))


# --- the workflow's check ----------------------------------------------------------------------


def run(target: Target, settings: Settings, options: EngineOptions) -> tuple[Flag, ...]:
    """The policy against its version at the base (`new_files` says what a policy without
    one is compared with); nothing when the run has no base (`--all`)."""
    policy = target.policy
    if policy is None or not target.compared:
        return ()
    if target.base_problem is not None:  # the base cannot be read, nor any earlier version
        return (Flag(f"`{CHECK_ID}` could not be decided: {target.base_problem}", undecided=True),)
    base, problem = _base_policy(target.base, policy)
    if problem is not None:
        return (Flag(f"`{CHECK_ID}` could not be decided: {problem}", undecided=True),)
    if base is None:
        treatment = settings.new_files
        if target.compare_with_empty:
            treatment = NewFiles.COMPARE_WITH_EMPTY  # it may be a removed policy, renamed
        if treatment is NewFiles.ACCEPT:
            return ()
        if treatment is NewFiles.FAIL:
            return decided(CHECK_ID, lambda: (_new_policy_flag(policy, options),))
        base = _empty_like(policy)
        new_policy = True
    else:
        new_policy = False
    if base == policy:
        return ()  # the same statements: nothing new, no solver needed
    summary = "newly allows"
    if target.base_note is not None:  # what it is compared with, when not its base version
        summary += f" ({target.base_note})"
    elif target.base is None and target.compare_with_empty:
        summary += " (compared with nothing: the change removes a policy file; this may be it)"
    return decided(
        CHECK_ID,
        lambda: flags_for(
            _diffed(check_no_new_access(base, policy, options), base, policy, options, new_policy),
            summary,
        ),
    )


def _diffed(
    result: CheckResult, base: Policy, policy: Policy, options: EngineOptions, new_policy: bool
) -> CheckResult:
    """A FAIL with its access diff (the findings carry it); a PASS raises no finding, so the
    workflow does not compute one for it."""
    if result.outcome is Outcome.PASS:
        return result
    return with_access_diff(result, base, policy, options, new_policy)


def _new_policy_flag(policy: Policy, options: EngineOptions) -> Flag:
    """A new policy with nothing to compare with, with what it grants (its access diff
    against no policy)."""
    from policy_guard.checks.access_diff import access_diff

    granted = access_diff(_empty_like(policy), policy, options, new_policy=True)
    return Flag(NEW_POLICY, access_diff=granted)


def _base_policy(document: Decoded | None, new: Policy) -> tuple[Policy | None, str | None]:
    """The version to compare with, read as the same type of policy (None: there is none), or
    why it cannot be (the workflow checked the base readable as its own type, not this one)."""
    if document is None:
        return None, None
    parsed = parse_policy(document, new.policy_type)
    if parsed.errors or parsed.policy is None:
        detail = parsed.errors[0].details if parsed.errors else "not a policy"
        kind = "an identity" if new.policy_type is PolicyType.IDENTITY else "a resource"
        return None, f"the base version cannot be read as {kind} policy: {detail}"
    return parsed.policy, None


def _empty_like(policy: Policy) -> Policy:
    """A policy that allows nothing, to compare a new policy with."""
    document = Decoded({"Version": policy.version, "Statement": []}, policy.filename)
    return Policy(policy.version, None, (), policy.policy_type, document)


CHECK = Check(RULE, Stage.POLICY, run, settings=("new_files",))
