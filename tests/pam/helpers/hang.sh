#!/bin/sh
# Fake helper: never answers. A background descendant holds stdout open too, so the module
# must kill the whole process group, not just wait for EOF. Its pid goes to $S/hang.pid.
S=${XDG_RUNTIME_DIR:?}
sleep 300 &
echo $! > "$S/hang.pid"
echo $$ >> "$S/hang.pid"
wait
