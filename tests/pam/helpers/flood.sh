#!/bin/sh
# Fake helper: floods stdout with valid-looking lines, forever.
cat > /dev/null
exec yes 'password=djJ8MTIzNDV8Zmxvb2Q='
