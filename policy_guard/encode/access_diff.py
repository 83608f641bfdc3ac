"""The access diff, engine side: which actions a policy gains over another, decided exactly.

"`a` is gained" means: some request with action `a` (under some reading) that AWS can make is
allowed by NEW and not by EXISTING. `gained_actions` answers it for every catalogued action at
once, and says whether actions outside the catalogue are gained too, without asking the solver
once per action.

Why whole groups of actions can be decided by one query. The pair is first reduced and sliced
exactly as the check does (`encode.delta`: the set of requests allowed by NEW and not by
EXISTING is unchanged by its rules; `encode.slicing`: likewise, proofs there). The action then
enters the question only through
1. which statements' Action/NotAction elements match it: its *signature* S, read off the exact
   partition of the pair's action patterns (a region of that partition has one signature), and
2. the resource shapes of the action (`policy.arn_formats`: the resource of a request for a
   catalogued action is an ARN of one of its resource types), which the evaluator's
   `semantics.possible` and the encoder's `real_requests` axioms both apply.
Nothing else in the reference evaluator or the encoder reads the action (conditions, principals
and policy variables do not). So two actions with the same signature and the same shapes are
interchangeable: replacing one by the other in a request changes neither the evaluator's answer
nor whether AWS can make it. And when every statement of S (in both policies) has `Resource:
"*"`, the resource takes no part in S's answer at all, so shapes do not matter either: any
resource an action can take may replace the one of a confirmed request (`example_resource`).

The groups are then: per signature S that some NEW Allow takes part in, either one group (S's
statements all on `Resource: "*"`), or one group per shape set of S's catalogued actions plus a
*free* group (actions without shapes, and every string outside the catalogue, whose resource is
unconstrained). Members of a group being interchangeable, a group is gained exactly when its
*representative* (any member) is. A group whose statements are all plain (no Condition, no
Principal, `Resource: "*"`) is decided without the solver: each policy then allows all of the
group's requests or none. The others are decided in one incremental analysis over the
statements of their signatures (no other statement matches their actions) with each
representative as an action pattern of its own (its shapes become axioms, `real_requests`), by
an all-SAT loop: "gained, with the representative of a group not found yet" until
unsatisfiable. Each model found (a request the evaluator confirms, as every counterexample)
settles its group, so the solver is asked once per gained group plus once; an undecided query
leaves the rest undecided (said, never dropped).

Per action, the group's confirmed request stands for all its members by the interchangeability
above; `backing_request` writes that request with the member's action (and a resource of its
own where S ignores resources), and tests replay those through the evaluator.

Outside the catalogue: a non-literal region of the partition holds infinitely many strings,
hence strings no catalogue lists (`s3:Future*`, the rest of a NotAction); a literal region
names one action, which may be uncatalogued (a misspelling, a retired or new action). A gained
group with such strings reports one of them (`Gained.outside`), confirmed by the evaluator.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from policy_guard.encode.analysis import Analysis, Holds
from policy_guard.encode.concretize import new_access_covers
from policy_guard.encode.delta import reduced_for_gains
from policy_guard.encode.model_readings import policy_keys
from policy_guard.encode.readable import example_resource
from policy_guard.encode.slicing import ActionSets, slice_new_access
from policy_guard.encode.vocabulary import StringSpace, check_conditions
from policy_guard.errors import PolicyGuardError, UndecidedError
from policy_guard.policy import catalogue
from policy_guard.policy.arn_formats import resource_fits, resource_shapes
from policy_guard.policy.globs import Glob, Wild
from policy_guard.policy.model import Effect, Policy, PolicyType, Statement
from policy_guard.semantics.request import Request

Signature = frozenset[tuple[int, int]]
"""The statements (policy number: 0 EXISTING, 1 NEW; statement index) whose Action/NotAction
element matches an action."""
Shapes = tuple[Glob, ...] | None
"""A catalogued action's resource shapes (None: any resource)."""


@dataclass(frozen=True)
class Gained:
    """One group of actions that are all gained: the catalogued ones (canonical names, sorted),
    a request the evaluator confirmed (allowed by NEW, not by EXISTING, one AWS can make), the
    NEW Allow statements that allow it, and an action outside the catalogue that is gained as
    well (with its confirmed request), if the group holds such strings."""

    actions: tuple[str, ...]
    request: Request
    statements: tuple[int, ...]
    outside: Request | None = None
    resource_free: bool = False
    """Every statement deciding the group has `Resource: "*"`: a member's request may take any
    resource the member can take (`backing_request`)."""


@dataclass(frozen=True)
class Gains:
    """What NEW gains over EXISTING, group by group; `undecided`: why the list may be
    incomplete (the groups listed are decided and confirmed all the same)."""

    groups: tuple[Gained, ...] = ()
    undecided: str | None = None


def backing_request(group: Gained, action: str) -> Request:
    """The request that shows `action` (a member of `group`) gained: the group's confirmed one
    with `action`, on a resource `action` can take when the group ignores resources (members
    share shapes otherwise, so the resource already fits)."""
    request = group.request
    resource = request.resource
    if group.resource_free and not resource_fits(action, resource):
        resource = fitting_resource(action)
    return dataclasses.replace(request, action=action, resource=resource)


_HEAD_EXAMPLES = {1: "", 3: "us-east-1", 4: "123456789012"}
"""What a wildcard of a shape's partition (after its `aws`), region and account segment is
filled with; any other wildcard is `example`."""


def fitting_resource(action: str) -> str:
    """A resource `action` can be requested on: one of its shapes filled with example values
    (`*` when it takes no resource type)."""
    shapes = resource_shapes(action)
    for shape in shapes or ():
        segment, text = 0, []
        for token in shape.tokens:
            if isinstance(token, Wild):
                text.append(_HEAD_EXAMPLES.get(segment, "example"))
            else:
                segment += token == ":"
                text.append(token)
        candidate = "".join(text)
        if resource_fits(action, candidate):
            return candidate
    return example_resource(action, "*")


def gained_actions(
    existing: Policy, new: Policy, analysis_options: Mapping[str, Any] | None = None
) -> Gains:
    """The actions `new` gains over `existing` (module docstring). `analysis_options`: keyword
    arguments of `Analysis` (solver, timeout, partition budget)."""
    found: list[Gained] = []
    try:
        _gains(existing, new, dict(analysis_options or {}), found)
    except PolicyGuardError as error:
        return Gains(tuple(found), str(error))
    return Gains(tuple(sorted(found, key=lambda g: g.actions or (g.request.action,))))


@dataclass(frozen=True)
class _Group:
    signature: Signature
    shapes: Shapes | bool  # a shape tuple; None: the free group; True: S ignores resources
    actions: tuple[str, ...]
    outside: str | None  # a string of the group outside the catalogue

    @property
    def representative(self) -> str:
        """The action that stands for the group (module docstring): its first catalogued one,
        else its string outside the catalogue."""
        chosen = self.actions[0] if self.actions else self.outside
        assert chosen is not None  # a group has an action or a string outside the catalogue
        return chosen


def _gains(existing: Policy, new: Policy, options: dict[str, Any], found: list[Gained]) -> None:
    old, current = reduced_for_gains(existing, new)
    if not any(s.effect is Effect.ALLOW for s in current.statements):
        return
    check_conditions([old, current])
    sets = ActionSets([old, current])
    if sets.space.lazy:
        raise UndecidedError("the action patterns cut too many classes to list the actions exactly")
    old, current = slice_new_access(old, current, sets).policies
    pair = (old, current)
    space = sets.space
    statements = [(n, s) for n, policy in enumerate(pair) for s in policy.statements]
    signatures = _region_signatures(space, statements, sets)
    wanted = {sig for sig in set(signatures) if any(n == 1 and _allows(current, i) for n, i in sig)}
    if not wanted:
        return
    free = {sig: _resource_free(pair, sig) for sig in wanted}
    groups = _groups(space, signatures, wanted, free, _candidates(current, space))
    covers = new_access_covers(existing, new)
    groups = [g for g in groups if not _settled_directly(pair, g, covers, found)]
    if groups:
        _all_sat(pair, groups, covers, options, found)


def _settled_directly(
    pair: tuple[Policy, Policy],
    group: _Group,
    covers: Callable[[Request], frozenset[int]],
    found: list[Gained],
) -> bool:
    """Decide a group without the solver when every statement of its signature is plain (no
    Condition, no Principal, `Resource: "*"`): such a statement matches every request whose
    action it matches, so each policy allows all of the group's requests or none, and the group
    is gained exactly when NEW allows them and EXISTING does not. A gained group is confirmed
    with the evaluator (a request of its first action on a resource it can take); True when
    decided (and, if gained, added to `found`)."""
    by_key = {(n, s.index): s for n, p in enumerate(pair) for s in p.statements}
    statements = [(n, by_key[key]) for key in group.signature for n in (key[0],)]
    if group.shapes is not True or not all(_plain(s) for _, s in statements):
        return False

    def allowed(number: int) -> bool:
        effects = {s.effect for n, s in statements if n == number}
        return Effect.ALLOW in effects and Effect.DENY not in effects

    if not allowed(1) or allowed(0):
        return True
    action = group.representative
    request = Request(action, fitting_resource(action))
    if not covers(request):
        return False  # not expected; the solver decides
    found.append(_gained(group, request, covers))
    return True


def _plain(statement: Statement) -> bool:
    return (
        not statement.conditions
        and statement.principal is None
        and statement.not_principal is None
        and statement.not_resources is None
        and any(v.text == "*" for v in statement.resources or ())
    )


def _allows(policy: Policy, index: int) -> bool:
    return any(s.index == index and s.effect is Effect.ALLOW for s in policy.statements)


def _region_signatures(
    space: StringSpace, statements: Sequence[tuple[int, Statement]], sets: ActionSets
) -> list[Signature]:
    """Each region's signature."""
    members: list[list[tuple[int, int]]] = [[] for _ in range(space.size)]
    for number, statement in statements:
        for region in sets.of(statement):
            members[region].append((number, statement.index))
    return [frozenset(m) for m in members]


def _resource_free(pair: tuple[Policy, Policy], signature: Signature) -> bool:
    """Every statement of `signature` has `Resource: "*"` (and no NotResource)."""
    by_key = {(n, s.index): s for n, p in enumerate(pair) for s in p.statements}
    return all(
        by_key[key].resources is not None
        and by_key[key].not_resources is None
        and all(v.text == "*" for v in by_key[key].resources or ())
        for key in signature
    )


def _candidates(current: Policy, space: StringSpace) -> tuple[str, ...]:
    """The catalogued actions NEW's Allow statements may match: those of the services their
    patterns name, or all of them when a pattern does not name its service (`*`, `s3*:...`)
    or a NotAction is used."""
    services: set[str] = set()
    for statement in current.statements:
        if statement.effect is not Effect.ALLOW:
            continue
        if statement.actions is None:
            return catalogue.all_actions()
        for value in statement.actions:
            head, sep, _ = value.text.partition(":")
            if not sep or "*" in head or "?" in head:
                return catalogue.all_actions()
            services.add(head.lower())
    return tuple(a for s in sorted(services) for a in catalogue.actions_for_service(s))


class _Classifier:
    """The region of a string of the action space, fast: literal patterns looked up, wildcard
    patterns tried only when their literal prefix fits (grouped by the service it names)."""

    def __init__(self, space: StringSpace) -> None:
        self.space = space
        self.literals: dict[str, list[int]] = {}
        self.by_service: dict[str, list[tuple[int, str]]] = {}
        self.anywhere: list[tuple[int, str]] = []
        for i, glob in enumerate(space.globs):
            if glob.is_literal:
                self.literals.setdefault(glob.literal_text.lower(), []).append(i)
                continue
            prefix = "".join(
                itertools.takewhile(lambda t: not isinstance(t, Wild), glob.tokens)
            ).lower()
            head, sep, _ = prefix.partition(":")
            target = self.by_service.setdefault(head, []) if sep else self.anywhere
            target.append((i, prefix))
        self.regions = {space.vector(r): r for r in range(space.size)}

    def region(self, action: str) -> int:
        lowered = action.lower()
        vector = set(self.literals.get(lowered, ()))
        service = lowered.partition(":")[0]
        globs = self.space.globs
        for i, prefix in itertools.chain(self.by_service.get(service, ()), self.anywhere):
            if lowered.startswith(prefix) and globs[i].matches(action):
                vector.add(i)
        region = self.regions.get(frozenset(vector))
        if region is None:
            raise UndecidedError(f"internal error: no class of actions holds `{action}`")
        return region


def _groups(
    space: StringSpace,
    signatures: Sequence[Signature],
    wanted: set[Signature],
    free: Mapping[Signature, bool],
    candidates: Iterable[str],
) -> list[_Group]:
    classify = _Classifier(space)
    members: dict[Signature, list[str]] = {sig: [] for sig in wanted}
    for action in candidates:
        sig = signatures[classify.region(action)]
        if sig in members:
            members[sig].append(action)
    literal_regions = {
        next(iter(space.exact.members[i])): g.literal_text
        for i, g in enumerate(space.globs)
        if g.is_literal
    }
    outside: dict[Signature, str] = {}
    unnamed: set[Signature] = set()
    for region, sig in enumerate(signatures):
        if sig in wanted and sig not in outside:
            literal = literal_regions.get(region)
            text = _outside_string(space, classify, region, literal)
            if text is not None:
                outside[sig] = text
            elif literal is None:
                unnamed.add(sig)
    if unnamed - set(outside):
        raise UndecidedError(
            "a class of actions outside the catalogue has no example string policy-guard "
            "could name; it cannot list that access exactly"
        )
    groups: list[_Group] = []
    for sig in sorted(wanted, key=sorted):
        actions, other = members[sig], outside.get(sig)
        if free[sig]:
            if actions or other is not None:
                groups.append(_Group(sig, True, tuple(actions), other))
            continue
        by_shapes: dict[Shapes, list[str]] = {}
        for action in actions:
            by_shapes.setdefault(_shapes(action), []).append(action)
        unshaped = by_shapes.pop(None, [])
        if unshaped or other is not None:
            groups.append(_Group(sig, None, tuple(unshaped), other))
        groups.extend(_Group(sig, shapes, tuple(a), None) for shapes, a in by_shapes.items())
    return groups


@cache
def _shapes(action: str) -> Shapes:
    return resource_shapes(action)


def _outside_string(
    space: StringSpace, classify: _Classifier, region: int, literal: str | None
) -> str | None:
    """A string of `region` that no catalogue lists (None: the region is one catalogued
    action): an uncatalogued literal, or the region's witness made longer until uncatalogued."""
    if literal is not None:
        return None if catalogue.action_exists(literal) else literal
    witness = space.exact.witnesses[region]
    for suffix in ("", "x", "zz", "Zq", "qqq"):
        text = witness + suffix
        if not catalogue.action_exists(text) and classify.region(text) == region:
            return text
    return None


def _all_sat(
    pair: tuple[Policy, Policy],
    groups: Sequence[_Group],
    covers: Callable[[Request], frozenset[int]],
    options: dict[str, Any],
    found: list[Gained],
) -> None:
    """Decide the groups left by asking, in one analysis, for a gained request whose action is
    the representative of a group not found yet, until there is none.

    The analysis sees only the statements of the groups' signatures (any other statement does
    not match those actions, so it cannot change their answers) and each representative as an
    action pattern of its own (a one-action class, with its resource shapes as axioms)."""
    keep = {key for g in groups for key in g.signature}
    policies = tuple(
        dataclasses.replace(p, statements=tuple(s for s in p.statements if (n, s.index) in keep))
        for n, p in enumerate(pair)
    )
    by_action = {g.representative.lower(): g for g in groups}
    principal = any(p.policy_type is PolicyType.RESOURCE for p in pair)
    extra = [g.representative for g in groups]
    with Analysis(
        policies,
        principal_in_request=principal,
        extra_actions=extra,
        fact_keys=policy_keys(pair),
        **options,
    ) as analysis:
        m = analysis.session.manager
        gain = m.And(analysis.allows(policies[1]), m.Not(analysis.allows(policies[0])))
        remaining = dict(by_action)
        while remaining:
            analysis.session.check_time()
            violation = m.And(gain, analysis.action_in(sorted(remaining)))

            def accept(request: Request) -> bool:
                return request.action.lower() in remaining and bool(covers(request))

            verdict = analysis.prove(violation, accept)
            if isinstance(verdict, Holds):
                return
            group = remaining.pop(verdict.request.action.lower())
            found.append(_gained(group, verdict.request, covers))


def _gained(group: _Group, request: Request, covers: Callable[[Request], frozenset[int]]) -> Gained:
    """The group with its confirmed request; its outside string confirmed by the evaluator
    (it is interchangeable with the request's action: same signature, any resource)."""
    outside: Request | None = None
    if group.outside is not None:
        candidate = dataclasses.replace(request, action=group.outside)
        if not covers(candidate):
            raise UndecidedError(
                f"the evaluator does not confirm `{group.outside}`, outside the catalogue, "
                "where its class is gained; policy-guard cannot list the access exactly"
            )
        outside = candidate
    actions = tuple(sorted(group.actions, key=str.lower))
    return Gained(actions, request, tuple(sorted(covers(request))), outside, group.shapes is True)
