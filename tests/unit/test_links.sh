#!/bin/sh
# The layers, as linked (doc/architecture.md "Layers"): pam_kaltura.so needs libpam and libc
# only (it runs inside sshd, gdm, login); the frontend's libc-only check is in test_frontend.c.
# $1: pam_kaltura.so, $2: "plain" or "sanitized" (the sanitizer runtimes are linked on purpose).
module=$1
echo "1..1"
if [ "$2" = sanitized ]; then
    echo "ok 1 - # SKIP libpam+libc check in a sanitizer build"
    exit 0
fi
needed=$(readelf -d "$module" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
if [ "$needed" = "libc.so.6 libpam.so.0 " ]; then
    echo "ok 1 - pam_kaltura.so needs libpam and libc only"
else
    echo "not ok 1 - pam_kaltura.so needs: $needed"
    exit 1
fi
