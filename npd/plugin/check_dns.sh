#!/bin/bash
# NPD custom plugin: can this node resolve the API server's service name
# through cluster DNS?
#
# Exit codes (NPD custom plugin contract):
#   0 OK       the name resolved
#   1 NonOK    the lookup failed or timed out  -> reason DNSResolutionFailed
#   2 Unknown  the resolver command is not installed
#
# Overrides:
#   DNS_LOOKUP_NAME      default kubernetes.default.svc.cluster.local
#                        (set it when the cluster domain is not cluster.local)
#   DNS_RESOLVER         command that takes the name as its last argument and
#                        exits 0 when it resolves; default "getent hosts"
#   DNS_TIMEOUT_SECONDS  default 3; keep it under the rule timeout
set -u

readonly OK=0 NONOK=1 UNKNOWN=2

name="${DNS_LOOKUP_NAME:-kubernetes.default.svc.cluster.local}"
seconds="${DNS_TIMEOUT_SECONDS:-3}"
read -r -a resolver <<<"${DNS_RESOLVER:-getent hosts}"

if ((${#resolver[@]} == 0)) || ! command -v "${resolver[0]}" >/dev/null 2>&1; then
  echo "Resolver '${resolver[0]:-}' not found; cannot check DNS"
  exit "$UNKNOWN"
fi
if ! command -v timeout >/dev/null 2>&1; then
  echo "'timeout' not found; cannot check DNS"
  exit "$UNKNOWN"
fi

timeout "$seconds" "${resolver[@]}" "$name" >/dev/null 2>&1
status=$?
if ((status == 0)); then
  echo "DNS lookup of ${name} works"
  exit "$OK"
fi
if ((status == 124)); then
  echo "DNS lookup of ${name} timed out after ${seconds}s"
  exit "$NONOK"
fi
echo "DNS lookup of ${name} failed"
exit "$NONOK"
