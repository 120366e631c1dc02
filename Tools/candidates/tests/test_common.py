"""gnll_common: SplitMix64 against its published sequence, and the version-to-profile map at each boundary."""

import re
from pathlib import Path

from gnll import candidate
import numpy as np
import pytest
from gnll_common import PROFILES, SplitMix64, profile_for

TOOLS = Path(__file__).resolve().parents[2]


def test_splitmix64_published_sequence():
    """The values of Tests/PropertyTestingTests/RandomTests.swift (Steele, Lea and Flood's algorithm)."""
    one = SplitMix64(1)
    assert [one.next() for _ in range(4)] == [
        0x910A2DEC89025CC1, 0xBEEB8DA1658EEC67, 0xF893A2EEFB32555E, 0x71C18690EE42C90B,
    ]
    zero = SplitMix64(0)
    assert [zero.next() for _ in range(3)] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]


@pytest.mark.parametrize("seed", [0, 1, 20240917, 2**63, 2**64 - 1, 0x0123456789ABCDEF])
@pytest.mark.parametrize("count", [0, 1, 7, 1000])
def test_bulk_is_repeated_next(seed, count):
    """bulk(n) returns what n calls of next() return, as uint64, and leaves the same state; a seed wraps mod 2**64."""
    stepped, bulked = SplitMix64(seed + 2**64), SplitMix64(seed)
    expected = [stepped.next() for _ in range(count)]
    values = bulked.bulk(count)
    assert values.dtype == np.uint64 and values.shape == (count,)
    assert values.tolist() == expected
    assert bulked.state == stepped.state
    assert bulked.next() == stepped.next()


def test_first_of_is_first_output():
    """first_of(seeds) is SplitMix64(seed).next() per element, including seeds whose state wraps."""
    seeds = [0, 1, 2, 1 << 48, (3 << 48) + 12345, 2**64 - SplitMix64.GAMMA, 2**64 - 1]
    values = SplitMix64.first_of(np.array(seeds, dtype=np.uint64))
    assert values.dtype == np.uint64
    assert values.tolist() == [SplitMix64(seed).next() for seed in seeds]
    assert values[1] == 0x910A2DEC89025CC1


@pytest.mark.parametrize(
    "version, profile",
    [
        ("0.4.1", "torch-1.8"),
        ("1.8.1", "torch-1.8"),
        ("1.9.0", "torch-1.9"),
        ("2.1.2", "torch-1.9"),
        ("2.5.1+cpu", "torch-1.9"),
        ("2.6.0", "torch-2.6"),
        ("2.9.1+cu128", "torch-2.6"),
        ("2.10.0", "torch-2.10"),
        ("2.10.0a0+git1234abc", "torch-2.10"),
        ("2.15.0+cu132", "torch-2.10"),
        ("3.0.0", "torch-2.10"),
    ],
)
def test_profile_for(version, profile):
    """Versions map to the profile of the release line whose behaviour they have (boundaries 1.9, 2.6, 2.10)."""
    assert profile_for(version) == profile


def test_profile_for_rejects_a_non_version():
    with pytest.raises(ValueError):
        profile_for("nightly")


def test_profiles_are_shared():
    """The candidates' helper hands adapters the same tuple, and every profile is reachable from a version."""
    assert candidate.PROFILES is PROFILES
    assert [profile_for(version) for version in ("1.8", "1.9", "2.6", "2.10")] == list(PROFILES)


def test_no_other_python_copy():
    """SplitMix64's constants and a version-to-profile map appear in no other Python file of Tools/."""
    constants = re.compile(r"0x9e37_?79b9_?7f4a_?7c15|0xbf58_?476d_?1ce4_?e5b9|0x94d0_?49bb_?1331_?11eb", re.I)
    profile_map = re.compile(r"\(\s*2\s*,\s*10\s*\)")
    common = TOOLS / "candidates" / "gnll_common.py"
    copies = [
        str(path.relative_to(TOOLS))
        for path in sorted(TOOLS.rglob("*.py"))
        if path != common and "tests" not in path.parts
        and (constants.search(text := path.read_text()) or profile_map.search(text))
    ]
    assert copies == []
