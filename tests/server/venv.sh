#!/usr/bin/env bash
# Makes the server tests' Python environment: a venv under the build folder with the
# pinned packages of requirements.txt from PyPI (CI installs everything itself).
# Usage: venv.sh VENV_DIR. With LTX2_OFFLINE=1 a failed install skips (77); otherwise
# it fails loudly.
set -uo pipefail
venv=$1
req="$(dirname "$0")/requirements.txt"
stamp="$venv/.installed"
if [ -f "$stamp" ] && cmp -s "$stamp" "$req"; then
  exit 0
fi
py=${PYTHON:-python3}
if ! "$py" -m venv --clear "$venv"; then
  echo "FAIL: cannot make a venv with $py (Debian: apt-get install python3-venv; scripts/install-deps.sh does)" >&2
  exit 1
fi
if ! "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"; then
  if [ "${LTX2_OFFLINE:-0}" = 1 ]; then
    echo "SKIP: LTX2_OFFLINE=1 and the pinned packages of $req could not be installed from PyPI" >&2
    exit 77
  fi
  echo "FAIL: pip could not install the pinned packages of $req from PyPI" >&2
  exit 1
fi
cp "$req" "$stamp"
