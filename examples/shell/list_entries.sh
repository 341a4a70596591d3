#!/bin/sh
# Lists media entries through api_v3 with curl, started by `kaltura-credential exec`: the KS
# is in this script's environment only (KALTURA_KS, KALTURA_KS_EXPIRY, KALTURA_PARTNER_ID,
# KALTURA_SERVICE_URL), never in an argument list (curl reads it from a pipe), and the script
# asks the helper again when the KS it holds is close to its expiry.
#
#   sh list_entries.sh [--profile NAME] [--calls N] [--min-left SECONDS]
#
# --calls N: how many API calls to make (default 1); --min-left: ask for a new KS when the held
# one has fewer than SECONDS left (default 60).
set -eu

profile= calls=1 min_left=60
while [ $# -gt 0 ]; do
    case $1 in
    --profile) profile=$2; shift 2 ;;
    --calls) calls=$2; shift 2 ;;
    --min-left) min_left=$2; shift 2 ;;
    *) echo "usage: list_entries.sh [--profile NAME] [--calls N] [--min-left S]" >&2; exit 2 ;;
    esac
done
set -- ${profile:+--profile "$profile"}

# Started without a KS: run again under `kaltura-credential exec`, which puts one into this
# script's environment (and starts nothing when it cannot get one: its exit status is ours).
if [ -z "${KALTURA_KS:-}" ]; then
    exec kaltura-credential "$@" exec -- sh "$0" ${profile:+--profile "$profile"} \
        --calls "$calls" --min-left "$min_left"
fi

asks=1
i=1
while [ "$i" -le "$calls" ]; do
    # Close to expiry: ask again (a cache hit while the helper's KS lasts; it mints when low).
    if [ $((KALTURA_KS_EXPIRY - $(date +%s))) -lt "$min_left" ]; then
        eval "$(kaltura-credential "$@" ks --format=export)"
        asks=$((asks + 1))
    fi
    # printf is a shell builtin: the KS goes to curl through a pipe, not its argv
    answer=$(printf %s "$KALTURA_KS" |
        curl -sS --fail -d format=1 --data-urlencode ks@- \
            "$KALTURA_SERVICE_URL/api_v3/service/baseEntry/action/list")
    case $answer in
    *'"objectType":"KalturaAPIException"'*)
        echo "list_entries.sh: baseEntry.list: $answer" >&2
        exit 1 ;;
    esac
    count=$(printf %s "$answer" | sed -n 's/.*"totalCount":\([0-9]*\).*/\1/p')
    echo "call $i: $count entries (partner $KALTURA_PARTNER_ID, KS of ask $asks," \
        "$((KALTURA_KS_EXPIRY - $(date +%s))) s left)"
    i=$((i + 1))
done
