"""The static declarations in authcloud/__init__.py (for type checkers) list exactly the
runtime variants, so they cannot drift from the generated module."""

import inspect
import pathlib
import re
import warnings

import authcloud
from authcloud import _native

SOURCE = pathlib.Path(authcloud.__file__).read_text()


def variants(namespace, base):
    return sorted(
        name for name, value in vars(namespace).items() if inspect.isclass(value) and issubclass(value, base) and value is not base
    )


def test_every_error_variant_is_declared_for_type_checkers():
    names = variants(_native.AuthCloudError, _native.AuthCloudError)
    # The generated classes are exactly core's kinds (and `internal`), as the library lists them.
    snake = sorted(re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() for name in names)
    assert snake == sorted(authcloud.error_kinds()), names
    for name in names:
        assert f"{name} = _native.AuthCloudError.{name}" in SOURCE, name
        assert issubclass(getattr(authcloud.AuthCloudError, name), authcloud.AuthCloudError)


def test_every_fault_variant_is_declared_for_type_checkers():
    names = variants(_native.Fault, _native.Fault)
    assert len(names) >= 9, names
    for name in names:
        assert f"_native.Fault.{name}," in SOURCE, name


def test_the_old_observer_name_still_works_with_a_deprecation_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = authcloud.EnrollmentObserver
    assert old is authcloud.WaitObserver
    assert [w.category for w in caught] == [DeprecationWarning]
    assert "WaitObserver" in str(caught[0].message)
