#!/bin/sh
# with-kwallet.sh [SECTION/KEY=VALUE ...] -- CMD [ARGS...]
# CMD with kwalletd5 (apiEnabled) alone on a private session bus:
# tests/lib/with-secret-provider.sh. Without settings, "--" may be left out.
case " $* " in *" -- "*) ;; *) set -- -- "$@" ;; esac
exec "$(dirname "$0")/with-secret-provider.sh" kwallet "$@"
