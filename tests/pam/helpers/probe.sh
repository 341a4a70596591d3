#!/bin/sh
# Fake helper for the host-process tests (pam_driver --probe $S): wakes the driver's own
# child and its second thread through the FIFOs in S = $XDG_RUNTIME_DIR while the module
# runs, waits until the probe is done, then answers like ok.sh.
set -eu
S=${XDG_RUNTIME_DIR:?}
cat > /dev/null
printf x > "$S/fifo-child"
printf x > "$S/fifo-thread"
while [ ! -e "$S/probe-done" ]; do sleep 0.02; done
printf 'password=%s\npassword_expiry_utc=1900000000\n' 'djJ8MTIzNDV8ZmFrZS1rcw=='
