#!/bin/sh
# Fake helper: succeeds. Scratch dir S = $XDG_RUNTIME_DIR (put into the PAM env by the test).
# Records, per command: runs (count-CMD), stdin, argv, the exact environment it was exec'd
# with, id -u/-g/-G, cwd and effective capabilities. `get` prints $S/ks (default: the v2 test
# vector of doc/kaltura-api.md §5.4, a KS that ends in '=') the way the real helper does;
# `revoke` prints nothing.
set -eu
S=${XDG_RUNTIME_DIR:?}
cmd=${1:-none}
n=$(cat "$S/count-$cmd" 2>/dev/null || echo 0)
echo $((n + 1)) > "$S/count-$cmd"
cat > "$S/stdin-$cmd"
printf '%s\n' "$0" "$@" > "$S/argv-$cmd"
tr '\0' '\n' < /proc/$$/environ > "$S/env-$cmd"
{ id -u; id -g; id -G; pwd; grep '^CapEff' /proc/$$/status; } > "$S/id-$cmd"
if [ "$cmd" = get ]; then
    ks=$(cat "$S/ks" 2>/dev/null || echo 'djJ8MTIzNDV8AZjSBOczIAVk1HR2mRxggOeMp-tmyIe6Enajr3NpKjj_QyyjTA7ey2fHPu1DSRJq3mhbpqBrii64sV_RSKWhDKTQ0BCFdEakF_gbylwMupM=')
    printf 'protocol=https\nhost=www.kaltura.com\nusername=fake\npassword=%s\npassword_expiry_utc=1900000000\n' "$ks"
fi
exit 0
