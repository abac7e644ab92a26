#!/bin/sh
# Builds the ELF loader fuzzer (libFuzzer + AddressSanitizer) into .build/fuzz/ and runs it for
# a bounded time on a seed corpus generated here (no committed binaries): the loader tests'
# MalformedELF samples, a tiny static asm program and its static-pie twin, a musl-gcc static
# hello, a dynamically linked gcc hello (PT_INTERP), and the built kernel image if there is one.
# Prints executions, executions per second, and "no crash" or the crash; exits non-zero on a crash.
#
#   Tests/Fuzz/run-fuzzer.sh [SECONDS]        (make fuzz FUZZ_SECONDS=60)
set -eu

seconds=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=.build/fuzz
loader=Sources/Hypervisor/Core/Loader
abi=Sources/Hypervisor/ABI/include
tests=Tests/HypervisorTests/Loader
mkdir -p "$out"

# The Loader sources and the entry point as one module. AddressSanitizer catches writes
# outside the materialized image, which -O builds of unsafe buffer code do not check.
sanitizers="fuzzer,address"
if ! swiftc -sanitize=$sanitizers -use-ld=lld -parse-as-library -O -I "$abi" \
        "$loader"/*.swift Tests/Fuzz/ELFLoaderFuzzer.swift -o "$out/elf-loader-fuzzer" 2>"$out/build.log"; then
    echo "fuzz: -sanitize=fuzzer,address failed to build (see $out/build.log); retrying with -sanitize=fuzzer"
    sanitizers="fuzzer"
    swiftc -sanitize=$sanitizers -parse-as-library -O -I "$abi" \
        "$loader"/*.swift Tests/Fuzz/ELFLoaderFuzzer.swift -o "$out/elf-loader-fuzzer"
fi
swiftc -parse-as-library -O "$tests/ELFBuilder.swift" "$tests/MalformedELF.swift" Tests/Fuzz/SeedCorpus.swift \
    -o "$out/seed-corpus"

corpus=$(mktemp -d "${TMPDIR:-/tmp}/elf-fuzz-corpus.XXXXXX")
work=$(mktemp -d "${TMPDIR:-/tmp}/elf-fuzz-seeds.XXXXXX")
trap 'rm -rf "$corpus" "$work"' EXIT
"$out/seed-corpus" "$corpus"

cat >"$work/exit.S" <<'EOF'
.globl _start
_start: mov $60, %eax
        xor %edi, %edi
        syscall
.data
message: .ascii "data\n"
.bss
buffer: .skip 4096
EOF
printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >"$work/hello.c"
seed() {  # seed NAME COMMAND...: builds $work/NAME with COMMAND, adds it stripped to the corpus
    name=$1; shift
    if "$@" -o "$work/$name" 2>/dev/null; then
        strip -o "$corpus/$name" "$work/$name" 2>/dev/null || cp "$work/$name" "$corpus/$name"
    else
        echo "fuzz: skipping seed $name ($1 failed or is missing)"
    fi
}
seed asm-static gcc -nostdlib -static "$work/exit.S"
seed asm-static-pie gcc -nostdlib -static-pie "$work/exit.S"
seed musl-hello musl-gcc -static -Os "$work/hello.c"
seed gcc-dynamic-hello gcc -Os "$work/hello.c"
[ -f .build/kernel/unikernel.elf ] && strip -o "$corpus/unikernel.elf" .build/kernel/unikernel.elf
echo "fuzz: $(ls "$corpus" | wc -l) seeds; sanitizers: $sanitizers; running for ${seconds}s (log: $out/fuzz.log)"

# SWIFT_BACKTRACE=enable=no: the Swift backtracer reads its own stack in ways ASan reports
# as a second error; libFuzzer's own report of the crash is the one we want.
status=0
started=$(date +%s)
SWIFT_BACKTRACE=enable=no "$out/elf-loader-fuzzer" "$corpus" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$out/" >"$out/fuzz.log" 2>&1 || status=$?
elapsed=$(( $(date +%s) - started ))

executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log" | tail -n 1)
per_second=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/fuzz.log" | tail -n 1)
coverage=$(grep -o 'cov: [0-9]*' "$out/fuzz.log" | tail -n 1)
if [ -z "$executions" ]; then  # crashes end before the final stats; take the last progress line
    executions=$(grep -o '^#[0-9]*' "$out/fuzz.log" | tail -n 1 | tr -d '#')
    per_second=$(grep -o 'exec/s: [0-9]*' "$out/fuzz.log" | tail -n 1 | sed 's/exec\/s: //')
fi
echo "fuzz: ${executions:-?} executions, ${per_second:-?} exec/s, ${coverage:-cov: ?} edges, ${elapsed}s"
if [ "$status" -eq 0 ]; then
    echo "fuzz: no crash"
else
    echo "fuzz: CRASH (libFuzzer exit status $status)"
    grep -E 'Fatal error|ERROR: |deadly signal|SUMMARY|Test unit written|Base64' "$out/fuzz.log" || tail -n 30 "$out/fuzz.log"
    echo "fuzz: reproduce with $out/elf-loader-fuzzer <crash file>"
    exit 1
fi
