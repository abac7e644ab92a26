// Checks that the vDSO looks like Linux's to an ELF symbol-version walker (as Go's runtime
// parses it, without null checks): found through getauxval(AT_SYSINFO_EHDR), an ET_DYN with
// PT_LOAD and PT_DYNAMIC, a dynamic section with DT_SONAME linux-vdso.so.1, DT_STRTAB,
// DT_SYMTAB, DT_HASH, DT_GNU_HASH, DT_VERSYM, DT_VERDEF and DT_VERDEFNUM; version definitions
// BASE (the soname) and LINUX_2.6 with correct ELF hashes; each of __vdso_clock_gettime,
// __vdso_gettimeofday, __vdso_time, __vdso_getcpu, __vdso_clock_getres and their unprefixed
// weak aliases found by DT_HASH and DT_GNU_HASH alike (the bloom filter letting it through),
// a defined function of version LINUX_2.6. Then each found function is called: the raw
// results and ordering facts against the syscalls (clock_gettime between two syscall reads,
// an unknown clock -EINVAL, clock_getres equal to the syscall's). Symbols only newer kernels
// export (getrandom, sgx) are not printed.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static uintptr_t load_offset;
static const char *strtab;
static const Elf64_Sym *symtab;
static const Elf32_Word *hash;
static const Elf32_Word *gnu_hash;
static const Elf64_Versym *versym;
static const Elf64_Verdef *verdef;
static uint64_t verdefnum, soname = (uint64_t)-1;

static uint32_t elf_hash(const char *name) {
    uint32_t h = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h = (h << 4) + *p;
        uint32_t g = h & 0xf0000000;
        if (g) h ^= g >> 24;
        h &= ~g;
    }
    return h;
}

static uint32_t gnu_hash_of(const char *name) {
    uint32_t h = 5381;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) h = h * 33 + *p;
    return h;
}

// DT_HASH: bucket, then the chain; 0 when not found.
static uint32_t lookup_hash(const char *name) {
    uint32_t nbucket = hash[0];
    const Elf32_Word *bucket = hash + 2, *chain = bucket + nbucket;
    for (uint32_t i = bucket[elf_hash(name) % nbucket]; i != 0; i = chain[i])
        if (strcmp(strtab + symtab[i].st_name, name) == 0) return i;
    return 0;
}

// DT_GNU_HASH: the bloom filter must let the name through, then bucket and chain; 0 when not found.
static uint32_t lookup_gnu_hash(const char *name, int *bloom_ok) {
    uint32_t nbuckets = gnu_hash[0], symoffset = gnu_hash[1], bloom_size = gnu_hash[2], shift = gnu_hash[3];
    const uint64_t *bloom = (const uint64_t *)(gnu_hash + 4);
    const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size), *chain = buckets + nbuckets;
    uint32_t h = gnu_hash_of(name);
    uint64_t word = bloom[(h / 64) % bloom_size];
    uint64_t mask = (1ULL << (h % 64)) | (1ULL << ((h >> shift) % 64));
    *bloom_ok = (word & mask) == mask;
    uint32_t i = buckets[h % nbuckets];
    if (i < symoffset) return 0;
    for (;; i++) {
        uint32_t value = chain[i - symoffset];
        if ((value | 1) == (h | 1) && strcmp(strtab + symtab[i].st_name, name) == 0) return i;
        if (value & 1) return 0;
    }
}

static const Elf64_Verdef *next_verdef(const Elf64_Verdef *def) {
    return def->vd_next ? (const Elf64_Verdef *)((const char *)def + def->vd_next) : NULL;
}

static const char *verdef_name(const Elf64_Verdef *def) {
    const Elf64_Verdaux *aux = (const Elf64_Verdaux *)((const char *)def + def->vd_aux);
    return strtab + aux->vda_name;
}

// The version name of symbol i, through .gnu.version and .gnu.version_d.
static const char *version_of(uint32_t i) {
    unsigned index = versym[i] & 0x7fff;
    for (const Elf64_Verdef *def = verdef; def; def = next_verdef(def))
        if ((def->vd_flags & VER_FLG_BASE) == 0 && def->vd_ndx == index) return verdef_name(def);
    return index == 0 ? "(local)" : index == 1 ? "(global)" : "(no definition)";
}

static int parse(uintptr_t base) {
    const Elf64_Ehdr *ehdr = (const Elf64_Ehdr *)base;
    if (memcmp(ehdr->e_ident, ELFMAG, SELFMAG) != 0 || ehdr->e_ident[EI_CLASS] != ELFCLASS64) return 0;
    printf("ELF64 %s, machine x86-64 %d\n", ehdr->e_type == ET_DYN ? "ET_DYN" : "not ET_DYN",
           ehdr->e_machine == EM_X86_64);
    const Elf64_Phdr *phdr = (const Elf64_Phdr *)(base + ehdr->e_phoff);
    const Elf64_Dyn *dyn = NULL;
    int found_load = 0;
    for (int i = 0; i < ehdr->e_phnum; i++) {
        if (phdr[i].p_type == PT_LOAD && !found_load) {
            found_load = 1;
            load_offset = base + phdr[i].p_offset - phdr[i].p_vaddr;
        } else if (phdr[i].p_type == PT_DYNAMIC) {
            dyn = (const Elf64_Dyn *)(base + phdr[i].p_offset);
        }
    }
    printf("PT_LOAD %d, PT_DYNAMIC %d\n", found_load, dyn != NULL);
    if (!found_load || !dyn) return 0;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        uintptr_t p = load_offset + dyn->d_un.d_ptr;
        switch (dyn->d_tag) {
        case DT_STRTAB: strtab = (const char *)p; break;
        case DT_SYMTAB: symtab = (const Elf64_Sym *)p; break;
        case DT_HASH: hash = (const Elf32_Word *)p; break;
        case DT_GNU_HASH: gnu_hash = (const Elf32_Word *)p; break;
        case DT_VERSYM: versym = (const Elf64_Versym *)p; break;
        case DT_VERDEF: verdef = (const Elf64_Verdef *)p; break;
        case DT_VERDEFNUM: verdefnum = dyn->d_un.d_val; break;
        case DT_SONAME: soname = dyn->d_un.d_val; break;
        }
    }
    printf("DT_STRTAB %d, DT_SYMTAB %d, DT_HASH %d, DT_GNU_HASH %d, DT_VERSYM %d, DT_VERDEF %d, DT_VERDEFNUM %d\n",
           strtab != NULL, symtab != NULL, hash != NULL, gnu_hash != NULL, versym != NULL, verdef != NULL,
           (int)verdefnum);
    if (!strtab || !symtab || !hash || !gnu_hash || !versym || !verdef) return 0;
    printf("soname %s\n", soname == (uint64_t)-1 ? "(none)" : strtab + soname);
    int count = 0;
    for (const Elf64_Verdef *def = verdef; def; def = next_verdef(def), count++) {
        const char *name = verdef_name(def);
        printf("verdef %d: version %d, index %d, flags %s, %d name(s), %s, hash %s\n", count, def->vd_version,
               def->vd_ndx, def->vd_flags & VER_FLG_BASE ? "BASE" : "none", def->vd_cnt, name,
               def->vd_hash == elf_hash(name) ? "ok" : "wrong");
    }
    printf("verdef entries match DT_VERDEFNUM: %d\n", (uint64_t)count == verdefnum);
    return 1;
}

static const char *binding(unsigned char info) {
    switch (ELF64_ST_BIND(info)) {
    case STB_GLOBAL: return "global";
    case STB_WEAK: return "weak";
    case STB_LOCAL: return "local";
    default: return "other";
    }
}

// Finds `name`, prints what a version walker sees, returns its address (0 when not found).
static uintptr_t show(const char *name, uintptr_t same_as) {
    int bloom_ok = 0;
    uint32_t i = lookup_hash(name), j = lookup_gnu_hash(name, &bloom_ok);
    if (i == 0 && j == 0) {
        printf("%s not found\n", name);
        return 0;
    }
    const Elf64_Sym *sym = &symtab[i ? i : j];
    uintptr_t address = load_offset + sym->st_value;
    printf("%s %s, %s %s, defined %d, DT_HASH and DT_GNU_HASH agree %d, bloom %d, hidden %d", name,
           version_of(i ? i : j), binding(sym->st_info), ELF64_ST_TYPE(sym->st_info) == STT_FUNC ? "function" : "not a function",
           sym->st_shndx != SHN_UNDEF, i == j, bloom_ok, (versym[i ? i : j] & 0x8000) != 0);
    if (same_as) printf(", same address as the __vdso_ name %d", address == same_as);
    printf("\n");
    return address;
}

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
    uintptr_t base = getauxval(AT_SYSINFO_EHDR);
    printf("AT_SYSINFO_EHDR present %d, page aligned %d\n", base != 0, base % 4096 == 0);
    if (!base || !parse(base)) return 1;

    static const char *names[][2] = {
        {"__vdso_clock_gettime", "clock_gettime"}, {"__vdso_gettimeofday", "gettimeofday"},
        {"__vdso_time", "time"}, {"__vdso_getcpu", "getcpu"}, {"__vdso_clock_getres", "clock_getres"},
    };
    uintptr_t found[5];
    for (int k = 0; k < 5; k++) {
        found[k] = show(names[k][0], 0);
        if (found[k]) show(names[k][1], found[k]);
    }
    printf("__vdso_no_such_function found %d\n", lookup_hash("__vdso_no_such_function") != 0);

    if (found[0]) {
        int (*vdso_clock_gettime)(clockid_t, struct timespec *) = (int (*)(clockid_t, struct timespec *))found[0];
        static const struct { clockid_t id; const char *name; } clocks[] = {
            {CLOCK_REALTIME, "REALTIME"}, {CLOCK_MONOTONIC, "MONOTONIC"}, {CLOCK_BOOTTIME, "BOOTTIME"},
        };
        for (int k = 0; k < 3; k++) {
            struct timespec a, b, c;
            syscall(SYS_clock_gettime, clocks[k].id, &a);
            int r = vdso_clock_gettime(clocks[k].id, &b);
            syscall(SYS_clock_gettime, clocks[k].id, &c);
            printf("vdso clock_gettime(%s) = %d, between two syscall reads %d, nsec < 1e9 %d\n", clocks[k].name, r,
                   ns(a) <= ns(b) && ns(b) <= ns(c), b.tv_nsec >= 0 && b.tv_nsec < 1000000000);
        }
        struct timespec t;
        printf("vdso clock_gettime(PROCESS_CPUTIME_ID) = %d\n", vdso_clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t));
        printf("vdso clock_gettime(12345) = %d\n", vdso_clock_gettime(12345, &t));
    }
    if (found[1]) {
        int (*vdso_gettimeofday)(struct timeval *, void *) = (int (*)(struct timeval *, void *))found[1];
        struct timespec a, c;
        struct timeval tv;
        syscall(SYS_clock_gettime, CLOCK_REALTIME, &a);
        int r = vdso_gettimeofday(&tv, NULL);
        syscall(SYS_clock_gettime, CLOCK_REALTIME, &c);
        long long us = tv.tv_sec * 1000000LL + tv.tv_usec;
        printf("vdso gettimeofday = %d, between two syscall reads %d, usec < 1e6 %d\n", r,
               ns(a) / 1000 <= us && us <= ns(c) / 1000, tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    }
    if (found[2]) {
        time_t (*vdso_time)(time_t *) = (time_t (*)(time_t *))found[2];
        time_t before = syscall(SYS_time, NULL), stored = 0;
        time_t r = vdso_time(&stored);
        time_t after = syscall(SYS_time, NULL);
        printf("vdso time between two syscalls %d, stored = returned %d\n", before <= r && r <= after, stored == r);
    }
    if (found[3]) {
        int (*vdso_getcpu)(unsigned *, unsigned *, void *) = (int (*)(unsigned *, unsigned *, void *))found[3];
        unsigned cpu = 9999, node = 9999;
        int r = vdso_getcpu(&cpu, &node, NULL);
        printf("vdso getcpu = %d, cpu below the configured count %d\n", r, cpu < (unsigned)sysconf(_SC_NPROCESSORS_CONF));
    }
    if (found[4]) {
        int (*vdso_clock_getres)(clockid_t, struct timespec *) = (int (*)(clockid_t, struct timespec *))found[4];
        static const struct { clockid_t id; const char *name; } clocks[] = {
            {CLOCK_REALTIME, "REALTIME"}, {CLOCK_MONOTONIC, "MONOTONIC"}, {CLOCK_BOOTTIME, "BOOTTIME"},
            {CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID"},
        };
        for (int k = 0; k < 4; k++) {
            struct timespec v = {-1, -1}, s = {-2, -2};
            int r = vdso_clock_getres(clocks[k].id, &v);
            long rs = syscall(SYS_clock_getres, clocks[k].id, &s);
            printf("vdso clock_getres(%s) = %d, same as the syscall %d, positive and <= 10 ms %d\n", clocks[k].name, r,
                   r == rs && ns(v) == ns(s), ns(v) > 0 && ns(v) <= 10000000);
        }
        printf("vdso clock_getres(MONOTONIC, NULL) = %d\n", vdso_clock_getres(CLOCK_MONOTONIC, NULL));
        struct timespec v;
        printf("vdso clock_getres(12345) = %d\n", vdso_clock_getres(12345, &v));
    }
    return 0;
}
