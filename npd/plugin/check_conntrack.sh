#!/bin/bash
# NPD custom plugin: is the node's conntrack table nearly full?
#
# Exit codes follow the NPD custom plugin contract:
#   0 OK       usage at or under the threshold (exactly 90% is still OK)
#   1 NonOK    usage strictly over the threshold  -> reason ConntrackFull
#   2 Unknown  the conntrack files are missing, unreadable or hold no number,
#              or an override below is set to a value that cannot be used
# Stdout is one short line; NPD keeps the first max_output_length characters.
#
# Overrides (used by the tests, and by nodes with unusual layouts). Set but
# empty is a mistake, not "use the default": it is reported as Unknown.
#   CONNTRACK_COUNT_FILE         default /proc/sys/net/netfilter/nf_conntrack_count
#   CONNTRACK_MAX_FILE           default /proc/sys/net/netfilter/nf_conntrack_max
#   CONNTRACK_THRESHOLD_PERCENT  default 90, a whole number from 1 to 100,
#                                read as decimal even with leading zeros (090)
set -u

readonly OK=0 NONOK=1 UNKNOWN=2

# Print a one-line Unknown message and stop. Values are cut to 20 characters so
# the line stays inside max_output_length.
bad_setting() {
  echo "Bad $1: '${2:0:20}' ($3)"
  exit "$UNKNOWN"
}

count_file="${CONNTRACK_COUNT_FILE-/proc/sys/net/netfilter/nf_conntrack_count}"
max_file="${CONNTRACK_MAX_FILE-/proc/sys/net/netfilter/nf_conntrack_max}"
threshold="${CONNTRACK_THRESHOLD_PERCENT-90}"

[[ -n "$count_file" ]] || bad_setting CONNTRACK_COUNT_FILE "" "empty"
[[ -n "$max_file" ]] || bad_setting CONNTRACK_MAX_FILE "" "empty"

is_number() {
  # At most 15 digits, so that count * 100 stays inside 64-bit arithmetic.
  [[ "$1" =~ ^[0-9]{1,15}$ ]]
}

# Bash reads a number with a leading 0 as octal (090 is an error, 010 is 8):
# every number goes through 10# before any arithmetic.
if ! [[ "$threshold" =~ ^[0-9]{1,3}$ ]] || ((10#$threshold < 1 || 10#$threshold > 100)); then
  bad_setting CONNTRACK_THRESHOLD_PERCENT "$threshold" "want 1-100"
fi
threshold=$((10#$threshold))

# Read the first line of a file into the variable named by $2.
# Prints the Unknown message and exits when the file cannot be used.
# Messages name the file by its base name so that they stay one short line
# whatever the directory (NPD keeps only max_output_length characters).
read_value() {
  local file="$1" name="${1##*/}" value=""
  name="${name:0:30}"
  if [[ ! -e "$file" ]]; then
    echo "Missing ${name} (module not loaded?)"
    exit "$UNKNOWN"
  fi
  # A directory, a file without read permission (non-root) or an I/O error.
  if [[ ! -f "$file" || ! -r "$file" ]] || ! value="$(head -n 1 -- "$file" 2>/dev/null)"; then
    echo "Cannot read ${name}"
    exit "$UNKNOWN"
  fi
  value="${value//[[:space:]]/}"
  if ! is_number "$value"; then
    echo "Not a number in ${name}: '${value:0:20}'"
    exit "$UNKNOWN"
  fi
  printf -v "$2" '%s' "$((10#$value))"
}

count=""
max=""
read_value "$count_file" count
read_value "$max_file" max

if ((max == 0)); then
  echo "Conntrack max is 0; cannot compute usage"
  exit "$UNKNOWN"
fi

# Integer comparison without rounding: over the threshold means
# count/max > threshold/100, that is count*100 > max*threshold.
percent=$((count * 100 / max))
if ((count * 100 > max * threshold)); then
  echo "Conntrack table usage over ${threshold}%: ${count} out of ${max}"
  exit "$NONOK"
fi
echo "Conntrack table usage ${percent}%: ${count} out of ${max}"
exit "$OK"
