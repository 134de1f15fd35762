#!/bin/sh
# Runs the example binary given as $1; the test passes if it exits 0.
exec "$1"
