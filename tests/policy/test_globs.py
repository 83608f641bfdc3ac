"""The wildcard matcher against the regular expressions it replaced, and its running time.

`Glob.matches` matched with Python regular expressions until they were found to backtrack
exponentially (issue 9). The old translation is kept here, only as the oracle: on every kind of
pattern, literal and wildcard chunks, and strings built from the characters that matter (`:`,
letters of both cases, the separators), the new matcher must give the same answer.
"""

from __future__ import annotations

import itertools
import re
import time

from hypothesis import example, given, settings
from hypothesis import strategies as st

from policy_guard.policy.globs import Glob, Kind, Wild, compile_chunks, compile_pattern, overlap


def regex_matches(glob: Glob, value: str) -> bool:
    """The matcher as it was: one regular expression per glob (the oracle)."""
    pieces = []
    for token in glob.tokens:
        if token is Wild.STAR:
            pieces.append(".*")
        elif token is Wild.STAR_IN_SEGMENT:
            pieces.append("[^:]*")
        elif token is Wild.ANY:
            pieces.append(".")
        elif token is Wild.ANY_IN_SEGMENT:
            pieces.append("[^:]")
        else:
            pieces.append(re.escape(token))
    if glob.case_insensitive:
        value = value.lower()
    return re.compile("".join(pieces), re.DOTALL).fullmatch(value) is not None


PATTERN_TEXT = st.text(alphabet="ab:*?A", max_size=12)
VALUES = st.text(alphabet="ab:A*\n", max_size=14)
CHUNKS = st.lists(st.tuples(PATTERN_TEXT, st.booleans()), min_size=1, max_size=3)
CHEAP = settings(max_examples=max(400, settings().max_examples))
"""Each example takes microseconds: many more than the profile's default, in every profile."""


@CHEAP
@given(chunks=CHUNKS, kind=st.sampled_from(Kind), value=VALUES)
@example(chunks=[("a*b", True)], kind=Kind.ARN_LIKE, value="a:b")
@example(chunks=[("arn:aws:s3:::*-*-prod/*", True)], kind=Kind.RESOURCE, value="arn:aws:s3:::a-b")
@example(chunks=[("a*:*b", True)], kind=Kind.ARN_LIKE, value="a:b")
@example(chunks=[("*:", True), ("*", False)], kind=Kind.RESOURCE, value="x:*")
@example(chunks=[("**?*", True)], kind=Kind.ARN_LIKE, value=":")
def test_the_matcher_agrees_with_the_regular_expressions(
    chunks: list[tuple[str, bool]], kind: Kind, value: str
) -> None:
    glob = compile_chunks(chunks, kind)
    assert glob.matches(value) == regex_matches(glob, value)


@CHEAP
@given(pattern=st.text(alphabet="ab*", max_size=12), value=st.text(alphabet="ab", max_size=12))
@example(pattern="*aa*aa*", value="aaa")
def test_stars_alone_agree_with_the_regular_expressions(pattern: str, value: str) -> None:
    """The greedy path (literal pieces between `*`s), on the strings it is most likely to get
    wrong: two letters, so pieces recur and overlap."""
    glob = compile_pattern(pattern, Kind.STRING_LIKE)
    assert glob.matches(value) == regex_matches(glob, value)


def test_many_wildcards_against_a_long_string_answer_at_once() -> None:
    dashes = compile_pattern("arn:aws:s3:::" + "*-" * 12 + "prod/*", Kind.RESOURCE)
    many_a = compile_pattern("*a" * 35, Kind.RESOURCE)
    segments = compile_pattern("arn:*:*:*:*:" + "*-" * 12 + "prod/*", Kind.ARN_LIKE)
    long_name = "arn:aws:s3:::" + "-".join(f"p{i}" for i in range(1, 41))
    start = time.perf_counter()
    assert not dashes.matches(long_name)
    assert dashes.matches(long_name + "-prod/key")
    assert not many_a.matches("a" * 34 + "b" * 40)
    assert many_a.matches("xa" * 35)
    assert not segments.matches("arn:aws:s3:::" + "-".join("p" * 40))
    assert time.perf_counter() - start < 0.5


def _some_string_matches_both(first: Glob, second: Glob) -> bool:
    """Brute force: a shortest common string advances at least one of the two token lists per
    character, so it is no longer than both lists together. `z` stands for every character
    neither pattern names."""
    longest = len(first.tokens) + len(second.tokens)
    return any(
        first.matches(text) and second.matches(text)
        for size in range(longest + 1)
        for text in map("".join, itertools.product("aA:z", repeat=size))
    )


SMALL_PATTERN = st.text(alphabet="aA:*?", max_size=3)
GLOB_KINDS = st.sampled_from([Kind.RESOURCE, Kind.ARN_LIKE, Kind.STRING_LIKE, Kind.ACTION])


@given(first=SMALL_PATTERN, second=SMALL_PATTERN, kinds=st.tuples(GLOB_KINDS, GLOB_KINDS))
@example(first="a*", second="*:", kinds=(Kind.ARN_LIKE, Kind.STRING_LIKE))
@example(first="*:a", second="?a", kinds=(Kind.ARN_LIKE, Kind.ARN_LIKE))
def test_overlap_agrees_with_a_brute_force(
    first: str, second: str, kinds: tuple[Kind, Kind]
) -> None:
    a, b = compile_pattern(first, kinds[0]), compile_pattern(second, kinds[1])
    assert overlap(a, b) == _some_string_matches_both(a, b)


def test_overlap_of_resource_patterns_and_arn_formats() -> None:
    bucket = compile_pattern("arn:aws:s3:::bucket", Kind.RESOURCE)
    objects = compile_pattern("arn:aws:s3:::*/*", Kind.RESOURCE)
    assert not overlap(bucket, objects)
    assert overlap(compile_pattern("arn:aws:s3:::bucket*", Kind.RESOURCE), objects)
    # `*` that ends a head segment may run past the colon (the documented wildcard)
    regional = compile_pattern("arn:aws:dynamodb:us-*:table/T", Kind.RESOURCE)
    table = compile_pattern("arn:aws:dynamodb:us-east-1:111122223333:table/*", Kind.RESOURCE)
    assert overlap(regional, table)
