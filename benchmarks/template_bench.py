"""Figures for templates: the hook on one changed template of 50 policies, and `--all` over the
shared CloudFormation templates, beside the import floor.

Run: `python benchmarks/template_bench.py [--quick] [--repeat N]`. Reads
../shared/data/cloudformation (beside the repository); without it, says so and exits 0.

Median wall time of whole processes (each command run once untimed first):
- the floor: `python -c "import pysmt.shortcuts, z3"` (the imports any SMT tool pays);
- the hook as pre-commit runs it (`PRE_COMMIT=1`, the change staged) on a template of 25 roles
  (a trust policy and an inline policy each, with `!Sub`, `!GetAtt` and a parameter: 50
  policies) when one inline policy is narrowed, and when one is widened (a FAIL);
- the hook given an unselected text file (what pre-commit passes now that `text` files reach
  the hook) and given nothing when only a README changed;
- `policy-guard --all --jobs 2` over the 41 shared templates (163 policy documents).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from common import (
    DATA,
    Process,
    arguments,
    cached_bytecode_env,
    git,
    missing_data,
    policy_guard_command,
    quiet_git_env,
    run_process,
    seconds,
    table,
    timed,
)

TEMPLATES = DATA / "cloudformation"
FLOOR = (sys.executable, "-c", "import pysmt.shortcuts, z3")
ROLES = 25


def fifty_policy_template(actions_of_first: Sequence[str]) -> str:
    """A template of ROLES roles, each with a trust policy and one inline policy."""
    resources: dict[str, object] = {"Data": {"Type": "AWS::S3::Bucket"}}
    for index in range(ROLES):
        actions = list(actions_of_first) if index == 0 else ["s3:GetObject", "s3:ListBucket"]
        resources[f"Role{index}"] = {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "Policies": [
                    {
                        "PolicyName": f"app{index}",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": actions,
                                    "Resource": [
                                        {"Fn::GetAtt": ["Data", "Arn"]},
                                        {"Fn::Sub": "${Data.Arn}/" + f"{index}/*"},
                                    ],
                                },
                                {
                                    "Effect": "Allow",
                                    "Action": "logs:PutLogEvents",
                                    "Resource": {
                                        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:"
                                        "${AWS::AccountId}:log-group:/app/" + f"{index}:*"
                                    },
                                },
                            ],
                        },
                    }
                ],
            },
        }
    return json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}, indent=2)


def _time(
    command: Sequence[str], cwd: Path, env: Mapping[str, str], repeat: int
) -> tuple[float, Process]:
    run_process(command, cwd=cwd, env=env, timeout=300)
    measured = timed(lambda: run_process(command, cwd=cwd, env=env, timeout=300), repeat)
    return measured.median, measured.last


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments(__doc__ or "")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (default 5)")
    args = parser.parse_args(argv)
    note = missing_data(TEMPLATES)
    if note:
        print(note)
        return 0
    repeat = 1 if args.quick else args.repeat
    rows = []
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        env = cached_bytecode_env(folder / "bytecode", quiet_git_env())
        repo = folder / "stacks"
        repo.mkdir()
        git(repo, env, "init", "--quiet", "--initial-branch", "main")
        wide = ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]
        (repo / "app.template.json").write_text(fifty_policy_template(wide), encoding="utf-8")
        (repo / "README.md").write_text("stacks\n", encoding="utf-8")
        git(repo, env, "add", ".")
        git(repo, env, "commit", "--quiet", "-m", "stacks")
        hook_env = {**env, "PRE_COMMIT": "1"}
        hook = policy_guard_command()

        floor, done = _time(FLOOR, repo, env, repeat)
        rows.append(("python -c 'import pysmt.shortcuts, z3' (floor)", floor, done.returncode))
        (repo / "README.md").write_text("stacks, changed\n", encoding="utf-8")
        git(repo, env, "add", "README.md")
        median, done = _time(hook, repo, hook_env, repeat)
        rows.append(("hook, only a README changed", median, done.returncode))
        median, done = _time([*hook, "README.md"], repo, hook_env, repeat)
        rows.append(("hook README.md (a text file pre-commit passes)", median, done.returncode))
        git(repo, env, "commit", "--quiet", "-m", "readme")

        template = repo / "app.template.json"
        template.write_text(fifty_policy_template(["s3:GetObject"]), encoding="utf-8")
        git(repo, env, "add", template.name)
        median, done = _time(hook, repo, hook_env, repeat)
        rows.append(("hook, one of 50 template policies narrowed", median, done.returncode))
        git(repo, env, "commit", "--quiet", "-m", "narrow")
        template.write_text(fifty_policy_template(wide), encoding="utf-8")
        git(repo, env, "add", template.name)
        median, done = _time(hook, repo, hook_env, repeat)
        rows.append(("hook, one of 50 template policies widened", median, done.returncode))

        sweep = folder / "sweep"
        shutil.copytree(TEMPLATES, sweep)
        git(sweep, env, "init", "--quiet", "--initial-branch", "main")
        git(sweep, env, "add", ".")
        git(sweep, env, "commit", "--quiet", "-m", "templates")
        command = [*hook, "--all", "--jobs", "2", "--no-progress", "--format", "json"]
        median, done = _time(command, sweep, env, repeat)
        summary = json.loads(done.stdout)["summary"] if done.stdout.strip() else {}
        rows.append(
            (f"--all over {len(list(TEMPLATES.rglob('*.*')))} files", median, done.returncode)
        )
    print(
        table(
            ["figure", "median", "vs floor", "exit"],
            [
                [name, seconds(value), f"{value / floor:.2f}x", str(code)]
                for name, value, code in rows
            ],
            "lrrr",
        )
    )
    print(f"--all summary: {json.dumps(summary, sort_keys=True)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
