#!/bin/sh
# Fake helper: succeeds. Scratch dir S = $XDG_RUNTIME_DIR (put into the PAM env by the test).
# Records, per command: runs (count-CMD), stdin, argv, the exact environment it was exec'd
# with, id -u/-g/-G, cwd, the process's uid/gid lines and effective capabilities. `get`
# prints $S/ks (default: the v2 test vector of doc/kaltura-api.md §5.4, a KS that ends in
# '=') with the expiry $S/expiry (default 1900000000) the way the real helper does; `revoke`
# prints nothing and exits with $S/revoke-exit (0).
set -eu
S=${XDG_RUNTIME_DIR:?}
cmd=${1:-none}
n=$(cat "$S/count-$cmd" 2>/dev/null || echo 0)
echo $((n + 1)) > "$S/count-$cmd"
cat > "$S/stdin-$cmd"
printf '%s\n' "$0" "$@" > "$S/argv-$cmd"
tr '\0' '\n' < /proc/$$/environ > "$S/env-$cmd"
{ id -u; id -g; id -G; pwd; grep '^CapEff' /proc/$$/status; } > "$S/id-$cmd"
grep -E '^(Uid|Gid):' /proc/$$/status > "$S/ids-$cmd"
if [ "$cmd" = get ]; then
    ks=$(cat "$S/ks" 2>/dev/null || echo 'djJ8MTIzNDV8AZjSBOczIAVk1HR2mRxggOeMp-tmyIe6Enajr3NpKjj_QyyjTA7ey2fHPu1DSRJq3mhbpqBrii64sV_RSKWhDKTQ0BCFdEakF_gbylwMupM=')
    expiry=$(cat "$S/expiry" 2>/dev/null || echo 1900000000)
    printf 'protocol=https\nhost=www.kaltura.com\nusername=fake\npassword=%s\npassword_expiry_utc=%s\n' "$ks" "$expiry"
fi
if [ "$cmd" = revoke ] && [ -f "$S/revoke-exit" ]; then
    echo 'kaltura-credential: INVALID_KS: the server did not accept the session' >&2
    exit "$(cat "$S/revoke-exit")"
fi
exit 0
