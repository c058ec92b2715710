#!/usr/bin/env python3
"""Which crates the mobile library's code comes from: sums the sizes of the text symbols of
an unstripped build (nm), grouped by the first path segment of each demangled name.

    bench/size/crates.py target/ffi-small/libauthcloud_ffi.so [--top 30]

Generic code is counted under the crate that defines it (e.g. tokio's task harness
instantiated for the SDK's futures counts as tokio), as cargo-bloat does; symbols without
a Rust path (C, compiler builtins) are grouped as `[C/other]`.
"""

import argparse
import collections
import re
import subprocess

PATH = re.compile(r"^(?:<(?:&(?:mut )?)?)?(?:dyn )?([A-Za-z_][A-Za-z0-9_]*)::")


def crate_of(name: str) -> str:
    # `<T as Trait>::f` counts under T's crate; `core::ptr::drop_in_place<X>` under X's.
    if name.startswith("core::ptr::drop_in_place<"):
        name = name[len("core::ptr::drop_in_place<"):]
    match = PATH.match(name)
    return match.group(1) if match else "[C/other]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("library")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    out = subprocess.run(["nm", "-C", "-S", "--size-sort", args.library], check=True, capture_output=True, text=True).stdout
    sizes: collections.Counter[str] = collections.Counter()
    total = 0
    for line in out.splitlines():
        parts = line.split(" ", 3)
        if len(parts) < 4 or parts[2] not in "tTwW":
            continue
        size = int(parts[1], 16)
        total += size
        sizes[crate_of(parts[3])] += size
    print(f"{'crate':<28}{'bytes':>10}{'share':>8}")
    for crate, size in sizes.most_common(args.top):
        print(f"{crate:<28}{size:>10}{size / total:>8.1%}")
    print(f"{'(text symbols in total)':<28}{total:>10}")


if __name__ == "__main__":
    main()
