# Builds the guest kernel (Embedded Swift), the host tools (SwiftPM) and the
# fixtures, and runs the two jobs: `make conformance` and `make test`.

SWIFTC      ?= swiftc
CLANG       ?= clang
LLD         ?= ld.lld
SWIFT       ?= swift
BUILD       := .build
KERNEL_DIR  := $(BUILD)/kernel
KERNEL      := $(KERNEL_DIR)/unikernel.elf
RELEASE_BIN := $(BUILD)/release
# The host tools link the Swift runtime statically, and UNIKERNEL_STATIC_RUNNER=1 (see
# Package.swift) makes the runner a fully static executable: no dynamic loading at every
# `hypervisor` start (about 2 ms here).
SWIFT_RELEASE_FLAGS ?= --static-swift-stdlib

KERNEL_SRC  := Sources/Unikernel
KERNEL_SWIFT := $(shell find $(KERNEL_SRC) -name '*.swift' | sort)
KERNEL_ASM  := $(shell find $(KERNEL_SRC) -name '*.S' -not -path '*/VDSO/vdso.S' | sort)
KERNEL_LDS  := $(KERNEL_SRC)/Arch/kernel.ld
ABI_INCLUDE := Sources/Hypervisor/ABI/include
KERNEL_ASM_OBJ := $(patsubst $(KERNEL_SRC)/%.S,$(KERNEL_DIR)/%.o,$(KERNEL_ASM))

# No SSE/MMX/AVX in kernel code: the application's vector state is never touched.
KERNEL_SWIFTFLAGS := -target x86_64-unknown-none-elf -enable-experimental-feature Embedded \
	-wmo -parse-as-library -Osize -module-name Unikernel \
	-Xcc -mno-sse -Xcc -mno-sse2 -Xcc -mno-mmx -Xcc -mno-avx -Xcc -mno-red-zone \
	-Xfrontend -disable-stack-protector -enable-experimental-feature Extern -Xfrontend -function-sections \
	-I $(ABI_INCLUDE)
KERNEL_ASFLAGS := --target=x86_64-unknown-none-elf -ffreestanding -nostdlib -mno-red-zone -I $(ABI_INCLUDE) -I $(KERNEL_DIR) -I $(KERNEL_SRC)/Arch

# The vDSO: a small shared object the kernel embeds (VDSO/vdso_image.S) and maps.
VDSO        := $(KERNEL_DIR)/vdso.so

.PHONY: all deps kernel host fixtures conformance test bench clean syscall-names

all: deps third-party kernel host fixtures

## deps: checks the build dependencies; as root installs the missing Debian
## packages, otherwise names the exact command to run and fails.
DEB_PACKAGES := musl-tools strace binutils linux-libc-dev libc6-dev g++ zlib1g-dev libsqlite3-dev liblua5.4-dev golang-go busybox-static
deps:
	@for tool in swift swiftc clang ld.lld; do \
		command -v $$tool >/dev/null 2>&1 || { echo "error: '$$tool' is not on the PATH; install the Swift 6.3 toolchain (it ships $$tool)" >&2; exit 1; }; \
	done
	@missing=""; for pkg in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "ok installed" || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing missing build dependencies:$$missing"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "error: missing build dependencies; run: sudo apt-get install -y$$missing" >&2; exit 1; \
		fi; \
	fi

## third-party: libraries a fixture needs that no Debian package provides for musl, built from
## pinned source archives into .build/third-party (fixtures name it {build}/third-party):
## SQLite's amalgamation (3.50.4), from the sqlean.py source distribution on PyPI (checked by
## SHA-256), built with musl-gcc as a static library.
THIRD_PARTY       := $(BUILD)/third-party
SQLITE_MUSL       := $(THIRD_PARTY)/sqlite-musl
SQLITE_SDIST      := sqlean_py-3.50.4.5
SQLITE_SDIST_HASH := 9764b565e7ab430ab6e9e43cb2816199c2b39926dffc93c212a52f0019278459
.PHONY: third-party
third-party: $(SQLITE_MUSL)/libsqlite3.a

$(SQLITE_MUSL)/libsqlite3.a:
	@mkdir -p $(THIRD_PARTY)/download $(SQLITE_MUSL)
	@test -f $(THIRD_PARTY)/download/$(SQLITE_SDIST).tar.gz || \
		python3 -m pip download --quiet --no-deps --no-binary :all: -d $(THIRD_PARTY)/download sqlean.py==3.50.4.5 2>/dev/null || \
		test -f $(THIRD_PARTY)/download/$(SQLITE_SDIST).tar.gz || \
		{ echo "error: cannot download $(SQLITE_SDIST).tar.gz (SQLite's source for the musl fixtures) from PyPI with python3 -m pip" >&2; exit 1; }
	@echo "$(SQLITE_SDIST_HASH)  $(THIRD_PARTY)/download/$(SQLITE_SDIST).tar.gz" | sha256sum --check --quiet || \
		{ echo "error: $(THIRD_PARTY)/download/$(SQLITE_SDIST).tar.gz does not have the pinned SHA-256" >&2; exit 1; }
	tar -xzf $(THIRD_PARTY)/download/$(SQLITE_SDIST).tar.gz -C $(SQLITE_MUSL) --strip-components=2 \
		$(SQLITE_SDIST)/sqlite/sqlite3.c $(SQLITE_SDIST)/sqlite/sqlite3.h
	@# The distribution appends a hook for its own extensions after the amalgamation's end: drop it.
	sed -i '/^\/\*\*\*\*\*\*\*\** End of sqlite3\.c \**\/$$/q' $(SQLITE_MUSL)/sqlite3.c
	musl-gcc -O1 -DSQLITE_OMIT_LOAD_EXTENSION -c $(SQLITE_MUSL)/sqlite3.c -o $(SQLITE_MUSL)/sqlite3.o
	ar rcs $@.tmp $(SQLITE_MUSL)/sqlite3.o && mv $@.tmp $@
	@rm -f $(SQLITE_MUSL)/sqlite3.o $(SQLITE_MUSL)/sqlite3.c

## syscall-names: regenerates the syscall name table from the installed Linux UAPI header.
SYSCALL_NAMES := Sources/Hypervisor/Core/Diagnostics/LinuxSyscallNames.swift
syscall-names:
	@{ head -n 9 $(SYSCALL_NAMES); \
	   awk '/#define __NR_/ {n=$$3; name=$$2; sub("__NR_","",name); a[n]=name; if(n>max)max=n} \
	        END {for(i=0;i<=max;i++) printf "        \"%s\",\n", a[i]}' /usr/include/x86_64-linux-gnu/asm/unistd_64.h; \
	   printf '    ]\n}\n\nprivate extension String {\n    var nilIfEmpty: String? { isEmpty ? nil : self }\n}\n'; } > $(SYSCALL_NAMES).tmp
	mv $(SYSCALL_NAMES).tmp $(SYSCALL_NAMES)

kernel: $(KERNEL)

$(KERNEL_DIR)/kernel.o: $(KERNEL_SWIFT) $(ABI_INCLUDE)/unikernel_abi.h
	@mkdir -p $(KERNEL_DIR)
	$(SWIFTC) $(KERNEL_SWIFTFLAGS) -c $(KERNEL_SWIFT) -o $@

$(VDSO): $(KERNEL_SRC)/VDSO/vdso.S $(KERNEL_SRC)/VDSO/vdso.ld
	@mkdir -p $(KERNEL_DIR)
	$(CLANG) --target=x86_64-unknown-none-elf -fPIC -c $(KERNEL_SRC)/VDSO/vdso.S -o $(KERNEL_DIR)/vdso.o
	$(LLD) -shared -T $(KERNEL_SRC)/VDSO/vdso.ld --hash-style=both -soname linux-vdso.so.1 -o $@ $(KERNEL_DIR)/vdso.o

$(KERNEL_DIR)/VDSO/vdso_image.o: $(VDSO)

$(KERNEL_DIR)/%.o: $(KERNEL_SRC)/%.S $(ABI_INCLUDE)/unikernel_abi.h $(KERNEL_SRC)/Arch/registers.inc
	@mkdir -p $(dir $@)
	$(CLANG) $(KERNEL_ASFLAGS) -c $< -o $@

$(KERNEL): $(KERNEL_DIR)/kernel.o $(KERNEL_ASM_OBJ) $(KERNEL_LDS)
	$(LLD) -T $(KERNEL_LDS) -nostdlib -static --gc-sections -o $@ $(KERNEL_ASM_OBJ) $(KERNEL_DIR)/kernel.o
	@echo "kernel image: $@ ($$(stat -c %s $@) bytes)"

## host: the hypervisor and conformance commands; the kernel image is placed
## next to them so `hypervisor` finds it without flags.
host: $(KERNEL)
	UNIKERNEL_STATIC_RUNNER=1 $(SWIFT) build -c release $(SWIFT_RELEASE_FLAGS)
	cp $(KERNEL) $(RELEASE_BIN)/unikernel.elf

fixtures: host
	$(RELEASE_BIN)/conformance build

## conformance: the main job, the per-libc conformance report.
conformance: all
	$(RELEASE_BIN)/conformance run

## test: the test suite (unit tests and the whole suite on KVM).
## The AddressSanitizer build of the hypervisor is part of the tests: the hostile
## guest runs against it (ResilienceTests). A short fuzzing run of the ELF loader
## follows the test suite (`make fuzz` runs longer).
## Then the whole suite once more on AMD SVM (`make test-svm`); every part runs even when an
## earlier one failed, and the target fails if any did.
TEST_FUZZ_SECONDS ?= 30
## The system-call fuzzer (Tests/Fuzz/syscall_fuzzer.c, guest only) runs for
## TEST_SYSCALL_FUZZ_SECONDS and fails the tests on any finding or when it made no calls.
TEST_SYSCALL_FUZZ_SECONDS ?= 60
test: deps third-party kernel asan-hypervisor
	UNIKERNEL_STATIC_RUNNER=1 $(SWIFT) build -c release $(SWIFT_RELEASE_FLAGS)
	cp $(KERNEL) $(RELEASE_BIN)/unikernel.elf
	@status=0; \
	echo "$(SWIFT) test"; $(SWIFT) test || { status=1; echo "make test: swift test FAILED" >&2; }; \
	echo "Tests/Fuzz/run-fuzzer.sh $(TEST_FUZZ_SECONDS)"; \
	Tests/Fuzz/run-fuzzer.sh $(TEST_FUZZ_SECONDS) || { status=1; echo "make test: the fuzzing run FAILED" >&2; }; \
	echo "conformance fuzz --seconds $(TEST_SYSCALL_FUZZ_SECONDS)"; \
	$(RELEASE_BIN)/conformance fuzz --seconds $(TEST_SYSCALL_FUZZ_SECONDS) --calls 5000 \
		|| { status=1; echo "make test: the system-call fuzzer FAILED" >&2; }; \
	echo "$(MAKE) test-svm"; $(MAKE) --no-print-directory test-svm || { status=1; echo "make test: test-svm FAILED" >&2; }; \
	exit $$status

## test-svm: the whole suite on AMD SVM. Boots an emulated-SVM host (QEMU TCG, -cpu EPYC,+svm,
## Debian's kernel with kvm-amd, a busybox initramfs) and runs `conformance run` for the three
## libcs and the no-sse triage inside (Tests/SVM/run-svm.sh; cache in .build/svm/). Knobs:
## SVM_TREE=<tree> tests another tree's build outputs (built there first), SVM_CPU=max, SVM_FILTER, ...
.PHONY: test-svm
test-svm: $(if $(SVM_TREE),,all)
	Tests/SVM/run-svm.sh

## syscall-fuzz: the system-call fuzzer alone, for SYSCALL_FUZZ_SECONDS (default 300).
SYSCALL_FUZZ_SECONDS ?= 300
.PHONY: syscall-fuzz
syscall-fuzz: all
	$(RELEASE_BIN)/conformance fuzz --seconds $(SYSCALL_FUZZ_SECONDS)

clean:
	rm -rf $(BUILD)

## fuzz: the ELF loader under libFuzzer + AddressSanitizer for FUZZ_SECONDS (default 60),
## built into $(BUILD)/fuzz/ from the Loader sources and Tests/Fuzz/, on a seed corpus
## generated at run time; prints executions, exec/s and "no crash" or the crash (then fails).
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz:
	Tests/Fuzz/run-fuzzer.sh $(FUZZ_SECONDS)

## bench: performance figures measured side by side with native Linux and a minimal KVM
## launcher (the KVM floor): programs in Fixtures/bench, harness `conformance bench`
## (Sources/conformance/Core/Bench). Prints a Markdown table; JSON in .build/bench/results.json.
## BENCH_FLAGS e.g. "--runs 50 --repeats 5" or "--skip-suite".
BENCH_FLAGS ?=
bench: all
	$(RELEASE_BIN)/conformance bench $(BENCH_FLAGS)

## asan-hypervisor: the hypervisor built with AddressSanitizer (debug) into .build-asan/debug/,
## with the kernel image beside it; ResilienceTests run the hostile guest against it when present.
ASAN_BUILD := .build-asan
.PHONY: asan-hypervisor
asan-hypervisor: $(KERNEL)
	$(SWIFT) build -c debug --sanitize=address --build-path $(ASAN_BUILD) --product hypervisor
	cp $(KERNEL) $(ASAN_BUILD)/debug/unikernel.elf
