#!/bin/bash
# NPD custom plugin: does the node's time daemon report the clock as
# synchronised?
#
# What it checks, and what it does not:
#   - chronyc (chrony): runs `chronyc -n tracking` and reads "Leap status",
#     with surrounding blanks removed. "Not synchronised" is a problem;
#     "Normal", "Insert second" and "Delete second" are OK; any other text is
#     not understood and never read as synchronised.
#     chronyc reaches chronyd on 127.0.0.1:323, which works from a pod
#     only with hostNetwork.
#   - timedatectl (systemd): `timedatectl show -p NTPSynchronized --value`,
#     "yes" is OK, "no" is a problem. Needs the host's D-Bus socket.
#   - It does not measure the offset itself and does not compare with
#     another clock. With neither tool available the result is Unknown.
#   - chronyc is tried first; when it is missing or cannot reach chronyd,
#     timedatectl is tried.
#
# Exit codes (NPD custom plugin contract):
#   0 OK, 1 NonOK -> reason ClockNotSynchronized, 2 Unknown
#
# Overrides (commands to run instead of the default names). Set but empty is
# a mistake, not "use the default": it is reported as Unknown.
#   CLOCK_CHRONYC      default chronyc
#   CLOCK_TIMEDATECTL  default timedatectl
set -u

readonly OK=0 NONOK=1 UNKNOWN=2

chronyc_cmd="${CLOCK_CHRONYC-chronyc}"
timedatectl_cmd="${CLOCK_TIMEDATECTL-timedatectl}"
last_error="neither chronyc nor timedatectl is available"

for setting in CLOCK_CHRONYC CLOCK_TIMEDATECTL; do
  if [[ -n "${!setting+set}" && -z "${!setting}" ]]; then
    echo "Bad ${setting}: '' (empty)"
    exit "$UNKNOWN"
  fi
done

# Leading and trailing blanks (spaces, tabs, a CR) removed.
trim() {
  local text="$1"
  text="${text#"${text%%[![:space:]]*}"}"
  printf '%s' "${text%"${text##*[![:space:]]}"}"
}

if command -v -- "$chronyc_cmd" >/dev/null 2>&1; then
  if tracking="$("$chronyc_cmd" -n tracking 2>/dev/null)"; then
    leap="$(trim "$(sed -n 's/^Leap status[[:space:]]*:[[:space:]]*//p' <<<"$tracking" | head -n 1)")"
    case "$leap" in
      "")
        last_error="chronyc tracking printed no leap status"
        ;;
      "Not synchronised")
        echo "chrony reports the clock is not synchronised"
        exit "$NONOK"
        ;;
      "Normal" | "Insert second" | "Delete second")
        echo "chrony reports the clock is synchronised (${leap})"
        exit "$OK"
        ;;
      *)
        last_error="chronyc printed leap status '${leap:0:20}'"
        ;;
    esac
  else
    last_error="chronyc cannot reach chronyd"
  fi
fi

if command -v -- "$timedatectl_cmd" >/dev/null 2>&1; then
  if synced="$("$timedatectl_cmd" show -p NTPSynchronized --value 2>/dev/null)"; then
    synced="$(trim "$synced")"
    case "$synced" in
      yes)
        echo "systemd reports the clock is synchronised"
        exit "$OK"
        ;;
      no)
        echo "systemd reports the clock is not synchronised"
        exit "$NONOK"
        ;;
      *)
        last_error="timedatectl printed '${synced:0:20}'"
        ;;
    esac
  else
    last_error="timedatectl cannot reach timedated"
  fi
fi

echo "Cannot check clock sync: ${last_error}"
exit "$UNKNOWN"
