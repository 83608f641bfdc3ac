"""Principals as AWS sees them: what a Principal or NotPrincipal entry names, under a reading.

A request's principal is an account root (`arn:aws:iam::ID:root`), an IAM user or role, a role
session (`arn:aws:sts::ID:assumed-role/ROLE/SESSION`: the role's path is dropped), a federated
user (`arn:aws:sts::ID:federated-user/NAME`), a service, a web-identity or SAML provider,
a canonical user, or `anonymous`. Their shapes are facts of the language (`policy.arns`: ARN_LIKE
patterns, the partition never empty); this module holds what a request's principal is named by,
under a reading, so the evaluator and the encoder read them from the same Globs.

The rules (docs/semantics.md, "Principal / NotPrincipal", with the IAM User Guide pages):
- a Principal entry naming a role names every session of that role;
- a NotPrincipal entry excepts a principal when every identity the service checks is listed:
  the principal itself (a session also when its role is listed, if `role_names_sessions`), its
  account when `checks_account`, a session's role when `checks_role`; a Deny with NotPrincipal
  always denies an IAM user or role session with a permissions boundary
  (`permissions_boundary`).
"""

from __future__ import annotations

from functools import lru_cache

from policy_guard.policy.arns import (
    ACCOUNT_IAM,
    ACCOUNT_STS,
    ANY_ARN,
    FEDERATED_USER,
    PROVIDERS,
    ROOT,
    SESSION,
    USER,
    PrincipalKind,
    account_globs,
    exact_glob,
    is_shape,
    principal_kind,
    root_glob,
    session_glob,
    shape,
)
from policy_guard.policy.globs import Glob, Kind, compile_pattern
from policy_guard.policy.model import PrincipalBlock, PrincipalEntry
from policy_guard.semantics.reading import Reading

IAM_PRINCIPALS = (USER, SESSION)
"""The principals a permissions boundary can be attached to (IAM users and role sessions)."""
CALLERS = (ROOT, USER, SESSION, FEDERATED_USER, *PROVIDERS)
"""The ARNs a request's principal can have: an IAM role itself never calls (its sessions do),
and other IAM or STS ARNs (groups, policies) are no principals. Every principal that is no ARN
(`anonymous`, services, web-identity providers, canonical users) can call too."""


@lru_cache(maxsize=4096)  # the evaluator asks it for every request it decides
def entry_globs(entry: PrincipalEntry) -> tuple[Glob, ...] | None:
    """The principals a Principal entry names (None: everyone).

    An account names every IAM and STS principal of it; a role names itself and its sessions;
    any other entry names exactly its text, and only if the text is of the entry's kind.
    """
    if entry.is_everyone:
        return None
    if entry.account is not None:
        return account_globs(entry.account)
    if principal_kind(entry.text) is not entry.kind:
        return ()
    sessions = session_glob(entry.text) if entry.kind is PrincipalKind.AWS else None
    return (exact_glob(entry.text),) + ((sessions,) if sessions is not None else ())


def entry_names(entry: PrincipalEntry, principal: str) -> bool:
    named = entry_globs(entry)
    return named is None or any(g.matches(principal) for g in named)


class NotPrincipalParts:
    """A NotPrincipal block as the globs its rule tests, shared by evaluator and encoder.

    `listed`: the principals listed themselves (exact entries, roots of listed accounts);
    `sessions`: the sessions of listed roles; `accounts`: every principal of a listed account.
    `everyone`: the block lists `*` (it excepts every principal).
    """

    def __init__(self, block: PrincipalBlock) -> None:
        self.everyone = block.has_everyone
        listed: list[Glob] = []
        sessions: list[Glob] = []
        accounts: list[Glob] = []
        for entry in block.entries:
            if entry.is_everyone:
                continue
            if entry.account is not None:
                listed.append(root_glob(entry.account))
                accounts.extend(account_globs(entry.account))
                continue
            if principal_kind(entry.text) is not entry.kind:
                continue
            listed.append(exact_glob(entry.text))
            found = session_glob(entry.text) if entry.kind is PrincipalKind.AWS else None
            if found is not None:
                sessions.append(found)
        self.listed = tuple(listed)
        self.sessions = tuple(sessions)
        self.accounts = tuple(accounts)

    def globs(self) -> tuple[Glob, ...]:
        """Every glob the rule tests (the shapes included), for the encoder's principal space."""
        shapes = (shape(ROOT), shape(USER), shape(SESSION), shape(FEDERATED_USER))
        has_account = (shape(ACCOUNT_IAM), shape(ACCOUNT_STS))
        return self.listed + self.sessions + self.accounts + shapes + has_account

    def excepts(self, principal: str, reading: Reading, deny: bool) -> bool:
        """Is `principal` excepted from the statement under `reading` (`deny`: a Deny)?"""
        if self.everyone:
            return True
        if deny and reading.permissions_boundary and is_iam_principal(principal):
            return False
        session = is_shape(SESSION, principal)
        in_sessions = any(g.matches(principal) for g in self.sessions)
        itself = any(g.matches(principal) for g in self.listed) or (
            reading.role_names_sessions and session and in_sessions
        )
        if not itself:
            return False
        account_listed = any(g.matches(principal) for g in self.accounts)
        if reading.checks_account and has_account(principal) and not account_listed:
            return False
        return not (reading.checks_role and session and not in_sessions)


def has_account(principal: str) -> bool:
    """An IAM or STS principal ARN: its account is its fifth segment."""
    return is_shape(ACCOUNT_IAM, principal) or is_shape(ACCOUNT_STS, principal)


def is_iam_principal(principal: str) -> bool:
    return any(is_shape(p, principal) for p in IAM_PRINCIPALS)


def is_caller(principal: str) -> bool:
    """Can `principal` make a request (`CALLERS`, or no ARN at all)?"""
    if not principal.startswith("arn:"):
        return True
    return any(is_shape(p, principal) for p in CALLERS)


def caller_globs() -> tuple[Glob, ...]:
    """The globs `is_caller` reads (`ANY_ARN` is plain: every string that starts `arn:`)."""
    return (compile_pattern(ANY_ARN, Kind.STRING_LIKE), *(shape(p) for p in CALLERS))
