"""The partition contract, checked against `Glob.matches` (the regex semantics of globs.py).

Contract: regions are non-empty (the witness is in its region), pairwise disjoint, cover every
string, and for every glob i and string s, `globs[i].matches(s) == (region_of(s) in members[i])`.
Regions are minimal: one region per membership vector that some string has.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policy_guard.encode.partition import Partition, PartitionTooLarge, partition, realize
from policy_guard.errors import UndecidedError
from policy_guard.policy.globs import Glob, Kind, Token, Wild, compile_pattern

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
MANAGED = DATA / "managed-policies"
needs_data = pytest.mark.skipif(not MANAGED.is_dir(), reason="shared data is absent")

Vector = frozenset[int]


def matcher(globs: Sequence[Glob]) -> Callable[[str], Vector]:
    """The membership vector of a string: literal globs by string equality (what a glob without
    wildcards means), the others by `Glob.matches`. Fast enough for thousands of globs."""
    literal: dict[tuple[bool, str], list[int]] = {}
    wild: list[tuple[int, Glob]] = []
    for i, glob in enumerate(globs):
        if any(isinstance(t, Wild) for t in glob.tokens):
            wild.append((i, glob))
        else:
            literal.setdefault((glob.case_insensitive, glob.literal_text), []).append(i)

    def vector(value: str) -> Vector:
        found = {i for i, glob in wild if glob.matches(value)}
        found.update(literal.get((False, value), ()))
        found.update(literal.get((True, value.lower()), ()))
        return frozenset(found)

    return vector


def region_vectors(p: Partition) -> list[Vector]:
    inside: list[set[int]] = [set() for _ in p.witnesses]
    for i, regions in enumerate(p.members):
        for region in regions:
            inside[region].add(i)
    return [frozenset(v) for v in inside]


def check_contract(p: Partition, strings: Iterable[str], *, calls: int = 50) -> None:
    """Witnesses lie in their regions, regions are distinct vectors, every string has a region;
    `region_of` agrees on `calls` of the strings."""
    vector = matcher(p.globs)
    vectors = region_vectors(p)
    assert len(p.members) == len(p.globs)
    assert all(0 <= r < len(p.witnesses) for m in p.members for r in m)
    for region, witness in enumerate(p.witnesses):
        assert vector(witness) == vectors[region], (region, witness)
    assert len(set(vectors)) == len(vectors), "two regions share a membership vector"
    known = set(vectors)
    for n, s in enumerate(strings):
        v = vector(s)
        assert v in known, f"no region for {s!r}"
        if n < calls:
            region = p.region_of(s)
            assert vectors[region] == v
            assert all(g.matches(s) == (region in p.members[i]) for i, g in enumerate(p.globs))
    for i in range(len(p.globs)):
        runs = p.ranges(i)
        assert {r for lo, hi in runs for r in range(lo, hi + 1)} == p.members[i]
        assert all(a[1] + 1 < b[0] for a, b in itertools.pairwise(runs))


def all_strings(alphabet: str, max_length: int) -> Iterator[str]:
    for n in range(max_length + 1):
        for chars in itertools.product(alphabet, repeat=n):
            yield "".join(chars)


def with_insertions(witnesses: Iterable[str], alphabet: str) -> Iterator[str]:
    for w in witnesses:
        for k in range(len(w) + 1):
            for c in alphabet:
                yield w[:k] + c + w[k:]


# --- property tests over a tiny alphabet ----------------------------------------------------

LITERAL_TOKENS = ("a", "A", "b", "i", "k", "K", ":")
SMALL = "aA:x"  # every string up to length 5
WIDE = "aAbikK:x\u0130\u212a"  # up to length 3, and inserted into witnesses (İ, Kelvin sign)


@st.composite
def glob_sets(draw: st.DrawFn) -> list[Glob]:
    mode = draw(st.sampled_from(["sensitive", "folded", "mixed"]))
    wild_tokens: list[Token] = [*Wild]
    globs: list[Glob] = []
    for _ in range(draw(st.integers(0, 5))):
        folded = mode == "folded" or (mode == "mixed" and draw(st.booleans()))
        pool: list[Token] = list(LITERAL_TOKENS)
        if draw(st.booleans()):
            pool += wild_tokens
        tokens = draw(st.lists(st.sampled_from(pool), max_size=4))
        if folded:
            tokens = [t if isinstance(t, Wild) else t.lower() for t in tokens]
        globs.append(Glob(tuple(tokens), folded))
    duplicate = draw(st.booleans())
    if globs and duplicate:
        globs.append(globs[draw(st.integers(0, len(globs) - 1))])
    return globs


@given(glob_sets())
def test_contract_on_small_alphabets(globs: list[Glob]) -> None:
    p = partition(globs)
    strings = itertools.chain(
        all_strings(SMALL, 5),
        all_strings(WIDE, 3),
        with_insertions(p.witnesses, WIDE),
    )
    check_contract(p, strings)


@given(glob_sets())
def test_witnesses_read_well(globs: list[Glob]) -> None:
    p = partition(globs)
    for witness in p.witnesses:
        assert all(c.isprintable() for c in witness)
    if all(g.case_insensitive for g in globs):
        assert all(w == w.lower() for w in p.witnesses)


@given(glob_sets(), st.data())
def test_realize_agrees_with_the_regions(globs: list[Glob], data: st.DataObject) -> None:
    indices = (
        st.sets(st.integers(0, max(len(globs) - 1, 0)), max_size=3) if globs else st.just(set())
    )
    inside: set[int] = data.draw(indices)
    outside: set[int] = data.draw(indices)
    found = realize(globs, inside, outside)
    possible = any(inside <= v and not (outside & v) for v in region_vectors(partition(globs)))
    assert (found is not None) == possible
    if found is not None:
        assert all(globs[i].matches(found) for i in inside)
        assert not any(globs[i].matches(found) for i in outside)


def test_realize_decides_inclusion() -> None:
    globs = actions("s3:Get*", "s3:GetObject", "s3:*", "*:GetObject*")
    assert realize(globs, [1], [0]) is None  # s3:GetObject is within s3:Get*
    assert realize(globs, [0], [2]) is None
    outside_s3 = realize(globs, [3], [2])
    assert outside_s3 is not None and outside_s3.endswith(":getobject")
    assert not outside_s3.startswith("s3:")
    both = realize(globs, [0, 3], [1])
    assert both is not None and both.startswith("s3:getobject") and both != "s3:getobject"


# --- edge cases ------------------------------------------------------------------------------


def actions(*patterns: str) -> list[Glob]:
    return [compile_pattern(text, Kind.ACTION) for text in patterns]


def test_no_globs_is_one_region() -> None:
    p = partition([])
    assert len(p.witnesses) == 1
    assert p.region_of("") == p.region_of("anything") == 0


@pytest.mark.parametrize(
    ("pattern", "inside", "outside"),
    [
        ("*", ["", "a", "x:y"], []),
        ("?", ["a", ":"], ["", "ab"]),
        ("*?*", ["a", "abc"], [""]),
        ("", [""], ["a"]),
    ],
)
def test_single_pattern(pattern: str, inside: list[str], outside: list[str]) -> None:
    glob = compile_pattern(pattern, Kind.STRING_LIKE)
    p = partition([glob])
    assert len(p.witnesses) == (1 if pattern == "*" else 2)
    for s in inside:
        assert p.region_of(s) in p.members[0]
    for s in outside:
        assert p.region_of(s) not in p.members[0]
    check_contract(p, all_strings("a:", 3))


def test_empty_string_literal_among_wildcards() -> None:
    globs = [compile_pattern(t, Kind.STRING_LIKE) for t in ["", "*", "a*", "?"]]
    p = partition(globs)
    assert p.witnesses[p.region_of("")] == ""
    check_contract(p, all_strings("ab:", 4))


def test_arn_segment_wildcards() -> None:
    texts = [
        "arn:aws:s3:::bucket/*",
        "arn:aws:s3:::bucket",
        "arn:aws:ec2:*:*:instance/*",
        "arn:aws:iam::*:role/admin?",
        "arn:*:iam::123456789012:*",
        "arn:aws:s*:::*",
    ]
    globs = [compile_pattern(t, Kind.RESOURCE) for t in texts]
    globs += [compile_pattern(t, Kind.ARN_LIKE) for t in texts]
    p = partition(globs)
    probes = [
        "arn:aws:s3:::bucket/a:b",
        "arn:aws:s3:::bucket",
        "arn:aws:ec2:us-east-1:1:instance/i-1",
        "arn:aws:ec2:a:b:c:1:instance/i",
        "arn:aws:iam::1:role/admin1",
        "arn:aws:iam::1:2:role/adminx",
        "arn:aws-cn:iam::123456789012:user/x",
        "arn:aws:sqs:::q",
        "arn:aws:s:3:::q",
    ]
    check_contract(p, [*probes, *with_insertions([*p.witnesses, *probes], ":x*")], calls=200)
    seg = globs[len(texts) + 2]  # ArnLike: `*` never crosses a colon in the region segment
    assert p.region_of("arn:aws:ec2:a:b:c:1:instance/i") not in p.members[len(texts) + 2]
    assert seg.matches("arn:aws:ec2:r:1:instance/i")


def test_only_literals_and_a_thousand_of_them() -> None:
    texts = [f"svc{i % 7}:Action{i}" for i in range(1000)]
    p = partition(actions(*texts))
    assert len(p.witnesses) == 1001  # each literal, and everything else
    for i in range(0, 1000, 37):
        assert p.members[i] == frozenset({p.region_of(texts[i].upper())})
    assert all(len(m) == 1 for m in p.members)
    check_contract(p, [*texts, "svc1:action", "x"], calls=5)


def test_prefix_pattern_is_one_run_and_has_a_readable_witness() -> None:
    p = partition(actions("s3:Get*", "s3:GetObject", "s3:GetX", "s3:ListBucket", "ec2:*"))
    assert len(p.ranges(0)) == 1
    rest = p.region_of("s3:getsomethingelse")
    assert rest in p.members[0]
    witness = p.witnesses[rest]
    assert witness.startswith("s3:get")
    assert witness not in ("s3:getobject", "s3:getx")
    assert witness.isascii() and witness.isprintable()


def test_leading_star_among_many_prefixes() -> None:
    services = [f"svc{i}" for i in range(40)]
    texts = [f"{s}:{verb}*" for s in services for verb in ("get", "list", "describe")]
    texts += [f"{s}:GetBucketPolicy" for s in services[:10]]
    texts += ["*:getbucketpolicy", "s3:*"]
    p = partition(actions(*texts))
    probes = [
        f"{s}:{verb}{tail}"
        for s in [*services[:12], "s3", "other"]
        for verb in ("get", "list", "put")
        for tail in ("", "bucketpolicy", "x", "x:getbucketpolicy")
    ]
    check_contract(p, [*probes, *with_insertions(p.witnesses[:40], ":x")], calls=60)
    leading = texts.index("*:getbucketpolicy")
    assert p.region_of("svc3:GetBucketPolicy") in p.members[leading]
    assert p.region_of("s3:getbucketpolicy") in p.members[leading]
    assert p.region_of("svc3:getbucketpolicyx") not in p.members[leading]


def test_identical_globs_share_members() -> None:
    globs = actions("s3:get*", "s3:getobject", "s3:get*", "S3:GET*")
    p = partition(globs)
    assert p.members[0] == p.members[2] == p.members[3]
    check_contract(p, all_strings("s3:gx", 3))


def test_a_literal_star_is_not_a_wildcard() -> None:
    literal = Glob(("a", "*"), False)  # `a${*}`
    wildcard = Glob(("a", Wild.STAR), False)
    p = partition([literal, wildcard, literal])
    assert p.members[0] == p.members[2] == frozenset({p.region_of("a*")})
    assert p.region_of("ab") in p.members[1] and p.region_of("ab") not in p.members[0]
    check_contract(p, all_strings("a*b", 3))


def test_folded_witnesses_are_lower_case() -> None:
    p = partition(actions("S3:GetObject", "S3:List*"))
    assert all(w == w.lower() for w in p.witnesses)


def test_mixed_case_modes_kelvin_sign_and_dotted_capital_i() -> None:
    sensitive = [compile_pattern(t, Kind.STRING_LIKE) for t in ["K", "a?", "*i*"]]
    folded = [compile_pattern(t, Kind.STRING_EQUALS_IGNORE_CASE) for t in ["k", "i"]]
    folded.append(Glob((Wild.ANY,), True))
    folded.append(Glob((Wild.ANY, Wild.ANY), True))
    globs = sensitive + folded
    p = partition(globs)
    kelvin = p.region_of("\u212a")  # KELVIN SIGN lowers to `k`
    assert kelvin in p.members[3] and kelvin not in p.members[0]
    dotted = p.region_of("\u0130")  # lowers to two characters: `i` and a combining dot
    assert dotted in p.members[6] and dotted not in p.members[5]
    assert dotted not in p.members[4]
    check_contract(p, [*all_strings("kKIi\u0130\u212ax", 3), *with_insertions(p.witnesses, "kK")])


def test_capital_sigma_folding() -> None:
    sigma = "\u03c3"
    folded = [Glob((sigma,), True), Glob((Wild.STAR, "\u03c2"), True)]
    p = partition([*folded, compile_pattern("A*", Kind.STRING_LIKE)])
    greek = "\u03a3\u03c3\u03c2A"
    check_contract(p, all_strings(greek, 3), calls=100)
    with pytest.raises(UndecidedError):
        partition([*folded, Glob(("\u03a3",), False)])


def test_budget() -> None:
    tokens: list[Token] = [Wild.STAR, "a", *[Wild.ANY] * 12]
    with pytest.raises(PartitionTooLarge):
        partition([Glob(tuple(tokens), False)], max_states=500)
    assert issubclass(PartitionTooLarge, UndecidedError)


# --- real data -------------------------------------------------------------------------------


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def policy_strings(path: Path, *keys: str) -> list[str]:
    document = json.loads(path.read_text(encoding="utf-8"))
    statements = document["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    return [s for st_ in statements for key in keys for s in _as_list(st_.get(key))]


def latest(policy: str) -> Path:
    return max((MANAGED / policy).glob("v*.json"), key=lambda f: int(f.stem[1:]))


def mutations(texts: Iterable[str], rng: random.Random, count: int) -> list[str]:
    """Catalogue-like strings near the patterns: wildcards filled in, characters changed."""
    pool = sorted(set(texts))
    out: list[str] = []
    for _ in range(count):
        text = rng.choice(pool)
        text = re.sub(r"[*?]", lambda _m: rng.choice(["", "x", "Object", "a:b", "/"]), text)
        k = rng.randrange(len(text) + 1)
        edit = rng.choice(["keep", "insert", "delete", "case", "truncate"])
        if edit == "insert":
            text = text[:k] + rng.choice("x:/Z-") + text[k:]
        elif edit == "delete":
            text = text[:k] + text[k + 1 :]
        elif edit == "case":
            text = text.swapcase()
        elif edit == "truncate":
            text = text[:k]
        out.append(text)
    return out


@pytest.mark.slow
@needs_data
def test_read_only_access_actions() -> None:
    folder = MANAGED / "ReadOnlyAccess"
    texts = policy_strings(folder / "v185.json", "Action", "NotAction")
    texts += policy_strings(folder / "v186.json", "Action", "NotAction")
    p = partition(actions(*texts))
    rng = random.Random(185)
    check_contract(p, [*texts, *mutations(texts, rng, 2000)], calls=20)
    for witness in p.witnesses:
        assert witness.isascii() and witness.isprintable() and witness == witness.lower()
    for i, text in enumerate(texts):  # only literals and trailing-star prefixes here
        if text.endswith("*") and "*" not in text[:-1] and "?" not in text:
            assert len(p.ranges(i)) == 1, text


@pytest.mark.slow
@needs_data
def test_read_only_access_with_a_leading_star() -> None:
    texts = policy_strings(MANAGED / "ReadOnlyAccess" / "v186.json", "Action", "NotAction")
    texts += ["*:GetBucketPolicy", "s3:*Object", "ec2:Describe?nstances"]
    p = partition(actions(*texts))
    rng = random.Random(186)
    samples = [*mutations(texts, rng, 1000), "s3:GetBucketPolicy", "x:getbucketpolicy"]
    check_contract(p, samples, calls=10)


@needs_data
def test_managed_policy_resources() -> None:
    names = [
        "AWSQuickSetupSchedulerPermissionsBoundary",
        "AmazonConnectServiceLinkedRolePolicy",
        "AWSMarketplaceSellerFullAccess",
        "AWSPanoramaApplianceServiceRolePolicy",
    ]
    texts = [r for name in names for r in policy_strings(latest(name), "Resource", "NotResource")]
    # mid-pattern `*` (in the resource part, and a region `*` that may cross colons)
    texts += sorted(set(policy_strings(latest("AWSConfigServiceRolePolicy"), "Resource")))[:14]
    assert len(texts) > 50
    p = partition([compile_pattern(t, Kind.RESOURCE) for t in texts])
    rng = random.Random(7)
    check_contract(p, [*texts, *mutations(texts, rng, 1500)], calls=30)


@pytest.mark.slow
@needs_data
def test_exponential_resource_sets_fail_fast() -> None:
    """A region `*` ends its segment, so it may cross colons: `arn:aws:ec2:*:*:vpc/*` and
    `arn:aws:ec2:*:*:subnet/*` both match `arn:aws:ec2:r:a:vpc/x:r:a:subnet/y`, and n such
    patterns cut 2**n regions (FMSServiceRolePolicy: 1,301 regions, 78,000 states). The budgets
    stop that."""
    texts = policy_strings(latest("FMSServiceRolePolicy"), "Resource", "NotResource")
    globs = [compile_pattern(t, Kind.RESOURCE) for t in texts]
    with pytest.raises(PartitionTooLarge):
        partition(globs, max_states=10_000)
    wafv2 = [compile_pattern(t, Kind.RESOURCE) for t in sorted(set(texts)) if ":wafv2:" in t]
    assert len(wafv2) == 10
    assert len(partition(wafv2[:4]).witnesses) == 2**4  # every subset
    with pytest.raises(PartitionTooLarge):
        partition(wafv2, max_regions=200)
    # the lazy alternative: any one membership vector is quick to realize or refute
    ec2 = [i for i, t in enumerate(texts) if ":ec2:" in t and texts.index(t) == i]
    witness = realize(globs, ec2[:3], ec2[3:])
    assert witness is not None
    assert [globs[i].matches(witness) for i in ec2] == [i in ec2[:3] for i in ec2]
