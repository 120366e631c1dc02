"""What the Python tools share: the SplitMix64 generator and the map from a torch version to its profile.

One module for the golden exporter (``Tools/export_golden.py``), the benchmark script
(``Tools/bench_vs_torch.py``) and the candidates in this folder (``gnll_candidate.py``,
``torch_candidate.py``). It lives beside the candidates because they import their helpers from their own
folder (the folder of the script Python runs is on ``sys.path``); the two scripts in ``Tools/`` add this
folder to ``sys.path``. It needs numpy only, never torch, so every candidate's venv can import it.

The exporter's golden data depends on this module (its plan's values come from :class:`SplitMix64`), so
the exporter records this file's sha256 next to its own (CONFORMANCE.md section 5).
"""

import re

import numpy as np

# ---------------------------------------------------------------------------
# Profiles

PROFILES = ("torch-1.8", "torch-1.9", "torch-2.6", "torch-2.10")

# (first release with the profile's behaviour, profile), newest last.
_PROFILE_STARTS = (((0, 0), "torch-1.8"), ((1, 9), "torch-1.9"), ((2, 6), "torch-2.6"), ((2, 10), "torch-2.10"))


def profile_for(version: str) -> str:
    """The profile whose behaviour a torch version has, from its major and minor numbers.

    ``"2.9.1+cu128"`` gives ``"torch-2.6"``; anything from 2.10 on gives ``"torch-2.10"``.
    """
    match = re.match(r"(\d+)\.(\d+)", version)
    if match is None:
        raise ValueError(f"not a torch version: {version!r}")
    release = (int(match.group(1)), int(match.group(2)))
    return [profile for start, profile in _PROFILE_STARTS if start <= release][-1]


# ---------------------------------------------------------------------------
# SplitMix64

MASK64 = (1 << 64) - 1
# The output function's shifts and multipliers, and the mask that keeps Python ints to 64 bits; the same
# constants as numpy uint64 scalars for arrays (a uint64 array shifted by a Python int is several times slower).
_MIX_INT = (30, 0xBF58476D1CE4E5B9, 27, 0x94D049BB133111EB, 31, MASK64)
_MIX_UINT64 = tuple(np.uint64(constant) for constant in _MIX_INT)


class SplitMix64:
    """SplitMix64 (Steele, Lea and Flood, 2014), the generator of ``Sources/PropertyTesting/Engine/SplitMix64.swift``.

    :meth:`next` steps the state in Python ints. :meth:`bulk` returns the next outputs as a numpy uint64
    array, the same numbers as as many :meth:`next` calls, and :meth:`first_of` is the vectorized form the
    benchmark uses: the first output of the generator seeded with each element. All three go through
    :meth:`mix`, one algorithm for Python ints and numpy uint64 arrays (whose arithmetic wraps modulo 2**64,
    without overflow warnings)::

        generator = SplitMix64(1)
        generator.next()  # 0x910A2DEC89025CC1
    """

    GAMMA = 0x9E3779B97F4A7C15

    def __init__(self, seed: int):
        """Start the stream at `seed` (taken modulo 2**64)."""
        self.state = seed & MASK64

    @staticmethod
    def mix(value):
        """SplitMix64's output function of an advanced state: a Python int in [0, 2**64), or a uint64 ndarray."""
        shift1, multiplier1, shift2, multiplier2, shift3, mask = (
            _MIX_UINT64 if isinstance(value, np.ndarray) else _MIX_INT
        )
        z = ((value ^ (value >> shift1)) * multiplier1) & mask
        z = ((z ^ (z >> shift2)) * multiplier2) & mask
        return z ^ (z >> shift3)

    def next(self) -> int:
        """The next 64-bit output, as a Python int."""
        self.state = (self.state + self.GAMMA) & MASK64
        return self.mix(self.state)

    def bulk(self, count: int) -> np.ndarray:
        """The next `count` outputs as a uint64 array (what `count` calls of :meth:`next` return)."""
        states = np.arange(1, count + 1, dtype=np.uint64) * np.uint64(self.GAMMA) + np.uint64(self.state)
        self.state = (self.state + count * self.GAMMA) & MASK64
        return self.mix(states)

    @classmethod
    def first_of(cls, seeds: np.ndarray) -> np.ndarray:
        """``SplitMix64(seed).next()`` for each element of a uint64 array of seeds."""
        return cls.mix(np.asarray(seeds, dtype=np.uint64) + np.uint64(cls.GAMMA))
