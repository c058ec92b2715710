"""The static declarations in authcloud/__init__.py (for type checkers) list exactly the
runtime variants, so they cannot drift from the generated module."""

import inspect
import pathlib

import authcloud
from authcloud import _native

SOURCE = pathlib.Path(authcloud.__file__).read_text()


def variants(namespace, base):
    return sorted(
        name for name, value in vars(namespace).items() if inspect.isclass(value) and issubclass(value, base) and value is not base
    )


def test_every_error_variant_is_declared_for_type_checkers():
    names = variants(_native.AuthCloudError, _native.AuthCloudError)
    assert len(names) == 16, names
    for name in names:
        assert f"{name} = _native.AuthCloudError.{name}" in SOURCE, name
        assert issubclass(getattr(authcloud.AuthCloudError, name), authcloud.AuthCloudError)


def test_every_fault_variant_is_declared_for_type_checkers():
    names = variants(_native.Fault, _native.Fault)
    assert len(names) >= 9, names
    for name in names:
        assert f"_native.Fault.{name}," in SOURCE, name
