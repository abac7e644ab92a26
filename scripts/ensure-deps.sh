#!/bin/sh
# Checks the Debian build dependencies. As root, installs what is missing;
# otherwise names the exact command to run and fails.
set -eu

need=""
command -v musl-gcc >/dev/null 2>&1 || need="$need musl-tools"
command -v gcc >/dev/null 2>&1 || need="$need gcc"
command -v strace >/dev/null 2>&1 || need="$need strace"
[ -e /usr/include/linux/kvm.h ] || need="$need linux-libc-dev"
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || need="$need libc6-dev"
command -v llvm-objdump >/dev/null 2>&1 || command -v objdump >/dev/null 2>&1 || need="$need binutils"

for tool in swift swiftc clang ld.lld; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "error: '$tool' is not on the PATH; install the Swift 6.3 toolchain (it ships $tool)" >&2
        exit 1
    fi
done

[ -z "$need" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    echo "installing missing build dependencies:$need"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $need >/dev/null
else
    echo "error: missing build dependencies; run: sudo apt-get install -y$need" >&2
    exit 1
fi
