"""One question, end to end: compile, encode, solve, decode, confirm (Cedar's symcc pipeline).

`Analysis` owns everything of one question: the vocabulary (compiled patterns and domains),
a fresh pySMT session, the symbolic request and the statement encoder. Checks state their
property as a formula that is *satisfiable exactly when the property is violated* and call:

- `prove(violation, confirm)`: Holds, or Violated with a concrete request that `confirm`
  (the reference evaluator) accepts. A model that no candidate request confirms raises
  UndecidedError: never an unconfirmed counterexample, never a PASS on a guess.
  String variables over lazy spaces (`encode.lazy`) are refined on the way (CEGAR): a model
  whose membership vector has no string is blocked by a core (`encode.cores`) and the solver
  asked again, in the same incremental session; the blocking clauses are facts about strings,
  so the final UNSAT is a proof. Past REFINEMENT_LIMIT rounds, or the deadline: undecided.
- `localise(violation, statements, confirm)`: for each statement, a confirmed request in which
  it takes part: first a neighbour of a request already confirmed (its context, the
  statement's action and resource: `explain.neighbours`), else one solver call (the violation
  asserted once, the statement in a scope of its own) per statement not yet covered.

The solver is skipped when the violation simplifies to a constant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import TracebackType

from pysmt.fnode import FNode

from policy_guard.encode.concretize import concretize, neighbours
from policy_guard.encode.cores import Realizer
from policy_guard.encode.decoded import Refinement, RequestModel, read_model
from policy_guard.encode.request_terms import CHECK_OBSERVATIONS, SymbolicRequest
from policy_guard.encode.solver import Session
from policy_guard.encode.statements import StatementEncoder
from policy_guard.encode.template_facts import template_facts
from policy_guard.encode.vocabulary import (
    DEFAULT_PARTITION_STATES,
    CompiledStatement,
    StringSpace,
    Vocabulary,
    build_vocabulary,
)
from policy_guard.errors import UndecidedError
from policy_guard.policy.arns import ANONYMOUS, exact_glob
from policy_guard.policy.globs import Glob, Kind, compile_pattern
from policy_guard.policy.model import Policy, PrincipalEntry, Statement
from policy_guard.semantics.request import Request

CANDIDATE_LIMIT = 16
MODEL_LIMIT = 8
REFINEMENT_LIMIT = 2_000
NEIGHBOURS = 3


@dataclass(frozen=True)
class Holds:
    """No request violates the property."""


@dataclass(frozen=True)
class Violated:
    """A confirmed counterexample."""

    request: Request


Verdict = Holds | Violated


class Analysis:
    """The pipeline for one question over `policies` (use as a context manager).

    `principal_in_request`: resource policies decide for a principal (every request has one,
    `anonymous` included); identity policies for the identity they are attached to (none).
    `extra_*`: patterns the question itself compares the request with (`--access`, ...);
    `extra_condition_values` by condition key (e.g. the trusted values of the caller keys).
    `max_partition_states`: the exact partition's automaton budget per string variable; a
    variable past it gets the lazy domain (0: every string variable lazy, for tests).
    `action_space`: an action space already built over these policies' actions and the extras
    (query slicing builds one).
    """

    def __init__(
        self,
        policies: Sequence[Policy],
        *,
        solver: str = "z3",
        timeout: float | None = None,
        principal_in_request: bool = False,
        extra_actions: Sequence[str] = (),
        extra_resources: Sequence[str] = (),
        extra_principals: Sequence[PrincipalEntry] = (),
        extra_condition_values: Mapping[str, Sequence[Glob]] | None = None,
        max_partition_states: int = DEFAULT_PARTITION_STATES,
        action_space: StringSpace | None = None,
        fact_keys: Sequence[str] = (),
    ) -> None:
        self.session = Session(solver, timeout)
        # condition keys of the unsliced policies: a candidate request writes those its
        # principal decides (`concretize`), as the evaluator checks them on the whole policies
        self.fact_keys = tuple(fact_keys)
        self.vocabulary: Vocabulary = build_vocabulary(
            policies,
            principal_in_request=principal_in_request,
            extra_actions=extra_actions,
            extra_resources=extra_resources,
            extra_principals=extra_principals,
            extra_condition_values=extra_condition_values,
            max_states=max_partition_states,
            action_space=action_space,
        )
        self.session.check_time()
        self.request = SymbolicRequest(self.session, self.vocabulary)
        self.statements = StatementEncoder(self.request)
        self.realizer = Realizer(self.session.check_time)
        self.refinements = 0  # blocking rounds of the lazy domain, for figures and tests
        self.lemmas: list[FNode] = []  # the blocking clauses learnt so far (facts about strings)
        self._set_aside = 0  # vectors of the current query set aside unsettled
        self._base = [0, 0]  # axioms, lemmas asserted at the base level
        self._scope: list[int] | None = None  # the same in localise's scope, while it is open

    def __enter__(self) -> Analysis:
        self.session.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.session.__exit__(kind, error, traceback)

    # --- what checks build their properties from ----------------------------------------------

    def allows(self, policy: Policy) -> FNode:
        return self.statements.allows(policy)

    def matches(self, policy: Policy, statement: Statement) -> FNode:
        return self.statements.matches(policy, statement)

    def action_in(self, patterns: Sequence[str]) -> FNode:
        """The action matches one of `patterns` (IAM action wildcards)."""
        return self.request.action_matches(compile_pattern(p, Kind.ACTION) for p in patterns)

    def resource_in(self, patterns: Sequence[str]) -> FNode:
        """The resource matches one of `patterns` (Resource-element wildcards)."""
        return self.request.resource_matches(compile_pattern(p, Kind.RESOURCE) for p in patterns)

    def principal_in(self, entries: Sequence[PrincipalEntry]) -> FNode:
        """The principal is named by one of `entries` (Principal-element rules)."""
        return self.statements.principal_matches(tuple(entries))

    def principal_anonymous(self) -> FNode:
        """The principal is `anonymous` (every principal space has that literal)."""
        return self.request.principal_matches([exact_glob(ANONYMOUS)])

    def key_some(self, key: str, globs: Sequence[Glob]) -> FNode:
        """Some value of the (string) condition key `key` (lower case) matches one of `globs`
        (patterns the vocabulary compiled for that key). A check may state at most
        CHECK_OBSERVATIONS such facts per lazy key (`request_terms.slot_count`)."""
        count = self.request.check_observations.get(key, 0) + 1
        self.request.check_observations[key] = count
        if count > CHECK_OBSERVATIONS and self.vocabulary.keys[key].lazy:
            raise UndecidedError(
                f"the check states too many facts about the values of `{key}` for its lazy "
                "encoding; policy-guard cannot decide this query exactly"
            )
        return self.request.some(key, globs)

    def key_nonempty(self, key: str) -> FNode:
        """The condition key `key` (lower case) has at least one value."""
        return self.request.nonempty(key)

    # --- solving ------------------------------------------------------------------------------

    def _sync_axioms(self) -> None:
        """Assert the axioms and lemmas not asserted yet: at the base level, or, while
        `localise` holds its violation in a scope, in that scope (the base level gets them
        once the scope is closed)."""
        asserted = self._scope if self._scope is not None else self._base
        for i, terms in enumerate((self.request.axioms, self.lemmas)):
            if asserted[i] < len(terms):
                self.session.add_all(terms[asserted[i] :])
                asserted[i] = len(terms)

    def _search(self, formula: FNode, accept: Callable[[Request], bool]) -> Search:
        """A model of `formula` with a concrete request that `accept` confirms.

        A model none of whose candidates confirms is blocked and the next one tried (at most
        MODEL_LIMIT): that can only find a confirmed counterexample, never prove its absence,
        so running out of models after a rejected one is "undecided", not "holds".
        """
        simplified = self.session.simplify(formula)
        if simplified.is_false():
            return Search(False, None, ())
        self._sync_axioms()
        rejected: list[Request] = []
        self._set_aside = 0
        self.session.push()
        try:
            self.session.add(simplified)
            tried = 0
            while tried < MODEL_LIMIT:
                model = self._next_model()
                if model is None:
                    break
                first: Request | None = None
                for request in concretize(model, self.vocabulary, CANDIDATE_LIMIT, self.fact_keys):
                    if accept(request):
                        return Search(True, request, tuple(rejected))
                    if first is None:
                        first = request
                facts = template_facts(self.request, model)
                if facts:  # the model was no request at all: learn why, and ask again
                    self._count_refinement()
                    self._learn(facts)
                    continue
                tried += 1
                rejected.extend([first] if first is not None else [])
                self.session.add(self.session.manager.Not(self.request.rejected(model)))
                self.session.check_time()
        finally:
            self.session.pop()
        guessed = tried > 0 or self._set_aside > 0
        return Search(guessed, None, tuple(rejected), self._set_aside)

    def _next_model(self) -> RequestModel | None:
        """A model whose lazy values all have strings (None: unsatisfiable). Each round that
        finds an empty membership vector blocks its core for every value of that space (now,
        and at the base level for later queries: it is a fact about strings). A vector that
        could not be settled is set aside in this query only (`_set_aside`): then running out
        of models is no proof."""
        while self.session.satisfiable():
            found = read_model(self.session, self.request, self.realizer)
            if isinstance(found, RequestModel):
                return found
            self._refine(found)
        return None

    def _count_refinement(self) -> None:
        self.refinements += 1
        if self.refinements > REFINEMENT_LIMIT:
            raise UndecidedError(
                f"the abstraction needed more than {REFINEMENT_LIMIT} refinements; "
                "policy-guard cannot decide this query exactly"
            )
        self.session.check_time()

    def _refine(self, refinement: Refinement) -> None:
        self._count_refinement()
        m = self.session.manager
        for value, core in refinement.cores:
            self._learn(
                other.excludes(m, core.inside, core.outside)
                for other in self.request.lazy_values
                if other.space is value.space
            )
        for value, vector in refinement.unknown:
            self._set_aside += 1
            self.session.add(m.Not(value.is_vector(m, vector)))

    def _learn(self, facts: Iterable[FNode]) -> None:
        """Assert facts about every request: in this query's scope now, at the base level for
        later queries (`_sync_axioms`)."""
        for fact in facts:
            self.session.add(fact)
            self.lemmas.append(fact)

    def prove(self, violation: FNode, confirm: Callable[[Request], bool]) -> Verdict:
        """Holds when `violation` is unsatisfiable; else a request that `confirm` accepts."""
        search = self._search(violation, confirm)
        if not search.satisfiable:
            return Holds()
        if search.request is None:
            raise UndecidedError(_unconfirmed(search))
        return Violated(search.request)

    def localise(
        self,
        violation: FNode,
        statements: Sequence[tuple[Policy, Statement]],
        covers: Callable[[Request], frozenset[int]],
        known: Sequence[Request] = (),
    ) -> dict[int, Request]:
        """For each statement (by index) that can take part in a violation, a request in which
        it does. `covers(request)`: the statement indices a confirmed violation involves
        (empty when the evaluator does not confirm it); `known`: requests already confirmed.
        Every request kept is confirmed by `covers`; a statement left out has no model."""
        covers = _remember_last(covers)
        found: dict[int, Request] = {}
        contexts = _Contexts()

        def record(request: Request) -> None:
            new = [index for index in covers(request) if index not in found]
            for index in new:
                found[index] = request
            if new:
                contexts.add(request)

        for request in known:
            record(request)
        self._sync_axioms()
        self.session.push()  # the violation is asserted once, each statement in a scope of its own
        self._scope = list(self._base)
        try:
            self.session.add(self.session.simplify(violation))
            for policy, statement in statements:
                if statement.index in found:
                    continue
                self.session.check_time()
                compiled = self.vocabulary.compiled(policy, statement)
                near = _neighbour(compiled, statement, found, covers, contexts)
                if near is not None:
                    record(near)
                    continue
                search = self._search(
                    self.matches(policy, statement), _involving(covers, statement.index)
                )
                if search.request is not None:
                    record(search.request)
                elif search.satisfiable:
                    raise UndecidedError(_unconfirmed(search, statement))
        finally:
            self._scope = None
            self.session.pop()
        return dict(sorted(found.items()))


def _neighbour(
    compiled: CompiledStatement,
    statement: Statement,
    found: dict[int, Request],
    covers: Callable[[Request], frozenset[int]],
    contexts: _Contexts,
) -> Request | None:
    """A confirmed request in which `statement` takes part, made without the solver from the
    last NEIGHBOURS requests found, or from all their contexts together (`explain.neighbours`);
    None when no such request is confirmed. `contexts`: the found requests' contexts merged."""
    nears: list[Request] = []
    for near in reversed(found.values()):
        if len(nears) == NEIGHBOURS:
            break
        if near not in nears:
            nears.append(near)
    if len(found) > 1:
        nears.append(replace(nears[0], context=contexts.merged()))
    for near in nears:
        for request in neighbours(statement, compiled, near):
            if statement.index in covers(request):
                return request
    return None


class _Contexts:
    """The context keys of the requests found so far, each with its value in the last one that
    has it; kept up to date as requests are found (merging them all again for each statement
    made localising a 5,000-statement policy quadratic)."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[str, tuple[str, ...]]] = {}

    def add(self, request: Request) -> None:
        self._keys.update((k.lower(), (k, values)) for k, values in request.context.items())

    def merged(self) -> dict[str, tuple[str, ...]]:
        return dict(self._keys.values())


def _remember_last(
    covers: Callable[[Request], frozenset[int]],
) -> Callable[[Request], frozenset[int]]:
    """`covers` that answers again for the request it was last asked about without running the
    evaluator again (a search confirms a request, then localisation reads what it covers)."""
    last: list[tuple[Request, frozenset[int]]] = []

    def remembered(request: Request) -> frozenset[int]:
        if last and last[0][0] is request:
            return last[0][1]
        answer = covers(request)
        last[:] = [(request, answer)]
        return answer

    return remembered


def _involving(
    covers: Callable[[Request], frozenset[int]], index: int
) -> Callable[[Request], bool]:
    return lambda request: index in covers(request)


@dataclass(frozen=True)
class Search:
    """What `_search` found: satisfiable at all (or not settled); a confirmed request; the
    rejected ones; how many membership vectors were set aside unsettled."""

    satisfiable: bool
    request: Request | None
    rejected: tuple[Request, ...]
    set_aside: int = 0


def _unconfirmed(search: Search, statement: Statement | None = None) -> str:
    where = f" (statement {statement.label})" if statement is not None else ""
    if not search.rejected and not search.set_aside:
        return (
            f"the solver found a possible counterexample{where} that policy-guard could not make "
            "concrete; policy-guard cannot decide this query exactly"
        )
    if not search.rejected:
        return (
            f"the wildcard patterns of a possible counterexample{where} were too many to check "
            f"together ({search.set_aside} set aside); policy-guard cannot decide this query "
            "exactly"
        )
    shown = search.rejected[0].to_json()
    return (
        f"the solver found a possible counterexample{where} that the reference evaluator does "
        f"not confirm ({shown}); policy-guard cannot decide this query exactly"
    )
