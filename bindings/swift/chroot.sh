#!/usr/bin/env bash
# The Swift toolchain for Linux tests: Debian 13's `swiftlang` in a Debian 13 chroot
# (this machine is Debian 12, whose glibc is too old for it).
#
#   bindings/swift/chroot.sh ensure        create it once (idempotent), reuse it after
#   bindings/swift/chroot.sh run CMD...    run CMD inside, with the repo bound at /work
#
# The chroot lives outside the repo (AUTHCLOUD_SWIFT_CHROOT, default
# /var/tmp/authcloud-swift-trixie). Every mount is made in a private mount namespace, so
# nothing stays mounted when a command ends and the directory can always be deleted
# safely. It needs root; without root or debootstrap it fails loudly: a skipped Swift
# suite is not a passing one.
set -euo pipefail

CHROOT=${AUTHCLOUD_SWIFT_CHROOT:-/var/tmp/authcloud-swift-trixie}
READY="$CHROOT/.authcloud-swift-ready"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
PACKAGES="swiftlang libc6-dev libstdc++-14-dev ca-certificates"

die() { echo "swift chroot: $*" >&2; exit 1; }

mirror() {
  # The Debian mirror apt already uses on this machine.
  local uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# Runs a shell command inside the chroot with /proc, /dev and the repo mounted privately.
inside() {
  unshare --mount --fork -- sh -c '
    set -e
    root=$1; repo=$2; shift 2
    mount --make-rprivate /
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mkdir -p "$root/work"
    mount --bind "$repo" "$root/work"
    exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      LANG=C.UTF-8 /bin/sh -c "$*"
  ' inside "$CHROOT" "$REPO" "$@"
}

ensure() {
  [ -f "$READY" ] && return 0
  [ "$(id -u)" -eq 0 ] || die "creating the chroot needs root"
  command -v unshare >/dev/null || die "unshare (util-linux) is missing"
  if ! command -v debootstrap >/dev/null; then
    echo "installing debootstrap" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
      || die "cannot install debootstrap"
  fi
  if [ ! -x "$CHROOT/usr/bin/apt-get" ]; then
    local partial="$CHROOT.partial"
    # A half-made chroot from an interrupted run: nothing is mounted in it (mounts are
    # namespaced), so it is safe to remove.
    rm -rf "$partial"
    echo "debootstrap trixie into $CHROOT" >&2
    debootstrap --variant=minbase trixie "$partial" "$(mirror)" >/dev/null || die "debootstrap failed"
    mv "$partial" "$CHROOT"
  fi
  cp /etc/resolv.conf "$CHROOT/etc/resolv.conf"
  echo "installing $PACKAGES in the chroot" >&2
  inside "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null && apt-get clean" \
    || die "installing swiftlang failed"
  inside "swift --version" >&2 || die "swift does not run in the chroot"
  touch "$READY"
}

case "${1:-}" in
  ensure) ensure ;;
  run) shift; ensure; inside "$@" ;;
  *) echo "usage: $0 ensure | run CMD..." >&2; exit 2 ;;
esac
