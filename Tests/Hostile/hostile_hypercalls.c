/*
 * hostile_hypercalls: a malicious guest application. It bypasses the kernel
 * and issues hypercalls itself by storing to the hypercall page (mapped
 * user-accessible), with adversarial ports, access sizes, offsets, parameter
 * block addresses and block contents, then makes ordinary syscalls with
 * garbage pointers. The hypervisor must survive all of it: bad blocks are
 * dropped, bad buffers answered with -EFAULT, paths stay beneath --dir.
 *
 * It never uses the three calls that end the run (exit, crash, panic) with a
 * readable block, nor idle (which may park the vCPU for good) or start-CPU (whose
 * vCPU runs wherever the block says); any other way the run stops is a hypervisor bug. At the end
 * it prints "hostile: survived N hypercalls, M syscalls, ..." and exits 0, or
 * exits 1 if a file outside the root was readable.
 *
 * Usage: hostile_hypercalls [random-calls [seed]]   (stdin should be empty: </dev/null)
 * Build: musl-gcc -static -O1 -I Sources/Hypervisor/ABI/include -o hostile Tests/Hostile/hostile_hypercalls.c
 * The test (Tests/HypervisorTests/Runner/ResilienceTests.swift) runs it with --read-only
 * on a directory holding `source` (10 bytes) and the symlinks escape -> /etc/passwd and
 * up -> ../../../../../../..; stdin is empty.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "unikernel_abi.h"

#define SLOTS 512
#define BLOCK_BYTES 512 /* larger than any parameter block */
#define SLOT_EXIT (UK_HC_EXIT - UK_HC_EXIT)
#define SLOT_CLOSE (UK_HC_CLOSE - UK_HC_EXIT)
#define SLOT_CRASH (UK_HC_CRASH - UK_HC_EXIT)
#define SLOT_PANIC (UK_HC_PANIC - UK_HC_EXIT)
#define SLOT_IDLE (UK_HC_IDLE - UK_HC_EXIT)
#define SLOT_START_CPU (UK_HC_START_CPU - UK_HC_EXIT)
#define SLOT_FILE 14 /* 0x50e: handle operations (first field is a handle) */

static unsigned long hypercalls, dropped_sizes, foreign_blocks, syscalls, efaults, escapes_refused;
static uint64_t memory_size, image_vaddr, image_phys, kernel_start, kernel_end, pml4;

/* Parameter blocks and buffers in .bss: the flat image maps them at known
   guest-physical addresses. One struct fixes their order: a forged length that
   runs past `buffer` lands in `pad`, never in the program's own state. */
static struct {
    _Alignas(4096) unsigned char block[4096];
    unsigned char paths[4096];
    uint64_t fake_tables[3][512]; /* page tables for forged cr3 values */
    unsigned char buffer[3 * 4096];
    unsigned char pad[8192];
} arena;
#define block arena.block
#define paths arena.paths
#define fake_tables arena.fake_tables
#define buffer arena.buffer
static unsigned char saved[BLOCK_BYTES];

/* Pages outside the program that forged blocks may name as buffers: saved
   before and restored after each forged call, since the host rightly writes
   results (stat records, file bytes) wherever the guest asks. The test runs
   this program with --read-only, so no file it can read is larger than a page. */
#define VICTIMS 8
static uint64_t victims[VICTIMS];
static unsigned char victim_copies[VICTIMS][4096];

/* Progress on stderr, so a hang or a stop names the phase it happened in. */
static void phase(const char *name) {
    fprintf(stderr, "hostile: %s (after %lu hypercalls)\n", name, hypercalls);
}

static int trace_calls; /* argv[3] == "trace": print every forged block before its call */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_random(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return rng;
}

static volatile unsigned char *direct(uint64_t phys) {
    return (volatile unsigned char *)(uintptr_t)(UK_DIRECT_MAP_BASE + phys);
}

static uint64_t phys_of(const void *p) {
    return image_phys + ((uint64_t)(uintptr_t)p - image_vaddr);
}

/* The raw hypercall: a store of `value` of `size` bytes at `offset` in the hypercall page. */
static void store(uint64_t offset, uint64_t value, int size) {
    volatile unsigned char *page = (volatile unsigned char *)(uintptr_t)(UK_HYPERCALL_VIRT + offset);
    switch (size) {
    case 1: __asm__ volatile("movb %b1, %0" : "=m"(*page) : "q"(value) : "memory"); break;
    case 2: __asm__ volatile("movw %w1, %0" : "=m"(*(volatile uint16_t *)page) : "r"(value) : "memory"); break;
    case 4: __asm__ volatile("movl %k1, %0" : "=m"(*(volatile uint32_t *)page) : "r"(value) : "memory"); break;
    default: __asm__ volatile("movq %1, %0" : "=m"(*(volatile uint64_t *)page) : "r"(value) : "memory"); break;
    }
    hypercalls++;
}

/* Copies guest-physical bytes aside, and back where they changed: only changed
   words are written, because KVM traps every write to a page-table page. */
static void save(uint64_t phys, unsigned char *copy, size_t length) {
    for (size_t i = 0; i < length; i++) copy[i] = direct(phys)[i];
}
static void restore(uint64_t phys, const unsigned char *copy, size_t length) {
    for (size_t i = 0; i < length; i++)
        if (direct(phys)[i] != copy[i]) direct(phys)[i] = copy[i];
}

static int in_memory(uint64_t address, uint64_t length) {
    return address < memory_size && length <= memory_size - address;
}

/* A call whose block is somewhere in guest memory we do not own (kernel image,
   page tables, boot info, GDT, free frames): the host may write a result into
   it, so its bytes are saved through the direct map and put back afterwards.
   Only calls that write nothing else into the guest when their handle is one of
   the stdio handles (stdin is empty, no file is open yet) are made this way:
   fstat, ioctl and path operations would rightly write a record wherever the
   block's garbage points, flush writes its result over the block's first word
   (a page-table entry when the block is the PML4), and exit, crash and panic
   would end the run. */
static void call_foreign(int slot, uint64_t address) {
    static const int safe[] = { UK_HC_WRITE, UK_HC_READ, UK_HC_OPEN, UK_HC_LSEEK, UK_HC_TRACE, UK_HC_WRITE_USER, UK_HC_READ_USER };
    int allowed = slot > UK_HC_PROCESS - UK_HC_EXIT;  /* no such call: nothing is written */
    for (size_t i = 0; i < sizeof safe / sizeof safe[0]; i++) allowed |= slot == safe[i] - UK_HC_EXIT;
    if (!allowed) return;
    if (!in_memory(address, BLOCK_BYTES)) return;
    save(address, saved, BLOCK_BYTES);
    store(8 * (uint64_t)slot, address, 8);
    restore(address, saved, BLOCK_BYTES);
    foreign_blocks++;
}

/* Values for one 8-byte field of a forged block: mostly plausible, sometimes extreme. */
static uint64_t field(void) {
    static const uint64_t extremes[] = {
        0, 1, 2, 3, 0xffffffff, 0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL, ~0ULL - 7, ~0ULL - 4095,
        4096, 4095, UK_BOOT_INFO_PHYS + 1, 1ULL << 32, 1ULL << 40, 1ULL << 52, UK_HYPERCALL_MMIO_PHYS, UK_DIRECT_MAP_BASE,
        UK_KERNEL_VIRT_BASE, 0x800000000000ULL, 0x7ffffffff000ULL,
    };
    static const uint64_t lengths[] = { 0, 1, 2, 3, 4, 8, 36, 60, 120, 144, 4095, 4096, 4097 };
    uint64_t r = next_random();
    switch (r % 8) {
    case 0: return (r >> 8) % 16;                                           /* small: handles, ops, whence */
    case 1: return phys_of(paths) + 16 * ((r >> 8) % 16);                   /* a short NUL-terminated path */
    case 2: return phys_of(buffer) + ((r >> 8) % sizeof buffer);            /* a real buffer, any alignment */
    case 3: return lengths[(r >> 8) % (sizeof lengths / sizeof lengths[0])];
    case 4: return extremes[(r >> 8) % (sizeof extremes / sizeof extremes[0])];
    case 5: return memory_size - 1 - ((r >> 8) % 300);                      /* straddling the end of memory */
    case 6: return victims[(r >> 8) % VICTIMS] + ((r >> 16) % 3000);        /* kernel, page tables, GDT */
    default: return next_random();
    }
}

/* A call on `slot` with a forged block of our own. */
static void call_forged(int slot) {
    if (slot == SLOT_EXIT || slot == SLOT_CRASH || slot == SLOT_PANIC) return;
    /* A guest may park its vCPU for good (idle) or run code of its choosing on another vCPU,
       which may then crash the run: both stop it by design, not by a hypervisor bug. */
    if (slot == SLOT_IDLE || slot == SLOT_START_CPU) return;
    uint64_t *words = (uint64_t *)block;
    for (int i = 0; i < BLOCK_BYTES / 8; i++) words[i] = field();
    /* A fork is a guest's right too; forged ones would only fill the host with children
       that crash at random addresses: ask for a wait instead (kill, pipe stay). */
    if (slot == UK_HC_PROCESS - UK_HC_EXIT && (uint32_t)words[0] == UK_PROC_FORK)
        words[0] = (words[0] & ~0xffffffffULL) | UK_PROC_WAIT;
    /* So is a job-control stop, which no one here would continue (not even --timeout). */
    if (slot == UK_HC_PROCESS - UK_HC_EXIT && (uint32_t)words[0] == UK_PROC_STOP)
        words[0] = (words[0] & ~0xffffffffULL) | UK_PROC_WAIT;
    if (slot == SLOT_CLOSE || slot == SLOT_FILE) { /* never close or change our own stdio */
        uint32_t handle = (uint32_t)words[0];
        if (handle <= 2) words[0] = (words[0] & ~0xffffffffULL) | (handle + 3);
    }
    /* A read into application memory goes through the page tables at cr3: only our
       forged tables (identity-mapped, so the address fields above apply) or none,
       not garbage that happens to translate into live kernel memory. */
    if (slot == UK_HC_READ_USER - UK_HC_EXIT) words[1] = (words[1] & 1) ? phys_of(fake_tables[0]) : ~0ULL;
    /* Writes to our stdout/stderr stay short, so the output stays readable. */
    if (slot == UK_HC_WRITE - UK_HC_EXIT && (uint32_t)words[0] - 1 < 2) words[2] %= 64;
    if (slot == UK_HC_WRITE_USER - UK_HC_EXIT && (uint32_t)words[0] - 1 < 2) words[3] %= 64;
    if (trace_calls)
        fprintf(stderr, "hostile: slot %d block %llx %llx %llx %llx %llx %llx %llx %llx\n", slot,
                (unsigned long long)words[0], (unsigned long long)words[1], (unsigned long long)words[2],
                (unsigned long long)words[3], (unsigned long long)words[4], (unsigned long long)words[5],
                (unsigned long long)words[6], (unsigned long long)words[7]);
    for (int v = 0; v < VICTIMS; v++) save(victims[v], victim_copies[v], 4096);
    store(8 * (uint64_t)slot, phys_of(block), 8);
    for (int v = 0; v < VICTIMS; v++) restore(victims[v], victim_copies[v], 4096);
}

/* Block addresses that are never a readable block. */
static uint64_t bad_block(int index) {
    switch (index) {
    case 0: return memory_size;
    case 1: return memory_size - 1;
    case 2: return memory_size - 7;      /* an 8-byte exit block would just fit at - 8 */
    case 3: return memory_size + 4096;
    case 4: return 1ULL << 32;
    case 5: return 1ULL << 63;
    case 6: return ~0ULL;
    case 7: return ~0ULL - 7;
    case 8: return ~0ULL - 100;
    case 9: return UK_HYPERCALL_MMIO_PHYS;
    case 10: return UK_DIRECT_MAP_BASE + phys_of(block); /* a virtual address, not a physical one */
    case 11: return (uint64_t)(uintptr_t)block | (1ULL << 47); /* a virtual address, not a physical one */
    default: return 0x8000000000000000ULL | next_random();
    }
}
#define BAD_BLOCKS 14

/* Opens `path` through the open hypercall and reads it; counts a refusal, fails on an escape. */
static void try_escape(const char *path) {
    char *name = (char *)paths + 2048;
    size_t length = strlen(path);
    memcpy(name, path, length + 1);
    uk_hc_open *open_block = (uk_hc_open *)block;
    *open_block = (uk_hc_open){ .path_phys = phys_of(name), .path_len = length, .flags = O_RDONLY, .result = 0 };
    store(8 * (UK_HC_OPEN - UK_HC_EXIT), phys_of(block), 8);
    int64_t handle = open_block->result;
    if (handle < 0) { escapes_refused++; return; }
    uk_hc_io *io = (uk_hc_io *)block;
    memset(buffer, 0, 64);
    *io = (uk_hc_io){ .handle = (int32_t)handle, .buf_phys = phys_of(buffer), .len = 5, .offset = 0 };
    store(8 * (UK_HC_READ - UK_HC_EXIT), phys_of(block), 8);
    if (io->result == 5 && memcmp(buffer, "root:", 5) == 0) {
        fprintf(stderr, "hostile: SANDBOX ESCAPE: the open hypercall on %s reached the host's /etc/passwd\n", path);
        exit(1);
    }
    uk_hc_close *close_block = (uk_hc_close *)block;
    *close_block = (uk_hc_close){ .handle = (int32_t)handle };
    store(8 * (UK_HC_CLOSE - UK_HC_EXIT), phys_of(block), 8);
    escapes_refused++;
}

static long raw(long number, long a, long b, long c) {
    syscalls++;
    long result = syscall(number, a, b, c);
    if (result < 0 && errno == EFAULT) efaults++;
    return result;
}

static void garbage_syscalls(void) {
    static const long pointers[] = {
        0, 1, 4095, 0x10000, 0x7ffffffff000L, 0x800000000000L, (long)0xffff800000000000UL,
        (long)UK_DIRECT_MAP_BASE, (long)UK_KERNEL_VIRT_BASE, (long)UK_HYPERCALL_VIRT, -1L, -4096L,
    };
    static const long lengths[] = { 1, 4096, 1L << 30, 1L << 40, 0x7fffffffffffffffL, -1L };
    int sink = open("sink", O_WRONLY | O_CREAT | O_TRUNC, 0644); /* EROFS under --read-only: then stdout */
    if (sink < 0) sink = 1;
    int source = open("source", O_RDONLY);
    for (size_t p = 0; p < sizeof pointers / sizeof pointers[0]; p++) {
        for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
            if (sink >= 0) raw(SYS_write, sink, pointers[p], lengths[l]);
            if (source >= 0) { lseek(source, 0, SEEK_SET); raw(SYS_read, source, pointers[p], lengths[l]); }
            raw(SYS_read, 0, pointers[p], lengths[l]);
            raw(SYS_pread64, source, pointers[p], lengths[l]);
            struct iovec vectors[2] = { { (void *)pointers[p], (size_t)lengths[l] }, { buffer, 16 } };
            if (sink >= 0) raw(SYS_writev, sink, (long)vectors, 2);
        }
        raw(SYS_open, pointers[p], O_RDONLY, 0);
        raw(SYS_open, pointers[p], O_WRONLY | O_CREAT, 0644);
        raw(SYS_stat, pointers[p], (long)buffer, 0);
        raw(SYS_stat, (long)"source", pointers[p], 0);
        raw(SYS_fstat, 1, pointers[p], 0);
        raw(SYS_lstat, pointers[p], pointers[p], 0);
        raw(SYS_writev, 1, pointers[p], 3);
        raw(SYS_readv, 0, pointers[p], 1L << 20);
        raw(SYS_getcwd, pointers[p], 4096, 0);
        raw(SYS_uname, pointers[p], 0, 0);
        raw(SYS_clock_gettime, 0, pointers[p], 0);
    }
    /* A path that runs to the end of its mapping without a NUL. */
    memset(buffer + sizeof buffer - 4096, 'a', 4096);
    raw(SYS_open, (long)(buffer + sizeof buffer - 8), O_RDONLY, 0);
    raw(SYS_open, (long)(buffer + sizeof buffer - 4096), O_RDONLY, 0);
    /* Descriptors that do not exist. */
    raw(SYS_write, 1000, (long)buffer, 1);
    raw(SYS_read, -1, (long)buffer, 1);
    raw(SYS_close, 12345, 0, 0);
    raw(SYS_lseek, 1, -1, 99);
    /* The host's files through ordinary syscalls. */
    const char *outside[] = { "/etc/passwd", "../../../../../../etc/passwd", "/escape", "/up/etc/passwd", "/proc/self/root/etc/passwd" };
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        int fd = open(outside[i], O_RDONLY);
        syscalls++;
        if (fd < 0) { escapes_refused++; continue; }
        char head[5] = { 0 };
        if (read(fd, head, 5) == 5 && memcmp(head, "root:", 5) == 0) {
            fprintf(stderr, "hostile: SANDBOX ESCAPE: open(%s) reached the host's /etc/passwd\n", outside[i]);
            exit(1);
        }
        close(fd);
        escapes_refused++;
    }
    if (sink > 2) close(sink);
    if (source >= 0) close(source);
}

int main(int argc, char **argv) {
    unsigned long random_calls = argc > 1 ? strtoul(argv[1], 0, 0) : 20000;
    if (argc > 2) rng = strtoull(argv[2], 0, 0) | 1;
    trace_calls = argc > 3 && strcmp(argv[3], "trace") == 0;

    /* The boot info, read through the user-accessible direct map. */
    uk_boot_info info;
    for (size_t i = 0; i < sizeof info; i++) ((unsigned char *)&info)[i] = direct(UK_BOOT_INFO_PHYS)[i];
    if (info.magic != UK_BOOT_MAGIC) { fprintf(stderr, "hostile: no boot info at the direct map\n"); return 2; }
    /* RAM given at boot (memory_size is the limit RAM may grow to, not all of it mapped). */
    memory_size = info.free_phys_end; image_vaddr = info.app_image_vaddr; image_phys = info.app_image_phys;
    kernel_start = info.kernel_phys_start; kernel_end = info.kernel_phys_end; pml4 = info.pml4_phys;
    block[100] = 0x5a;
    if (direct(phys_of(block))[100] != 0x5a) { fprintf(stderr, "hostile: cannot locate .bss in guest-physical memory\n"); return 2; }

    victims[0] = 0;
    victims[1] = UK_GDT_PHYS;
    victims[2] = UK_BOOT_INFO_PHYS;
    victims[3] = kernel_start + 4096; /* not a live page table: entries broken by a forged
                                         write would fault before they could be restored */
    victims[4] = kernel_start;
    victims[5] = (kernel_start + (kernel_end - kernel_start) / 2) & ~4095ULL;
    victims[6] = (kernel_end - 1) & ~4095ULL;
    victims[7] = (memory_size - 4096) & ~4095ULL;

    /* Short paths for forged blocks (16 bytes apart, each shorter than 16). */
    const char *names[] = { "/", "/a", "/b", "/..", "/escape", "/up", "/up/etc/passwd", "/sink", "a", "", "/a/b",
                            "/proc", "/../..", "/.", "//", "/source" };
    for (int i = 0; i < 16; i++) strncpy((char *)paths + 16 * i, names[i], 15);
    memset(paths + 1024, 'x', 1024); /* no NUL for 1024 bytes */

    /* A forged 4-level table set: a 1 GiB page mapping guest-physical 0 at virtual 0
       (beyond the end of guest memory), a self-referencing PML4 slot, and a 2 MiB page
       at the last guest-physical 2 MiB (so a transfer crosses the end of memory). */
    fake_tables[0][0] = phys_of(fake_tables[1]) | 7;
    fake_tables[0][1] = phys_of(fake_tables[0]) | 7;
    fake_tables[0][2] = (memory_size + (1ULL << 30)) | 7;
    fake_tables[1][0] = 0 | 0x87;                            /* 1 GiB page at 0 */
    fake_tables[1][1] = phys_of(fake_tables[2]) | 7;
    fake_tables[2][0] = ((memory_size - (2ULL << 20)) & ~((2ULL << 20) - 1)) | 0x87;
    fake_tables[2][1] = ~0ULL;                               /* every bit set */

    phase("every slot");
    /* 1. Every slot of the page: unreadable blocks, wrong access sizes, unaligned offsets. */
    for (int slot = 0; slot < SLOTS; slot++) {
        for (int b = 0; b < BAD_BLOCKS; b++) store(8 * (uint64_t)slot, bad_block(b), 8);
        for (int size = 1; size <= 4; size *= 2) {
            store(8 * (uint64_t)slot, phys_of(block), size);
            dropped_sizes++;
        }
        for (int misalign = 1; misalign < 8; misalign++) {
            uk_hc_exit *exit_block = (uk_hc_exit *)block; /* a readable exit block: must not be taken */
            exit_block->status = 77;
            store(8 * (uint64_t)slot + misalign, phys_of(block), (slot * 8 + misalign + 8 <= 4096) ? 8 : 1);
        }
    }
    /* Past the first page of the 2 MiB hypercall mapping. */
    for (uint64_t offset = 4096; offset < (2ULL << 20); offset += 4096 * 61) store(offset, phys_of(block), 8);

    phase("foreign blocks");
    /* 2. Blocks in memory we do not own: GDT, boot info, boot page tables, kernel image, free frames. */
    for (int slot = 0; slot < 16; slot++) {
        call_foreign(slot, 0);
        call_foreign(slot, 1);
        call_foreign(slot, UK_GDT_PHYS);
        call_foreign(slot, UK_BOOT_INFO_PHYS);
        for (uint64_t a = UK_PAGE_TABLES_PHYS; a < UK_PAGE_TABLES_PHYS + 8 * 4096; a += 4096 + 24) call_foreign(slot, a);
        call_foreign(slot, pml4);
        for (uint64_t a = kernel_start; a < kernel_end; a += 4093) call_foreign(slot, a);
        for (int i = 0; i < 32; i++) call_foreign(slot, next_random() % memory_size);
    }

    phase("user-memory transfers");
    /* 3. Targeted: the user-memory transfers with forged cr3 values and spans. */
    uint64_t roots[] = { 0, pml4, phys_of(fake_tables[0]), phys_of(fake_tables[0]) + 1, memory_size - 8, memory_size, ~0ULL,
                         phys_of(block) };
    uint64_t addresses[] = { 0, 4096, (1ULL << 30) - 4096, (1ULL << 39) + (1ULL << 30) + 4096, (1ULL << 39) - 100,
                             UK_DIRECT_MAP_BASE + phys_of(buffer) + 1, ~0ULL - 4095, ~0ULL, 0x800000000000ULL,
                             (uint64_t)(uintptr_t)buffer };
    uint64_t lengths[] = { 0, 1, 4096, 1ULL << 22, (1ULL << 22) + 1, 1ULL << 40, ~0ULL };
    int32_t handles[] = { 0, 1000, -1 }; /* stdin is empty; 1000 and -1 do not exist */
    int64_t offsets[] = { -1, 0, 0x7fffffffffffffffLL, -0x7fffffffffffffffLL - 1 };
    for (size_t r = 0; r < sizeof roots / 8; r++)
        for (size_t a = 0; a < sizeof addresses / 8; a++)
            for (size_t l = 0; l < sizeof lengths / 8; l++)
                for (size_t h = 0; h < 3; h++)
                    for (int port = UK_HC_WRITE_USER; port <= UK_HC_READ_USER; port++) {
                        uk_hc_user_io *io = (uk_hc_user_io *)block;
                        *io = (uk_hc_user_io){ .handle = handles[h], .cr3 = roots[r], .address = addresses[a],
                                               .len = lengths[l], .offset = offsets[(r + a + l) % 4] };
                        if (port == UK_HC_WRITE_USER && handles[h] == 0) io->handle = 1000;
                        store(8 * (uint64_t)(port - UK_HC_EXIT), phys_of(block), 8);
                    }

    phase("open paths");
    /* 4. Targeted: open with bad path pointers and lengths; paths that try to leave the root. */
    uint64_t path_addresses[] = { phys_of(paths + 1024), memory_size - 1, memory_size, ~0ULL, ~0ULL - 4094, 0 };
    uint64_t path_lengths[] = { 0, 1, 1024, 4095, 4096, ~0ULL, ~0ULL - 1, 1ULL << 63 };
    for (size_t a = 0; a < sizeof path_addresses / 8; a++)
        for (size_t l = 0; l < sizeof path_lengths / 8; l++) {
            uk_hc_open *open_block = (uk_hc_open *)block;
            *open_block = (uk_hc_open){ .path_phys = path_addresses[a], .path_len = path_lengths[l],
                                        .flags = (int32_t)next_random(), .mode = (uint32_t)next_random() };
            store(8 * (UK_HC_OPEN - UK_HC_EXIT), phys_of(block), 8);
        }
    const char *escapes[] = { "/etc/passwd", "/../../../../../../../etc/passwd", "../etc/passwd", "/escape", "/up/etc/passwd",
                              "/up/../../etc/passwd", "/proc/self/root/etc/passwd", "/proc/1/root/etc/passwd",
                              "/dev/fd/../../etc/passwd" };
    for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) try_escape(escapes[i]);

    phase("random forged blocks");
    /* 5. Random forged blocks on random slots (mostly the live ports). */
    for (unsigned long i = 0; i < random_calls; i++) {
        uint64_t r = next_random();
        int slot = (r & 3) ? (int)((r >> 8) % 16) : (int)((r >> 8) % SLOTS);
        call_forged(slot);
    }

    phase("garbage syscalls");
    /* 6. Ordinary syscalls with garbage pointers and lengths. */
    garbage_syscalls();

    /* The stdio handles still work, and the summary proves the run got here. */
    printf("\nhostile: survived %lu hypercalls (%lu with wrong sizes, %lu with blocks in kernel memory), "
           "%lu syscalls (%lu EFAULT), %lu escapes refused\n",
           hypercalls, dropped_sizes, foreign_blocks, syscalls, efaults, escapes_refused);
    return 0;
}
