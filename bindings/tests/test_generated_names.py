"""uniffi.toml really takes effect: generating as every build does (scripts/bindgen.sh)
yields the configured names, and the generator without it the defaults (so the test can
fail).

Needs AUTHCLOUD_BINDGEN (the uniffi-bindgen binary, which scripts/bindgen.sh then uses too)
and AUTHCLOUD_FFI_LIB (an unstripped libauthcloud_ffi.so); ./test.sh sets both.
"""

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def generate(tmp_path, language, with_config):
    bindgen = os.environ.get("AUTHCLOUD_BINDGEN")
    library = os.environ.get("AUTHCLOUD_FFI_LIB")
    if not bindgen or not library:
        pytest.fail("set AUTHCLOUD_BINDGEN and AUTHCLOUD_FFI_LIB (./test.sh does)")
    out = tmp_path / f"{language}-{'config' if with_config else 'default'}"
    if with_config:
        # The one way the project generates (it passes uniffi.toml; Kotlin also gets patched).
        cmd = [str(ROOT / "scripts" / "bindgen.sh"), language, library, str(out)]
    else:
        # scripts/bindgen.sh always applies uniffi.toml: the control runs the generator alone.
        cmd = [bindgen, "generate", "--library", library, "--language", language, "--out-dir", str(out), "--no-format"]
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
    return out


def test_kotlin_package_and_library(tmp_path):
    out = generate(tmp_path, "kotlin", True)
    source = (out / "dev" / "authcloud" / "authcloud.kt").read_text()
    assert "\npackage dev.authcloud\n" in source
    assert 'return "authcloud_ffi"' in source
    default = generate(tmp_path, "kotlin", False)
    assert not (default / "dev").exists(), "without uniffi.toml the package differs"


def test_swift_module_names(tmp_path):
    out = generate(tmp_path, "swift", True)
    assert (out / "AuthCloud.swift").exists()
    assert (out / "AuthCloudFFI.h").exists()
    assert "module AuthCloudFFI" in (out / "AuthCloudFFI.modulemap").read_text()
    assert "import AuthCloudFFI" in (out / "AuthCloud.swift").read_text()
    default = generate(tmp_path, "swift", False)
    assert not (default / "AuthCloud.swift").exists()


def test_python_module_and_library(tmp_path):
    out = generate(tmp_path, "python", True)
    source = (out / "authcloud.py").read_text()
    assert 'libname.format("authcloud_ffi")' in source
