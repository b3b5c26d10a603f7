"""One seed for everything random in the suite, printed and replayable.

The seed comes from TRACKER_TEST_SEED (an integer, or `random` for a new one each run) and
is fixed otherwise, so two runs draw the same values. Tests draw through the `rng` fixture
(a `random.Random` per test, derived from the seed and the test's id, so a test draws the
same values whichever worker runs it and whatever ran before); Hypothesis tests get the
seed too (and no example database, which would make a run depend on earlier ones). The
seed is printed at the end of the run and under every failing test.
"""

from __future__ import annotations

import os
import random

SEED_ENV = "TRACKER_TEST_SEED"
DEFAULT_SEED = 14


def suite_seed() -> int:
    """The run's seed; `random` picks one and writes it back to the environment, so that
    xdist workers and subprocesses started later agree with this process."""
    text = os.environ.get(SEED_ENV, "").strip()
    if text == "random":
        text = str(random.SystemRandom().randrange(1 << 32))
        os.environ[SEED_ENV] = text
    if not text:
        return DEFAULT_SEED
    try:
        return int(text)
    except ValueError:
        raise SystemExit(f"{SEED_ENV} must be an integer or 'random', not {text!r}") from None


def generator_for(seed: int, test_id: str) -> random.Random:
    """The generator of one test (str seeds hash with SHA-512: stable across processes)."""
    return random.Random(f"{seed}/{test_id}")


def replay_hint(seed: int) -> str:
    return f"random seed {seed} (replay: {SEED_ENV}={seed}; {SEED_ENV}=random for a new one)"
