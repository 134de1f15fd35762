#!/usr/bin/env bash
# The main job (README quick start): a local multi-node XCom group on loopback.
# Installs what it needs, builds with --config=opt and runs //xcom/tools:xcom_cluster.
#   tools/demo.sh                      3 nodes, defaults
#   tools/demo.sh --nodes=5 --max_versions=7,5,1
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
exec bazel run --config=opt //xcom/tools:xcom_cluster -- "$@"
