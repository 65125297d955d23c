#!/usr/bin/env bash
# Runs one server test script with the venv's Python (made by venv.sh, the
# server_venv fixture). Usage: run.sh VENV SCRIPT ARGS...
venv=$1
shift
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.installed" ]; then
  if [ "${LTX2_OFFLINE:-0}" = 1 ]; then
    echo "SKIP: LTX2_OFFLINE=1 and no venv with the pinned packages at $venv" >&2
    exit 77
  fi
  echo "FAIL: no venv with the pinned packages at $venv (server.venv failed?)" >&2
  exit 1
fi
export PYTHONPATH="$(dirname "$0")${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
exec "$venv/bin/python" "$@"
