"""Principal facts as axioms: the caller's keys agree with the symbolic principal.

`semantics.principal_facts` says, per principal shape, what each caller key holds. Here each
fact becomes an axiom "the principal has this shape => the key is so", exactly:
- `absent`: the key is not present;
- `present`: present with a value (one value, when the encoder tracks it);
- `constant` c: one value, in the class of c (the concretizer writes c itself);
- `itself` / `account`: one value, matching each pattern of the key exactly when the
  principal (`itself`), or its account (`account`), does. A pattern p matches an account (a
  segment: no `:`) exactly when the principal matches `arn:*:iam::p':*` or `arn:*:sts::p':*`,
  p' being p with its wildcards kept within the segment; so the principal's space gets those
  patterns (`principal_globs`), and the value's class is the one the principal's class says.
The concretizer then writes each determined value from the principal (`with_facts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from pysmt.fnode import FNode

from policy_guard.policy.globs import Glob, Token, Wild
from policy_guard.semantics.principal_facts import Fact, facts_of, shape_glob
from policy_guard.semantics.principals import caller_globs

if TYPE_CHECKING:
    from policy_guard.encode.request_terms import SymbolicRequest
    from policy_guard.encode.vocabulary import KeySpace

_IN_SEGMENT = {Wild.STAR: Wild.STAR_IN_SEGMENT, Wild.ANY: Wild.ANY_IN_SEGMENT}


def account_globs(glob: Glob) -> tuple[Glob, ...]:
    """The principals whose account matches `glob` (none when `glob` needs a `:`)."""
    if any(token == ":" and not isinstance(token, Wild) for token in glob.tokens):
        return ()
    segment: list[Token] = [
        _IN_SEGMENT.get(t, t) if isinstance(t, Wild) else t for t in glob.tokens
    ]
    return tuple(
        Glob(
            (*"arn:", Wild.STAR_IN_SEGMENT, *f":{service}::", *segment, ":", Wild.STAR),
            glob.case_insensitive,
        )
        for service in ("iam", "sts")
    )


def _mapped(fact: Fact, glob: Glob) -> tuple[Glob, ...]:
    return (glob,) if fact.kind == "itself" else account_globs(glob)


def _relational(key: str) -> list[Fact]:
    return [f for f in facts_of(key).values() if f.kind in ("itself", "account")]


def principal_globs(keys: Mapping[str, KeySpace]) -> list[Glob]:
    """What the principal's space needs: the callers' shapes, those of the facts of `keys`, and
    each relational key's patterns as principal patterns."""
    found: list[Glob] = list(caller_globs())
    for key, space in keys.items():
        facts = facts_of(key)
        if not facts:
            continue
        found.extend(shape_glob(name) for name in facts)
        strings = space.strings
        if strings is None:
            continue
        for fact in dict.fromkeys(_relational(key)):
            for glob in strings.globs:
                found.extend(_mapped(fact, glob))
    return found


def principal_fact_axioms(request: SymbolicRequest) -> list[FNode]:
    """The principal is one that calls (`semantics.principals.is_caller`), and one axiom per
    (key, shape) fact of the keys the question's policies use."""
    if request.principal is None:
        return []
    m = request.manager
    arn, *callers = caller_globs()
    axioms = [m.Or(m.Not(request.principal_matches([arn])), request.principal_matches(callers))]
    for key, space in request.vocabulary.keys.items():
        for name, fact in facts_of(key).items():
            shaped = request.principal_matches([shape_glob(name)])
            axioms.append(m.Implies(shaped, _holds(request, key, space, fact)))
    return axioms


def _holds(request: SymbolicRequest, key: str, space: KeySpace, fact: Fact) -> FNode:
    m = request.manager
    terms = request.keys[key]
    if fact.kind == "absent":
        return m.Not(terms.present)
    parts = [terms.present, request.nonempty(key)]
    if terms.one is not None and fact.kind != "present":  # "present": some value (evaluator too)
        parts.append(terms.one)
    if fact.kind == "constant":
        parts.append(_only_class_of(request, key, space, fact.text))
    elif fact.kind in ("itself", "account") and space.strings is not None:
        for glob in space.strings.globs:
            inside = request.principal_matches(_mapped(fact, glob))
            parts.append(m.Iff(request.some(key, [glob]), inside))
            parts.append(m.Iff(request.every(key, [glob]), inside))
    return m.And(parts)


def _only_class_of(request: SymbolicRequest, key: str, space: KeySpace, text: str) -> FNode:
    """Every value of the key is in the class of `text` (its region; a lazy key's vector)."""
    m = request.manager
    terms = request.keys[key]
    if terms.slots:
        assert space.strings is not None
        vector = space.strings.vector_of(text)
        return m.And([m.Implies(s.used, s.value.is_vector(m, vector)) for s in terms.slots])
    region = space.domain.region_of(text)
    return m.And([m.Not(h) for r, h in enumerate(terms.has) if r != region])


def keys_with_facts(keys: Iterable[str]) -> list[str]:
    return [k for k in keys if facts_of(k.lower())]
