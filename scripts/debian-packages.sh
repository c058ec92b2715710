# Sourced by the test and bench scripts that need a tool a fresh machine may lack.
#
#   need_commands WHO "COMMAND..." PACKAGE...
#
# When any of COMMANDs is missing from PATH, installs the Debian PACKAGEs (as root, with
# apt-get), or fails saying what WHO needs. Does nothing when all are there.

need_commands() {
  local who=$1 commands=$2 command missing=
  shift 2
  for command in $commands; do
    command -v "$command" >/dev/null || missing="$missing $command"
  done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    printf '\n==> installing %s (Debian packages, for%s)\n' "$*" "$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    echo "$who needs$missing on PATH (Debian: apt-get install $*)" >&2
    return 1
  fi
}
