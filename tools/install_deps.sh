#!/usr/bin/env bash
# Installs the Debian 12 packages uxcom builds and tests with, and nothing else.
# Idempotent: packages already present are left alone, and apt is not touched at all when
# everything is installed. Every package comes from the Debian archive; nothing is downloaded
# from anywhere else (Bazel itself builds offline, see third_party/bazel_shims/README.md).
set -euo pipefail

packages=(
  bazel-bootstrap      # Bazel 4.2.3
  bazel-rules-java     # @rules_java 4.0.0 for Bazel 4 (offline)
  g++                  # g++ 12, C++20 coroutines
  liburing-dev         # liburing 2.3
  libabsl-dev          # Abseil 20220623
  libbenchmark-dev     # Google Benchmark 1.7.1
  doctest-dev          # doctest 2.4.9
  libasio-dev          # asio 1.22.1: benchmark peer
  libtirpc-dev         # libtirpc 1.3.3: codec benchmark baseline
  libssl-dev           # OpenSSL 3.0: TLS (net/tls_context.h)
  openssl              # the openssl CLI: interop checks of the TLS layer
  nlohmann-json3-dev   # JSON for tests and xcomdump
  clang-14             # --config=fuzz (libFuzzer)
  libclang-rt-14-dev   # libFuzzer and sanitizer runtimes for clang-14
  clang-format         # tools/format.sh
  iproute2             # `ip netns` for the no-sandbox network tests
  libpcap-dev          # libpcap 1.10: xcomdump reads pcap/pcapng files and live interfaces
  tcpdump              # capture_test records real XCom traffic with it
  nftables             # capture_test drops segments in a namespace to cause retransmissions
  python3-prometheus-client  # metrics_test parses /metrics with the reference parser too
  git
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install_deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "install_deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
