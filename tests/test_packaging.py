"""What a user installing tangent_lite sees of the package itself: its version on the command
line, its license and metadata, and the marker that tells type checkers it ships type hints."""
import pathlib
import sys

import pytest
from codegen_support import run_cli

import tangent_lite
from tangent_lite import _version
from tangent_lite.aot import cli

REPO = pathlib.Path(__file__).resolve().parent.parent
PYPROJECT = REPO / "pyproject.toml"


def test_version_option_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"tangent-lite {tangent_lite.__version__}\n"


def test_python_dash_m_version_in_a_real_process(tmp_path):
    proc = run_cli("--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"tangent-lite {_version.__version__}\n"


def test_version_is_a_release_number():
    parts = tangent_lite.__version__.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts), tangent_lite.__version__


def test_py_typed_marker_ships_with_the_package():
    assert (pathlib.Path(tangent_lite.__file__).parent / "py.typed").is_file()


@pytest.mark.skipif(not PYPROJECT.is_file(), reason="run from an installed package without "
                                                    "the repository's pyproject.toml")
def test_pyproject_metadata_is_complete():
    if sys.version_info < (3, 11):
        tomllib = pytest.importorskip("tomli")
    else:
        import tomllib
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    assert project["authors"] == [{"name": "the tangent_lite authors"}]
    assert project["readme"] == "README.md"
    assert {"Homepage", "Source", "Issues"} <= set(project["urls"])
    assert "Typing :: Typed" in project["classifiers"]
    assert "version" in project["dynamic"]   # read from tangent_lite/_version.py


@pytest.mark.skipif(not (REPO / "LICENSE").is_file(), reason="no LICENSE beside the tests")
def test_license_is_apache_2():
    text = (REPO / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "Copyright 2026 the tangent_lite authors" in text


def test_installed_metadata_when_installed_from_a_distribution():
    """Under CI's wheel-in-a-fresh-venv step; skipped for an editable install, whose metadata
    may be another checkout's."""
    from importlib import metadata
    try:
        dist = metadata.distribution("tangent-lite")
    except metadata.PackageNotFoundError:
        pytest.skip("tangent-lite is not installed")
    installed = {str(f) for f in dist.files or ()}
    if "tangent_lite/py.typed" not in installed:
        pytest.skip("not a regular install of this version (an editable install?)")
    meta = dist.metadata
    assert meta["Version"] == tangent_lite.__version__
    assert meta.get("License-Expression") == "Apache-2.0" or meta.get("License") == "Apache-2.0"
