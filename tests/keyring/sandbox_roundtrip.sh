#!/bin/sh
# Runs inside tests/lib/with-keyring.sh: proves the sandbox is private, unlocked and real.
# TAP output.
set -u
echo "1..4"
n=0
check() { # check DESCRIPTION COMMAND...
    n=$((n + 1)); desc=$1; shift
    if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fail=1; fi
}
fail=0
secret="kc-sandbox-$$-$(date +%s%N)"

case "${DBUS_SESSION_BUS_ADDRESS:-}" in
    unix:*) check "private session bus is set" true ;;
    *) check "private session bus is set" false ;;
esac
check "HOME and XDG_RUNTIME_DIR are private" test "$HOME" != /root -a -d "$XDG_RUNTIME_DIR"
printf %s "$secret" | secret-tool store --label="kc sandbox test" kc-test roundtrip
got=$(secret-tool lookup kc-test roundtrip)
check "a stored secret reads back through the Secret Service" test "$got" = "$secret"
locked=$(gdbus call --session --dest org.freedesktop.secrets \
    --object-path /org/freedesktop/secrets/collection/login \
    --method org.freedesktop.DBus.Properties.Get org.freedesktop.Secret.Collection Locked)
check "the login collection is gnome-keyring's and unlocked" test "$locked" = "(<false>,)"
exit $fail
