"""Every device module has a .pyi stub that names everything the module offers."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import qpysim
from qpysim import _core
from qpysim._imports import BUILTIN_MODULES, PORT_MODULES

STUBS = Path(qpysim.__file__).resolve().parent / "stubs"


def stub_names(path: Path) -> set:
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):  # an alias: StreamReader = Stream
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
    return names


def stub_of(name: str) -> Path:
    """umqtt.simple -> umqtt/simple.pyi; a package's own stub is its __init__.pyi."""
    path = STUBS.joinpath(*name.split("."))
    package = path / "__init__.pyi"
    return package if package.is_file() else path.with_suffix(".pyi")


@pytest.mark.parametrize("name", sorted(set(BUILTIN_MODULES) | set(PORT_MODULES)))
def test_the_stub_covers_the_module(name):
    stub = stub_of(name)
    assert stub.is_file(), f"no stub for {name}"
    # Every dialect's optional names (IPPROTO_SEC...) belong in the stub too;
    # a module only some firmware has is checked where it exists.
    offered = set()
    objects = []
    for dialect in _core.dialects():
        try:
            obj = qpysim.Device(dialect=dialect.name).module(name)
        except ImportError:
            continue
        objects.append(obj)
        offered |= {n for n in dir(obj) if not n.startswith("_")}
    assert objects, f"no dialect has {name}"
    if isinstance(objects[0], type):  # osTimer: the module is the class
        offered = {name}
    missing = offered - stub_names(stub)
    assert not missing, f"{name}.pyi lacks {sorted(missing)}"


def test_qpysim_stubs_prints_the_folder():
    r = subprocess.run([sys.executable, "-m", "qpysim", "stubs"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0
    assert Path(r.stdout.strip()) == STUBS
