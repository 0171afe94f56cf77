#!/bin/sh
# Nightly backup of the web root.
set -e
tar -czf /var/backups/www-$(date +%F).tar.gz -C /var/www html
