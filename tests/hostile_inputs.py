"""A catalogue of hostile inputs: documents built to break, stall or exhaust a policy checker.

Each `Hostile` is one file (its name says how it is read: `.json`, `.yaml`, `.template.json`,
`.tf`) in a class (`kind`), with what a correct answer is: `decided` for the valid policies of
realistic shape (they must be PASS or FAIL, within the budget), anything but a traceback or a
hang for the others (undecided, exit 2, is fine). The tests and `benchmarks/hostile_bench.py`
read this one list.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

ACCOUNT = "111122223333"


@dataclass(frozen=True)
class Hostile:
    name: str  # a file name: its extension chooses the reader
    kind: str  # the class, as the catalogue's report groups them
    data: bytes
    decided: bool = False  # must be PASS/FAIL: a valid policy of realistic shape
    slow: bool = False  # heavy enough to run only with the slow tests


def policy(statements: list[dict[str, object]]) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": statements}


def _json(value: object) -> bytes:
    return json.dumps(value, indent=1).encode()


GOOD = policy(
    [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"],
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "data"}},
        },
        {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"},
    ]
)
GOOD_JSON = _json(GOOD)
GOOD_YAML = b"""\
Version: '2012-10-17'
Statement:
  - Sid: Read
    Effect: Allow
    Action: [s3:GetObject, s3:ListBucket]
    Resource:
      - arn:aws:s3:::bucket
      - arn:aws:s3:::bucket/*
  - Effect: Deny
    NotAction: s3:*
    Resource: '*'
"""


def _broken_json() -> Iterator[Hostile]:
    """The good policy cut off, or with one byte replaced, at positions through the file."""
    size = len(GOOD_JSON)
    for cut in (1, 2, 10, size // 5, size // 3, size // 2, size - 40, size - 2):
        yield Hostile(f"cut-{cut}.json", "broken-json", GOOD_JSON[:cut])
    for at, byte in ((0, b"]"), (size // 4, b"{"), (size // 2, b'"'), (size - 1, b",")):
        yield Hostile(f"byte-{at}.json", "broken-json", GOOD_JSON[:at] + byte + GOOD_JSON[at + 1 :])
    yield Hostile("trailing.json", "broken-json", GOOD_JSON + b"\n{}")
    yield Hostile("empty.json", "broken-json", b"")
    yield Hostile("only-space.json", "broken-json", b" \n\t\n")


def _broken_yaml() -> Iterator[Hostile]:
    lines = GOOD_YAML.split(b"\n")
    for at in (1, 3, 5, 8):
        bad = [*lines[:at], b"   - : : [", *lines[at:]]
        yield Hostile(f"line-{at}.yaml", "broken-yaml", b"\n".join(bad))
    yield Hostile("tab-indent.yaml", "broken-yaml", GOOD_YAML.replace(b"  - Effect", b"\t- Effect"))
    yield Hostile("unclosed.yaml", "broken-yaml", GOOD_YAML.replace(b"[s3:", b"[[s3:"))
    yield Hostile("two-docs.yaml", "broken-yaml", GOOD_YAML + b"---\n" + GOOD_YAML)
    yield Hostile("cut.yaml", "broken-yaml", GOOD_YAML[: len(GOOD_YAML) // 2] + b"'")


def _laughs(levels: int) -> bytes:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]")
    return ("\n".join(lines) + "\nVersion: '2012-10-17'\nStatement: *l8\n").encode()


def _bombs() -> Iterator[Hostile]:
    yield Hostile("laughs.yaml", "bomb", _laughs(9))
    yield Hostile("deep.json", "bomb", b"[" * 100_000 + b"]" * 100_000)
    yield Hostile("deep-object.json", "bomb", b'{"a":' * 50_000 + b"1" + b"}" * 50_000)
    yield Hostile("deep.yaml", "bomb", b"- " * 5_000 + b"x\n")
    yield Hostile("deep-flow.yaml", "bomb", b"[" * 50_000 + b"]" * 50_000)
    big_int = policy([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])
    text = _json(big_int).replace(b'"2012-10-17"', b"1" + b"0" * 100_000)
    yield Hostile("huge-number.json", "bomb", text)
    yield Hostile("huge-exponent.json", "bomb", text.replace(b"1" + b"0" * 100_000, b"1e999999"))
    keys = b",".join(b'"k":1' for _ in range(200_000))
    yield Hostile("duplicate-keys.json", "bomb", b'{"Version":"2012-10-17",' + keys + b"}")
    anchors = (
        b"a: &a " + b"x" * 1_000_000 + b"\nStatement: [" + b", ".join([b"*a"] * 2_000) + b"]\n"
    )
    yield Hostile("wide-alias.yaml", "bomb", anchors)


def _statement(i: int) -> dict[str, object]:
    """Statement `i` of a realistic large policy: a few actions of one service on its
    resources, some with a condition."""
    services = (
        ("s3", ["GetObject", "PutObject", "ListBucket"], "arn:aws:s3:::bucket-{i}/*"),
        ("dynamodb", ["GetItem", "Query"], f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t{{i}}"),
        ("sqs", ["SendMessage", "ReceiveMessage"], f"arn:aws:sqs:us-east-1:{ACCOUNT}:q{{i}}"),
        ("logs", ["PutLogEvents"], f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:g{{i}}:*"),
    )
    service, actions, resource = services[i % len(services)]
    statement: dict[str, object] = {
        "Sid": f"S{i}",
        "Effect": "Deny" if i % 50 == 49 else "Allow",
        "Action": [f"{service}:{a}" for a in actions],
        "Resource": resource.format(i=i),
    }
    if i % 7 == 0:
        statement["Condition"] = {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    return statement


def _sizes() -> Iterator[Hostile]:
    arns = [f"arn:aws:s3:::bucket-{i:05d}/prefix/object-{i:05d}.bin" for i in range(80_000)]
    yield Hostile(
        "arns-80000.json",
        "size",
        _json(policy([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": arns}])),
        slow=True,
    )
    yield Hostile(
        "statements-5000.json",
        "size",
        _json(policy([_statement(i) for i in range(5_000)])),
        # Decided in 11-22 s before the request rules (real ARNs, principal facts) were merged,
        # then about 2 minutes (293 s, 1.6 GB); with the prefix indexes and bulk model reads
        # 29 s of CPU; with a log-stream ARN of each logs statement as its neighbour request
        # (`readable.pattern_pair`, no solver search per statement) 12 s of CPU, 18.5 s on the
        # loaded shared box, 300 MB.
        decided=True,
        slow=True,
    )
    yield Hostile(
        "statements-1000.json",
        "size",
        _json(policy([_statement(i) for i in range(1_000)])),
        decided=True,
    )
    conditions = {
        "StringEquals": {
            f"aws:PrincipalTag/key{k}": [f"value-{k}-{v}" for v in range(50)] for k in range(200)
        }
    }
    yield Hostile(
        "conditions-200x50.json",
        "size",
        _json(
            policy(
                [
                    {
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": "*",
                        "Condition": conditions,
                    }
                ]
            )
        ),
        decided=True,
        slow=True,
    )
    actions = [f"ec2:Describe{i}" for i in range(10_000)]
    yield Hostile(
        "actions-10000.json",
        "size",
        _json(policy([{"Effect": "Allow", "Action": actions, "Resource": "*"}])),
    )
    yield Hostile(
        "long-sid.json",
        "size",
        _json(
            policy([{"Sid": "A" * 1_000_000, "Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
        ),
    )


def _wildcards() -> Iterator[Hostile]:
    starry = "arn:aws:s3:::" + "a*b?" * 8_250 + "c" * (100_000 - 13 - 4 * 8_250)
    yield Hostile("resource-100k-33k-wildcards.json", "wildcards", _allow("s3:GetObject", starry))
    for n in (40, 100, 500):
        yield Hostile(f"action-{n}-questions.json", "wildcards", _allow("s3:" + "?" * n, "*"))
        yield Hostile(
            f"resource-{n}-questions.json",
            "wildcards",
            _allow("s3:GetObject", "arn:aws:s3:::" + "?" * n),
        )
        yield Hostile(
            f"action-{n}-question-stars.json", "wildcards", _allow("s3:" + "?*" * (n // 2), "*")
        )
        yield Hostile(
            f"resource-{n}-question-stars.json",
            "wildcards",
            _allow("s3:GetObject", "arn:aws:s3:::b/" + "?*" * (n // 2)),
        )
    yield Hostile(
        "stars-run.json", "wildcards", _allow("s3:Get" + "*" * 5_000, "arn:aws:s3:::*" * 50)
    )
    many = [f"arn:aws:s3:::b{i}/*x*y*z*{i}?" for i in range(300)]
    yield Hostile("resources-300-starry.json", "wildcards", _allow("s3:*", many))


def _allow(action: object, resource: object) -> bytes:
    return _json(policy([{"Effect": "Allow", "Action": action, "Resource": resource}]))


def _encodings() -> Iterator[Hostile]:
    text = GOOD_JSON.decode()
    yield Hostile("bom-utf8.json", "encoding", b"\xef\xbb\xbf" + GOOD_JSON)
    yield Hostile("utf16-le-bom.json", "encoding", text.encode("utf-16"))
    yield Hostile("utf16-be.json", "encoding", text.encode("utf-16-be"))
    yield Hostile("utf32.json", "encoding", text.encode("utf-32"))
    yield Hostile("latin1.json", "encoding", GOOD_JSON.replace(b"data", b"d\xe9ta"))
    yield Hostile("nul.json", "encoding", GOOD_JSON.replace(b"data", b"da\x00ta"))
    yield Hostile("surrogate.json", "encoding", GOOD_JSON.replace(b"data", b"\\ud800"))
    yield Hostile("crlf.json", "encoding", GOOD_JSON.replace(b"\n", b"\r\n"), decided=True)
    yield Hostile("bom-utf8.yaml", "encoding", b"\xef\xbb\xbf" + GOOD_YAML)
    yield Hostile("utf16.yaml", "encoding", GOOD_YAML.decode().encode("utf-16"))
    yield Hostile("control-chars.yaml", "encoding", GOOD_YAML.replace(b"Read", b"Re\x07ad"))


def _yaml_tags() -> Iterator[Hostile]:
    for tag in (
        "!!python/object/apply:os.system ['touch /tmp/policy-guard-pwned']",
        "!!python/name:os.system",
        "!!python/object/new:subprocess.Popen [['true']]",
        "!!binary aGVsbG8=",
        "!!set {a, b}",
        "!!timestamp 2001-12-14",
        "!Ref Bucket",
        "!Sub 'arn:aws:s3:::${Bucket}/*'",
    ):
        name = tag.split()[0].strip("!").replace("/", "-").replace(":", "-")
        data = GOOD_YAML.replace(b"- arn:aws:s3:::bucket\n", f"- {tag}\n".encode())
        yield Hostile(f"tag-{name}.yaml", "yaml-tag", data)
    merge = (
        b"base: &b {Effect: Allow}\nVersion: '2012-10-17'\nStatement:\n"
        b"  - <<: *b\n    Action: s3:*\n    Resource: '*'\n"
    )
    yield Hostile("merge-key.yaml", "yaml-tag", merge)


def _shapes() -> Iterator[Hostile]:
    for name, value in (
        ("statement-string", {"Version": "2012-10-17", "Statement": "s3:*"}),
        ("action-number", policy([{"Effect": "Allow", "Action": 7, "Resource": "*"}])),
        ("version-number", {"Version": 2012, "Statement": []}),
        ("top-list", [GOOD, GOOD]),
        (
            "nan",
            policy([{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Sid": float("nan")}]),
        ),
        (
            "condition-list",
            policy([{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": [1]}]),
        ),
    ):
        yield Hostile(f"{name}.json", "shape", json.dumps(value).encode())
    template = {
        "Resources": {
            f"Role{i}": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {"PolicyDocument": {"Fn::Sub": "${" * 50}},
            }
            for i in range(50)
        }
    }
    yield Hostile("template-sub-bomb.template.json", "shape", json.dumps(template).encode())
    yield Hostile(
        "hcl-junk.tf",
        "shape",
        b'resource "aws_iam_policy" "p" {\n  policy = jsonencode({' + b"{" * 2_000 + b"\n}\n",
    )


def catalogue() -> list[Hostile]:
    """Every hostile input, in class order."""
    return [
        *_broken_json(),
        *_broken_yaml(),
        *_bombs(),
        *_sizes(),
        *_wildcards(),
        *_encodings(),
        *_yaml_tags(),
        *_shapes(),
    ]
