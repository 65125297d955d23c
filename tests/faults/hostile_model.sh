#!/usr/bin/env bash
# One hostile-model case: a fixture graph run on an edited copy of one fixture file must
# fail with exit status 1 and one stderr line naming the node, the file or step, and
# the key (matched by REGEX), instead of succeeding with garbage.
# usage: hostile_model.sh HOST_SIM LTX2_FIXTURE ST_EDIT GRAPHS FIXTURES CASE FILE REGEX EDIT-ARGS...
#   CASE: the fixture graph (GRAPHS/CASE.json, vars from FIXTURES/CASE.io.safetensors)
#   FILE: the fixture file to replace by `st_edit FILE COPY EDIT-ARGS...`
set -u
host_sim=$1 tool=$2 st_edit=$3 graphs=$4 fixtures=$5 case_name=$6 file=$7 regex=$8
shift 8
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/fixtures" "$work/out" || exit 1
[ -f "$fixtures/$file" ] || { echo "FAIL: no fixture $fixtures/$file (CI always has them)"; exit 1; }
for f in "$fixtures"/*; do ln -s "$f" "$work/fixtures/$(basename "$f")"; done
rm -f "$work/fixtures/$file"
"$st_edit" "$fixtures/$file" "$work/fixtures/$file" "$@" || { echo "FAIL: st_edit $*"; exit 1; }

"$tool" vars "$fixtures/$case_name.io.safetensors" > "$work/vars.txt" || exit 1
vars=()
while IFS= read -r line || [ -n "$line" ]; do
  [ -z "$line" ] && continue
  vars+=(--var "${line#--var }")
done < "$work/vars.txt"
"$host_sim" run "$graphs/$case_name.json" --var "FIXTURES=$work/fixtures" --var "OUT=$work/out" \
  --var PRECISION=exact "${vars[@]}" --quiet > "$work/stdout.txt" 2> "$work/stderr.txt"
rc=$?
echo "--- stderr:"; cat "$work/stderr.txt"
fail=0
[ $rc = 1 ] || { echo "FAIL: exit status $rc, expected 1 (a runtime error)"; fail=1; }
grep -Eq -- "$regex" "$work/stderr.txt" || { echo "FAIL: stderr does not match /$regex/"; fail=1; }
if ls "$work/out"/*.safetensors > /dev/null 2>&1; then echo "FAIL: an output was written"; fail=1; fi
exit $fail
