"""The memory corpus and random memory programs (tests/memory/) as tests: every answer of
grad, vjp, jvp and hvp agrees with finite differences of the program as NumPy runs it and
leaves the caller's arrays alone, or is a clear TangentLiteError — never a wrong gradient, an
internal error, or a changed argument.

The corpus programs tangent_lite refuses today are listed with the reason; any other program
must be differentiated correctly by all four. The random programs run TL_MEMORY_PROGRAMS of
them (40 by default, in CI); the long mode is `python -m tests.memory.harness --fuzz 10000`.
"""
import os
import pathlib
import sys
import tempfile

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from tests.memory import corpus, harness  # noqa: E402  (needs the repository on the path)

TOOL = harness.TangentLite()

# Refused on purpose (a TangentLiteError naming the line), with what is missing:
REFUSED = {
    "list_iadd_alias": "`b += [x]` on a list: a list of differentiated values used as an array",
    "list_extend_insert": "list.extend / list.insert",
    "list_pop_alias": "list.pop",
    "list_states_mutated": "an array updated in place after a list took a reference to it",
    "view_from_branch_read_in_loop": "a view taken in a branch, read in a later loop that "
                                     "writes its base",
    "copyto_overlapping_strided": "a copy into memory the value overlaps with another stride "
                                  "(NumPy's result depends on its copy order)",
    "assign_overlapping_strided": "the same, written as a subscript assignment",
    "chained_three": "three names for one array, one updated in place, another read",
}

# Differentiated by grad, vjp and jvp, refused (clearly) by hvp only:
HVP_REFUSED = {}     # (mut_helper_normalise was, until np.linalg.norm's gradient had a tangent)


@pytest.mark.parametrize("case", corpus.CASES, ids=[c.name for c in corpus.CASES])
def test_corpus_program(case):
    results = harness.judge(TOOL, harness.APIS, case.func, case.func, case.make_args(),
                            case.wrt, case.hvp)
    verdicts = {api: r.verdict for api, r in results.items() if r is not None}
    notes = {api: r.note for api, r in results.items() if r is not None and r.note}
    if case.name in REFUSED:
        assert verdicts["grad"] == "refused", (verdicts, notes)
        assert set(verdicts.values()) <= {"refused", "correct"}, (verdicts, notes)
    elif case.name in HVP_REFUSED:
        assert verdicts.pop("hvp") == "refused", (verdicts, notes)
        assert set(verdicts.values()) == {"correct"}, (verdicts, notes)
    else:
        assert set(verdicts.values()) == {"correct"}, (verdicts, notes)


@pytest.mark.parametrize("k", range(int(os.environ.get("TL_MEMORY_PROGRAMS", 40))))
def test_random_memory_program(k):
    with tempfile.TemporaryDirectory() as directory:
        _, path, features, _, results = harness.fuzz_one(("tangent_lite", harness.APIS, 0, k,
                                                         directory))
        bad = {api: (r.verdict, r.note) for api, r in results.items()
               if r is not None and r.verdict not in ("correct", "refused", "bad sample")}
        source = pathlib.Path(path).read_text() if path and bad else ""
    assert not bad, f"{bad}\n{features}\n{source}"
