#!/bin/sh
# Rewrites the Kotlin that uniffi-bindgen generated, right after generating it (1. and 2.
# below). Run by scripts/bindgen.sh after every Kotlin generation: its only caller, so that
# no build can forget it.
#
# The upstream behaviour it works around (uniffi 0.32.2, the JNA-based Kotlin bindings):
# 1. mozilla/uniffi-rs#1077, "Include the messages for rich error structures" (open): for an
#    error whose variants carry fields, each variant's Kotlin `message` lists the fields and
#    never carries the Rust error's own text.
# 2. No upstream issue found for this one: every call into Rust allocates a new
#    `UniffiRustCallStatus` (`uniffiRustCallWithError` in uniffi's Kotlin Helpers.kt).
#
# Written for uniffi 0.32.2 exactly (PATCHED_FOR_UNIFFI below). For bindings from any other
# uniffi version it FAILS (exit 1, the file untouched): an upgrade must come with a look at
# whether upstream still needs each rewrite and whether its templates still have the shape
# expected here. The version is $AUTHCLOUD_UNIFFI_VERSION (scripts/bindgen.sh passes what
# the generator's --version says), else the uniffi_bindgen entry of the repository's
# Cargo.lock.
#
# Usage: patch-bindings.sh <directory uniffi-bindgen wrote into | path of authcloud.kt>
#
# 1. `AuthCloudException.message` is the Rust sentence (what `toString()` and `describe()`
# return) instead of uniffi's field dump ("endpoint=…, httpStatus=401, detail=null").
#
# uniffi 0.32's ErrorTemplate.kt writes, for every variant of an error with fields,
#
#         override val message
#             get() = "field=${ `field` }, …"
#
# and offers no option to change it. This script replaces each such getter inside
# `sealed class AuthCloudException` by `get() = describe()`. It FAILS (exit 1) unless it
# rewrites exactly one getter per variant, so a uniffi upgrade that changes the template
# cannot silently bring the field dump back: adapt this script to the new template then.
set -eu

target=${1:?usage: patch-bindings.sh <generated directory or authcloud.kt>}
if [ -d "$target" ]; then
  file="$target/dev/authcloud/authcloud.kt"
else
  file=$target
fi
[ -f "$file" ] || { echo "patch-bindings.sh: no generated Kotlin at $file" >&2; exit 1; }

PATCHED_FOR_UNIFFI=0.32.2
uniffi=${AUTHCLOUD_UNIFFI_VERSION:-}
if [ -z "$uniffi" ]; then
  uniffi=$(awk '/^name = "uniffi_bindgen"$/ { getline; gsub(/^version = "|"$/, ""); print; exit }' \
    "$(dirname "$0")/../../Cargo.lock" 2>/dev/null || true)
fi
if [ "$uniffi" != "$PATCHED_FOR_UNIFFI" ]; then
  echo "patch-bindings.sh: FAILED — written for the Kotlin of uniffi $PATCHED_FOR_UNIFFI, but $file comes from uniffi ${uniffi:-(unknown version)}." >&2
  echo "patch-bindings.sh: check both rewrites in bindings/kotlin/patch-bindings.sh against the new templates (and mozilla/uniffi-rs#1077), then set PATCHED_FOR_UNIFFI." >&2
  exit 1
fi

tmp="$file.patching"
# awk: inside the AuthCloudException class (from its `sealed class` line to the first
# line that is a lone `}` at column 0), a line `override val message` followed by a line
# `get() = "…"` gets its getter replaced. Counts variants and rewrites; exit 3 on any
# surprise, leaving the file untouched.
if awk -v file="$file" '
  function fail(why) { printf "patch-bindings.sh: %s in %s\n", why, file > "/dev/stderr"; failed = 1; exit 3 }
  /^sealed class AuthCloudException[: ]/ { inside = 1; seen = 1 }
  inside && /^}[[:space:]]*$/ { inside = 0 }
  inside && /\) : AuthCloudException\(\) \{[[:space:]]*$/ { variants++ }
  {
    if (pending) {
      pending = 0
      if ($0 ~ /^[[:space:]]*get\(\) = ".*"[[:space:]]*$/) {
        match($0, /^[[:space:]]*/)
        print substr($0, 1, RLENGTH) "get() = describe()  // patched by bindings/kotlin/patch-bindings.sh: the Rust sentence"
        rewritten++
        next
      }
      if ($0 ~ /^[[:space:]]*get\(\) = describe\(\)/) { rewritten++; print; next }   # already patched
      fail("unexpected getter after `override val message`: " $0)
    }
    if (inside && $0 ~ /^[[:space:]]*override val message[[:space:]]*$/) { pending = 1 }
    print
  }
  END {
    if (failed) exit 3
    if (!seen) fail("no `sealed class AuthCloudException`")
    if (variants == 0) fail("no variant of AuthCloudException found")
    if (rewritten != variants) fail(sprintf("rewrote %d message getters for %d variants (the uniffi template changed?)", rewritten, variants))
    printf "patch-bindings.sh: AuthCloudException.message = describe() in %d variants\n", rewritten > "/dev/stderr"
  }
' "$file" >"$tmp"; then
  mv "$tmp" "$file"
else
  rm -f "$tmp"
  echo "patch-bindings.sh: FAILED — AuthCloudException.message would be uniffi's field dump, not the sentence" >&2
  exit 1
fi

# 2. Call statuses reused per thread. uniffi creates a `UniffiRustCallStatus` (a JNA
# Structure holding a RustBuffer Structure) for every call into Rust: two native
# allocations, each registered with JNA's cleaner (a ConcurrentHashMap insert and remove, and
# work for its thread), for a struct that lives for one call. A JFR profile of
# bench/clients showed that bookkeeping as most of the Java-side CPU of a call. The patched
# `uniffiRustCallWithError` takes a status from a small per-thread stack and gives it back
# after the call: nested calls (a callback into Kotlin that calls Rust again on the same
# thread) take another one, and every use starts from a zeroed status, as a new one would.
if awk -v file="$file" '
  function fail(why) { printf "patch-bindings.sh: %s in %s\n", why, file > "/dev/stderr"; failed = 1; exit 3 }
  /^private inline fun <U, E: kotlin.Exception> uniffiRustCallWithError\(/ { infn = 1; seen = 1 }
  infn && /^    var status = UniffiRustCallStatus\(\)$/ { body = 1; next }
  infn && body == 1 && /^    val return_value = callback\(status\)$/ { body = 2; next }
  infn && body == 2 && /^    uniffiCheckCallStatus\(errorHandler, status\)$/ { body = 3; next }
  infn && body == 3 && /^    return return_value$/ {
    print "    // patched by bindings/kotlin/patch-bindings.sh: statuses are reused per thread"
    print "    val statuses = uniffiCallStatuses.get()"
    print "    val status = statuses.pollLast() ?: UniffiRustCallStatus()"
    print "    try {"
    print "        status.code = UNIFFI_CALL_SUCCESS"
    print "        status.error_buf.capacity = 0"
    print "        status.error_buf.len = 0"
    print "        status.error_buf.data = null"
    print "        val return_value = callback(status)"
    print "        uniffiCheckCallStatus(errorHandler, status)"
    print "        return return_value"
    print "    } finally {"
    print "        if (statuses.size < 8) statuses.addLast(status)"
    print "    }"
    print "}"
    print ""
    print "// patched by bindings/kotlin/patch-bindings.sh: the per-thread stack of reusable call statuses"
    print "private val uniffiCallStatuses: ThreadLocal<java.util.ArrayDeque<UniffiRustCallStatus>> ="
    print "    ThreadLocal.withInitial { java.util.ArrayDeque<UniffiRustCallStatus>() }"
    body = 4; replaced = 1; skipclose = 1; next
  }
  skipclose && /^}$/ { skipclose = 0; infn = 0; next }
  infn && body > 0 && body < 4 { fail("unexpected line in uniffiRustCallWithError: " $0) }
  /statuses are reused per thread/ { already = 1 }
  { print }
  END {
    if (failed) exit 3
    if (already && !replaced) { printf "patch-bindings.sh: call statuses already reused\n" > "/dev/stderr"; exit 0 }
    if (!seen || !replaced) fail("uniffiRustCallWithError is not the expected template (the uniffi template changed?)")
    printf "patch-bindings.sh: call statuses reused per thread\n" > "/dev/stderr"
  }
' "$file" >"$tmp"; then
  mv "$tmp" "$file"
else
  rm -f "$tmp"
  echo "patch-bindings.sh: FAILED — could not make call statuses reusable" >&2
  exit 1
fi
