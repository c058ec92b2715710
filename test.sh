#!/usr/bin/env bash
# Runs every test of authcloud. Installs what it needs (idempotently) on a fresh machine.
#   ./test.sh            everything
#   ./test.sh rust       only the named stages (rust, examples, ...)
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(rust examples)

step() { printf '\n==> %s\n' "$*"; }

run_rust() {
  step "rustfmt"
  cargo fmt --all --check
  step "clippy (warnings are errors)"
  cargo clippy --workspace --all-targets --locked -- -D warnings
  step "cargo test (workspace: core, emulator, cross-crate tests)"
  cargo test --workspace --locked
}

run_examples() {
  step "examples/rust: the guide's flow against the embedded emulator"
  cargo run --locked -q -p authcloud-example
}

started=$SECONDS
for stage in "${stages[@]}"; do
  case "$stage" in
    rust) run_rust ;;
    examples) run_examples ;;
    *) echo "unknown stage: $stage" >&2; exit 2 ;;
  esac
done
step "all passed in $((SECONDS - started)) s"
