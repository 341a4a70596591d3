#!/bin/sh
# The App Token seed flow as a plain shell script (curl + sha1sum), the way people write it by
# hand. A benchmark alternative only: the token comes from the environment.
set -eu
api="$KC_BENCH_URL/api_v3/service"
widget=$(curl -sS --fail --cacert "$KC_BENCH_CA" \
    -d "widgetId=_$KC_BENCH_PARTNER" -d format=1 "$api/session/action/startWidgetSession" |
    sed -n 's/.*"ks":"\([^"]*\)".*/\1/p')
hash=$(printf %s "$widget$KC_BENCH_TOKEN" | sha1sum | cut -d' ' -f1)
curl -sS --fail --cacert "$KC_BENCH_CA" -d "ks=$widget" -d "id=$KC_BENCH_TOKEN_ID" \
    -d "tokenHash=$hash" -d format=1 "$api/apptoken/action/startSession" |
    sed -n 's/.*"ks":"\([^"]*\)".*/\1/p'
