#!/bin/sh
# Fake helper for the host-process tests (pam_driver --probe $S): wakes the driver's own
# child and its second thread through the FIFOs in S = $XDG_RUNTIME_DIR while the module
# runs, waits until the probe is done, then answers like ok.sh (its default KS).
set -eu
S=${XDG_RUNTIME_DIR:?}
cat > /dev/null
printf x > "$S/fifo-child"
printf x > "$S/fifo-thread"
while [ ! -e "$S/probe-done" ]; do sleep 0.02; done
printf 'password=%s\npassword_expiry_utc=1900000000\n' 'djJ8MTIzNDV8AZjSBOczIAVk1HR2mRxggOeMp-tmyIe6Enajr3NpKjj_QyyjTA7ey2fHPu1DSRJq3mhbpqBrii64sV_RSKWhDKTQ0BCFdEakF_gbylwMupM='
