#!/usr/bin/env bash
# Installs every Debian package inferd needs to build, run and test.
# This is the only place apt-get package lists live; CI and README call it.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git clang-format
  # ONNX model format: onnx.proto and the protobuf-c generator
  libonnx-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
  # math libraries
  libdnnl-dev libsleef-dev libopenblas-dev
  # server front ends
  libmicrohttpd-dev libjansson-dev libgrpc-dev
  # tests: HTTP client, conformance data generator, PyTorch references
  libcurl4-openssl-dev python3 python3-numpy python3-onnx python3-torch python3-torchvision
  # benchmarks: HTTP load generator
  wrk
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"
