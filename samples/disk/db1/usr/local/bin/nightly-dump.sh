#!/bin/sh
# Nightly dump of guest db1's databases.
set -e
mysqldump --all-databases | gzip > /var/backups/all-$(date +%F).sql.gz
