"""Figures for the Terraform sources: python-hcl2's import cost, reading a `.tf` file of many
policies, and the pre-commit hook with one changed `.tf` file.

Run: `python benchmarks/terraform_bench.py [--quick] [--repeat N]`. Needs no shared data: the
`.tf` file is generated (100 policies; quick: 20): 50 (10) times a `data
"aws_iam_policy_document"` of two statements (one on `${var.bucket}`) with the `aws_iam_policy`
that uses it, and a `jsonencode` bucket policy, in a temporary git repository with
`variables.tf` beside it.
Median wall time of whole processes (bytecode cached, one untimed warm-up):
- `python -c pass` and `python -c "import hcl2"` (the parser's import floor);
- the hook (`PRE_COMMIT=1`, the change staged) when only README.md changed, when only
  `variables.tf`'s description changed (a `.tf` file with no policy staged), and when one
  statement of main.tf was narrowed or widened (no arguments; and main.tf as pre-commit passes it).
In process: reading main.tf (`read_terraform`, parse and extraction), median of the runs.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from common import (
    arguments,
    cached_bytecode_env,
    git,
    policy_guard_command,
    quiet_git_env,
    ratio,
    run_process,
    seconds,
    table,
    timed,
)

POLICY = """\
data "aws_iam_policy_document" "app{n}" {{
  statement {{
    sid       = "Read{n}"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::${{var.bucket}}-{n}", "arn:aws:s3:::${{var.bucket}}-{n}/*"]
  }}

  statement {{
    sid       = "Queue{n}"
    actions   = ["sqs:SendMessage", "sqs:ReceiveMessage"]
    resources = ["arn:aws:sqs:us-east-1:111122223333:jobs-{n}"]
  }}
}}

resource "aws_iam_policy" "app{n}" {{
  name   = "app{n}"
  policy = data.aws_iam_policy_document.app{n}.json
}}

resource "aws_s3_bucket_policy" "data{n}" {{
  bucket = "example-{n}"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ AWS = "arn:aws:iam::111122223333:root" }}
      Action    = "s3:GetObject"
      Resource  = "arn:aws:s3:::example-{n}/*"
    }}]
  }})
}}

"""
VARIABLES = 'variable "bucket" {{\n  description = "{description}"\n  default = "example"\n}}\n'
NARROW = ('["sqs:SendMessage", "sqs:ReceiveMessage"]', '["sqs:SendMessage"]')
WIDEN = ('"sqs:ReceiveMessage"]', '"sqs:ReceiveMessage", "sqs:DeleteQueue"]')


def main_tf(count: int) -> str:
    return "".join(POLICY.format(n=n) for n in range(count))


def _repository(folder: Path, count: int, env: Mapping[str, str]) -> Path:
    repo = folder / "terraform"
    repo.mkdir()
    git(repo, env, "init", "--quiet", "--initial-branch", "main")
    (repo / "main.tf").write_text(main_tf(count), encoding="utf-8")
    (repo / "variables.tf").write_text(VARIABLES.format(description="one"), encoding="utf-8")
    (repo / "README.md").write_text("terraform\n", encoding="utf-8")
    git(repo, env, "add", ".")
    git(repo, env, "commit", "--quiet", "-m", "terraform")
    return repo


def _time(command: Sequence[str], cwd: Path, env: Mapping[str, str], repeat: int) -> list[str]:
    run_process(command, cwd=cwd, env=env, timeout=300)
    measured = timed(lambda: run_process(command, cwd=cwd, env=env, timeout=300), repeat)
    return [seconds(measured.median), str(measured.last.returncode)]


def hook_rows(folder: Path, count: int, repeat: int) -> list[list[str]]:
    env = cached_bytecode_env(folder / "bytecode", quiet_git_env())
    repo = _repository(folder, count, env)
    hook_env = {**env, "PRE_COMMIT": "1"}
    hook = policy_guard_command()
    rows = [
        ["python -c pass", *_time([sys.executable, "-c", "pass"], repo, env, repeat)],
        [
            "python -c 'import hcl2'",
            *_time([sys.executable, "-c", "import hcl2"], repo, env, repeat),
        ],
    ]
    (repo / "README.md").write_text("terraform, changed\n", encoding="utf-8")
    git(repo, env, "add", "README.md")
    rows.append(["hook, README.md changed", *_time(hook, repo, hook_env, repeat)])
    git(repo, env, "commit", "--quiet", "-m", "readme")
    (repo / "variables.tf").write_text(VARIABLES.format(description="two"), encoding="utf-8")
    git(repo, env, "add", "variables.tf")
    rows.append(["hook, variables.tf changed (no policy)", *_time(hook, repo, hook_env, repeat)])
    git(repo, env, "commit", "--quiet", "-m", "description")
    text = (repo / "main.tf").read_text(encoding="utf-8")
    for name, (old, new) in (("narrowed", NARROW), ("widened", WIDEN)):
        (repo / "main.tf").write_text(text.replace(old, new, 1), encoding="utf-8")
        git(repo, env, "add", "main.tf")
        rows.append([f"hook, one statement {name}", *_time(hook, repo, hook_env, repeat)])
        rows.append(
            [
                f"hook main.tf, one statement {name}",
                *_time([*hook, "main.tf"], repo, hook_env, repeat),
            ]
        )
    return rows


def read_row(count: int, repeat: int) -> list[str]:
    from policy_guard.sources.terraform_hcl import read_terraform

    text = main_tf(count)
    start = time.perf_counter()
    found = read_terraform(text, "main.tf")
    first = time.perf_counter() - start
    measured = timed(lambda: read_terraform(text, "main.tf"), repeat)
    return [
        f"read_terraform, {count * 2} policies ({len(text.splitlines())} lines)",
        seconds(measured.median),
        f"first {seconds(first)}, {len(found)} found",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments(__doc__)
    parser.add_argument("--repeat", type=int, help="runs per figure (default 5; quick 1)")
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 5)
    count = 10 if args.quick else 50
    with tempfile.TemporaryDirectory() as folder:
        rows = hook_rows(Path(folder), count, repeat)
    floor = float(rows[0][1])
    print(f"terraform: median of {repeat} run(s), whole processes, main.tf of {count * 2} policies")
    shown = [[*row, ratio(float(row[1]), floor)] for row in rows]
    print(table(["run", "seconds", "exit", "vs python"], shown))
    print()
    print(table(["in process", "median", ""], [read_row(count, repeat)]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
