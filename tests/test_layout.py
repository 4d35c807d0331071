"""The source root must not shadow the standard library's `operator` module."""

import operator
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_operator_is_the_stdlib_module() -> None:
    assert operator.add(2, 3) == 5
    assert not (ROOT / "operator" / "__init__.py").exists()


def test_packages_live_under_the_source_root() -> None:
    import kube_testenv
    import sagemaker_emulator
    import sagemaker_operator

    for mod in (sagemaker_operator, sagemaker_emulator, kube_testenv):
        assert pathlib.Path(mod.__file__ or "").resolve().is_relative_to(ROOT / "operator")
