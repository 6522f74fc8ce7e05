#!/bin/bash
# NPD custom plugin: can this node resolve the API server's service name
# through cluster DNS?
#
# Exit codes (NPD custom plugin contract):
#   0 OK       the name resolved
#   1 NonOK    the lookup failed or timed out  -> reason DNSResolutionFailed
#   2 Unknown  the resolver command is not installed or cannot run, or an
#              override below is set to a value that cannot be used
#
# Overrides. Set but empty is a mistake, not "use the default": it is
# reported as Unknown.
#   DNS_LOOKUP_NAME      default kubernetes.default.svc.cluster.local
#                        (set it when the cluster domain is not cluster.local)
#   DNS_RESOLVER         command that takes the name as its last argument and
#                        exits 0 when it resolves; default "getent hosts"
#   DNS_TIMEOUT_SECONDS  default 3, whole seconds from 1 to 60; keep it under
#                        the rule timeout (5s), or NPD cuts the check short
set -u

readonly OK=0 NONOK=1 UNKNOWN=2

# Print a one-line Unknown message and stop. Values are cut to 20 characters so
# the line stays inside max_output_length.
bad_setting() {
  echo "Bad $1: '${2:0:20}' ($3)"
  exit "$UNKNOWN"
}

name="${DNS_LOOKUP_NAME-kubernetes.default.svc.cluster.local}"
seconds="${DNS_TIMEOUT_SECONDS-3}"
resolver_text="${DNS_RESOLVER-getent hosts}"

# A DNS name: letters, digits, '-', '.', at most 253 characters, not starting
# with '-' (the resolver would take it for an option).
if ! [[ "$name" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$ ]]; then
  bad_setting DNS_LOOKUP_NAME "$name" "not a DNS name"
fi
# Whole seconds: `timeout` reads 0 as "no limit" and exits 125 on a value it
# cannot parse, which would look like a failed lookup.
if ! [[ "$seconds" =~ ^[0-9]{1,2}$ ]] || ((10#$seconds < 1 || 10#$seconds > 60)); then
  bad_setting DNS_TIMEOUT_SECONDS "$seconds" "want 1-60"
fi
seconds=$((10#$seconds))
read -r -a resolver <<<"$resolver_text"
if ((${#resolver[@]} == 0)); then
  bad_setting DNS_RESOLVER "$resolver_text" "empty"
fi

# Names longer than this are shortened in messages, so that the outcome at the
# end of the line survives NPD's max_output_length.
shown="$name"
if ((${#shown} > 40)); then
  shown="${shown:0:37}..."
fi

if ! command -v -- "${resolver[0]}" >/dev/null 2>&1; then
  echo "Resolver '${resolver[0]:0:30}' not found; cannot check DNS"
  exit "$UNKNOWN"
fi
if ! command -v timeout >/dev/null 2>&1; then
  echo "'timeout' not found; cannot check DNS"
  exit "$UNKNOWN"
fi

timeout "$seconds" "${resolver[@]}" "$name" >/dev/null 2>&1
status=$?
case "$status" in
  0)
    echo "DNS lookup of ${shown} works"
    exit "$OK"
    ;;
  124)
    echo "DNS lookup of ${shown} timed out after ${seconds}s"
    exit "$NONOK"
    ;;
  125 | 126 | 127)
    # timeout itself failed, or the resolver could not be executed: that says
    # nothing about DNS.
    echo "Resolver '${resolver[0]:0:30}' could not run (exit ${status})"
    exit "$UNKNOWN"
    ;;
esac
echo "DNS lookup of ${shown} failed"
exit "$NONOK"
