"""Pattern-level reduction for no-new-access: only what a version adds is looked at.

Versions of a large policy mostly differ by a few action patterns of one long list
(ReadOnlyAccess has 2,850). "Allowed by NEW and not by EXISTING" cannot come from a pattern
that an EXISTING statement also has, so `reduced_for_gains` takes those patterns out of NEW's
Allow statements, and then every pattern that cannot meet what is left out of every statement.
The partition, the formulas and the candidates then see a few dozen patterns, not thousands.
Indices, paths and Sids are kept, so reasons still point at the original statements; every
counterexample is still confirmed against the original policies.

Notation: S[A] is statement S with its Action list replaced by A (S[A] matches R exactly when
S matches R with one pattern of A matching R's action, so S = S[A1] or S[A2] for A = A1 + A2).
A *twin* of a NEW Allow S is an EXISTING Allow that reads the same except for its Action list.

Rule 1 (covered patterns). When every EXISTING Deny has a same-meaning Deny in NEW, a pattern
a of a NEW Allow S whose actions a twin T of S also allows is removed from S (S with nothing
left is dropped). "Also allows" is decided cheaply and only one way: T lists a itself (same
text up to case), or T lists a pattern `P*` (P without wildcards) and a's literal prefix
starts with P, so every action of a starts with P. Proof: the violations are kept — a request
R allowed by NEW and not by EXISTING is matched by some NEW Allow S through some pattern a and
denied by no NEW Deny, hence by no EXISTING Deny; if a were covered by a twin T, T would match
R (it reads as S but for its actions) and EXISTING would allow R; so a is not removed and S
still matches R. None is added: NEW only loses patterns, so it allows less. (A least-privilege
refactor, `s3:Get*` narrowed to `s3:GetObject*`, is settled here without any solving.)
Rule 2 (patterns that meet nothing). When no NEW Allow left uses NotAction, a pattern (in any
Action list of either policy) that shares no action with any pattern of NEW's remaining Allow
statements (`lazy.provably_disjoint`) is removed; a statement left with an empty list matches
nothing and is dropped. Proof: a violation's action is matched by a pattern of a NEW Allow, so
no removed pattern matches it, and every statement decides it as before; a request whose
action no NEW Allow pattern matches is allowed by NEW neither before nor after.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections.abc import Callable, Hashable, Iterable
from functools import lru_cache

from policy_guard.encode.slicing import meaning
from policy_guard.policy.model import Effect, Policy, Statement, Value


def reduced_for_gains(existing: Policy, new: Policy) -> tuple[Policy, Policy]:
    """The pair (EXISTING, NEW) reduced by rules 1 and 2 (the same objects when nothing
    changed): "some request is allowed by NEW and not by EXISTING" holds for the reduced pair
    exactly when it holds for the original one."""
    reduced_new = _without_shared_patterns(existing, new)
    allows = [s for s in reduced_new.statements if s.effect is Effect.ALLOW]
    if any(s.not_actions is not None for s in allows):
        return existing, reduced_new  # a NotAction Allow: its actions are not bounded by a list
    wanted = AffixIndex(v.text for s in allows for v in s.actions or ())
    return _kept_patterns(existing, wanted.may_meet), _kept_patterns(reduced_new, wanted.may_meet)


def _folded(text: str) -> str:
    """Action patterns are case-insensitive: the same text, each character lower-cased (as
    `action_glob` does; `str.lower` of a whole string may differ, for a final sigma), is the
    same pattern."""
    return text.lower() if text.isascii() else "".join(c.lower() for c in text)


def _without_actions(policy: Policy, statement: Statement) -> Hashable:
    return meaning(policy, dataclasses.replace(statement, actions=()))


def _without_shared_patterns(existing: Policy, new: Policy) -> Policy:
    """Rule 1."""
    new_denies = {meaning(new, s) for s in new.statements if s.effect is Effect.DENY}
    if any(
        s.effect is Effect.DENY and meaning(existing, s) not in new_denies
        for s in existing.statements
    ):
        return new
    twins: dict[Hashable, _TwinActions] = {}
    for statement in existing.statements:
        if statement.effect is Effect.ALLOW and statement.actions is not None:
            shape = _without_actions(existing, statement)
            twins.setdefault(shape, _TwinActions()).add(statement.actions)
    if not twins:
        return new

    def kept(statement: Statement) -> tuple[Value, ...] | None:
        if statement.effect is not Effect.ALLOW or statement.actions is None:
            return statement.actions
        twin = twins.get(_without_actions(new, statement))
        if twin is None:
            return statement.actions
        return tuple(v for v in statement.actions if not twin.covers(v.text))

    return _rebuilt(new, kept)


class _TwinActions:
    """The Action lists of the twins of one statement shape: their texts, and the prefixes P of
    their patterns `P*` (for "every action of this pattern is one of theirs")."""

    def __init__(self) -> None:
        self.texts: set[str] = set()
        self.starred: set[str] = set()
        self.lengths: set[int] = set()

    def add(self, values: Iterable[Value]) -> None:
        for value in values:
            text = _folded(value.text)
            self.texts.add(text)
            prefix, _ = action_affixes(value.text)
            if text == prefix + "*":
                self.starred.add(prefix)
                self.lengths.add(len(prefix))

    def covers(self, text: str) -> bool:
        if _folded(text) in self.texts:
            return True
        prefix, _ = action_affixes(text)
        return any(prefix[:n] in self.starred for n in self.lengths if n <= len(prefix))


def _kept_patterns(policy: Policy, may_meet: Callable[[str], bool]) -> Policy:
    """Rule 2."""

    def kept(statement: Statement) -> tuple[Value, ...] | None:
        if statement.actions is None:
            return None
        return tuple(v for v in statement.actions if may_meet(v.text))

    return _rebuilt(policy, kept)


def _rebuilt(policy: Policy, kept: Callable[[Statement], tuple[Value, ...] | None]) -> Policy:
    """`policy` with each statement's Action list as `kept` says (a statement left with an
    empty list is dropped); the same object when nothing changes."""
    statements: list[Statement] = []
    changed = False
    for statement in policy.statements:
        actions = kept(statement)
        if actions is statement.actions or actions == statement.actions:
            statements.append(statement)
            continue
        changed = True
        if actions:
            statements.append(dataclasses.replace(statement, actions=actions))
    if not changed:
        return policy
    return dataclasses.replace(policy, statements=tuple(statements))


@lru_cache(maxsize=1 << 16)  # a pure function of the text; each text is asked for several times
def action_affixes(text: str) -> tuple[str, str]:
    """The literal prefix and suffix of an action pattern (`lazy.literal_prefix` and
    `literal_suffix` of `action_glob(text)`), read off the text: an action pattern's only
    wildcards are `*` and `?`, and each other character is its own lower case."""
    first = min((i for i in (text.find("*"), text.find("?")) if i >= 0), default=len(text))
    last = max(text.rfind("*"), text.rfind("?"))
    return _folded(text[:first]), _folded(text[last + 1 :] if last >= 0 else text)


class AffixIndex:
    """The literal prefixes and suffixes of some action patterns, for a quick "may this pattern
    share an action with one of them?" (no when, against each, the prefixes or the suffixes
    diverge: `lazy.provably_disjoint`). Prefixes are indexed: those of which a pattern's prefix
    is an extension are looked up one by one, those that extend it are a range of the sorted
    list."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.suffixes: dict[str, set[str]] = {}
        for text in texts:
            prefix, suffix = action_affixes(text)
            self.suffixes.setdefault(prefix, set()).add(suffix)
        self.prefixes = sorted(self.suffixes)
        self.lengths = sorted({len(prefix) for prefix in self.prefixes})

    def may_meet(self, text: str) -> bool:
        prefix, suffix = action_affixes(text)
        suffixes = self.suffixes
        for length in self.lengths:  # shorter prefixes that `prefix` extends
            if length >= len(prefix):
                break
            shorter = prefix[:length]
            if shorter in suffixes and self._meets(shorter, suffix):
                return True
        start = bisect.bisect_left(self.prefixes, prefix)  # `prefix` itself, and its extensions
        for other in itertools.islice(self.prefixes, start, None):
            if not other.startswith(prefix):
                break
            if self._meets(other, suffix):
                return True
        return False

    def _meets(self, prefix: str, suffix: str) -> bool:
        return any(
            suffix.endswith(other) or other.endswith(suffix) for other in self.suffixes[prefix]
        )
