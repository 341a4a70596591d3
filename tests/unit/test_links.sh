#!/bin/sh
# The layers, as linked (doc/architecture.md "Layers"): pam_kaltura.so needs libpam and libc
# only (it runs inside sshd, gdm, login); the frontend's libc-only check is in test_frontend.c.
# $1: pam_kaltura.so, $2: "plain" or "sanitized" (a sanitizer build also needs its runtimes,
# libasan and libubsan, which are left out of the comparison there).
module=$1
runtimes='^$'
[ "$2" = sanitized ] && runtimes='^lib\(a\|ub\)san\.so\.'
echo "1..1"
needed=$(readelf -d "$module" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -v "$runtimes" |
    sort | tr '\n' ' ')
if [ "$needed" = "libc.so.6 libpam.so.0 " ]; then
    echo "ok 1 - pam_kaltura.so needs libpam and libc only"
else
    echo "not ok 1 - pam_kaltura.so needs: $needed"
    exit 1
fi
