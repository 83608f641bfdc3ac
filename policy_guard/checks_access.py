"""check-no-public-access and check-no-external-access: two more properties on the SMT engine.

    check_no_public_access(policy, type)        violated by: allowed by POLICY and public
    check_no_external_access(policy, trusted)   violated by: allowed by POLICY and external

"Public" and "external" are defined in `policy_guard.public_access`; here they become
constraints on the engine's symbolic request, so each answer is exact for its definition:
- public: the action in the type's service; the principal one of an account the policy does
  not name (that principal matches exactly the Principal entries anonymous matches — `*`, and
  NotPrincipal blocks — so it stands for the whole public principal set); each pinning key
  absent or with some value, and values only in regions outside its fixed values; aws:SourceIp
  only in regions outside the narrow blocks (the blocks are region boundaries of its domain).
- external: the principal not a trusted account's, and either one the policy names or one of an
  account neither named nor trusted (which stands for every principal the policy does not name);
  no caller key with a trusted value. Keys of the definition that are present have a value.
Every counterexample is a request the reference evaluator allows and that the definition, applied
to the concrete request, calls public (external). `policy_guard.checks` re-exports both;
`options` None means `EngineOptions()` (this module imports `checks` only when called, so either
module can be imported first).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policy_guard.decode import decode_text
from policy_guard.errors import InputError, UndecidedError
from policy_guard.globs import Glob
from policy_guard.model import Effect, Policy, PolicyType, PrincipalEntry, Statement
from policy_guard.operators import Family
from policy_guard.request import ANONYMOUS, Request, principal_account
from policy_guard.results import CheckResult, Outcome, Reason
from policy_guard.variables import Variable, split_variables

if TYPE_CHECKING:
    from pysmt.fnode import FNode

    from policy_guard.checks import EngineOptions
    from policy_guard.encode.analysis import Analysis
    from policy_guard.encode.vocabulary import StringSpace
    from policy_guard.public_access import ExternalAccess, PublicAccess

NO_PUBLIC_ACCESS = "no-public-access"
NO_EXTERNAL_ACCESS = "no-external-access"

PUBLIC_MESSAGE = "The resource policy grants public access for the given resource type."
NOT_PUBLIC_MESSAGE = "The resource policy does not grant public access for the given resource type."

Covers = Callable[[Request], frozenset[int]]
STRING_LIKE = (Family.STRING, Family.ARN, Family.NULL)  # what caller keys may be compared with


def _require_resource_policy(policy: Policy, command: str) -> None:
    """Like AWS, these checks take a resource policy; an identity policy is a wrong input."""
    if policy.policy_type is not PolicyType.RESOURCE:
        raise InputError(
            f"{command} takes a resource policy, and no statement of this one names a "
            "Principal or NotPrincipal (an identity policy grants nothing to other principals "
            "by itself)",
            filename=policy.filename,
        )


def _known(space: StringSpace, globs: Iterable[Glob]) -> list[Glob]:
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
class _Question:
    """One access property of `policy`: `violation` builds its formula over the symbolic
    request, `wanted` decides the same definition on a concrete request (`policy_guard.
    public_access`); the engine also compiles `probe` (patterns only) and the extra actions and
    principals, and a principal of `outsider` is shown as `shown` where that confirms."""

    policy: Policy
    violation: Callable[[Analysis], FNode]
    wanted: Callable[[Request], bool]
    outsider: str
    shown: str
    describe: Callable[[Statement], str]
    actions: tuple[str, ...] = ()
    principals: tuple[PrincipalEntry, ...] = ()
    probe: Policy | None = None


def _answer(question: _Question, options: EngineOptions | None) -> tuple[Reason, ...]:
    """No reasons when the property holds; else one confirmed request per responsible Allow
    statement (every request the evaluator allows and the definition wants)."""
    from policy_guard.checks import EngineOptions
    from policy_guard.encode.analysis import Analysis, Holds
    from policy_guard.explain import granted_covers

    chosen = options if options is not None else EngineOptions()
    policy = question.policy
    allows = [(policy, s) for s in policy.statements if s.effect is Effect.ALLOW]
    if not allows:
        return ()  # nothing is allowed: no solver needed
    covers = granted_covers(policy, question.wanted)
    with Analysis(
        [policy] if question.probe is None else [policy, question.probe],
        **chosen.analysis_options(),
        principal_in_request=True,
        extra_actions=question.actions,
        extra_principals=question.principals,
    ) as analysis:
        violation = question.violation(analysis)
        verdict = analysis.prove(violation, lambda r: bool(covers(r)))
        if isinstance(verdict, Holds):
            return ()
        found = analysis.localise(violation, allows, covers, known=[verdict.request])
    by_index = {s.index: s for s in policy.statements}
    return tuple(
        Reason(
            question.describe(by_index[i]),
            i,
            by_index[i].sid,
            _readable(request, i, covers, question.outsider, question.shown),
            by_index[i].path,
        )
        for i, request in found.items()
    )


def _readable(request: Request, index: int, covers: Covers, outsider: str, shown: str) -> Request:
    """The principal written plainly where that confirms too: the outsider's as `shown`
    (anonymous, or its root), another account's as its root (`arn:aws:iam::ID:root`)."""
    account = principal_account(request.principal) if request.principal is not None else None
    if account is None:
        return request
    plain = shown if account == outsider else f"arn:aws:iam::{account}:root"
    candidate = dataclasses.replace(request, principal=plain)
    return candidate if index in covers(candidate) else request


def _valued(analysis: Analysis, keys: tuple[str, ...]) -> FNode:
    """Each of `keys` the vocabulary has is absent or has some value (`has_empty_key`)."""
    m, request, spaces = analysis.session.manager, analysis.request, analysis.vocabulary.keys
    return m.And(
        [
            m.Implies(request.keys[key].present, analysis.key_nonempty(key))
            for key in spaces
            if key in keys
        ]
    )


# --- no public access -------------------------------------------------------------------------


def _public_violation(analysis: Analysis, policy: Policy, public: PublicAccess) -> FNode:
    from policy_guard.public_access import PINNING_KEYS, SOURCE_IP, account_entry, outside_blocks

    m = analysis.session.manager
    request, keys = analysis.request, analysis.vocabulary.keys
    parts = [
        analysis.allows(policy),
        analysis.action_in(public.action_patterns),
        analysis.principal_in([account_entry(public.outsider)]),
    ]
    parts.append(_valued(analysis, (*PINNING_KEYS, SOURCE_IP)))
    for key, globs in public.fixed.items():
        space = keys.get(key)
        if space is None or space.strings is None:
            continue  # (fixed values come from String/Arn conditions: never the case)
        # every value outside the fixed values: none inside
        parts.append(m.Not(analysis.key_some(key, _known(space.strings, globs))))
    source_ip = keys.get(SOURCE_IP)
    if source_ip is not None and source_ip.family == "ip":
        outside = frozenset(
            r
            for r, address in enumerate(source_ip.domain.parsed)
            if address is None or outside_blocks(address, public.narrow)
        )
        parts.append(request.has_only(SOURCE_IP, outside))
    return m.And(parts)


def _public_reason(statement: Statement) -> str:
    from policy_guard.checks import statement_reference

    return (
        f"Public access granted in the following statement with {statement_reference(statement)}."
    )


def check_no_public_access(
    policy: Policy, resource_type: str, options: EngineOptions | None = None
) -> CheckResult:
    """FAIL iff the resource policy, read as a `resource_type` policy, allows a public request
    (`policy_guard.public_access`).

    Reasons: each Allow statement that takes part, with a request the evaluator confirms and
    the definition calls public (principal `anonymous` where that confirms too).
    InputError: an unknown resource type, or an identity policy.
    """
    from policy_guard.public_access import account_entry, public_access

    public = public_access(policy, resource_type)
    _require_resource_policy(policy, "check-no-public-access")
    question = _Question(
        policy,
        lambda analysis: _public_violation(analysis, policy, public),
        public.is_public,
        public.outsider,
        ANONYMOUS,
        _public_reason,
        actions=public.action_patterns,
        principals=(account_entry(public.outsider),),
    )
    reasons = _answer(question, options)
    if not reasons:
        return CheckResult(NO_PUBLIC_ACCESS, Outcome.PASS, NOT_PUBLIC_MESSAGE)
    return CheckResult(NO_PUBLIC_ACCESS, Outcome.FAIL, PUBLIC_MESSAGE, reasons)


# --- no external access -----------------------------------------------------------------------


def _keys_used(policy: Policy) -> set[str]:
    """Condition keys the policy compares, and keys its policy variables read (lower case)."""
    keys = {c.key_lower for s in policy.statements for c in s.conditions}
    if policy.variables_enabled:
        texts = [v.text for s in policy.statements for v in s.resources or s.not_resources or ()]
        texts += [v.text for s in policy.statements for c in s.conditions for v in c.values]
        for text in texts:
            keys.update(p.key_lower for p in split_variables(text) if isinstance(p, Variable))
    return keys


def _vocabulary_probe(policy: Policy, vouching: Mapping[str, list[str]]) -> Policy | None:
    """The trusted values of the caller keys the policy uses, as a policy the engine compiles
    (so they become region boundaries) but is never asked about. None: no such key."""
    from policy_guard.parse import load_policy
    from policy_guard.public_access import ARN_KEYS

    used = _keys_used(policy)
    for statement in policy.statements:
        for condition in statement.conditions:
            spec = condition.operator.spec
            named = any(condition.key_lower == k.lower() for k in vouching)
            if named and spec is not None and spec.family not in STRING_LIKE:
                raise UndecidedError(
                    f"{policy.filename}:{policy.span_of(condition.path).line}: the caller key "
                    f"`{condition.key}` is compared with `{condition.operator.text}`; "
                    "policy-guard decides external access only for String/Arn/Null conditions "
                    "on it"
                )
    blocks: dict[str, dict[str, list[str]]] = {}
    for key, values in vouching.items():
        if key.lower() in used:
            operator = "ArnLike" if key in ARN_KEYS else "StringEquals"
            blocks.setdefault(operator, {})[key] = values
    if not blocks:
        return None
    probe = {"Effect": "Deny", "Action": "*", "Condition": blocks}
    document = json.dumps({"Version": "2012-10-17", "Statement": [probe]})
    return load_policy(decode_text(document, "<trusted values>"), PolicyType.RESOURCE)


def _external_violation(analysis: Analysis, policy: Policy, external: ExternalAccess) -> FNode:
    from policy_guard.public_access import account_entry, principal_entries

    m = analysis.session.manager
    keys = analysis.vocabulary.keys
    named = [e for e in principal_entries(policy) if not e.is_everyone]
    parts = [
        analysis.allows(policy),
        analysis.principal_in([*named, account_entry(external.outsider)]),
        m.Not(analysis.principal_in([account_entry(a) for a in external.trusted])),
    ]
    for key, globs in external.vouching.items():
        space = keys.get(key)
        if space is None:
            continue  # the policy does not read the key: no request needs to carry it
        if space.strings is None:
            raise UndecidedError(
                f"the caller key `{space.name}` is not compared as a string; "
                "policy-guard cannot decide external access exactly"
            )
        parts.append(m.Not(analysis.key_some(key, _known(space.strings, globs))))
    parts.append(_valued(analysis, tuple(external.vouching)))
    return m.And(parts)


def _zone(external: ExternalAccess) -> str:
    if external.trusted and external.organization:
        return "the trusted accounts and organization"
    return "the trusted accounts" if external.trusted else "the trusted organization"


def _external_reason(statement: Statement) -> str:
    from policy_guard.checks import statement_reference

    reference = statement_reference(statement)
    return f"External access granted in the following statement with {reference}."


def check_no_external_access(
    policy: Policy,
    trusted_accounts: Sequence[str],
    trusted_organization: str | None = None,
    options: EngineOptions | None = None,
) -> CheckResult:
    """FAIL iff the resource policy allows a request from outside the trusted accounts and
    organization (`policy_guard.public_access`, "External").

    Reasons: each Allow statement that takes part, with a confirmed request (a principal the
    policy does not name is shown as `arn:aws:iam::ACCOUNT:root` of an untrusted account).
    InputError: malformed or no trusted ids, or an identity policy.
    """
    from policy_guard.public_access import (
        account_entry,
        check_trusted,
        external_access,
        vouching_values,
    )

    trusted = check_trusted(trusted_accounts, trusted_organization)
    _require_resource_policy(policy, "check-no-external-access")
    external = external_access(policy, trusted, trusted_organization)
    question = _Question(
        policy,
        lambda analysis: _external_violation(analysis, policy, external),
        external.is_external,
        external.outsider,
        f"arn:aws:iam::{external.outsider}:root",
        _external_reason,
        principals=tuple(account_entry(a) for a in (*trusted, external.outsider)),
        probe=_vocabulary_probe(policy, vouching_values(trusted, trusted_organization)),
    )
    reasons = _answer(question, options)
    zone = _zone(external)
    if not reasons:
        message = f"The resource policy does not grant access to any principal outside {zone}."
        return CheckResult(NO_EXTERNAL_ACCESS, Outcome.PASS, message)
    message = f"The resource policy grants access to a principal outside {zone}."
    return CheckResult(NO_EXTERNAL_ACCESS, Outcome.FAIL, message, reasons)
