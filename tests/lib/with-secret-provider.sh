#!/bin/sh
# with-secret-provider.sh PROVIDER [SECTION/KEY=VALUE ...] -- CMD [ARGS...]
# Runs CMD with PROVIDER (gnome-keyring, keepassxc, kwallet, fake) as the only Secret Service
# on a private session bus (tests/lib/private-bus.conf: nothing can be D-Bus-activated), started
# headless with its default collection unlocked, in its own HOME, XDG_CONFIG_HOME and
# XDG_RUNTIME_DIR. The settings change the provider's configuration (keepassxc: its INI file's
# "FdoSecrets/UnlockBeforeSearch=true", or "db/RecycleBin=true"; kwallet: kwalletrc's).
# CMD sees KC_PROVIDER and KC_PROVIDER_STATE (tests drive the provider with
# tests/lib/secret_providers.py attach()). CMD's exit status is passed through; 125 when the
# provider could not be started. The recipes: doc/keyrings.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
provider=$1
shift
base=$(mktemp -d "${TMPDIR:-/tmp}/kc-$provider.XXXXXX")
trap 'rm -rf "$base"' EXIT INT TERM
mkdir -p "$base/home/.config" "$base/run" "$base/provider"
chmod 700 "$base/run"
export HOME="$base/home" XDG_CONFIG_HOME="$base/home/.config" XDG_RUNTIME_DIR="$base/run" \
       KC_PROVIDER_DIR="$base/provider"
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK \
      SECRET_BACKEND SECRET_FILE_TEST_PATH SECRET_FILE_TEST_PASSWORD KC_PROVIDER KC_PROVIDER_STATE
rc=0
dbus-run-session --config-file="$here/private-bus.conf" -- \
  /usr/bin/python3 "$here/secret_providers.py" run "$provider" "$@" 2> "$base/stderr" || rc=$?
# dbus-daemon's fd-limit notice is noise; show the rest.
grep -v 'Failed to set fd limit' "$base/stderr" >&2 || true
exit $rc
