"""A peer to compare the engine with: no-new-access decided by cvc5's string theory directly.

The action is one String symbol; each action pattern is a string constraint (a literal: an
equation; `*`: str.prefixof / str.suffixof on the ends and a greedy str.indexof chain for the
pieces between, which is exact for `*`); the question is `allowed(new) and not
allowed(existing)` in QF_SLIA through pySMT. `?` cannot be said this way, so such policies are
unsupported, as are statements with a Principal or a Resource other than `*`. Conditions: only
StringEquals and StringLike on single-valued keys (a String symbol and a presence Boolean per
key); any other operator is unsupported.
Actions are compared in lower case (IAM ignores their case; a character that lower-casing
changes can only stand where `*` stands, so lower case loses no answer, and the witness is
rewritten without such characters).

Benchmark-only code, the way DESIGN.md describes the direct encoding that was measured: it is
not part of the package and is never used to decide anything.

Run: `python benchmarks/strings_peer.py EXISTING NEW [--timeout SECONDS]`; prints one JSON
line: {"result": "PASS" | "FAIL" | "timeout" | "unsupported", "witness": ..., "detail": ...}.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pysmt.environment import get_env, pop_env, push_env
from pysmt.exceptions import SolverReturnedUnknownResultError
from pysmt.fnode import FNode
from pysmt.logics import QF_SLIA
from pysmt.shortcuts import Solver
from pysmt.typing import STRING


class Unsupported(Exception):
    """The policy uses something the direct string encoding cannot express."""


class PeerResult(NamedTuple):
    result: str  # PASS | FAIL | timeout | unsupported
    witness: str | None = None  # an action allowed by new and not by existing (FAIL)
    detail: str = ""


class _Test(NamedTuple):
    """One condition key test: StringEquals (`like` False) or StringLike, values ORed."""

    key: str  # lower case: key names ignore case
    like: bool
    values: tuple[str, ...]


class _Rule(NamedTuple):
    """One statement, as far as the action and its simple string conditions decide it."""

    allow: bool
    negated: bool  # NotAction
    patterns: tuple[str, ...]
    tests: tuple[_Test, ...]


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def rules(document: Mapping[str, Any]) -> list[_Rule]:
    """The statements of an identity policy that only speaks of actions (Resource `*`)."""
    statements = document["Statement"]
    found: list[_Rule] = []
    for statement in [statements] if isinstance(statements, dict) else statements:
        for key in ("Principal", "NotPrincipal", "NotResource"):
            if key in statement:
                raise Unsupported(f"a statement has `{key}`")
        if "*" not in _as_list(statement.get("Resource", [])):
            raise Unsupported("a statement's Resource is not `*`")
        negated = "NotAction" in statement
        patterns = _as_list(statement["NotAction" if negated else "Action"])
        if any("?" in p for p in patterns):
            raise Unsupported("`?` in an action pattern")
        allow = statement["Effect"] == "Allow"
        tests = _tests(statement.get("Condition", {}))
        found.append(_Rule(allow, negated, tuple(p.lower() for p in patterns), tests))
    return found


def _tests(condition: Mapping[str, Any]) -> tuple[_Test, ...]:
    tests: list[_Test] = []
    for operator, block in condition.items():
        if operator not in ("StringEquals", "StringLike"):
            raise Unsupported(f"condition operator `{operator}`")
        for key, values in block.items():
            texts = _as_list(values)
            if operator == "StringLike" and any("?" in t for t in texts):
                raise Unsupported("`?` in a StringLike value")
            if any("${" in t for t in texts):
                raise Unsupported("a policy variable in a condition value")
            tests.append(_Test(key.lower(), operator == "StringLike", tuple(texts)))
    return tuple(tests)


def pattern_term(manager: Any, action: FNode, pattern: str) -> FNode:
    """`action` matches `pattern` (only `*` as a wildcard), exactly, as a string constraint."""
    m = manager
    if "*" not in pattern:
        return m.Equals(action, m.String(pattern))
    first, *middle, last = pattern.split("*")
    pieces = [p for p in middle if p]
    size = m.StrLength(action)
    least = len(first) + len(last) + sum(len(p) for p in pieces)
    conjuncts = [m.GE(size, m.Int(least))]
    if first:
        conjuncts.append(m.StrPrefixOf(m.String(first), action))
    if last:
        conjuncts.append(m.StrSuffixOf(m.String(last), action))
    position = m.Int(len(first))
    for piece in pieces:  # greedy leftmost occurrences: exact for `*`-only patterns
        found = m.StrIndexOf(action, m.String(piece), position)
        conjuncts.append(m.GE(found, m.Int(0)))
        position = m.Plus(found, m.Int(len(piece)))
    if pieces:
        conjuncts.append(m.LE(position, m.Minus(size, m.Int(len(last)))))
    return m.And(conjuncts)


def _test_term(manager: Any, test: _Test) -> FNode:
    """The key is present and its value equals (or is like) one of the values."""
    m = manager
    value = m.Symbol(f"key:{test.key}", STRING)
    present = m.Symbol(f"present:{test.key}")
    if test.like:
        return m.And(present, m.Or([pattern_term(m, value, v) for v in test.values]))
    return m.And(present, m.Or([m.Equals(value, m.String(v)) for v in test.values]))


def allowed_term(manager: Any, action: FNode, policy: Sequence[_Rule]) -> FNode:
    """Some Allow statement matches and no Deny statement does."""
    m = manager

    def matches(rule: _Rule) -> FNode:
        term = m.Or([pattern_term(m, action, p) for p in rule.patterns])
        term = m.Not(term) if rule.negated else term
        return m.And([term, *(_test_term(m, t) for t in rule.tests)])

    allows = m.Or([matches(r) for r in policy if r.allow])
    denies = m.Or([matches(r) for r in policy if not r.allow])
    return m.And(allows, m.Not(denies))


def no_new_access(
    existing: Mapping[str, Any], new: Mapping[str, Any], timeout: float | None
) -> PeerResult:
    """PASS iff no action is allowed by `new` and not by `existing` (cvc5, QF_SLIA)."""
    try:
        old_rules, new_rules = rules(existing), rules(new)
    except Unsupported as error:
        return PeerResult("unsupported", detail=str(error))
    push_env()
    try:
        m = get_env().formula_manager
        action = m.Symbol("action", STRING)
        query = m.And(allowed_term(m, action, new_rules), m.Not(allowed_term(m, action, old_rules)))
        options = {} if timeout is None else {"tlimit-per": int(timeout * 1000)}
        with Solver(name="cvc5", logic=QF_SLIA, solver_options=options) as solver:
            solver.add_assertion(query)
            try:
                satisfiable = solver.solve()
            except SolverReturnedUnknownResultError:
                return PeerResult("timeout", detail=f"no answer within {timeout} s")
            if not satisfiable:
                return PeerResult("PASS")
            witness = str(solver.get_value(action).constant_value())
            return PeerResult("FAIL", _case_free(witness, old_rules + new_rules))
    finally:
        pop_env()


def _case_free(witness: str, policy: Sequence[_Rule]) -> str:
    """The witness with every character that lower-casing would change replaced by one that
    occurs in no pattern: such a character only ever stood where a `*` stands (the patterns are
    in lower case), so the replacement matches the same patterns, and IAM's case-insensitive
    matching then reads the witness the way the solver did."""
    used = {c for rule in policy for p in rule.patterns for c in p}
    candidates = (chr(code) for code in range(0x21, 0x3000))
    fresh = next(c for c in candidates if c.lower() == c and c not in used and c != "*")
    return "".join(c if c.lower() == c else fresh for c in witness)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("existing", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--timeout", type=float, help="seconds for cvc5 (default: no limit)")
    args = parser.parse_args(argv)
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in (args.existing, args.new)]
    outcome = no_new_access(documents[0], documents[1], args.timeout)
    print(json.dumps(outcome._asdict()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
