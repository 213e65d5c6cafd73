"""Copy propagation in the backward sweep (transforms/copies.py): a copy goes only where every
read of it certainly sees the same object it would have."""
import ast

import gast
import pytest

from tangent_lite.optimize.copies import propagate_copies


def propagated(code):
    body = gast.parse(code + "\nuse(da)").body
    propagate_copies(body, body)
    return ast.unparse(gast.gast_to_ast(gast.Module(body=body, type_ignores=[])))


@pytest.mark.parametrize("code, expected", [
    ("dt = ds\nda = dt * a\ndb = dt * b",                 # an add passes its gradient on
     "da = ds * a\ndb = ds * b"),
    ("dt = ds\nda = dt * a\nds = ds * 2",                 # rebinding after the last read
     "da = ds * a\nds = ds * 2"),
    ("dt = ds\nds = ds * 2\nda = dt * a",                 # rebinding before a read: keep
     "dt = ds\nds = ds * 2\nda = dt * a"),
    ("dt = ds\nfor i in r:\n    da = dt * i",             # a read inside a loop: keep
     "dt = ds\nfor i in r:\n    da = dt * i"),
    ("dt = ds\ndt = dt + 1.0\nda = dt * a",               # the copy is assigned again: keep
     "dt = ds\ndt = dt + 1.0\nda = dt * a"),
    ("dt = ds\nds[0] = 0.0\nda = dt * a",                 # in place: dt is ds anyway
     "ds[0] = 0.0\nda = ds * a"),
    ("dt = ds\nda = ds * a",                             # never read: dead
     "da = ds * a"),
    ("if c:\n    dt = ds\n    da = dt * a\nelse:\n    da = ds",
     "if c:\n    da = ds * a\nelse:\n    da = ds"),
])
def test_copy_propagation(code, expected):
    assert propagated(code).strip() == expected + "\nuse(da)"
