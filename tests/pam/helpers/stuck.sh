#!/bin/sh
# Fake helper: sleeps uninterruptibly in this very process (the one the module started) on
# the test's FUSE mount at $S/fuse, whose lookup is never answered: SIGKILL cannot end it
# until the test lets the lookup fail. Its pid goes to $S/stuck.pid first.
S=${XDG_RUNTIME_DIR:?}
echo $$ > "$S/stuck.pid"
exec 3< "$S/fuse/never"
