"""The release pass (optimize/release.py) on every array, in random programs.

release deletes only names of arrays of 2**14 elements or more, which the random programs of
the fuzzers (8-element vectors) never make. Here its threshold is one element, so the
specialised variant of each program deletes every name it may, after the top-level statement
that reads it last; each program runs through the branches, loops, reassignments, list
appends and pass idioms of the generators and is checked against central finite differences
(check_grad calls df twice: the second call runs the variant), and the memory corpus's
programs (views, in-place writes, aliases, lists) give grad's answer as shipped. A deletion at
the wrong place is a NameError or a wrong value here.
"""
import os
import pathlib
import sys

import numpy as np
import pytest
from test_control_flow import ProgramGenerator, check_random_program
from test_pass_idioms_fuzz import PassIdiomProgramGenerator

import tangent_lite
from tangent_lite import optimize
from tangent_lite.optimize import release

import test_release
from test_memory_programs import REFUSED

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from tests.memory import corpus, harness  # noqa: E402  (needs the repository on the path)

TOOL = harness.TangentLite()
CORPUS = corpus.CASES
EXPECTED = {name: {"refused"} for name in REFUSED}


@pytest.fixture
def every_array(monkeypatch):
    monkeypatch.setattr(release, "_LARGE", 1)
    monkeypatch.setattr(release, "LARGE_IN_LOOPS", 1)
    with optimize.disabled():     # a new passes version: nothing compiled before is reused
        yield


COUNT = int(os.environ.get("TL_RANDOM_PROGRAMS", 100)) // 2


@pytest.mark.parametrize("seed", range(COUNT))
def test_random_program_with_every_array_released(seed, tmp_path, every_array):
    check_random_program(lambda attempt: ProgramGenerator(7919 * seed + attempt), seed,
                         tmp_path)


@pytest.mark.parametrize("seed", range(COUNT // 2))
def test_pass_idiom_program_with_every_array_released(seed, tmp_path, every_array):
    check_random_program(lambda attempt: PassIdiomProgramGenerator(15485863 * seed + attempt),
                         seed, tmp_path)


def test_small_arrays_are_deleted_at_threshold_one(every_array):
    small = (test_release.G[:8], test_release.B[:8], test_release.X[:4, :8],
             test_release.Y[:4, :8])
    source = tangent_lite.source(test_release.layer_norm_mean, wrt=(0, 1, 2),
                                 specialised_for=small)
    assert "    del " in source
    got = tangent_lite.grad(test_release.layer_norm_mean, wrt=(0, 1, 2))(*small)
    with optimize.disabled("release"):
        off = tangent_lite.grad(test_release.layer_norm_mean, wrt=(0, 1, 2))(*small)
    for g, h in zip(got, off):
        np.testing.assert_array_equal(g, h)


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_memory_corpus_grad_with_every_array_released(case, every_array):
    """The memory corpus (views, in-place writes, aliases, lists): grad's answer is what it is
    with the threshold as shipped, correct or a clear refusal."""
    results = harness.judge(TOOL, ("grad",), case.func, case.func, case.make_args(),
                            case.wrt, False)
    assert results["grad"].verdict in EXPECTED.get(case.name, {"correct"}), results["grad"]
