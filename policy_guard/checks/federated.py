"""The public issuers' tokens as the engine states them, shared by the public and external
access checks: the symbolic twin of `semantics.exposure.federated_exposed`, and the
counterexample that names the outsider in the provider's own terms."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from policy_guard.checks.common import known_globs
from policy_guard.policy.arns import PrincipalKind
from policy_guard.policy.globs import Glob
from policy_guard.policy.model import PrincipalEntry
from policy_guard.semantics.public_rules import Issuer, claim_keys
from policy_guard.semantics.request import Request

if TYPE_CHECKING:
    from pysmt.fnode import FNode

    from policy_guard.encode.analysis import Analysis


def exposed_formula(
    analysis: Analysis,
    federated: Mapping[str, Issuer],
    guests: Mapping[str, tuple[str, Glob]],
    claim_pins: Mapping[str, tuple[Glob, ...]],
) -> FNode:
    """The principal is a public issuer the policy names, with the guest claim value (and no
    other) where that counts, and (given `claim_pins`) each subject claim outside its pinning
    values."""
    m, keys = analysis.session.manager, analysis.vocabulary.keys
    options = []
    for text, issuer in federated.items():
        parts = [analysis.principal_in([PrincipalEntry(PrincipalKind.FEDERATED, text, ())])]
        guest = guests.get(text)
        if guest is not None and guest[0] in keys:
            guest_space = keys[guest[0]].strings
            if guest_space is not None:
                chosen = known_globs(guest_space, [guest[1]])
                parts.append(analysis.key_some(guest[0], chosen))
                parts.append(analysis.request.every(guest[0], chosen))
        for key in claim_keys(issuer, text).values():
            globs, space = claim_pins.get(key), keys.get(key)
            if globs and space is not None and space.strings is not None:
                parts.append(m.Not(analysis.key_some(key, known_globs(space.strings, globs))))
        options.append(m.And(parts))
    return m.Or(options)


def guest_values(guests: Mapping[str, tuple[str, Glob]]) -> dict[str, tuple[Glob, ...]]:
    """The guest claim values as patterns the engine must compile (by key)."""
    found: dict[str, tuple[Glob, ...]] = {}
    for key, glob in guests.values():
        found[key] = (*found.get(key, ()), glob)
    return found


def outsider_requests(request: Request, federated: Mapping[str, Issuer]) -> Iterator[Request]:
    """`request` with the claims of a token anyone can obtain (`Issuer.outsider`: the subject,
    and the other claims the request carries), when its principal is a public issuer: the
    counterexample names the outsider in the provider's terms. Then the subject alone (the
    caller keeps the first that still confirms)."""
    principal = request.principal
    if principal is None or principal not in federated:
        return
    issuer = federated[principal]
    subject = next(iter(claim_keys(issuer, principal).values()))
    prefix = subject.rsplit(":", 1)[0]
    carried = {k.lower() for k in request.context}
    wanted = {
        f"{prefix}:{name}": value
        for name, value in issuer.outsider.items()
        if f"{prefix}:{name}" in carried or f"{prefix}:{name}" == subject
    }
    yield _with_values(request, wanted)
    yield _with_values(request, {subject: wanted[subject]})


def _with_values(request: Request, values: Mapping[str, str]) -> Request:
    context = dict(request.context)
    for key, value in values.items():
        written = [k for k in context if k.lower() == key]
        for k in written:
            del context[k]
        context[written[0] if written else key] = (value,)
    return dataclasses.replace(request, context=context)
