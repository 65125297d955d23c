#!/usr/bin/env bash
# fixture.io_missing: the runner must fail because, and only because, the tolerance
# file lists a tensor the graph does not save. Any other failure (no fixtures, host-sim
# error) fails this test too.
# usage: expect_missing.sh MISSING_NAME run_fixture.sh-arguments...
set -u
missing=$1
shift
log=$(bash "$(dirname "$0")/run_fixture.sh" "$@" 2>&1)
rc=$?
printf '%s\n' "$log"
[ $rc -ne 0 ] || { echo "the runner passed although $missing was not saved" >&2; exit 1; }
grep -Eq "^FAIL +$missing +missing in the output\$" <<< "$log" ||
    { echo "the runner failed without naming $missing as missing from the output" >&2; exit 1; }
if grep -E '^FAIL ' <<< "$log" | grep -Ev "^FAIL +$missing " | grep -q .; then
    echo "other tensors failed too" >&2; exit 1
fi
exit 0
