#!/bin/sh
# Fake helper: prints $S/stderr to stderr and $S/output to stdout verbatim, then exits with
# the number in $S/exit (S = $XDG_RUNTIME_DIR, put into the PAM env by the test).
S=${XDG_RUNTIME_DIR:?}
cat > /dev/null
[ -f "$S/stderr" ] && cat "$S/stderr" >&2
[ -f "$S/output" ] && cat "$S/output"
exit "$(cat "$S/exit" 2>/dev/null || echo 0)"
