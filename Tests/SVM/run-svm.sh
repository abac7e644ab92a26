#!/usr/bin/env bash
# `make test-svm`: runs the whole conformance suite on hardware-style KVM (AMD SVM) by
# booting an emulated SVM host: QEMU with TCG and an AMD CPU model with +svm, Debian's
# kernel (whose kvm-amd gives a real SVM /dev/kvm inside) and an initramfs holding busybox,
# the runner, the kernel image, the conformance tool, the built fixtures, strace and objdump.
# Tests/SVM/init runs inside; its results come back on the second serial port.
#
# Usage: Tests/SVM/run-svm.sh            (or `make test-svm`)
# Environment:
#   SVM_TREE     the tree whose build outputs are tested (default: this tree): its
#                .build/release/{hypervisor,unikernel.elf,conformance}, .build/fixtures,
#                Fixtures/ and the syscall table; build it first with `make -C TREE all`
#   SVM_CPU      QEMU CPU model (default EPYC,+svm; e.g. max, EPYC-Milan,+svm)
#   SVM_MEMORY   guest memory (default 4G)          SVM_SMP   vCPUs (default 2)
#   SVM_JOBS     fixtures run at once inside (default: SVM_SMP; the suite's guests use one vCPU each)
#   SVM_SMP_THREADS=1  also run the thread, OpenMP and Go fixtures on SVM_SMP vCPUs (check
#                smp-threads; off by default: such guests starve the emulated host's own kernel)
#   SVM_FIXTURE_TIMEOUT  seconds per fixture run inside (default 30; TCG is slow)
#   SVM_TIMEOUT  seconds the whole QEMU run may take before it counts as hung (default 1200);
#                inside, `conformance run` is stopped SVM_RUN_LIMIT s after it started
#                (default: SVM_TIMEOUT - 240), after listing the processes still running
#   SVM_FILTER   only fixtures whose id contains this    SVM_NPT   kvm-amd npt=0|1
#   SVM_STRESS   libc/name:count: run that fixture's guest run count times first and count
#                the exit statuses (flake hunting)
#   SVM_RETRIES  boots again after the SVM host's own kernel locked up or panicked (default 2)
#   SVM_TCG_THREAD  QEMU's TCG threading: single (default) or multi (see below)
#   SVM_SILENCE  seconds without console output that count as a hang of the SVM host (default 420), retried as a lockup
#   SVM_CACHE    cache folder (default: .build/svm of this tree): the kernel package and its
#                unpacked kernel and modules, shared; per tested tree, runs/<tree path>/ with
#                the initramfs, console.log and results.txt (one run per tree at a time)
#   SVM_KERNEL_DEB  a linux-image-*-amd64 .deb to use instead of downloading one
# Exit status: 0 when every check passed, 1 when any failed, 2 when the host could not be set up.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
HARNESS=$(cd "$HERE/../.." && pwd)
TREE=$(cd "${SVM_TREE:-$HARNESS}" 2>/dev/null && pwd) || { echo "error: SVM_TREE=${SVM_TREE} is not a folder" >&2; exit 2; }
CACHE=${SVM_CACHE:-$HARNESS/.build/svm}
CPU=${SVM_CPU:-EPYC,+svm}
MEMORY=${SVM_MEMORY:-4G}
SMP=${SVM_SMP:-2}
JOBS=${SVM_JOBS:-$SMP}
FIXTURE_TIMEOUT=${SVM_FIXTURE_TIMEOUT:-30}
QEMU_TIMEOUT=${SVM_TIMEOUT:-1200}
RUN_LIMIT=${SVM_RUN_LIMIT:-$((QEMU_TIMEOUT - 240))}
FILTER=${SVM_FILTER:-}
SMP_THREADS=${SVM_SMP_THREADS:-0}
NPT=${SVM_NPT:-}

fail_setup() { echo "error: test-svm: $*" >&2; exit 2; }
note() { echo "test-svm: $*"; }
started=$(date +%s)

# --- 1. host tools ---------------------------------------------------------------------
need_packages=""
command -v qemu-system-x86_64 >/dev/null || need_packages+=" qemu-system-x86"
command -v cpio >/dev/null || need_packages+=" cpio"
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || need_packages+=" busybox-static"
command -v strace >/dev/null || need_packages+=" strace"
[ -x /usr/bin/objdump ] && command -v objcopy >/dev/null || need_packages+=" binutils"
command -v dpkg-deb >/dev/null || fail_setup "dpkg-deb is missing: this script needs a Debian host"
if [ -n "$need_packages" ]; then
    if [ "$(id -u)" = 0 ]; then
        note "installing:$need_packages"
        export DEBIAN_FRONTEND=noninteractive
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends $need_packages >/dev/null; } \
            || fail_setup "apt-get install$need_packages failed"
    else
        fail_setup "missing packages; run: sudo apt-get install -y --no-install-recommends$need_packages"
    fi
fi
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 \
    || fail_setup "/bin/busybox is not a static busybox; run: sudo apt-get install -y busybox-static"

# --- 2. what is tested -----------------------------------------------------------------
RELEASE=$TREE/.build/release
for file in "$RELEASE/hypervisor" "$RELEASE/unikernel.elf" "$RELEASE/conformance" "$TREE/.build/fixtures"; do
    [ -e "$file" ] || fail_setup "$file is missing; build it first: make -C $TREE all"
done
ldd "$RELEASE/hypervisor" >/dev/null 2>&1 \
    && fail_setup "$RELEASE/hypervisor is dynamically linked; build it with \`make -C $TREE host\` (UNIKERNEL_STATIC_RUNNER=1)"
# The tool inside must take --prebuilt (no compiler there): the tested tree's own when it
# does, else this tree's.
CONFORMANCE=$RELEASE/conformance
if ! "$CONFORMANCE" run --help 2>/dev/null | grep -q -- '--prebuilt'; then
    CONFORMANCE=$HARNESS/.build/release/conformance
    "$CONFORMANCE" run --help 2>/dev/null | grep -q -- '--prebuilt' \
        || fail_setup "no conformance tool with --prebuilt in $TREE or $HARNESS; run: make -C $HARNESS host"
    note "$RELEASE/conformance has no --prebuilt: using $CONFORMANCE"
fi
# Every fixture must be built: --prebuilt inside counts a missing binary as a failure.
"$CONFORMANCE" build --root "$TREE" >/dev/null \
    || fail_setup "\`conformance build --root $TREE\` failed; run: make -C $TREE all"

# --- 3. the SVM host's kernel: Debian's linux-image-*-amd64, unpacked, never installed ---
mkdir -p "$CACHE" || fail_setup "cannot create $CACHE"
command -v flock >/dev/null || fail_setup "flock is missing; run: sudo apt-get install -y util-linux"
# Several runs may share the cache (other trees through SVM_TREE): the kernel is fetched
# and unpacked under one lock, and each tree has its own initramfs, logs and lock.
exec 8>"$CACHE/kernel.lock"
flock 8
deb=${SVM_KERNEL_DEB:-$(ls "$CACHE"/linux-image-*-amd64_*.deb 2>/dev/null | sort -V | tail -1)}
if [ -z "$deb" ]; then
    package=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    if [ -z "$package" ] && [ "$(id -u)" = 0 ]; then
        apt-get update -qq >/dev/null 2>&1
        package=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    fi
    [ -n "$package" ] || fail_setup "apt knows no linux-image-amd64; run: sudo apt-get update"
    note "downloading $package (apt-get download, not installed)"
    (cd "$CACHE" && apt-get download "$package" >/dev/null 2>"$CACHE/download.err") \
        || fail_setup "apt-get download $package failed: $(tail -1 "$CACHE/download.err")"
    deb=$(ls "$CACHE"/"$package"_*.deb | tail -1)
fi
[ -f "$deb" ] || fail_setup "no kernel package at $deb"
KERNEL_DIR=$CACHE/kernel
if [ ! -f "$KERNEL_DIR/.from" ] || [ "$(cat "$KERNEL_DIR/.from")" != "$deb" ]; then
    note "unpacking $(basename "$deb")"
    rm -rf "$KERNEL_DIR" "$CACHE/unpacked"
    dpkg-deb -x "$deb" "$CACHE/unpacked" || fail_setup "dpkg-deb -x $deb failed"
    mkdir -p "$KERNEL_DIR/modules"
    cp "$CACHE"/unpacked/boot/vmlinuz-* "$KERNEL_DIR/vmlinuz" || fail_setup "no vmlinuz in $deb"
    # kvm-amd and its dependency closure, read from each module's own `depends=`,
    # dependencies first.
    order=()
    add_module() {
        local name=$1 file dep
        for done_name in "${order[@]}"; do [ "$done_name" = "$name" ] && return 0; done
        file=$(find "$CACHE/unpacked/lib/modules" -name "$name.ko" -o -name "${name//-/_}.ko" | head -1)
        [ -n "$file" ] || fail_setup "module $name is not in $deb"
        for dep in $(objcopy -O binary --only-section=.modinfo "$file" /dev/stdout | tr '\0' '\n' \
                     | sed -n 's/^depends=//p' | tr ',' ' '); do
            add_module "$dep"
        done
        cp "$file" "$KERNEL_DIR/modules/$name.ko"
        order+=("$name")
    }
    add_module kvm-amd
    printf '%s\n' "${order[@]}" >"$KERNEL_DIR/modules/order"
    rm -rf "$CACHE/unpacked"
    echo "$deb" >"$KERNEL_DIR/.from"
fi
flock -u 8

RUN_DIR=$CACHE/runs/$(echo "${TREE#/}" | tr -c 'A-Za-z0-9._\n-' '-')
mkdir -p "$RUN_DIR" || fail_setup "cannot create $RUN_DIR"
exec 9>"$RUN_DIR.lock"
flock -n 9 || { note "another test-svm of $TREE is running; waiting for it"; flock 9; }

# --- 4. the initramfs: rebuilt only when its inputs change ------------------------------
stage=$RUN_DIR/stage
rm -rf "$stage"
mkdir -p "$stage"/{bin,lib/modules-svm,svm/tree/.build/release,svm/tree/Sources/Unikernel/Syscalls,usr/bin}
cp /bin/busybox "$stage/bin/busybox"
cp "$HERE/init" "$stage/init" && chmod 755 "$stage/init"
cp "$KERNEL_DIR"/modules/* "$stage/lib/modules-svm/"
copy_with_libraries() {   # an executable and, when dynamic, its libraries and loader
    local binary=$1 target=$2 library
    install -D -m 755 "$binary" "$stage$target"
    for library in $(ldd "$binary" 2>/dev/null | grep -oE '/[^ ]+'); do
        [ -e "$stage$library" ] || install -D -m 755 "$library" "$stage$library"
    done
}
copy_with_libraries "$RELEASE/hypervisor" /svm/tree/.build/release/hypervisor
copy_with_libraries "$CONFORMANCE" /svm/tree/.build/release/conformance
copy_with_libraries "$(command -v strace)" /usr/bin/strace       # conformance triage, native side
copy_with_libraries /usr/bin/objdump /usr/bin/objdump               # the runner's crash reports name the instruction
cp "$RELEASE/unikernel.elf" "$stage/svm/tree/.build/release/"
cp "$TREE/Package.swift" "$stage/svm/tree/"
cp -r "$TREE/Fixtures" "$stage/svm/tree/"
cp -r "$TREE/.build/fixtures" "$stage/svm/tree/.build/"
# Dynamically linked fixtures (conformance-link: dynamic) run natively and, with --system, in
# the guest on the emulated host's /usr, /lib and /lib64: their interpreter and libraries go
# into the initramfs at their own paths (libm.so.6 too, which dynamic_programs dlopens).
for binary in $(find "$TREE/.build/fixtures" -type f -perm -u+x); do
    interpreter=$(readelf -l "$binary" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \([^]]*\)].*/\1/p')
    [ -n "$interpreter" ] || continue
    [ -e "$stage$interpreter" ] || install -D -m 755 "$(readlink -f "$interpreter")" "$stage$interpreter"
    for library in $(ldd "$binary" 2>/dev/null | grep -oE '/[^ ]+'); do
        [ -e "$stage$library" ] || install -D -m 755 "$(readlink -f "$library")" "$stage$library"
        libm=$(dirname "$library")/libm.so.6
        [ -e "$libm" ] && [ ! -e "$stage$libm" ] && install -D -m 755 "$(readlink -f "$libm")" "$stage$libm"
    done
done
# glibc's C.UTF-8 locale (utf8_locale sets it natively and, with --system, in the guest).
[ -d /usr/lib/locale/C.utf8 ] && mkdir -p "$stage/usr/lib/locale" && cp -r /usr/lib/locale/C.utf8 "$stage/usr/lib/locale/"
cp "$TREE/Sources/Unikernel/Syscalls/SyscallTable.swift" "$stage/svm/tree/Sources/Unikernel/Syscalls/"
INITRAMFS=$RUN_DIR/initramfs.cpio
digest=$(cd "$stage" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ -f "$INITRAMFS" ] && [ "$(cat "$RUN_DIR/initramfs.digest" 2>/dev/null)" = "$digest" ]; then
    note "initramfs unchanged ($(du -h "$INITRAMFS" | cut -f1))"
else
    (cd "$stage" && find . -print0 | sort -z | cpio --null -o -H newc --quiet >"$INITRAMFS.tmp") \
        || fail_setup "cpio failed"
    mv "$INITRAMFS.tmp" "$INITRAMFS"
    echo "$digest" >"$RUN_DIR/initramfs.digest"
    note "initramfs built: $(du -h "$INITRAMFS" | cut -f1), $(find "$stage/svm/tree/.build/fixtures" -type f | wc -l) fixture binaries"
fi
rm -rf "$stage"

# --- 5. boot it ------------------------------------------------------------------------
CONSOLE=$RUN_DIR/console.log
RESULTS=$RUN_DIR/results.txt
rm -f "$CONSOLE" "$RESULTS"
append="console=ttyS0 quiet panic=-1 rdinit=/init svm.jobs=$JOBS svm.timeout=$FIXTURE_TIMEOUT svm.run_limit=$RUN_LIMIT"
[ -n "$FILTER" ] && append+=" svm.filter=$FILTER"
[ "$SMP_THREADS" = 1 ] && append+=" svm.smp_threads=1"
[ -n "$NPT" ] && append+=" svm.npt=$NPT"
[ -n "${SVM_STRESS:-}" ] && append+=" svm.stress=$SVM_STRESS"
note "tree $TREE"
note "booting QEMU TCG -cpu $CPU -smp $SMP -m $MEMORY (at most ${QEMU_TIMEOUT} s; console in $CONSOLE)"
# The SVM host's own kernel sometimes fails under QEMU TCG: soft lockups and RCU stalls on
# every vCPU (about 1 run in 8, also with no fixture failing), and once a panic of its own
# ("corrupted stack end detected inside scheduler" in one of its processes): faults of the
# emulated host, not of what is tested, which runs inside it under KVM. The console is watched
# for them; QEMU is then stopped at once and the host boots again, at most SVM_RETRIES times
# (default 3), as after a silent reset of the emulated host (QEMU exits early with nothing on
# the console). A new boot resumes the suite: the fixtures that passed (or matched their known
# gap) in the failed boots are listed in /svm/skip.txt (a small cpio appended to the
# initramfs) and not run again; every other fixture, a failed one included, runs again. No
# new boot starts once SVM_TOTAL_LIMIT s (default 2100) have passed since the first. Every
# retry is reported with the line that caused it.
RETRIES=${SVM_RETRIES:-3}
# Single-threaded TCG by default: with one host thread per vCPU (thread=multi) the emulated
# host's kernel corrupted one of its own task stacks in nearly every run once the process
# fixtures created and destroyed a VM per guest process (panics "corrupted stack end detected
# inside scheduler" in 4 boots of 4, after 0 to 64 fixtures, and unkillable runners); with
# thread=single the whole suite passed with no failure of the emulated host, in about the same
# time (both vCPUs share one host core; the suite's 2 jobs still overlap waits).
TCG_THREAD=${SVM_TCG_THREAD:-single}
TOTAL_LIMIT=${SVM_TOTAL_LIMIT:-2100}
PASSED_BEFORE=$RUN_DIR/passed-before.txt
rm -f "$PASSED_BEFORE" "$RUN_DIR/initramfs-resume.cpio"
: >"$PASSED_BEFORE"
# Seconds without console output after which the emulated host counts as hung (longer than any
# fixture's timeout and the triage checks' 300 s limit).
SILENCE=${SVM_SILENCE:-420}
LOCKUP='soft lockup - CPU|rcu_preempt self-detected stall|rcu: INFO: rcu_preempt detected stalls|Kernel panic - not syncing'
boot_started=$(date +%s)
attempt=0
lockups=()
while :; do
    attempt=$((attempt + 1))
    rm -f "$CONSOLE" "$RESULTS"
    initrd=$INITRAMFS
    if [ -s "$PASSED_BEFORE" ]; then
        # What the failed boots passed, as /svm/skip.txt in a second cpio archive (the kernel
        # unpacks concatenated archives in order).
        resume=$RUN_DIR/resume-stage
        rm -rf "$resume" && mkdir -p "$resume/svm"
        sort -u "$PASSED_BEFORE" >"$resume/svm/skip.txt"
        (cd "$resume" && find . -print0 | sort -z | cpio --null -o -H newc --quiet >"$RUN_DIR/resume.cpio") \
            || fail_setup "cpio failed (resume list)"
        cat "$INITRAMFS" "$RUN_DIR/resume.cpio" >"$RUN_DIR/initramfs-resume.cpio"
        initrd=$RUN_DIR/initramfs-resume.cpio
        note "resuming: $(wc -l <"$resume/svm/skip.txt") fixtures passed before and are not run again"
    fi
    timeout -k 10 "$QEMU_TIMEOUT" qemu-system-x86_64 \
        -accel tcg,thread=$TCG_THREAD -cpu "$CPU" -smp "$SMP" -m "$MEMORY" \
        -nographic -monitor none -no-reboot -nic none \
        -serial stdio -serial "file:$RESULTS" \
        -kernel "$KERNEL_DIR/vmlinuz" -initrd "$initrd" -append "$append" \
        </dev/null > >(tee "$CONSOLE") 2>&1 &
    qemu=$!
    lockup=""
    last_size=0
    last_change=$(date +%s)
    while kill -0 $qemu 2>/dev/null; do
        sleep 2
        if [ -z "$lockup" ] && lockup=$(grep -m1 -E "$LOCKUP" "$CONSOLE" 2>/dev/null); then
            sleep 5   # a few more lines of the kernel's report for the log
            kill $qemu 2>/dev/null
        fi
        # A host that prints nothing for SILENCE seconds has hung without a report (every
        # fixture prints a line and none may run 300 s): counted like a lockup.
        size=$(stat -c %s "$CONSOLE" 2>/dev/null || echo 0)
        if [ "$size" != "$last_size" ]; then last_size=$size; last_change=$(date +%s); fi
        if [ -z "$lockup" ] && [ $(( $(date +%s) - last_change )) -ge "$SILENCE" ]; then
            lockup="the SVM host went silent for $SILENCE s (no console output, no report)"
            kill $qemu 2>/dev/null
        fi
    done
    wait $qemu
    qemu_status=$?
    # The emulated host can also reset itself silently (a triple fault of its own: QEMU stops,
    # -no-reboot) before its last check: counted like a lockup. A stop by the time limit
    # (status 124) is not: that is a hang of the run, reported below.
    if [ -z "$lockup" ] && [ "$qemu_status" != 124 ] && ! tr -d '\r' <"$RESULTS" 2>/dev/null | grep -q '^SVM-END'; then
        lockup="the SVM host reset itself before its last check (QEMU exited $qemu_status, nothing on its console)"
    fi
    [ -z "$lockup" ] && break
    # The suite's progress lines ("[12/191] PASS musl/hello"): what this boot passed.
    passed_now=$(tr -d '\r' <"$CONSOLE" | sed -nE 's/^\[[0-9]+\/[0-9]+\] (PASS|GAP) ([^ ]+).*/\2/p')
    [ -n "$passed_now" ] && echo "$passed_now" >>"$PASSED_BEFORE"
    lockups+=("attempt $attempt: the SVM host's kernel failed: ${lockup#*] } ($(echo -n "$passed_now" | grep -c .) fixtures passed before)")
    cp "$CONSOLE" "$RUN_DIR/console-lockup-$attempt.log"
    if [ "$attempt" -gt "$RETRIES" ]; then break; fi
    if [ $(( $(date +%s) - boot_started )) -ge "$TOTAL_LIMIT" ]; then
        lockups+=("no new boot: $TOTAL_LIMIT s (SVM_TOTAL_LIMIT) have passed since the first")
        break
    fi
    note "the SVM host's kernel failed (${lockup#*] }); console kept in $RUN_DIR/console-lockup-$attempt.log; booting again"
done
finished=$(date +%s)

# --- 6. verdict ------------------------------------------------------------------------
echo
echo "==================== test-svm: AMD SVM (QEMU TCG -cpu $CPU) ===================="
[ -f "$RESULTS" ] && tr -d '\r' <"$RESULTS" >"$RESULTS.clean" && mv "$RESULTS.clean" "$RESULTS"
failed=0
for line in "${lockups[@]}"; do echo "note  $line (QEMU stopped)"; done
if [ -n "$lockup" ]; then
    echo "FAIL  the SVM host's kernel failed on every attempt ($attempt): QEMU TCG, not the tested code; last console lines below"
    grep -E "$LOCKUP" "$CONSOLE" | tail -4 | sed 's/^/      /'
    failed=1
elif [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
    echo "FAIL  qemu: no result after ${QEMU_TIMEOUT} s: the SVM host hung (last console lines below)"
    tail -15 "$CONSOLE" | sed 's/^/      /'
    failed=1
elif [ "$qemu_status" != 0 ] && [ "$qemu_status" != 143 ]; then
    echo "FAIL  qemu exited $qemu_status (last console lines below)"
    tail -15 "$CONSOLE" | sed 's/^/      /'
    failed=1
fi
if [ -f "$RESULTS" ]; then
    grep '^SVM-INFO \(kernel\|model\|runner\|kvm_amd\|the CPU\|flaky\|stress\|resumed\)' "$RESULTS" | sed 's/^SVM-INFO /info  /'
    awk '/^SVM-REPORT-BEGIN conformance-run/ { on = 1; print "--- conformance run inside the SVM host:"; next }
         /^SVM-REPORT-END/ { on = 0 } on' "$RESULTS"
    # Failing fixtures: what triage says about each (the whole triage is on the console).
    awk '/^SVM-REPORT-BEGIN triage-fixture / { id = $3; on = 1; crash = 0; print "--- triage " id ":"; next }
         /^SVM-REPORT-END/ { on = 0 }
         on && /^  verdict:/ { print "  " $0 }
         on && /^guest crash report:/ { crash = 1; next }
         on && crash && /(guest died|instruction:|likely cause:|exit status)/ { print "    " $0 }
         on && crash && /^$/ { crash = 0 }' "$RESULTS"
    echo "---"
    grep '^SVM-CHECK ' "$RESULTS" | sed -E 's/^SVM-CHECK ([^ ]+) (PASS|FAIL) ?/\2  \1: /'
    grep -q '^SVM-CHECK .* FAIL' "$RESULTS" && failed=1
    for required in cpu-svm modules dev-kvm runner-smoke conformance-run triage-glibc-no-sse $([ -z "$FILTER" ] && [ "$SMP_THREADS" = 1 ] && echo smp-threads); do
        grep -q "^SVM-CHECK $required PASS" "$RESULTS" || {
            grep -q "^SVM-CHECK $required " "$RESULTS" || echo "FAIL  $required: never checked"
            failed=1
        }
    done
    grep -q '^SVM-END' "$RESULTS" || { echo "FAIL  the SVM host stopped before its last check (no SVM-END)"; failed=1; }
else
    echo "FAIL  no results from the SVM host ($RESULTS missing)"
    failed=1
fi
echo "time: $((finished - started)) s in all, $((finished - boot_started)) s in QEMU; console: $CONSOLE, results: $RESULTS"
if [ $failed = 0 ] && [ -n "$FILTER" ]; then
    echo "test-svm: PASS, but only for the fixtures matching SVM_FILTER=$FILTER"
elif [ $failed = 0 ]; then
    echo "test-svm: PASS"
else
    echo "test-svm: FAIL"
fi
exit $failed
