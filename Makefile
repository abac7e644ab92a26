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

KERNEL_SRC  := Sources/Unikernel
KERNEL_SWIFT := $(shell find $(KERNEL_SRC) -name '*.swift' | sort)
KERNEL_ASM  := $(shell find $(KERNEL_SRC) -name '*.S' | sort)
KERNEL_LDS  := $(KERNEL_SRC)/Arch/kernel.ld
ABI_INCLUDE := Sources/Hypervisor/ABI/include
KERNEL_ASM_OBJ := $(patsubst $(KERNEL_SRC)/%.S,$(KERNEL_DIR)/%.o,$(KERNEL_ASM))

# No SSE/MMX/AVX in kernel code: the application's vector state is never touched.
KERNEL_SWIFTFLAGS := -target x86_64-unknown-none-elf -enable-experimental-feature Embedded \
	-wmo -parse-as-library -Osize -module-name Unikernel \
	-Xcc -mno-sse -Xcc -mno-sse2 -Xcc -mno-mmx -Xcc -mno-avx -Xcc -mno-red-zone \
	-Xfrontend -disable-stack-protector -enable-experimental-feature Extern -Xfrontend -function-sections \
	-I $(ABI_INCLUDE)
KERNEL_ASFLAGS := --target=x86_64-unknown-none-elf -ffreestanding -nostdlib -mno-red-zone -I $(ABI_INCLUDE)

.PHONY: all deps kernel host fixtures conformance test bench clean

all: deps kernel host fixtures

## deps: install (as root) or name the Debian packages the build needs.
deps:
	@sh scripts/ensure-deps.sh

kernel: $(KERNEL)

$(KERNEL_DIR)/kernel.o: $(KERNEL_SWIFT) $(ABI_INCLUDE)/unikernel_abi.h
	@mkdir -p $(KERNEL_DIR)
	$(SWIFTC) $(KERNEL_SWIFTFLAGS) -c $(KERNEL_SWIFT) -o $@

$(KERNEL_DIR)/%.o: $(KERNEL_SRC)/%.S $(ABI_INCLUDE)/unikernel_abi.h
	@mkdir -p $(dir $@)
	$(CLANG) $(KERNEL_ASFLAGS) -c $< -o $@

$(KERNEL): $(KERNEL_DIR)/kernel.o $(KERNEL_ASM_OBJ) $(KERNEL_LDS)
	$(LLD) -T $(KERNEL_LDS) -nostdlib -static --gc-sections -o $@ $(KERNEL_ASM_OBJ) $(KERNEL_DIR)/kernel.o
	@echo "kernel image: $@ ($$(stat -c %s $@) bytes)"

## host: the hypervisor and conformance commands; the kernel image is placed
## next to them so `hypervisor` finds it without flags.
host: $(KERNEL)
	$(SWIFT) build -c release
	cp $(KERNEL) $(RELEASE_BIN)/unikernel.elf

fixtures: host
	$(RELEASE_BIN)/conformance build

## conformance: the main job, the per-libc conformance report.
conformance: all
	$(RELEASE_BIN)/conformance run

## test: the test suite (unit tests and the whole suite on KVM).
test: deps kernel
	$(SWIFT) build -c release
	cp $(KERNEL) $(RELEASE_BIN)/unikernel.elf
	$(SWIFT) test

clean:
	rm -rf $(BUILD)
