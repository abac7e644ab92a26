// The system-call fuzzer's guest program: makes random system calls with hostile arguments
// inside the unikernel, to show that no argument of any call can crash the kernel.
// It runs ONLY as a guest (`conformance fuzz` starts it under the hypervisor); natively,
// especially as root, its calls would change the machine (chmod, chown, rename, truncate ...).
//
//   syscall_fuzzer SEED CALLS [TRACE_FROM]   make CALLS calls drawn from SEED; print every call
//                                            from index TRACE_FROM on, before it is made
//   syscall_fuzzer --replay FILE             make the calls listed in FILE ("nr a0 .. a5" in hex)
//
// Built with `musl-gcc -static`. It never calls libc for a system call (the calls go through one
// `syscall` instruction, `raw_syscall`) and never allocates: every pointer it passes points into
// its arena (scratch pages, a read-only page, a guard page, a hole) or is deliberately bad, so a
// call can write through a pointer without corrupting the fuzzer itself. Its report goes to a
// descriptor no generated call may touch (REPORT_FD); stdout and stderr become a pipe.
#include <stdint.h>
#include <string.h>

#define REPORT_FD 1000
#define PAGE 4096UL
#define ARENA 0x100000000000UL        // scratch (16 pages), guard, read-only, hole
#define SCRATCH_PAGES 16
#define GUARD (ARENA + SCRATCH_PAGES * PAGE)
#define READ_ONLY (GUARD + PAGE)
#define HOLE (READ_ONLY + PAGE)
#define PLAYGROUND 0x200000000000UL   // where MAP_FIXED, munmap, mprotect and mremap may act
#define PLAYGROUND_PAGES 256
#define AT_FDCWD_VALUE (-100L)

static long raw_syscall(long number, long a0, long a1, long a2, long a3, long a4, long a5) {
    register long r10 __asm__("r10") = a3;
    register long r8 __asm__("r8") = a4;
    register long r9 __asm__("r9") = a5;
    long result;
    __asm__ volatile("syscall" : "=a"(result)
                     : "a"(number), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return result;
}

// MARK: output (unbuffered, straight to REPORT_FD)

static char line[512];
static int line_length;

static void put_string(const char *text) {
    while (*text && line_length < (int)sizeof line - 1) line[line_length++] = *text++;
}
static void put_hex(uint64_t value) {
    char digits[19] = "0x";
    int count = 0;
    char reversed[16];
    do { reversed[count++] = "0123456789abcdef"[value & 15]; value >>= 4; } while (value);
    for (int i = 0; i < count; i++) digits[2 + i] = reversed[count - 1 - i];
    digits[2 + count] = 0;
    put_string(digits);
}
static void put_decimal(int64_t value) {
    char reversed[24];
    int count = 0;
    uint64_t magnitude = value < 0 ? (uint64_t)-value : (uint64_t)value;
    do { reversed[count++] = (char)('0' + magnitude % 10); magnitude /= 10; } while (magnitude);
    if (value < 0) put_string("-");
    char digits[24];
    for (int i = 0; i < count; i++) digits[i] = reversed[count - 1 - i];
    digits[count] = 0;
    put_string(digits);
}
static void flush_line(void) {
    raw_syscall(1, REPORT_FD, (long)line, line_length, 0, 0, 0);
    line_length = 0;
}

// MARK: random numbers (splitmix64: the same sequence for the same seed everywhere)

static uint64_t random_state;
static uint64_t next_random(void) {
    uint64_t z = (random_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static uint64_t below(uint64_t limit) { return limit ? next_random() % limit : 0; }
static int chance(int percent) { return (int)below(100) < percent; }

// MARK: argument classes reached (reported at the end)

enum {
    FD_OPEN, FD_CLOSED, FD_STANDARD, FD_INVALID, FD_AT_CWD,
    PTR_NULL, PTR_MAPPED, PTR_UNMAPPED, PTR_READ_ONLY, PTR_GUARD, PTR_KERNEL, PTR_STRADDLE,
    PTR_NONCANONICAL, PTR_TOP,
    LEN_ZERO, LEN_ONE, LEN_PAGE, LEN_SSIZE_MAX, LEN_SIZE_MAX, LEN_SMALL,
    FLAGS_KNOWN, FLAGS_UNKNOWN_BITS, INT_UPPER_GARBAGE, INT_NEGATIVE, INT_EXTREME,
    PATH_VALID, PATH_TOO_LONG, PATH_EMPTY, PATH_DOTS, OFFSET_EXTREME,
    MAP_PLAYGROUND, MAP_TRACKED, CLASS_COUNT
};
static const char *class_names[CLASS_COUNT] = {
    "fd-open", "fd-closed", "fd-standard", "fd-invalid", "fd-at-cwd",
    "ptr-null", "ptr-mapped", "ptr-unmapped", "ptr-read-only", "ptr-guard", "ptr-kernel-half", "ptr-straddle",
    "ptr-noncanonical", "ptr-top",
    "len-0", "len-1", "len-page", "len-ssize-max", "len-size-max", "len-small",
    "flags-known", "flags-unknown-bits", "int-upper-garbage", "int-negative", "int-extreme",
    "path-valid", "path-too-long", "path-empty", "path-dots", "offset-extreme",
    "map-playground", "map-tracked",
};
static uint64_t class_hits[CLASS_COUNT];
#define HIT(class) (class_hits[class]++)

// MARK: state built by earlier calls

static int open_fds[64];
static int open_count;
static int closed_fds[16];
static int closed_count;
static int epoll_fds[8];  // epoll instances made, so that epoll calls often name one
static int epoll_count;
struct mapping { uint64_t address, length; };
static struct mapping mappings[32];
static int mapping_count;
static uint64_t saved_fs_base;

static void remember_fd(long fd) {
    if (fd < 0 || fd == REPORT_FD) return;
    for (int i = 0; i < open_count; i++) if (open_fds[i] == fd) return;
    if (open_count < 64) open_fds[open_count++] = (int)fd; else open_fds[below(64)] = (int)fd;
}
static void forget_fd(long fd) {
    for (int i = 0; i < open_count; i++) if (open_fds[i] == fd) { open_fds[i] = open_fds[--open_count]; break; }
    closed_fds[closed_count++ % 16] = (int)fd;
    if (closed_count > 16) closed_count = 16;
}

// MARK: generators, one per argument type

/// Scratch space for the structures a call reads: handed out round-robin in the first 8 pages.
static uint64_t scratch_cursor;
static uint64_t scratch(uint64_t size) {
    if (scratch_cursor + size > 8 * PAGE) scratch_cursor = 0;
    uint64_t address = ARENA + scratch_cursor;
    scratch_cursor += (size + 15) & ~15UL;
    return address;
}

static uint64_t garbage_upper(uint64_t value) {
    if (chance(12)) { HIT(INT_UPPER_GARBAGE); return (next_random() << 32) | (uint32_t)value; }
    return value;
}

static uint64_t gen_fd(void) {
    uint64_t value;
    int kind = (int)below(100);
    if (kind < 55 && open_count) { HIT(FD_OPEN); value = (uint64_t)open_fds[below(open_count)]; }
    else if (kind < 65 && closed_count) { HIT(FD_CLOSED); value = (uint64_t)closed_fds[below(closed_count)]; }
    else if (kind < 80) { HIT(FD_STANDARD); value = below(3); }
    else {
        HIT(FD_INVALID);
        static const int64_t bad[] = {-1, 1023, 1024, 65535, 0x7fffffff, -2147483647 - 1, 999, 64, 3, 200};
        value = (uint64_t)bad[below(10)];
    }
    value = garbage_upper(value);
    if ((int)value == REPORT_FD) value = 5;
    return value;
}

static uint64_t gen_dirfd(void) {
    if (chance(45)) { HIT(FD_AT_CWD); return garbage_upper((uint64_t)AT_FDCWD_VALUE); }
    return gen_fd();
}

/// A pointer of a random class; `size` is how many bytes the call may touch there.
static uint64_t gen_pointer(uint64_t size) {
    int kind = (int)below(100);
    if (kind < 50) { HIT(PTR_MAPPED); return ARENA + 8 * PAGE + below(8 * PAGE - (size < 8 * PAGE ? size : 0)); }
    if (kind < 56) { HIT(PTR_NULL); return 0; }
    if (kind < 62) { HIT(PTR_UNMAPPED); return HOLE + below(PAGE); }
    if (kind < 68) { HIT(PTR_READ_ONLY); return READ_ONLY + below(PAGE / 2); }
    if (kind < 74) { HIT(PTR_GUARD); return GUARD + below(PAGE); }
    if (kind < 82) { HIT(PTR_STRADDLE); return GUARD - 1 - below(size ? size : 1); }
    if (kind < 90) {
        HIT(PTR_KERNEL);
        // The kernel's heap arena lies in the lower half (0x7ffff8000000): kernel memory all the same.
        static const uint64_t kernel[] = {0xffff800000000000UL, 0xffffc00000000000UL, 0xffffffff80200000UL,
                                          0xffffffff80000000UL, 0xfffffffffffff000UL, 0xffff87ffffffe000UL,
                                          0x7ffff8000000UL, 0x7ffffbfff000UL};
        return kernel[below(8)] + below(64) * 8;
    }
    if (kind < 95) { HIT(PTR_NONCANONICAL); return chance(50) ? 0x0000800000000000UL - below(16) : 0x8000000000000000UL; }
    HIT(PTR_TOP);
    return 0xffffffffffffffffUL - below(32);
}

/// A pointer to `size` bytes the fuzzer wrote (`valid`), or a pointer of a bad class.
static uint64_t gen_struct(const void *bytes, uint64_t size, int valid_percent) {
    if (chance(valid_percent)) {
        uint64_t address = scratch(size);
        memcpy((void *)address, bytes, size);
        HIT(PTR_MAPPED);
        return address;
    }
    uint64_t address = gen_pointer(size);
    if (address >= ARENA + 8 * PAGE && address < GUARD) {
        // A fresh copy, or one that straddles into the guard page.
        if (address + size > GUARD) address = GUARD - size;
        memcpy((void *)address, bytes, size);
    }
    return address;
}

static uint64_t gen_length(void) {
    int kind = (int)below(100);
    if (kind < 12) { HIT(LEN_ZERO); return 0; }
    if (kind < 22) { HIT(LEN_ONE); return 1; }
    if (kind < 40) { HIT(LEN_PAGE); static const uint64_t p[] = {4095, 4096, 4097, 8192, 65536, 1 << 20}; return p[below(6)]; }
    if (kind < 48) { HIT(LEN_SSIZE_MAX); return 0x7fffffffffffffffUL - below(2); }
    if (kind < 54) { HIT(LEN_SIZE_MAX); return 0xffffffffffffffffUL - below(2); }
    if (kind < 60) { HIT(INT_EXTREME); static const uint64_t e[] = {0x7ffff000, 0x80000000, 0xffffffff, 0x100000000}; return e[below(4)]; }
    HIT(LEN_SMALL);
    return below(300);
}

static uint64_t gen_int(void) {
    int kind = (int)below(100);
    uint64_t value;
    if (kind < 50) value = below(70);
    else if (kind < 65) { HIT(INT_NEGATIVE); value = (uint64_t)-(int64_t)(1 + below(200)); }
    else if (kind < 80) {
        HIT(INT_EXTREME);
        static const uint64_t e[] = {0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffUL, 0x8000000000000000UL, 0xffffffffffffffffUL};
        value = e[below(6)];
    } else value = next_random();
    return garbage_upper(value);
}

static uint64_t gen_flags(void) {
    uint64_t value;
    if (chance(60)) { HIT(FLAGS_KNOWN); value = next_random() & (chance(50) ? 0xfff : 0x3fffff); }
    else if (chance(50)) { HIT(FLAGS_KNOWN); value = 0; }
    else { HIT(FLAGS_UNKNOWN_BITS); value = next_random() | (1UL << (20 + below(12))); }
    return garbage_upper(value);
}

static uint64_t gen_offset(void) {
    if (chance(20)) {
        HIT(OFFSET_EXTREME);
        static const int64_t e[] = {-1, -4096, 0x7fffffffffffffffL, 0x7ffffffffffffff0L, 0x7fffffffL, 1L << 40};
        return (uint64_t)e[below(6)];
    }
    return below(3) * PAGE + below(100);
}

static uint64_t gen_path(void) {
    static const char *names[] = {"f0", "f1", "d0", "d0/f2", "/f0", ".", "..", "/", "../../f1", "d0/../f0",
                                  "/proc/self/exe", "f0/x", "l0", "d1", "/d0/", "f3"};
    int kind = (int)below(100);
    if (kind < 72) {
        const char *name = names[below(16)];
        HIT(name[0] == '.' ? PATH_DOTS : PATH_VALID);
        uint64_t size = strlen(name) + 1;
        if (chance(8)) {  // the name's NUL falls on the guard page
            HIT(PTR_STRADDLE);
            uint64_t address = GUARD - (size - 1);
            memcpy((void *)address, name, size - 1);
            return address;
        }
        uint64_t address = scratch(size);
        memcpy((void *)address, name, size);
        return address;
    }
    if (kind < 78) { HIT(PATH_EMPTY); uint64_t address = scratch(1); *(char *)address = 0; return address; }
    if (kind < 84) {
        HIT(PATH_TOO_LONG);
        uint64_t length = chance(50) ? 4096 : 4095 + below(3);
        uint64_t address = ARENA + 8 * PAGE;
        if (address + length + 1 > GUARD) length = GUARD - address - 1;
        memset((void *)address, chance(50) ? 'a' : '/', length);
        ((char *)address)[length] = 0;
        scratch_cursor = 0;
        return address;
    }
    return gen_pointer(1);
}

/// A timespec (or timeval) that never makes a call wait long: at most a millisecond, or malformed.
static uint64_t gen_timeout(void) {
    int64_t value[2] = {0, (int64_t)below(1000000)};
    if (chance(15)) { value[0] = -1; HIT(INT_NEGATIVE); }
    else if (chance(15)) { value[1] = 1000000000L + (int64_t)below(3); HIT(INT_EXTREME); }
    else if (chance(10)) { value[1] = -1; HIT(INT_NEGATIVE); }
    uint64_t address = gen_struct(value, 16, 80);
    if (address == 0) address = HOLE;  // NULL means "forever" to the waiting calls
    return address;
}

/// A timeval for select: at most a millisecond, or negative (Linux folds large microseconds
/// into seconds, so a "malformed" one would be a long but valid wait).
static uint64_t gen_timeval(void) {
    int64_t value[2] = {0, (int64_t)below(1000)};
    if (chance(15)) { value[chance(50) ? 0 : 1] = -1; HIT(INT_NEGATIVE); }
    uint64_t address = gen_struct(value, 16, 80);
    if (address == 0) address = HOLE;
    if (address >= READ_ONLY && address < READ_ONLY + PAGE) address = HOLE;
    return address;
}

static uint64_t gen_signal(void) {
    static const uint64_t safe[] = {0, 17, 23, 28, 65, 0x1000, 0xffffffff, 0x100000011UL};
    return safe[below(8)];
}

static uint64_t gen_pid(void) {
    static const int64_t pids[] = {0, 1, -1, 2, 0x7fffffff, -2147483647 - 1, 12345};
    return garbage_upper((uint64_t)pids[below(7)]);
}

static uint64_t gen_mode(void) { return chance(70) ? (0600 + below(0200)) : gen_int(); }

/// An iovec array over scratch buffers (or a bad pointer), `count` entries.
static uint64_t gen_iovec(int count) {
    uint64_t vector[16][2];
    if (count < 0 || count > 16) count = 16;
    for (int i = 0; i < count; i++) {
        vector[i][0] = chance(80) ? ARENA + 8 * PAGE + below(7 * PAGE) : gen_pointer(64);
        vector[i][1] = chance(80) ? below(600) : gen_length();
    }
    return gen_struct(vector, (uint64_t)(count ? count : 1) * 16, 80);
}

static uint64_t gen_count(void) {
    static const int64_t counts[] = {0, 1, 2, 3, 8, 16, 1024, 1025, -1, 0x7fffffff};
    return garbage_upper((uint64_t)counts[chance(80) ? below(6) : below(10)]);
}

static uint64_t gen_pollfds(int count) {
    struct { int32_t fd; int16_t events, revents; } entries[16];
    if (count < 0 || count > 16) count = 16;
    for (int i = 0; i < count; i++) {
        entries[i].fd = (int32_t)gen_fd();
        entries[i].events = (int16_t)(chance(70) ? (1 | 4) : next_random());
        entries[i].revents = (int16_t)next_random();
    }
    return gen_struct(entries, (uint64_t)(count ? count : 1) * 8, 85);
}

/// A struct epoll_event (12 bytes, packed): known event and flag mixes or random bits, random data.
static uint64_t gen_epoll_event(void) {
    static const uint32_t known[] = {0x1, 0x4, 0x5, 0x80000001u, 0x40000001u, 0x10000001u, 0x10000005u,
                                     0x2005, 0xd0000001u, 0x20000001u, 0};
    uint8_t event[12];
    uint32_t events = chance(80) ? known[below(sizeof known / sizeof known[0])] : (uint32_t)next_random();
    uint64_t data = next_random();
    memcpy(event, &events, 4);
    memcpy(event + 4, &data, 8);
    return gen_struct(event, 12, 80);
}

static uint64_t gen_fdset(void) {
    if (chance(30)) return 0;
    uint64_t words[16];
    for (int i = 0; i < 16; i++) words[i] = chance(50) ? 0 : next_random() & next_random();
    return gen_struct(words, 128, 80);
}

/// A struct sigaction whose handler is SIG_DFL or SIG_IGN: no signal can then reach code.
static uint64_t gen_sigaction(void) {
    uint64_t action[4] = {below(2), next_random() & ~0x08000000UL, 0, next_random()};
    return gen_struct(action, 32, 75);
}

static uint64_t gen_rlimit(void) {
    uint64_t limits[2] = {chance(50) ? ~0UL : 1024 + below(1 << 20), ~0UL};
    if (chance(20)) limits[0] = limits[1] = next_random();
    return gen_struct(limits, 16, 70);
}

static uint64_t gen_sigaltstack(void) {
    uint64_t stack[3] = {ARENA + 8 * PAGE, chance(50) ? 0 : (chance(50) ? 2 : next_random()), chance(70) ? 8192 : below(4096)};
    return gen_struct(stack, 24, 75);
}

// Mapping addresses and lengths: the playground, mappings the fuzzer made, or bad values.
static uint64_t chosen_length;
static uint64_t gen_map_address(void) {
    int kind = (int)below(100);
    if (kind < 45) {
        HIT(MAP_PLAYGROUND);
        uint64_t page = below(PLAYGROUND_PAGES);
        chosen_length = (1 + below(PLAYGROUND_PAGES - page)) * PAGE;
        if (chance(50) && chosen_length > 4 * PAGE) chosen_length = (1 + below(4)) * PAGE;
        return PLAYGROUND + page * PAGE;
    }
    if (kind < 75 && mapping_count) {
        HIT(MAP_TRACKED);
        struct mapping *m = &mappings[below(mapping_count)];
        chosen_length = chance(70) ? m->length : PAGE;
        return m->address;
    }
    chosen_length = gen_length();
    if (kind < 85) { HIT(PTR_UNMAPPED); return PLAYGROUND + below(PLAYGROUND_PAGES * PAGE); }  // unaligned
    HIT(PTR_KERNEL);
    // The kernel heap's arena (0x7ffff8000000, 64 MiB) is in the lower half: munmap, mprotect and
    // madvise over it must leave the kernel's memory alone.
    static const uint64_t bad[] = {0, 0x800000000000UL, 0xffff800000000000UL, 0xfffffffffffff000UL, 0x1000, 0x7ffffffff000UL,
                                   0x7ffff8000000UL, 0x7ffff7fff000UL};
    uint64_t address = bad[below(8)];
    if (address >= 0x7ffff7fff000UL && address < 0x800000000000UL) chosen_length = chance(50) ? 0x4000000 : 0x4002000;
    return address;
}
static uint64_t gen_map_length(void) {
    uint64_t length = chosen_length;
    if (chance(10)) length = gen_length();
    if (chance(20)) length = length ? length - below(length) : 0;
    return length;
}

static void remember_mapping(uint64_t address, uint64_t length) {
    if (address >= PLAYGROUND && address < PLAYGROUND + PLAYGROUND_PAGES * PAGE) return;
    for (int i = 0; i < mapping_count; i++) if (mappings[i].address == address) { mappings[i].length = length; return; }
    if (mapping_count < 32) mappings[mapping_count++] = (struct mapping){address, length};
}
static void forget_mapping(uint64_t address) {
    for (int i = 0; i < mapping_count; i++)
        if (mappings[i].address == address) { mappings[i] = mappings[--mapping_count]; return; }
}

// MARK: the calls

/// How one argument is drawn. A syscall's signature is a string of these letters.
///  F fd  D dirfd  P path  B buffer  W out-pointer  L length  I int  X flags  O offset  M mode
///  T timeout  t timeval  w poll milliseconds  V iovec (count follows as C)  C count  Q pollfds (count follows as C)
///  S fd_set  G signal  p pid  K command from the call's list  A map address  N map length
///  H sigaction  Y rlimit  E sigaltstack  m mmap flags  e epoll_event  Z anything (ignored)
struct call_spec {
    int number;
    const char *signature;
    const uint64_t *commands;  // for K: known commands of this call
    int command_count;
};

static const uint64_t fcntl_cmds[] = {0, 1, 2, 3, 4, 5, 6, 7, 36, 37, 38, 1030, 0x2000000000UL, 1024, 9, 11};
// Terminal queries only: TIOCSPGRP, TIOCSCTTY and TIOCNOTTY would act on the terminal the run
// was started from.
static const uint64_t ioctl_cmds[] = {0x5401, 0x5413, 0x541B, 0x5402, 0x540F, 0x5429, 0x100005401UL};
static const uint64_t arch_cmds[] = {0x1001, 0x1003, 0x1004, 0x1002, 0x3001, 0};
static const uint64_t futex_cmds[] = {0, 1, 3, 4, 5, 9, 10, 128, 129, 137, 265, 6, 7, 0x100000000UL};
static const uint64_t prctl_cmds[] = {15, 16, 1, 2, 22, 38, 0x10000000f};
static const uint64_t clock_cmds[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, (uint64_t)-2, (uint64_t)-6, 0x100000001UL};
static const uint64_t resource_cmds[] = {0, 3, 4, 7, 8, 13, 15, 16, (uint64_t)-1};
static const uint64_t whence_cmds[] = {0, 1, 2, 3, 4, 5, (uint64_t)-1};
static const uint64_t advice_cmds[] = {0, 1, 2, 3, 4, 8, 9, 100, (uint64_t)-1};
static const uint64_t prot_cmds[] = {0, 1, 3, 5, 7, 0x10, 0x1000000, 0x100000003UL};
static const uint64_t mapflag_cmds[] = {0x22, 0x02, 0x01, 0x32, 0x100022, 0x21, 0x23, 0x40022, 0x0, 0x100000022UL};
static const uint64_t remap_cmds[] = {0, 1, 3, 2, 4, 5, 8};
static const uint64_t how_cmds[] = {0, 1, 2, 3, (uint64_t)-1};
static const uint64_t sigsize_cmds[] = {8, 8, 8, 0, 4, 16, 0x100000008UL};
static const uint64_t robust_cmds[] = {24, 24, 0, 16, 0x100000018UL};
static const uint64_t personality_cmds[] = {0, 0xffffffff, 8, 0x0400000, 0x100000000UL};
static const uint64_t which_cmds[] = {0, 1, 2, 3, (uint64_t)-1};
static const uint64_t policy_cmds[] = {0, 1, 2, 3, 5, 6, 7, (uint64_t)-1};
static const uint64_t access_cmds[] = {0, 1, 2, 4, 7, 8, 0x100000000UL};
static const uint64_t at_flags[] = {0, 0x100, 0x200, 0x400, 0x1000, 0x800, 0x1100, 0x80000000UL, 0x100000000UL};
static const uint64_t mlock_cmds[] = {1, 2, 3, 4, 5, 0, 8};
static const uint64_t close_range_flags[] = {0, 2, 4, 6, 1, 8};
static const uint64_t epoll_ops[] = {1, 1, 1, 2, 3, 3, 0, 4, 0x100000001UL};

#define K(list) list, (int)(sizeof list / sizeof list[0])
static const struct call_spec calls[] = {
    {0, "FBL"}, {1, "FBL"}, {2, "PXM"}, {3, "F"}, {4, "PW"}, {5, "FW"}, {6, "PW"}, {7, "QCw"},
    {8, "FOK", K(whence_cmds)}, {9, "ANKmFO", K(prot_cmds)}, {10, "ANK", K(prot_cmds)}, {11, "AN"}, {12, "A"},
    {13, "GHWK", K(sigsize_cmds)}, {14, "KWWK", K(how_cmds)}, {16, "FKW", K(ioctl_cmds)}, {17, "FBLO"}, {18, "FBLO"},
    {19, "FVC"}, {20, "FVC"}, {21, "PK", K(access_cmds)}, {22, "W"}, {23, "ISSSt"}, {24, ""}, {25, "ANNKA", K(remap_cmds)},
    {26, "ANX"}, {27, "ANW"}, {28, "ANK", K(advice_cmds)}, {32, "F"}, {33, "FF"}, {35, "TW"}, {39, ""},
    {40, "FFWL"}, {56, "XZZZZ"}, {57, ""}, {58, ""}, {59, "PWW"}, {62, "pG"}, {63, "W"},
    {72, "FKI", K(fcntl_cmds)}, {73, "FX"}, {74, "F"}, {75, "F"}, {76, "PO"}, {77, "FO"}, {79, "WL"},
    {80, "P"}, {81, "F"}, {82, "PP"}, {83, "PM"}, {84, "P"}, {85, "PM"}, {86, "PP"}, {87, "P"}, {88, "PP"},
    {89, "PWL"}, {90, "PM"}, {91, "FM"}, {92, "PII"}, {93, "FII"}, {94, "PII"}, {95, "M"}, {96, "WW"},
    {97, "KW", K(resource_cmds)}, {98, "IW"}, {99, "W"}, {100, "W"}, {102, ""}, {104, ""}, {107, ""}, {108, ""},
    {109, "pp"}, {110, ""}, {111, ""}, {112, ""}, {115, "IW"}, {118, "WWW"}, {120, "WWW"}, {121, "p"}, {124, "p"},
    {127, "WK", K(sigsize_cmds)}, {128, "WWTK", K(sigsize_cmds)}, {131, "EW"}, {135, "K", K(personality_cmds)}, {137, "PW"}, {138, "FW"},
    {140, "Kp", K(which_cmds)}, {141, "KpI", K(which_cmds)}, {143, "pW"}, {145, "p"},
    {146, "K", K(policy_cmds)}, {147, "K", K(policy_cmds)}, {149, "AN"}, {150, "AN"}, {151, "K", K(mlock_cmds)},
    {152, ""}, {157, "KWZZZ", K(prctl_cmds)}, {158, "KW", K(arch_cmds)}, {160, "KY", K(resource_cmds)}, {162, ""},
    {186, ""}, {187, "FOL"}, {200, "pG"}, {201, "W"}, {202, "WKITWI", K(futex_cmds)}, {203, "pLW"}, {204, "pLW"}, {213, "I"},
    {217, "FBL"}, {218, "W"}, {221, "FOLK", K(advice_cmds)}, {228, "KW", K(clock_cmds)}, {229, "KW", K(clock_cmds)},
    {230, "KXTW", K(clock_cmds)}, {232, "FWIw"}, {233, "FKFe", K(epoll_ops)}, {234, "ppG"}, {257, "DPXM"}, {258, "DPM"}, {260, "DPIIK", K(at_flags)},
    {262, "DPWK", K(at_flags)}, {263, "DPK", K(at_flags)}, {264, "DPDP"}, {265, "DPDPK", K(at_flags)},
    {266, "PDP"}, {267, "DPWL"}, {268, "DPMK", K(at_flags)}, {269, "DPXK", K(at_flags)}, {270, "ISSSTW"},
    {271, "QCTWK", K(sigsize_cmds)}, {273, "WK", K(robust_cmds)}, {274, "pWW"},
    // fallocate (285) is left out: lengths of 4 GiB would reserve that much real disk per call.
    {275, "FWFWLX"}, {276, "FFLX"}, {278, "FVCX"}, {280, "DPWK", K(at_flags)}, {281, "FWIwWK", K(sigsize_cmds)},
    {253, ""}, {254, "FPX"}, {255, "FI"},
    {284, "I"}, {290, "IX"}, {291, "X"},
    {292, "FFX"}, {293, "WX"}, {294, "X"}, {295, "FVCO"}, {296, "FVCO"}, {302, "pKYW", K(resource_cmds)}, {306, "F"},
    {309, "WWW"}, {316, "DPDPX"}, {318, "BLX"}, {326, "FWFWLX"}, {332, "DPKXW", K(at_flags)}, {334, "WLXI"},
    {436, "FFK", K(close_range_flags)}, {441, "FWITWK", K(sigsize_cmds)}, {449, "WIITI"},
    // Numbers the table does not hold: ENOSYS, never a crash.
    {29, "ZZZ"}, {335, "ZZZ"}, {450, "ZZZ"}, {511, "ZZZ"}, {512, "ZZZ"}, {100000, "ZZZ"},
};
#define CALL_COUNT ((int)(sizeof calls / sizeof calls[0]))
static uint64_t call_hits[CALL_COUNT];

static uint64_t draw(const struct call_spec *spec, char letter, int position, uint64_t previous) {
    switch (letter) {
    case 'F': return gen_fd();
    case 'D': return gen_dirfd();
    case 'P': return gen_path();
    case 'B': return gen_pointer(PAGE);
    case 'W': return gen_pointer(256);
    case 'L': return gen_length();
    case 'I': return gen_int();
    case 'X': return gen_flags();
    case 'O': return gen_offset();
    case 'M': return gen_mode();
    case 'T': return gen_timeout();
    case 't': return gen_timeval();
    case 'w': return garbage_upper(below(3));  // poll's timeout in ms: never a long wait
    case 'C': return previous;  // filled by V or Q
    case 'S': return gen_fdset();
    case 'G': return gen_signal();
    case 'p': return gen_pid();
    case 'm': HIT(FLAGS_KNOWN); return chance(85) ? mapflag_cmds[below(sizeof mapflag_cmds / 8)] : gen_flags();
    case 'K': HIT(FLAGS_KNOWN); return chance(85) ? spec->commands[below(spec->command_count)] : gen_int();
    case 'A': return gen_map_address();
    case 'N': return gen_map_length();
    case 'H': return gen_sigaction();
    case 'Y': return gen_rlimit();
    case 'E': return gen_sigaltstack();
    case 'e': return gen_epoll_event();
    default: (void)position; return next_random();
    }
}

/// Makes the arguments of one call safe for the fuzzer itself: never touch REPORT_FD, never set
/// FS to anything but its own TLS, keep MAP_FIXED and moves inside the playground, and never
/// send a signal whose default action ends the program.
static void restrain(int number, uint64_t *a) {
    switch (number) {
    case 33: case 292: if ((int)a[1] == REPORT_FD) a[1] = 7; break;
    case 436:
        if ((uint32_t)a[0] <= REPORT_FD && (uint32_t)a[1] >= REPORT_FD) {
            if ((uint32_t)a[0] == REPORT_FD) a[0] = REPORT_FD + 1; else a[1] = REPORT_FD - 1;
        }
        break;
    case 158:
        if ((int)a[0] == 0x1002 && a[1] < 0x800000000000UL) a[1] = saved_fs_base;
        break;
    case 9:  // MAP_FIXED (0x10) and MAP_FIXED_NOREPLACE only inside the playground
        if (a[3] & 0x100010) {
            if (!(a[0] >= PLAYGROUND && a[0] < PLAYGROUND + PLAYGROUND_PAGES * PAGE &&
                  a[1] <= PLAYGROUND + PLAYGROUND_PAGES * PAGE - a[0])) a[3] &= ~0x100010UL;
        }
        if (a[1] > (1 << 20) && a[1] < 0x800000000000UL) a[1] = 1 << 20;
        if ((a[3] & 0x20) == 0) a[4] = gen_fd();
        break;
    case 11: case 10: case 28: case 149: case 150: case 26: case 27: case 25: {
        // Only the playground, mappings the fuzzer made, or addresses no program memory is at.
        int inside = a[0] >= PLAYGROUND && a[0] < PLAYGROUND + PLAYGROUND_PAGES * PAGE;
        int tracked = 0;
        for (int i = 0; i < mapping_count; i++) if (mappings[i].address == a[0]) tracked = 1;
        if (inside && a[1] > PLAYGROUND + PLAYGROUND_PAGES * PAGE - a[0] && a[1] < 0x800000000000UL)
            a[1] = PLAYGROUND + PLAYGROUND_PAGES * PAGE - a[0];
        if (tracked) {
            for (int i = 0; i < mapping_count; i++)
                if (mappings[i].address == a[0] && a[1] > mappings[i].length && a[1] < 0x800000000000UL) a[1] = mappings[i].length;
        }
        if (!inside && !tracked && (a[0] & (PAGE - 1)) == 0 && a[0] < 0x800000000000UL && a[0] != 0) a[0] |= 1;
        if (!inside && !tracked && a[0] == 0 && a[1] < 0x800000000000UL) a[1] = 0x800000001000UL;  // past the lower half: EINVAL
        if (number == 25) {
            if (a[2] > (1 << 20) && a[2] < 0x800000000000UL) a[2] = 1 << 20;
            if (a[3] & 2) a[4] = PLAYGROUND + below(PLAYGROUND_PAGES / 2) * PAGE;
            if ((a[3] & 2) && a[2] > PLAYGROUND + PLAYGROUND_PAGES * PAGE - a[4]) a[2] = PAGE;
        }
        break;
    }
    case 12: if (chance(50)) a[0] = 0; break;
    case 62: case 200: if (chance(50)) a[0] = (uint64_t)raw_syscall(39, 0, 0, 0, 0, 0, 0); break;
    case 234: if (chance(60)) a[0] = a[1] = (uint64_t)raw_syscall(39, 0, 0, 0, 0, 0, 0); break;
    case 13:  // SIGUSR1 keeps the handler set up at start, SIGPIPE stays ignored
        if ((int)a[0] == 10 || (int)a[0] == 13) a[0] = 17;
        break;
    case 202: case 230: case 35: break;
    case 56: a[0] &= ~0x10000UL; break;  // no CLONE_THREAD: a thread on a random stack would crash the fuzzer itself
    case 72: if ((int)a[1] == 4) a[2] |= 04000; break;  // F_SETFL keeps O_NONBLOCK (make_nonblocking)
    case 232: case 233: case 281: case 441:  // an epoll instance as epfd, often; as the target (nesting) sometimes
        if (epoll_count && chance(70)) a[0] = (uint64_t)epoll_fds[below(epoll_count)];
        if (number == 233 && epoll_count && chance(25)) a[2] = (uint64_t)epoll_fds[below(epoll_count)];
        break;
    default: break;
    }
}

/// Pipes, eventfds and inotify instances block as on Linux: the fuzzer keeps every one it makes
/// non-blocking (and F_SETFL never clears O_NONBLOCK, restrain), so no read or write of its own
/// waits for good.
static void make_nonblocking(long fd) {
    if (fd >= 0) raw_syscall(72, fd, 4, 04000, 0, 0, 0);  // fcntl(fd, F_SETFL, O_NONBLOCK)
}

/// Updates the fuzzer's view of its descriptors and mappings after a call.
static void observe(int number, const uint64_t *a, long result) {
    if (result < 0 && result > -4096) return;
    switch (number) {
    case 213: case 291:
        if (epoll_count < 8) epoll_fds[epoll_count++] = (int)result; else epoll_fds[below(8)] = (int)result;
        remember_fd(result);
        break;
    case 290: case 284: case 253: case 294: make_nonblocking(result); remember_fd(result); break;
    case 2: case 85: case 257: case 32: remember_fd(result); break;
    case 33: case 292: remember_fd((int)a[1]); break;
    case 72: if ((int)a[1] == 0 || (int)a[1] == 1030) remember_fd(result); break;
    case 22: case 293:
        // The call succeeded, so the kernel wrote both descriptors there: the memory is the
        // fuzzer's and readable, wherever it is.
        for (int end = 0; end < 2; end++) { make_nonblocking(((int *)a[0])[end]); remember_fd(((int *)a[0])[end]); }
        break;
    case 3: forget_fd((int)a[0]); break;
    case 9: remember_mapping((uint64_t)result, a[1]); break;
    case 11: forget_mapping(a[0]); break;
    case 25: forget_mapping(a[0]); remember_mapping((uint64_t)result, a[2]); break;
    default: break;
    }
}

static int trace_from = -1;
/// The fuzzer's own pid (a forked child's differs).
static long fuzzer_pid;

static long make_call(int index, int number, const uint64_t *a) {
    if (trace_from >= 0 && index >= trace_from) {
        put_string("call "); put_decimal(index); put_string(" "); put_decimal(number);
        for (int i = 0; i < 6; i++) { put_string(" "); put_hex(a[i]); }
        put_string("\n");
        flush_line();
    }
    long result = raw_syscall(number, (long)a[0], (long)a[1], (long)a[2], (long)a[3], (long)a[4], (long)a[5]);
    // A new process (fork, vfork, clone or clone3 without CLONE_THREAD): the child leaves at
    // once (on a stack of its own it crashes, which ends only it); the parent reaps it.
    if (number == 56 || number == 57 || number == 58 || number == 435) {
        if (result == 0 && raw_syscall(39, 0, 0, 0, 0, 0, 0) != fuzzer_pid) raw_syscall(231, 0, 0, 0, 0, 0, 0);
        if (result > 0 && result != fuzzer_pid) raw_syscall(61, result, 0, 0, 0, 0, 0);
    }
    if (trace_from >= 0 && index >= trace_from) {
        put_string("result "); put_decimal(index); put_string(" "); put_decimal(result); put_string("\n");
        flush_line();
    }
    return result;
}

// MARK: set-up

static volatile int handled_signal;
static void on_signal(int signal) { handled_signal = signal; }
__asm__(".text\n.align 16\nfuzzer_restorer:\n mov $15, %eax\n syscall\n hlt\n");
extern void fuzzer_restorer(void);

/// The arena, the files the paths name, stdout/stderr as a pipe, and one real signal delivery
/// (SIGUSR1 through a handler and rt_sigreturn), so that rt_sigreturn is reached deliberately.
static void set_up(void) {
    fuzzer_pid = raw_syscall(39, 0, 0, 0, 0, 0, 0);
    raw_syscall(9, ARENA, (SCRATCH_PAGES + 3) * PAGE, 3, 0x32, -1, 0);  // MAP_PRIVATE|ANONYMOUS|FIXED
    raw_syscall(10, GUARD, PAGE, 0, 0, 0, 0);
    raw_syscall(10, READ_ONLY, PAGE, 1, 0, 0, 0);
    raw_syscall(11, HOLE, PAGE, 0, 0, 0, 0);
    raw_syscall(9, PLAYGROUND, PLAYGROUND_PAGES * PAGE, 3, 0x32, -1, 0);
    raw_syscall(158, 0x1003, (long)&saved_fs_base, 0, 0, 0, 0);
    raw_syscall(83, (long)"d0", 0755, 0, 0, 0, 0);
    raw_syscall(83, (long)"d1", 0755, 0, 0, 0, 0);
    long fd = raw_syscall(2, (long)"f0", 0102, 0644, 0, 0, 0);
    raw_syscall(1, fd, (long)"fuzzer file f0\n", 15, 0, 0, 0);
    remember_fd(fd);
    remember_fd(raw_syscall(2, (long)"d0/f2", 0102, 0644, 0, 0, 0));
    remember_fd(raw_syscall(2, (long)"d0", 0200000, 0, 0, 0, 0));
    raw_syscall(88, (long)"f0", (long)"l0", 0, 0, 0, 0);
    int pipe_fds[2];
    raw_syscall(293, (long)pipe_fds, 04000, 0, 0, 0, 0);
    raw_syscall(33, pipe_fds[1], 1, 0, 0, 0, 0);
    raw_syscall(33, pipe_fds[1], 2, 0, 0, 0, 0);
    remember_fd(pipe_fds[0]);
    remember_fd(pipe_fds[1]);
    uint64_t action[4] = {(uint64_t)on_signal, 0x04000000, (uint64_t)fuzzer_restorer, 0};  // SA_RESTORER
    raw_syscall(13, 10, (long)action, 0, 8, 0, 0);
    uint64_t ignore[4] = {1, 0x04000000, (uint64_t)fuzzer_restorer, 0};  // SIGPIPE: SIG_IGN
    raw_syscall(13, 13, (long)ignore, 0, 8, 0, 0);
    raw_syscall(62, raw_syscall(39, 0, 0, 0, 0, 0, 0), 10, 0, 0, 0, 0);
}

static uint64_t parse_number(const char *text) {
    uint64_t value = 0;
    int base = 10;
    if (text[0] == '0' && text[1] == 'x') { base = 16; text += 2; }
    for (; *text; text++) {
        int digit = *text >= 'a' ? *text - 'a' + 10 : *text - '0';
        if (digit < 0 || digit >= base) break;
        value = value * (uint64_t)base + (uint64_t)digit;
    }
    return value;
}

static void report_summary(uint64_t made, int reached_rt_sigreturn) {
    put_string("fuzz-summary calls="); put_decimal((int64_t)made); put_string(" rt_sigreturn=");
    put_decimal(reached_rt_sigreturn); put_string("\n"); flush_line();
    put_string("fuzz-syscalls");
    for (int i = 0; i < CALL_COUNT; i++) {
        if (!call_hits[i]) continue;
        if (line_length > 480) { put_string("\n"); flush_line(); put_string("fuzz-syscalls"); }
        put_string(" "); put_decimal(calls[i].number);
    }
    if (reached_rt_sigreturn) put_string(" 15");
    put_string("\n"); flush_line();
    put_string("fuzz-classes");
    for (int i = 0; i < CLASS_COUNT; i++) {
        if (!class_hits[i]) continue;
        if (line_length > 480) { put_string("\n"); flush_line(); put_string("fuzz-classes"); }
        put_string(" "); put_string(class_names[i]);
    }
    put_string("\n"); flush_line();
}

static char replay_text[1 << 16];

/// Replays the calls of a file written by the driver, one "nr a0 a1 a2 a3 a4 a5" per line.
static int replay(const char *path) {
    long fd = raw_syscall(2, (long)path, 0, 0, 0, 0, 0);
    if (fd < 0) return 2;
    long length = raw_syscall(0, fd, (long)replay_text, sizeof replay_text - 1, 0, 0, 0);
    if (length < 0) return 2;
    replay_text[length] = 0;
    char *cursor = replay_text;
    int index = 0;
    while (*cursor) {
        uint64_t fields[7] = {0};
        for (int i = 0; i < 7; i++) {
            while (*cursor == ' ') cursor++;
            char *start = cursor;
            while (*cursor && *cursor != ' ' && *cursor != '\n') cursor++;
            char saved = *cursor;
            *cursor = 0;
            fields[i] = parse_number(start);
            *cursor = saved;
        }
        while (*cursor && *cursor != '\n') cursor++;
        if (*cursor) cursor++;
        make_call(index++, (int)fields[0], fields + 1);
    }
    report_summary((uint64_t)index, 0);
    return 0;
}

int main(int argc, char **argv) {
    if (raw_syscall(72, 1, 0, REPORT_FD, 0, 0, 0) != REPORT_FD) return 3;  // F_DUPFD: the report channel
    set_up();
    if (argc == 3 && strcmp(argv[1], "--replay") == 0) {
        trace_from = 0;
        return replay(argv[2]);
    }
    if (argc < 3) {
        put_string("usage: syscall_fuzzer SEED CALLS [TRACE_FROM] | --replay FILE\n");
        flush_line();
        return 2;
    }
    random_state = parse_number(argv[1]);
    uint64_t total = parse_number(argv[2]);
    if (argc > 3) trace_from = (int)parse_number(argv[3]);
    for (uint64_t index = 0; index < total; index++) {
        int which = (int)below(CALL_COUNT);
        const struct call_spec *spec = &calls[which];
        uint64_t a[6];
        uint64_t previous = 0;
        for (int i = 0; i < 6; i++) {
            char letter = i < (int)strlen(spec->signature) ? spec->signature[i] : 'Z';
            if (letter == 'V' || letter == 'Q') {
                previous = gen_count();
                a[i] = letter == 'V' ? gen_iovec((int)(uint32_t)previous) : gen_pollfds((int)(uint32_t)previous);
            } else {
                a[i] = draw(spec, letter, i, previous);
            }
        }
        restrain(spec->number, a);
        call_hits[which]++;
        long result = make_call((int)index, spec->number, a);
        observe(spec->number, a, result);
    }
    report_summary(total, handled_signal == 10);
    // The run ends with one of the two calls that end it: both are reached over many runs.
    long ending = (random_state & 1) ? 231 : 60;
    put_string("fuzz-ending "); put_decimal(ending); put_string("\n"); flush_line();
    raw_syscall(ending, 0, 0, 0, 0, 0, 0);
    return 0;
}
