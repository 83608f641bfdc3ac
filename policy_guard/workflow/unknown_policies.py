"""A Terraform policy with unknown values (`sources.terraform_unknowns`) made ready for the
checks: its markers replaced by variables where that is exact, or the reason it cannot be
decided.

Kept out of `file_checks` so that the one rule lives next to its source
(`terraform_unknowns.encode`) and the per-file flow stays as it was for policies that hold none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from policy_guard.document.values import Decoded
from policy_guard.sources.base import FoundPolicy
from policy_guard.sources.terraform_unknowns import (
    Undecidable,
    encode,
    readings,
    shared,
    substitute,
)


@dataclass(frozen=True)
class Prepared:
    """The new version ready for the checks (None: `problem` says why it cannot be checked at
    all); the base ready for no-new-access (None: `base_problem` says why, or there is none);
    `unchanged`: both versions are the same function of the same values (nothing new)."""

    new: FoundPolicy | None
    problem: str | None
    base: FoundPolicy | None
    base_problem: str | None
    unchanged: bool


def prepare_all(
    found: FoundPolicy, old: FoundPolicy | None
) -> list[tuple[dict[str, str], Prepared]]:
    """`prepare` under each concrete reading of the account and partition unknowns
    (`terraform_unknowns.readings`: together they give every answer a real value could), or once."""
    values = [found.document.value] + ([old.document.value] if old is not None else [])
    unknowns = {**(old.terraform_unknowns if old is not None else {}), **found.terraform_unknowns}
    chosen = readings(values, unknowns) if unknowns else None
    if chosen is None:
        return [({}, prepare(found, old))]
    result = []
    for reading in chosen:
        new_side = _read_as(found, reading)
        old_side = _read_as(old, reading) if old is not None else None
        result.append((reading, prepare(new_side, old_side)))
    return result


def _read_as(found: FoundPolicy, reading: dict[str, str]) -> FoundPolicy:
    document = found.document
    value = substitute(document.value, reading)
    left = {name: u for name, u in found.terraform_unknowns.items() if name not in reading}
    return replace(
        found,
        document=Decoded(
            value, document.filename, document.spans, document.key_spans, document.duplicate_keys
        ),
        terraform_unknowns=left,
    )


def prepare(found: FoundPolicy, old: FoundPolicy | None) -> Prepared:
    if not found.terraform_unknowns and (old is None or not old.terraform_unknowns):
        return Prepared(found, None, old, None, False)
    same = (
        shared(found.terraform_unknowns, old.terraform_unknowns) if old is not None else frozenset()
    )
    unchanged = (
        old is not None
        and old.document.value == found.document.value
        and all(name in same for name in found.terraform_unknowns)
    )
    new: FoundPolicy | None = None
    problem = None
    try:
        new = _encoded(found, base=False, same=same)
    except Undecidable as error:
        problem = str(error)
    base, base_problem = None, None
    if old is not None and not unchanged:
        try:
            base = _encoded(old, base=True, same=same)
        except Undecidable as error:
            base_problem = str(error)
    elif old is not None:
        base = new
    return Prepared(new, problem, base, base_problem, unchanged)


def _encoded(found: FoundPolicy, *, base: bool, same: frozenset[str]) -> FoundPolicy:
    if not found.terraform_unknowns:
        return found
    document = found.document
    value = encode(document.value, found.terraform_unknowns, base=base, same=same)
    return replace(
        found,
        document=Decoded(
            value, document.filename, document.spans, document.key_spans, document.duplicate_keys
        ),
    )
