"""`.policy-guard.yaml`: which files are policies, which checks run, and the waivers.

Read with `decode_text`, so every key keeps its line: an unknown key or a wrong type is an
InputError naming the file, the key and its line. `config.example.yaml` documents every key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from policy_guard.checks.settings import CriticalPermission as CriticalPermission
from policy_guard.checks.settings import NewFiles as NewFiles
from policy_guard.document.read import decode_text
from policy_guard.document.values import Decoded, Path
from policy_guard.errors import InputError
from policy_guard.policy.arns import ACCOUNT_ID, ORGANIZATION_ID
from policy_guard.policy.model import PolicyType
from policy_guard.policy.resource_types import RESOURCE_TYPES
from policy_guard.workflow.outcomes import PARSE_ERROR
from policy_guard.workflow.results import Severity

CONFIG_FILE = ".policy-guard.yaml"
# Policy files, CloudFormation/SAM templates (`.template` too), CDK output (`*.template.json`),
# Terraform `.tf` files
DEFAULT_INCLUDE = ("**/*.json", "**/*.yaml", "**/*.yml", "**/*.template", "**/*.tf")
SOLVERS = ("z3", "cvc5")
DEFAULT_FILE_TIMEOUT = 30.0  # seconds per file, every check (`workflow.budgets`)
DEFAULT_RUN_TIMEOUT = 300.0  # seconds per run (hook, pull request, `--all`)


@dataclass(frozen=True)
class Waiver:
    """An accepted finding: `check` on files matching `path` (and statement `statement`)."""

    path: str
    check: str
    reason: str
    statement: str | None = None
    expires: date | None = None
    line: int = 0


@dataclass(frozen=True)
class Config:
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()  # globs of files that must be policies
    checks: Mapping[str, Severity | None] = field(default_factory=dict)  # None: off
    critical_permissions: tuple[CriticalPermission, ...] = ()
    trusted_accounts: tuple[str, ...] = ()
    trusted_organization: str | None = None
    public_access: tuple[tuple[str, str], ...] = ()  # (path glob, resource type), first wins
    policy_types: tuple[tuple[str, PolicyType], ...] = ()  # (path glob, type), first wins
    full_aws_access: bool = True  # SCPs/RCPs deployed beside FullAWSAccess/RCPFullAWSAccess
    solver: str = "z3"
    timeout: float = 60.0
    file_timeout: float = DEFAULT_FILE_TIMEOUT
    run_timeout: float = DEFAULT_RUN_TIMEOUT
    new_files: NewFiles = NewFiles.ACCEPT
    waivers: tuple[Waiver, ...] = ()
    report_only: bool = False
    path: str | None = None  # the file it was read from, relative to the repository root

    def severity(self, check: str) -> Severity | None:
        """The configured severity of `check` (error unless configured), None when off."""
        return self.checks.get(check, Severity.ERROR)

    def selects(self, path: str) -> bool:
        """Is `path` a candidate policy file (include/exclude globs, or named in `policies`)?"""
        if self.names(path):
            return True
        return any(path_matches(p, path) for p in self.include) and not any(
            path_matches(p, path) for p in self.exclude
        )

    def names(self, path: str) -> bool:
        """Does `policies` name `path`, so that it must be a policy?"""
        return any(path_matches(p, path) for p in self.policies)

    def resource_type(self, path: str) -> str | None:
        """The resource type for public-access checks of resource policies in `path`."""
        return next((t for pattern, t in self.public_access if path_matches(pattern, path)), None)

    def policy_type(self, path: str) -> PolicyType | None:
        """The policy type `policy_types` gives the policy files matching `path`."""
        return next((t for pattern, t in self.policy_types if path_matches(pattern, path)), None)


def path_matches(pattern: str, path: str) -> bool:
    """gitignore-like globs on POSIX paths: `*` and `?` within one folder, `**` across folders
    (`**/x` also matches `x` at the top), `[abc]` a class. A leading `./` is ignored."""
    return _path_regex(pattern.removeprefix("./")).fullmatch(path) is not None


@cache
def _path_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            negate = body.startswith("!")
            body = re.escape(body[1:] if negate else body).replace("\\-", "-")
            out.append(f"[{'^' if negate else ''}{body}]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


# --- reading ---------------------------------------------------------------------------------


class _ConfigReader:
    """Typed access to the decoded file, every error naming the key and its line."""

    def __init__(self, document: Decoded) -> None:
        self.document = document

    def fail(self, path: Path, problem: str) -> InputError:
        line = (self.document.key_span_of(path) if path else self.document.span_of(())).line
        return InputError(
            f"`{_dotted(path)}`: {problem}" if path else problem,
            filename=self.document.filename,
            line=line,
        )

    def line(self, path: Path) -> int:
        return self.document.key_span_of(path).line

    def mapping(self, value: Any, path: Path, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, "must be a mapping")
        for key in value:
            if key not in allowed:
                raise self.fail(
                    (*path, key), f"unknown key (expected one of: {', '.join(allowed)})"
                )
        return value

    def string(
        self, value: Any, path: Path, pattern: re.Pattern[str] | None = None, hint: str = ""
    ) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"must be a non-empty string{hint}")
        if pattern is not None and not pattern.match(value):
            raise self.fail(path, f"`{value}` is not valid{hint}")
        return value

    def strings(
        self, value: Any, path: Path, pattern: re.Pattern[str] | None = None, hint: str = ""
    ) -> tuple[str, ...]:
        """A string or a list of strings."""
        items = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not value:
            raise self.fail(path, "must not be an empty list")
        return tuple(
            self.string(item, (*path, i) if isinstance(value, list) else path, pattern, hint)
            for i, item in enumerate(items)
        )

    def choice(self, value: Any, path: Path, choices: tuple[str, ...]) -> str:
        if not isinstance(value, str) or value not in choices:
            raise self.fail(path, f"must be one of: {', '.join(choices)}")
        return value

    def items(self, value: Any, path: Path) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, "must be a list")
        return value


def _dotted(path: Path) -> str:
    text = ""
    for element in path:
        text += f"[{element}]" if isinstance(element, int) else (f".{element}" if text else element)
    return text


def waivable() -> tuple[str, ...]:
    """What a waiver may accept: every check (each can be configured under `checks:`), and a
    parse error; the workflow's other outcomes (`expired-waiver`, `unused-waiver`,
    `undecided`) cannot be waived. (The registry is imported here, when a configuration that
    needs it is read: the hook's quick look on a commit without policies never loads it.)"""
    from policy_guard.checks.registry import CHECK_IDS

    return (*CHECK_IDS, PARSE_ERROR)


def _checks(r: _ConfigReader, value: Any) -> dict[str, Severity | None]:
    from policy_guard.checks.registry import CHECK_IDS

    section = r.mapping(value, ("checks",), CHECK_IDS)
    levels = ("error", "warning", "off")
    result: dict[str, Severity | None] = {}
    for name, raw in section.items():
        # YAML 1.1 reads a bare `off` as false
        level = "off" if raw is False else r.choice(raw, ("checks", name), levels)
        result[name] = None if level == "off" else Severity(level)
    return result


def _critical(r: _ConfigReader, value: Any) -> tuple[CriticalPermission, ...]:
    result = []
    for i, raw in enumerate(r.items(value, ("critical_permissions",))):
        path: Path = ("critical_permissions", i)
        entry = r.mapping(raw, path, ("id", "description", "actions", "resources"))
        for required in ("description", "actions"):
            if required not in entry:
                raise r.fail(path, f"`{required}` is required")
        description = r.string(entry["description"], (*path, "description"))
        entry_id = r.string(entry["id"], (*path, "id")) if "id" in entry else f"critical-{i + 1}"
        resources = (
            r.strings(entry["resources"], (*path, "resources")) if "resources" in entry else ()
        )
        actions = r.strings(entry["actions"], (*path, "actions"))
        _check_critical_actions(r, entry["actions"], (*path, "actions"))
        result.append(
            CriticalPermission(
                entry_id, description, actions, resources, r.document.span_of(path).line
            )
        )
    return tuple(result)


def _check_critical_actions(r: _ConfigReader, written: Any, path: Path) -> None:
    """A critical permission must name real actions: a misspelt one (`iam:CreatUser`) would
    match nothing, and the check would pass every policy without a word."""
    from policy_guard.policy.catalogue import action_pattern_problem

    items = (
        [(written, path)]
        if isinstance(written, str)
        else [(a, (*path, i)) for i, a in enumerate(written)]
    )
    for action, where in items:
        problem = action_pattern_problem(action)
        if problem is not None:
            raise r.fail(where, f"a critical permission must match a real action: {problem}")


def _public_access(r: _ConfigReader, value: Any) -> tuple[tuple[str, str], ...]:
    section = r.mapping(value, ("public_access",), ("resource_types",))
    types = section.get("resource_types", {})
    path: Path = ("public_access", "resource_types")
    if not isinstance(types, dict):
        raise r.fail(
            path, 'must map path globs to resource types (e.g. `"buckets/**": AWS::S3::Bucket`)'
        )
    result = []
    for glob, written in types.items():
        name = r.string(written, (*path, glob))
        if name not in RESOURCE_TYPES:
            raise r.fail(
                (*path, glob),
                f"`{name}` is not a resource type of the public-access check "
                f"(one of: {', '.join(RESOURCE_TYPES)})",
            )
        result.append((glob, name))
    return tuple(result)


def _policy_types(r: _ConfigReader, value: Any) -> tuple[tuple[str, PolicyType], ...]:
    """Path globs to the type of the policy files they match (SCPs, RCPs and boundaries are
    plain policy documents: nothing in the file says which it is)."""
    path: Path = ("policy_types",)
    if not isinstance(value, dict):
        raise r.fail(
            path, 'must map path globs to policy types (e.g. `"scps/**": SERVICE_CONTROL_POLICY`)'
        )
    names = tuple(t.value for t in PolicyType)
    return tuple(
        (glob, PolicyType(r.choice(written, (*path, glob), names)))
        for glob, written in value.items()
    )


def _full_aws_access(r: _ConfigReader, value: Any) -> bool:
    if not isinstance(value, bool):
        raise r.fail(("full_aws_access",), "must be true or false")
    return value


def _expires(r: _ConfigReader, value: Any, path: Path) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise r.fail(path, f"`{value}` is not a date (YYYY-MM-DD)") from None


def _waivers(r: _ConfigReader, value: Any) -> tuple[Waiver, ...]:
    result = []
    for i, raw in enumerate(r.items(value, ("waivers",))):
        path: Path = ("waivers", i)
        entry = r.mapping(raw, path, ("path", "check", "statement", "reason", "expires"))
        for required in ("path", "check", "reason"):
            if required not in entry:
                raise r.fail(
                    path, f"`{required}` is required (a waiver says what it accepts and why)"
                )
        check = r.choice(entry["check"], (*path, "check"), waivable())
        statement = (
            r.string(entry["statement"], (*path, "statement")) if "statement" in entry else None
        )
        expires = _expires(r, entry["expires"], (*path, "expires")) if "expires" in entry else None
        result.append(
            Waiver(
                r.string(entry["path"], (*path, "path")),
                check,
                r.string(entry["reason"], (*path, "reason")),
                statement,
                expires,
                r.document.span_of(path).line,
            )
        )
    return tuple(result)


def _seconds(key: str) -> Callable[[_ConfigReader, Any], float]:
    def read(r: _ConfigReader, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise r.fail((key,), "must be a number of seconds greater than 0")
        return float(value)

    return read


def _report_only(r: _ConfigReader, value: Any) -> bool:
    if not isinstance(value, bool):
        raise r.fail(("report_only",), "must be true or false")
    return value


_ACCOUNT_HINT = ' (a 12-digit account id in quotes, e.g. `"111122223333"`)'
_FIELDS: dict[str, Callable[[_ConfigReader, Any], Any]] = {
    "include": lambda r, v: r.strings(v, ("include",)),
    "exclude": lambda r, v: r.strings(v, ("exclude",)),
    "policies": lambda r, v: r.strings(v, ("policies",)),
    "checks": _checks,
    "critical_permissions": _critical,
    "trusted_accounts": lambda r, v: r.strings(v, ("trusted_accounts",), ACCOUNT_ID, _ACCOUNT_HINT),
    "trusted_organization": lambda r, v: r.string(
        v, ("trusted_organization",), ORGANIZATION_ID, " (an organization id like `o-a1b2c3d4e5`)"
    ),
    "public_access": _public_access,
    "policy_types": _policy_types,
    "full_aws_access": _full_aws_access,
    "solver": lambda r, v: r.choice(v, ("solver",), SOLVERS),
    "timeout": _seconds("timeout"),
    "file_timeout": _seconds("file_timeout"),
    "run_timeout": _seconds("run_timeout"),
    "new_files": lambda r, v: NewFiles(
        r.choice(v, ("new_files",), tuple(n.value for n in NewFiles))
    ),
    "waivers": _waivers,
    "report_only": _report_only,
}

CONFIG_KEYS: tuple[str, ...] = tuple(_FIELDS)  # the top-level keys of `.policy-guard.yaml`


def parse_config(text: str, filename: str) -> Config:
    """The configuration in `text`; InputError naming the key and line of the first problem."""
    if all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        return Config(path=filename)
    document = decode_text(text, filename)
    if document.value is None:
        return Config(path=filename)
    reader = _ConfigReader(document)
    values = reader.mapping(document.value, (), CONFIG_KEYS)
    fields = {key: _FIELDS[key](reader, raw) for key, raw in values.items()}
    return Config(**fields, path=filename)


def load_config(path: str, display_name: str, *, required: bool) -> Config:
    """Read the configuration file at `path`; defaults when it is absent and not `required`."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        if required:
            raise InputError(
                "the configuration file does not exist", filename=display_name
            ) from None
        return Config()
    except OSError as error:
        raise InputError(
            f"cannot read the configuration: {error.strerror}", filename=display_name
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the configuration is not UTF-8 text", filename=display_name) from None
    return parse_config(text, display_name)
