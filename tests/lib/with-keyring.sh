#!/bin/sh
# with-keyring.sh CMD [ARGS...]
# Runs CMD with a private, unlocked gnome-keyring 'login' collection on a private session bus,
# with its own HOME and XDG_RUNTIME_DIR. Exit status of CMD is passed through.
# KC_KEYRING_BASE is exported (the temp dir); KEYRING_PASSWORD sets the unlock password.
# KC_KEYRING_KEEP_HOME=DIR reuses DIR as HOME (a second session on the same keyring).
set -eu
base=$(mktemp -d "${TMPDIR:-/tmp}/kc-kr.XXXXXX")
trap 'rm -rf "$base"' EXIT INT TERM
mkdir -p "$base/home" "$base/run"
chmod 700 "$base/run"
export HOME="${KC_KEYRING_KEEP_HOME:-$base/home}" XDG_RUNTIME_DIR="$base/run" KC_KEYRING_BASE="$base"
export XDG_CONFIG_HOME="$HOME/.config"
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK \
      SECRET_BACKEND SECRET_FILE_TEST_PATH SECRET_FILE_TEST_PASSWORD
rc=0
dbus-run-session -- sh -c '
  printf %s "${KEYRING_PASSWORD:-test}" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  gdbus wait --session --timeout 10 org.freedesktop.secrets
  exec "$@"' with-keyring "$@" 2> "$base/dbus.err" || rc=$?
# dbus-daemon's fd-limit notice is noise; show the rest.
grep -v 'Failed to set fd limit' "$base/dbus.err" >&2 || true
exit $rc
