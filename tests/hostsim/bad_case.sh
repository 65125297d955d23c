#!/usr/bin/env bash
# One bad-graph case: runs `host-sim run CASE.json [args]` and checks the exit
# status, that stderr is exactly one line, and that it matches the case's regex.
# CASE.expect lines: exit=N, stderr=EXTENDED-REGEX, args=EXTRA ARGS (optional).
set -u
hostsim=$1
case_json=$2
expect=${case_json%.json}.expect
want_exit=$(sed -n 's/^exit=//p' "$expect")
want_re=$(sed -n 's/^stderr=//p' "$expect")
args=$(sed -n 's/^args=//p' "$expect")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
# shellcheck disable=SC2086 # args is a word list on purpose
"$hostsim" run "$case_json" $args --quiet > stdout.txt 2> stderr.txt
got=$?
fail=0
if [ "$got" != "$want_exit" ]; then
    echo "FAIL: exit status $got, expected $want_exit"; fail=1
fi
lines=$(wc -l < stderr.txt)
if [ "$lines" != 1 ]; then
    echo "FAIL: stderr has $lines lines, expected exactly one"; fail=1
fi
if ! grep -Eq -- "$want_re" stderr.txt; then
    echo "FAIL: stderr does not match /$want_re/"; fail=1
fi
echo "--- stderr:"; cat stderr.txt
exit $fail
