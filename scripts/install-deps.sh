#!/usr/bin/env bash
# Installs the Debian packages inferd needs. This is the only place apt-get
# package lists live; README, CI and the container image all call it.
#
# usage: install-deps.sh [--build | --runtime | --load-balancer]
#   (none)           everything: build, tests and benchmarks
#   --build          what compiling inferd needs
#   --runtime        the shared libraries a built inferd links against
#   --load-balancer  nginx, for docker/nginx.Dockerfile
set -euo pipefail

# Every shared library the binary links (tests/deploy checks with ldd inside the image).
runtime=(libprotobuf-c1 libopenblas0 libmicrohttpd12 libjansson4 libgrpc29 libdnnl2 libsleef3 libgomp1
         libgnutls30 ca-certificates
         # ImageDecoder's codecs
         libjpeg62-turbo libpng16-16 libwebp7 libtiff6 libopenjp2-7)
# Debian's nginx has the gRPC proxy module (grpc_pass).
load_balancer=(nginx)
build=(
  # toolchain
  build-essential cmake pkg-config
  # ONNX model format: onnx.proto and the protobuf-c generator
  libonnx-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
  # math libraries
  libdnnl-dev libsleef-dev libopenblas-dev
  # server front ends; GnuTLS for HTTPS certificates (libmicrohttpd serves TLS with it);
  # zlib for gzip and deflate HTTP bodies; abseil, the gRPC core's base, whose Mutex
  # deadlock detection server/grpc_abseil.cc switches off
  libmicrohttpd-dev libjansson-dev libgrpc-dev libabsl-dev libgnutls28-dev zlib1g-dev
  # ImageDecoder's codecs: JPEG, PNG, WebP, TIFF, JPEG 2000
  libjpeg62-turbo-dev libpng-dev libwebp-dev libtiff-dev libopenjp2-7-dev
)
tests=(
  # development tools, not needed to compile (the image's build stage leaves them out)
  git clang-format
  # fuzzing (scripts/fuzz.sh): clang 14 with its libFuzzer and sanitizer runtimes, its
  # OpenMP runtime (find_package(OpenMP) under clang), llvm-symbolizer for readable reports
  clang libclang-rt-14-dev libomp-dev llvm
  # HTTP client, conformance data generator, PyTorch references
  libcurl4-openssl-dev python3 python3-numpy python3-onnx python3-torch python3-torchvision
  # ImageDecoder references: Pillow makes the test images and decodes them
  python3-pil
  # gRPC client tests: Python stubs generated from api/*.proto at test time
  python3-grpcio python3-grpc-tools
  # TLS tests: certificates generated at test time, curl as an HTTPS client
  openssl curl
  # benchmarks and tests/integration/test_protocols.py: HTTP and HTTP/2 (gRPC) load generators
  wrk nghttp2-client
  # deployment tests: nginx in front of replicas, real containers under podman
  # (runc: crun fails on this machine kind's hybrid cgroup layout), Compose,
  # with the CNI plugin that lets Compose services find each other by name,
  # and debootstrap for base images (no container registry is reachable)
  "${load_balancer[@]}" podman runc podman-compose golang-github-containernetworking-plugin-dnsname
  debootstrap
)

case "${1:-}" in
  --runtime) packages=("${runtime[@]}") ;;
  --build) packages=("${build[@]}") ;;
  --load-balancer) packages=("${load_balancer[@]}") ;;
  "") packages=("${build[@]}" "${tests[@]}") ;;
  *) echo "usage: $0 [--build | --runtime | --load-balancer]" >&2; exit 2 ;;
esac

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"
