#!/bin/sh
# Runs inside the new root of image nginx while it is built (build.sh).
rm -f /etc/nginx/sites-enabled/default
ln -sf /dev/stdout /var/log/nginx/access.log
ln -sf /dev/stderr /var/log/nginx/error.log
