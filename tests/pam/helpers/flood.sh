#!/bin/sh
# Fake helper: floods stdout with valid-looking lines, forever.
cat > /dev/null
exec yes 'password=djJ8MTIzNDV8AZjSBOczIAVk1HR2mRxggOeMp-tmyIe6Enajr3NpKjj_QyyjTA7ey2fHPu1DSRJq3mhbpqBrii64sV_RSKWhDKTQ0BCFdEakF_gbylwMupM='
