"""What every check shares: engine options, the access a check asks about, AWS's way of naming a
statement, reasons built from confirmed requests, and the analysis every property runs on."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policy_guard.checks.results import CheckResult, Flag, Outcome, Reason
from policy_guard.document.values import Path
from policy_guard.errors import InputError, PolicyGuardError, UndecidedError
from policy_guard.policy.arns import ANONYMOUS, principal_account, root_arn
from policy_guard.policy.globs import Glob
from policy_guard.policy.model import Effect, Policy, PolicyType, PrincipalEntry, Statement
from policy_guard.policy.operators import Family
from policy_guard.semantics.principal_facts import with_facts
from policy_guard.semantics.request import Request

if TYPE_CHECKING:
    from pysmt.fnode import FNode

    from policy_guard.encode.analysis import Analysis
    from policy_guard.encode.vocabulary import StringSpace


@dataclass(frozen=True)
class EngineOptions:
    """`solver`: z3 or cvc5; `timeout`: seconds for the whole check (None: no limit);
    `max_partition_states`: the exact partition's automaton budget per string variable, past
    which the variable gets the lazy domain (None: the engine's default; 0: always lazy, which
    tests use to run every check on the lazy domain); `full_aws_access`: an SCP or RCP is
    deployed beside the implicit FullAWSAccess / RCPFullAWSAccess (`policy.guardrails`)."""

    solver: str = "z3"
    timeout: float | None = None
    max_partition_states: int | None = None
    full_aws_access: bool = True

    def analysis_options(self) -> dict[str, Any]:
        """The keyword arguments of `encode.analysis.Analysis` these options set."""
        chosen: dict[str, Any] = {"solver": self.solver, "timeout": self.timeout}
        if self.max_partition_states is not None:
            chosen["max_partition_states"] = self.max_partition_states
        return chosen


DEFAULT_OPTIONS = EngineOptions()


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


def reasons_for(
    policy: Policy, found: dict[int, Request], describe: Callable[[Statement], str]
) -> tuple[Reason, ...]:
    by_index = {s.index: s for s in policy.statements}
    return tuple(
        Reason(
            describe(by_index[i]),
            i,
            by_index[i].sid,
            request,
            by_index[i].path,
            element_paths(policy, by_index[i], request),
        )
        for i, request in found.items()
    )


def element_paths(policy: Policy, statement: Statement, request: Request) -> tuple[Path, ...]:
    """The statement's entries that match `request` (`evaluate.matching_elements`), in
    document order: where a finding about that request points."""
    from policy_guard.semantics.evaluate import matching_elements

    found = matching_elements(policy, statement, request)
    return tuple(sorted(found, key=lambda path: _position(policy, path)))


def _position(policy: Policy, path: Path) -> tuple[int, int]:
    span = policy.span_of(path)
    return span.line, span.column


def analysis_for(
    policies: Sequence[Policy],
    options: EngineOptions,
    access: Access = Access(),
    actions: StringSpace | None = None,
    whole: Sequence[Policy] = (),
) -> Analysis:
    """Resource policies decide for a principal, which is then part of the request. `actions`:
    the action space query slicing built, reused under the default partition budget. `whole`:
    the policies before slicing, whose condition keys a candidate request writes from its
    principal where its facts decide them (the evaluator checks the whole policies)."""
    from policy_guard.encode.analysis import Analysis
    from policy_guard.encode.model_readings import policy_keys

    _within_engine_size(policies)
    principal = any(p.policy_type is PolicyType.RESOURCE for p in policies)
    reuse = actions if options.max_partition_states is None else None
    return Analysis(
        policies,
        **options.analysis_options(),
        principal_in_request=principal,
        extra_actions=access.actions,
        extra_resources=access.resources,
        action_space=reuse,
        fact_keys=policy_keys(whole),
    )


ENGINE_ENTRIES_LIMIT = 20_000
"""Action and Resource entries the engine takes in one question, checked before anything is
built: AWS's largest policy (a KMS key policy, 32 KB) holds about a thousand, and a policy of
80,000 ARNs took the engine past its budget and 1.6 GB."""


def _within_engine_size(policies: Sequence[Policy]) -> None:
    entries = sum(
        len(s.actions or s.not_actions or ()) + len(s.resources or s.not_resources or ())
        for p in policies
        for s in p.statements
    )
    if entries > ENGINE_ENTRIES_LIMIT:
        raise UndecidedError(
            f"the policies hold {entries:,} Action and Resource entries, more than the "
            f"{ENGINE_ENTRIES_LIMIT:,} the engine takes (bounded memory; AWS accepts no policy "
            "of this size)"
        )


def allow_statements(policy: Policy) -> list[tuple[Policy, Statement]]:
    return [(policy, s) for s in policy.statements if s.effect is Effect.ALLOW]


Covers = Callable[[Request], frozenset[int]]
STRING_LIKE = (Family.STRING, Family.ARN, Family.NULL)  # what caller keys may be compared with


def require_resource_policy(policy: Policy, command: str) -> None:
    """Like AWS, these checks take a resource policy; an identity policy is a wrong input."""
    if policy.policy_type is not PolicyType.RESOURCE:
        raise InputError(
            f"{command} takes a resource policy, and no statement of this one names a "
            "Principal or NotPrincipal (an identity policy grants nothing to other principals "
            "by itself)",
            filename=policy.filename,
        )


def known_globs(space: StringSpace, globs: Iterable[Glob]) -> list[Glob]:
    """`globs`, each of which the engine compiled for the key (else undecided)."""
    chosen = list(globs)
    try:
        space.positions(chosen)
    except KeyError:
        raise UndecidedError(
            "a pattern of the check is missing from the engine's vocabulary; "
            "policy-guard cannot decide this query exactly"
        ) from None
    return chosen


@dataclass(frozen=True)
class Question:
    """One access property of `policy`: `violation` builds its formula over the symbolic
    request, `wanted` decides the same definition on a concrete request (`policy_guard.
    semantics.exposure`); the engine also compiles the extra actions, principals and condition
    `values` (by key) the property compares the request with, and a principal of `outsider`
    is shown as `shown` where that confirms."""

    policy: Policy
    violation: Callable[[Analysis], FNode]
    wanted: Callable[[Request], bool]
    outsider: str
    shown: str
    describe: Callable[[Statement], str]
    actions: tuple[str, ...] = ()
    principals: tuple[PrincipalEntry, ...] = ()
    values: Mapping[str, tuple[Glob, ...]] = dataclasses.field(default_factory=dict)
    dress: Callable[[Request], Iterable[Request]] | None = None
    """Plainer versions of a confirmed request to show instead, first that confirms too (the
    outsider in an identity provider's terms: `checks.federated.outsider_requests`)."""


def answer(question: Question, options: EngineOptions | None) -> tuple[Reason, ...]:
    """No reasons when the property holds; else one confirmed request per responsible Allow
    statement (every request the evaluator allows and the definition wants)."""
    from policy_guard.checks.common import EngineOptions
    from policy_guard.encode.analysis import Analysis, Holds
    from policy_guard.encode.concretize import granted_covers

    chosen = options if options is not None else EngineOptions()
    policy = question.policy
    allows = [(policy, s) for s in policy.statements if s.effect is Effect.ALLOW]
    if not allows:
        return ()  # nothing is allowed: no solver needed
    covers = granted_covers(policy, question.wanted)
    with Analysis(
        [policy],
        **chosen.analysis_options(),
        principal_in_request=True,
        extra_actions=question.actions,
        extra_principals=question.principals,
        extra_condition_values=question.values,
    ) as analysis:
        violation = question.violation(analysis)
        verdict = analysis.prove(violation, lambda r: bool(covers(r)))
        if isinstance(verdict, Holds):
            return ()
        found = analysis.localise(violation, allows, covers, known=[verdict.request])
    by_index = {s.index: s for s in policy.statements}
    readable = {
        i: _dressed(
            _readable(r, i, covers, question.outsider, question.shown), i, covers, question.dress
        )
        for i, r in found.items()
    }
    return tuple(
        Reason(
            question.describe(by_index[i]),
            i,
            by_index[i].sid,
            request,
            by_index[i].path,
            element_paths(policy, by_index[i], request),
        )
        for i, request in readable.items()
    )


def _readable(request: Request, index: int, covers: Covers, outsider: str, shown: str) -> Request:
    """The principal written plainly where that confirms too: the outsider's as `shown`
    (anonymous, or its root), another account's as its root (`arn:aws:iam::ID:root`)."""
    account = principal_account(request.principal) if request.principal is not None else None
    if account is None:
        if request.principal != ANONYMOUS or shown == ANONYMOUS:
            return request
        plain = shown  # an anonymous caller stands for the outsider too: shown as it is shown
    else:
        plain = shown if account == outsider else root_arn(account)
    candidate = with_facts(dataclasses.replace(request, principal=plain), request.context)
    return candidate if index in covers(candidate) else request


def _dressed(
    request: Request,
    index: int,
    covers: Covers,
    dress: Callable[[Request], Iterable[Request]] | None,
) -> Request:
    for candidate in dress(request) if dress is not None else ():
        if index in covers(candidate):
            return candidate
    return request


def valued(analysis: Analysis, keys: tuple[str, ...]) -> FNode:
    """Each of `keys` the vocabulary has is absent or has some value (`has_empty_key`)."""
    m, request, spaces = analysis.session.manager, analysis.request, analysis.vocabulary.keys
    return m.And(
        [
            m.Implies(request.keys[key].present, analysis.key_nonempty(key))
            for key in spaces
            if key in keys
        ]
    )


# --- what a check's workflow adapter returns ---------------------------------------------------


def flags_for(result: CheckResult, lead: str) -> tuple[Flag, ...]:
    """A FAIL as flags: one per reason (`lead`, then the counterexample), at the statement
    with the entries that match the counterexample; a FAIL without reasons as one flag at the
    policy. A PASS flags nothing."""
    if result.outcome is Outcome.PASS:
        return ()
    if not result.reasons:
        return (Flag(result.message, aws_message=result.message, access_diff=result.access_diff),)
    return tuple(
        Flag(
            f"{lead} {_request_text(reason.counterexample)}",
            reason.path,
            reason.statement_index,
            reason.statement_id,
            reason.counterexample,
            f"{result.message} {reason.description}".strip(),
            elements=reason.elements,
            access_diff=result.access_diff,
        )
        for reason in result.reasons
    )


def _request_text(request: Request) -> str:
    text = f"action `{request.action}` on `{request.resource}`"
    return f"{text} for `{request.principal}`" if request.principal else text


def decided(check_id: str, body: Callable[[], tuple[Flag, ...]]) -> tuple[Flag, ...]:
    """What `body` flags; when the engine cannot answer (timeout, unsupported construct, an
    unconfirmed counterexample), one undecided flag saying why, so the other checks still run."""
    try:
        return body()
    except PolicyGuardError as error:
        return (Flag(f"`{check_id}` could not be decided: {error}", undecided=True),)
