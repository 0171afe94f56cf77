#!/bin/sh
exec /usr/bin/env python3 "$@"
