#!/bin/sh
# with-emulator.sh CMD [ARGS...]
# Starts the Kaltura api_v3 emulator (tests/emulator/README.md) in a fresh temp dir, waits
# (up to KC_EMU_START_TIMEOUT seconds, default 10) for its emulator.json, exports
#   KC_EMU_STATE KC_EMU_URL (https) KC_EMU_HTTP_URL KC_EMU_CA KC_EMU_OTHER_CA KC_EMU_PARTNER
#   KC_EMU_ADMIN_SECRET KC_EMU_CONTROL KC_EMU_PID
# runs CMD, then stops the emulator and removes the dir. CMD's exit status is passed through;
# 125 if the emulator could not be started. Extra emulator options: KC_EMU_ARGS="--ks-version 1".
set -eu
here=$(cd "$(dirname "$0")" && pwd)
emu_py="$here/../emulator/kaltura_emulator.py"
dir=$(mktemp -d "${TMPDIR:-/tmp}/kc-emu.XXXXXX")
emu_pid=

cleanup() {
  if [ -n "$emu_pid" ]; then
    kill -TERM "$emu_pid" 2>/dev/null || true
    i=0
    while kill -0 "$emu_pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$emu_pid" 2>/dev/null || true
    wait "$emu_pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# shellcheck disable=SC2086  # KC_EMU_ARGS is a word list on purpose
/usr/bin/python3 "$emu_py" --state-dir "$dir" ${KC_EMU_ARGS:-} </dev/null &
emu_pid=$!

limit=$(( ${KC_EMU_START_TIMEOUT:-10} * 20 ))
i=0
while [ ! -s "$dir/emulator.json" ]; do
  if ! kill -0 "$emu_pid" 2>/dev/null; then
    echo "with-emulator.sh: the emulator exited during start-up" >&2
    exit 125
  fi
  if [ $i -ge $limit ]; then
    echo "with-emulator.sh: no emulator.json after ${KC_EMU_START_TIMEOUT:-10} s" >&2
    exit 125
  fi
  sleep 0.05
  i=$((i + 1))
done

exports=$(/usr/bin/python3 - "$dir/emulator.json" <<'EOF'
import json, shlex, sys
info = json.load(open(sys.argv[1]))
names = {"KC_EMU_STATE": "state_dir", "KC_EMU_URL": "https_url", "KC_EMU_HTTP_URL": "http_url",
         "KC_EMU_CA": "ca_file", "KC_EMU_OTHER_CA": "other_ca_file", "KC_EMU_PARTNER": "partner_id",
         "KC_EMU_ADMIN_SECRET": "admin_secret", "KC_EMU_CONTROL": "control_url", "KC_EMU_PID": "pid"}
for var, key in names.items():
    print(f"{var}={shlex.quote(str(info[key]))}; export {var}")
EOF
) || exit 125
eval "$exports"

rc=0
"$@" || rc=$?
exit $rc
