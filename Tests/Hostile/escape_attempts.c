/*
 * escape_attempts: a guest that tries every way it knows to read, write, create,
 * rename, link, remove or change a file outside the hypervisor's --dir.
 *
 * Layout it expects (made by Tests/HypervisorTests/Runner/SandboxEscapeTests.swift):
 *   BASE/canary                 a file outside the root ("CANARY-OUTSIDE ...")
 *   BASE/canary-dir/file        a directory outside the root with a file in it
 *   BASE/guest-root/            the root (--dir), holding
 *     inside.txt, sub/deeper/, abs-link -> BASE/canary, rel-link -> ../canary,
 *     dir-link -> BASE/canary-dir, dir-rel-link -> ../canary-dir, slash-link -> /,
 *     updir-link -> ../../../../../.., up -> ..
 *
 * Usage: escape_attempts attempts BASE     every attempt, one line each
 *        escape_attempts race SECONDS      open /race O_WRONLY|O_CREAT|O_TRUNC and write
 *                                          "PWNED" in a loop while the host swaps the link
 * Build: musl-gcc -static -O1 -I Sources/Hypervisor/ABI/include -o escape Tests/Hostile/escape_attempts.c
 *
 * Each attempt prints
 *   <R|W> <operation> "<path>" ["<path2>"] -> <ok ...|ERRNO> [creates NAME]
 * R is an attempt that changes nothing, W one that would change the file system.
 * "[creates NAME]" after "ok" names an entry that must now exist somewhere inside
 * the root (a create that legitimately resolved beneath it); the test checks it.
 * Reading bytes that start with "CANARY" (only the files outside the root hold
 * them) prints a line starting with "ESCAPE:". Paths are printed with
 * non-printable bytes as \xNN and long paths shortened. Exits 0.
 *
 * Besides ordinary syscalls, whose paths the guest kernel normalises ("." and
 * ".." folded against the working directory), it makes the open and path
 * hypercalls itself, so the host sees raw "..", relative and odd paths too.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "unikernel_abi.h"

static const char *base;        /* the host path of BASE, as the guest would name it if unconfined */
static int root_fd = -1;        /* "/" opened O_DIRECTORY */
static unsigned counter;        /* makes every created name unique */
static unsigned attempts, successes, escapes;

/* ---- Output ------------------------------------------------------------ */

static const char *errname(int e) {
    switch (e) {
    case EPERM: return "EPERM"; case ENOENT: return "ENOENT"; case EBADF: return "EBADF";
    case EACCES: return "EACCES"; case EFAULT: return "EFAULT"; case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST"; case EXDEV: return "EXDEV"; case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR"; case EINVAL: return "EINVAL"; case EMLINK: return "EMLINK";
    case EROFS: return "EROFS"; case ENAMETOOLONG: return "ENAMETOOLONG"; case ENOTEMPTY: return "ENOTEMPTY";
    case ELOOP: return "ELOOP"; case ENOSYS: return "ENOSYS"; case ENXIO: return "ENXIO";
    case ETXTBSY: return "ETXTBSY"; case ENOSPC: return "ENOSPC"; case EOPNOTSUPP: return "EOPNOTSUPP";
    default: { static char other[32]; snprintf(other, sizeof other, "errno%d", e); return other; }
    }
}

/* `path` printable: bytes outside 0x21..0x7e (and '"', '\\') as \xNN, long paths shortened. */
static const char *shown(const char *path, char *out) {
    size_t length = strlen(path), o = 0;
    for (size_t i = 0; i < length; i++) {
        if (length > 120 && i == 40) {
            o += (size_t)sprintf(out + o, "...(%zu bytes)...", length);
            i = length - 40;
        }
        unsigned char c = (unsigned char)path[i];
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') o += (size_t)sprintf(out + o, "\\x%02x", c);
        else out[o++] = (char)c;
    }
    out[o] = 0;
    return out;
}

/* One attempt's line. `result` >= 0 is success; `error` is the errno otherwise. */
static void report(char kind, const char *op, const char *path, const char *path2, long result, int error,
                   const char *detail, const char *created) {
    char a[1024], b[1024];
    attempts++;
    printf("%c %s \"%s\"", kind, op, shown(path, a));
    if (path2) printf(" \"%s\"", shown(path2, b));
    if (result >= 0) {
        successes++;
        printf(" -> ok%s%s", detail ? " " : "", detail ? detail : "");
        if (created) printf(" [creates %s]", created);
    } else {
        printf(" -> %s", errname(error));
    }
    printf("\n");
    fflush(stdout);
}

static void escaped(const char *how, const char *path, const unsigned char *bytes, long count) {
    char a[1024];
    escapes++;
    printf("ESCAPE: %s \"%s\" gave %ld bytes starting \"%.*s\"\n", how, shown(path, a), count,
           (int)(count < 40 ? count : 40), (const char *)bytes);
    fflush(stdout);
}

/* Whether bytes read came from a file outside the root. */
static int outside_bytes(const unsigned char *bytes, long count) {
    return count >= 6 && memcmp(bytes, "CANARY", 6) == 0;
}

static char *fresh(const char *prefix, char *out) {
    sprintf(out, "%s%u", prefix, ++counter);
    return out;
}

static char *join(char *out, const char *a, const char *b) {
    snprintf(out, 8192, "%s%s", a, b);
    return out;
}

/* ---- Ordinary syscalls ------------------------------------------------- */

static void try_read(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { report('R', "open-read", path, 0, -1, errno, 0, 0); return; }
    unsigned char bytes[128] = { 0 };
    long count = read(fd, bytes, sizeof bytes - 1);
    int error = errno;
    close(fd);
    char detail[64];
    snprintf(detail, sizeof detail, "(read %ld bytes%s)", count, count < 0 ? errname(error) : "");
    report('R', "open-read", path, 0, 0, 0, detail, 0);
    if (outside_bytes(bytes, count)) escaped("open-read", path, bytes, count);
}

static void try_inspect(const char *path) {
    struct stat st;
    long r = stat(path, &st);
    report('R', "stat", path, 0, r, errno, 0, 0);
    r = lstat(path, &st);
    report('R', "lstat", path, 0, r, errno, 0, 0);
    r = access(path, F_OK);
    report('R', "access", path, 0, r, errno, 0, 0);
    char text[256] = { 0 }, detail[300];
    r = readlink(path, text, sizeof text - 1);
    snprintf(detail, sizeof detail, "(%ld bytes)", r);
    report('R', "readlink", path, 0, r, errno, detail, 0);
}

/* Opens for writing with `flags` and writes "PWNED". */
static void try_open_write(const char *op, const char *path, int flags, const char *created) {
    int fd = open(path, flags, 0666);
    if (fd < 0) { report('W', op, path, 0, -1, errno, 0, 0); return; }
    long written = write(fd, "PWNED", 5);
    close(fd);
    char detail[48];
    snprintf(detail, sizeof detail, "(wrote %ld)", written);
    report('W', op, path, 0, 0, 0, detail, created);
}

/* Writes through an existing path that, unconfined, is a file outside the root. */
static void try_write_existing(const char *path) {
    try_open_write("open-trunc", path, O_WRONLY | O_TRUNC, 0);
    try_open_write("open-rdwr", path, O_RDWR, 0);
    try_open_write("open-append", path, O_WRONLY | O_APPEND, 0);
    try_open_write("open-creat", path, O_WRONLY | O_CREAT, 0);
    long r = truncate(path, 0);
    report('W', "truncate", path, 0, r, errno, 0, 0);
    r = chmod(path, 0777);
    report('W', "chmod", path, 0, r, errno, 0, 0);
    struct timespec times[2] = { { 1, 0 }, { 1, 0 } };
    r = utimensat(AT_FDCWD, path, times, 0);
    report('W', "utimensat", path, 0, r, errno, 0, 0);
    r = utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
    report('W', "utimensat-nofollow", path, 0, r, errno, 0, 0);
    char name[64], link_path[80];
    sprintf(link_path, "/%s", fresh("ln", name));
    r = link(path, link_path);
    report('W', "link-in", path, link_path, r, errno, 0, r == 0 ? name : 0);
    if (r == 0) {
        int fd = open(link_path, O_RDONLY);
        unsigned char bytes[64] = { 0 };
        long count = fd >= 0 ? read(fd, bytes, sizeof bytes) : -1;
        if (fd >= 0) close(fd);
        if (outside_bytes(bytes, count)) escaped("link-in then read", link_path, bytes, count);
    }
    r = link("/inside.txt", path);
    report('W', "link-out", "/inside.txt", path, r, errno, 0, 0);
    r = symlink("/inside.txt", path);
    report('W', "symlink-at", "/inside.txt", path, r, errno, 0, 0);
    char victim[80];
    sprintf(victim, "/%s", fresh("victim", name));
    int fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) { if (write(fd, "VICTIM", 6) < 0) {} close(fd); }
    r = rename(victim, path);
    report('W', "rename-onto", victim, path, r, errno, 0, 0);
}

/* Creates through a path whose final name is new and whose directory, unconfined, is outside the root. */
static void try_create(const char *directory) {
    char name[64], path[8192];
    fresh("n", name);
    join(path, directory, "/"); strcat(path, name);
    try_open_write("creat-excl", path, O_WRONLY | O_CREAT | O_EXCL, name);
    fresh("n", name);
    join(path, directory, "/"); strcat(path, name);
    try_open_write("creat-trunc", path, O_WRONLY | O_CREAT | O_TRUNC, name);
    fresh("d", name);
    join(path, directory, "/"); strcat(path, name);
    long r = mkdir(path, 0755);
    report('W', "mkdir", path, 0, r, errno, 0, r == 0 ? name : 0);
    fresh("s", name);
    join(path, directory, "/"); strcat(path, name);
    r = symlink("/inside.txt", path);
    report('W', "symlink-new", "/inside.txt", path, r, errno, 0, r == 0 ? name : 0);
    fresh("h", name);
    join(path, directory, "/"); strcat(path, name);
    r = link("/inside.txt", path);
    report('W', "link-new", "/inside.txt", path, r, errno, 0, r == 0 ? name : 0);
    char victim[80], vname[64];
    sprintf(victim, "/%s", fresh("victim", vname));
    int fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) close(fd);
    fresh("r", name);
    join(path, directory, "/"); strcat(path, name);
    r = rename(victim, path);
    report('W', "rename-new", victim, path, r, errno, 0, r == 0 ? name : 0);
}

/* Operations on a path that, unconfined, is a directory outside the root. */
static void try_directory(const char *path) {
    long r = mkdir(path, 0755);
    report('W', "mkdir-existing", path, 0, r, errno, 0, 0);
    r = chmod(path, 0700);
    report('W', "chmod-dir", path, 0, r, errno, 0, 0);
    r = utimensat(AT_FDCWD, path, 0, 0);
    report('W', "utimensat-dir", path, 0, r, errno, 0, 0);
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0) { report('R', "list", path, 0, -1, errno, 0, 0); return; }
    char buffer[4096], names[512] = "";
    long count = syscall(SYS_getdents64, fd, buffer, sizeof buffer);
    for (long at = 0; at < count;) {
        struct dirent64 *entry = (struct dirent64 *)(buffer + at);
        char name[1024];
        shown(entry->d_name, name);
        if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..") && strlen(names) + strlen(name) < 400) {
            strcat(names, " ");
            strcat(names, name);
        }
        at += entry->d_reclen;
    }
    close(fd);
    char detail[600];
    snprintf(detail, sizeof detail, "(entries:%s)", names);
    report('R', "list", path, 0, 0, 0, detail, 0);
}

/* Removals and renames out of the root: run last, since they may (legitimately) change the root. */
static void try_remove(const char *path, int directory) {
    char name[64], stolen[80];
    sprintf(stolen, "/%s", fresh(directory ? "stolendir" : "stolen", name));
    long r = rename(path, stolen);
    report('W', "rename-out", path, stolen, r, errno, 0, r == 0 ? name : 0);
    if (r == 0 && !directory) {
        int fd = open(stolen, O_RDONLY);
        unsigned char bytes[64] = { 0 };
        long count = fd >= 0 ? read(fd, bytes, sizeof bytes) : -1;
        if (fd >= 0) close(fd);
        if (outside_bytes(bytes, count)) escaped("rename-out then read", stolen, bytes, count);
    }
    r = directory ? rmdir(path) : unlink(path);
    report('W', directory ? "rmdir" : "unlink", path, 0, r, errno, 0, 0);
}

/* ---- Raw hypercalls (no path normalisation by the guest kernel) --------- */

static uint64_t image_vaddr, image_phys;
static struct {
    _Alignas(4096) unsigned char block[512];
    char path[4200];
    char path2[4200];
    unsigned char buffer[4096];
} raw;

static uint64_t phys_of(const void *p) { return image_phys + ((uint64_t)(uintptr_t)p - image_vaddr); }

static void hypercall(int port) {
    volatile uint64_t *slot = (volatile uint64_t *)(uintptr_t)(UK_HYPERCALL_VIRT + 8 * (uint64_t)(port - UK_HC_EXIT));
    uint64_t value = phys_of(raw.block);
    __asm__ volatile("movq %1, %0" : "=m"(*slot) : "r"(value) : "memory");
}

static int64_t raw_open(const char *path, int flags) {
    strcpy(raw.path, path);
    uk_hc_open *block = (uk_hc_open *)raw.block;
    *block = (uk_hc_open){ .path_phys = phys_of(raw.path), .path_len = strlen(path), .flags = flags, .mode = 0644 };
    hypercall(UK_HC_OPEN);
    return block->result;
}

static void raw_close(int64_t handle) {
    uk_hc_close *block = (uk_hc_close *)raw.block;
    *block = (uk_hc_close){ .handle = (int32_t)handle };
    hypercall(UK_HC_CLOSE);
}

static int64_t raw_path(uint32_t op, const char *path, const char *path2, uint64_t mode, uint32_t flags) {
    strcpy(raw.path, path);
    if (path2) strcpy(raw.path2, path2);
    uk_hc_path *block = (uk_hc_path *)raw.block;
    *block = (uk_hc_path){ .op = op, .flags = flags, .path_phys = phys_of(raw.path), .path_len = strlen(path),
                           .path2_phys = path2 ? phys_of(raw.path2) : 0, .path2_len = path2 ? strlen(path2) : 0,
                           .mode = mode };
    if (op == UK_PATH_STAT || op == UK_PATH_LSTAT || op == UK_PATH_READLINK || op == UK_PATH_STATFS) {
        block->buf_phys = phys_of(raw.buffer);
        block->buf_len = sizeof raw.buffer;
    }
    hypercall(UK_HC_PATH);
    return block->result;
}

static void raw_report(char kind, const char *op, const char *path, const char *path2, int64_t result, const char *created) {
    report(kind, op, path, path2, result < 0 ? -1 : (long)result, result < 0 ? (int)-result : 0, 0, result >= 0 ? created : 0);
}

static void raw_read(const char *path) {
    int64_t handle = raw_open(path, O_RDONLY);
    if (handle < 0) { raw_report('R', "hc-open-read", path, 0, handle, 0); return; }
    uk_hc_io *io = (uk_hc_io *)raw.block;
    memset(raw.buffer, 0, 64);
    *io = (uk_hc_io){ .handle = (int32_t)handle, .buf_phys = phys_of(raw.buffer), .len = 64, .offset = 0 };
    hypercall(UK_HC_READ);
    int64_t count = io->result;
    raw_close(handle);
    char detail[48];
    snprintf(detail, sizeof detail, "(read %lld bytes)", (long long)count);
    report('R', "hc-open-read", path, 0, 0, 0, detail, 0);
    if (outside_bytes(raw.buffer, count)) escaped("hc-open-read", path, raw.buffer, count);
}

static void raw_write(const char *op, const char *path, int flags, const char *created) {
    int64_t handle = raw_open(path, flags);
    if (handle >= 0) {
        uk_hc_io *io = (uk_hc_io *)raw.block;
        memcpy(raw.buffer, "PWNED", 5);
        *io = (uk_hc_io){ .handle = (int32_t)handle, .buf_phys = phys_of(raw.buffer), .len = 5, .offset = -1 };
        hypercall(UK_HC_WRITE);
        raw_close(handle);
    }
    raw_report('W', op, path, 0, handle, created);
}

/* Every raw operation on a path that, unconfined, would be the canary or beside it. */
static void raw_attempts(const char *file, const char *directory) {
    char name[64], path[8192], victim[80];
    raw_read(file);
    raw_report('R', "hc-stat", file, 0, raw_path(UK_PATH_STAT, file, 0, 0, 0), 0);
    raw_report('R', "hc-readlink", file, 0, raw_path(UK_PATH_READLINK, file, 0, 0, 0), 0);
    raw_report('R', "hc-access", file, 0, raw_path(UK_PATH_ACCESS, file, 0, 0, 0), 0);
    raw_write("hc-open-trunc", file, O_WRONLY | O_TRUNC, 0);
    raw_write("hc-open-append", file, O_WRONLY | O_APPEND, 0);
    raw_report('W', "hc-chmod", file, 0, raw_path(UK_PATH_CHMOD, file, 0, 0777, 0), 0);
    raw_report('W', "hc-truncate", file, 0, raw_path(UK_PATH_TRUNCATE, file, 0, 0, 0), 0);
    raw_report('W', "hc-utimens", file, 0, raw_path(UK_PATH_UTIMENS, file, 0, 0, 0), 0);
    raw_report('W', "hc-utimens-nofollow", file, 0, raw_path(UK_PATH_UTIMENS, file, 0, 0, AT_SYMLINK_NOFOLLOW), 0);
    sprintf(path, "/%s", fresh("ln", name));
    raw_report('W', "hc-link-in", file, path, raw_path(UK_PATH_LINK, file, path, 0, 0), name);
    raw_report('W', "hc-link-out", "/inside.txt", file, raw_path(UK_PATH_LINK, "/inside.txt", file, 0, 0), 0);
    raw_report('W', "hc-symlink-at", "/inside.txt", file, raw_path(UK_PATH_SYMLINK, "/inside.txt", file, 0, 0), 0);
    sprintf(victim, "/%s", fresh("victim", name));
    raw_write("hc-victim", victim, O_WRONLY | O_CREAT | O_EXCL, 0); /* renamed next */
    raw_report('W', "hc-rename-onto", victim, file, raw_path(UK_PATH_RENAME, victim, file, 0, 0), 0);
    sprintf(victim, "/%s", fresh("victim", name));
    raw_write("hc-victim", victim, O_WRONLY | O_CREAT | O_EXCL, 0); /* renamed next */
    raw_report('W', "hc-rename-exchange", victim, file, raw_path(UK_PATH_RENAME, victim, file, 0, 2 /* RENAME_EXCHANGE */), 0);
    /* New names in the directory. */
    fresh("n", name); join(path, directory, "/"); strcat(path, name);
    raw_write("hc-creat", path, O_WRONLY | O_CREAT | O_EXCL, name);
    fresh("d", name); join(path, directory, "/"); strcat(path, name);
    raw_report('W', "hc-mkdir", path, 0, raw_path(UK_PATH_MKDIR, path, 0, 0755, 0), name);
    fresh("s", name); join(path, directory, "/"); strcat(path, name);
    raw_report('W', "hc-symlink-new", "/inside.txt", path, raw_path(UK_PATH_SYMLINK, "/inside.txt", path, 0, 0), name);
    fresh("h", name); join(path, directory, "/"); strcat(path, name);
    raw_report('W', "hc-link-new", "/inside.txt", path, raw_path(UK_PATH_LINK, "/inside.txt", path, 0, 0), name);
}

static void raw_remove(const char *path, int directory) {
    char name[64], stolen[80];
    sprintf(stolen, "/%s", fresh(directory ? "stolendir" : "stolen", name));
    raw_report('W', "hc-rename-out", path, stolen, raw_path(UK_PATH_RENAME, path, stolen, 0, 0), name);
    raw_report('W', directory ? "hc-rmdir" : "hc-unlink", path, 0,
               raw_path(directory ? UK_PATH_RMDIR : UK_PATH_UNLINK, path, 0, 0, 0), 0);
}

static int locate_image(void) {
    uk_boot_info info;
    volatile unsigned char *boot = (volatile unsigned char *)(uintptr_t)(UK_DIRECT_MAP_BASE + UK_BOOT_INFO_PHYS);
    for (size_t i = 0; i < sizeof info; i++) ((unsigned char *)&info)[i] = boot[i];
    if (info.magic != UK_BOOT_MAGIC) return -1;
    image_vaddr = info.app_image_vaddr;
    image_phys = info.app_image_phys;
    raw.block[100] = 0x5a;
    if (((volatile unsigned char *)(uintptr_t)(UK_DIRECT_MAP_BASE + phys_of(raw.block)))[100] != 0x5a) return -1;
    return 0;
}

/* ---- The attempts ------------------------------------------------------- */

#define MAX_PATHS 64
static char *bases[MAX_PATHS], *dirs[MAX_PATHS], *files[MAX_PATHS], *raw_files[MAX_PATHS], *raw_dirs[MAX_PATHS];
static int base_count, dir_count, file_count, raw_count;

static char *format(const char *pattern, const char *argument) {
    char *out = malloc(8192);
    snprintf(out, 8192, pattern, argument);
    return out;
}

/* "/" followed by `../` repeated up to exactly `length` bytes, then `tail`. */
static char *dotdot_chain(size_t length, const char *tail) {
    char *out = malloc(length + 1);
    size_t fill = length - strlen(tail);
    out[0] = '/';
    for (size_t i = 1; i < fill; i++) out[i] = "../"[(i - 1) % 3];
    if (out[fill - 1] != '/') out[fill - 1] = '/';
    memcpy(out + fill, tail, strlen(tail) + 1);
    return out;
}

static void attempts_main(void) {
    char fdpath[64], path[8192];
    root_fd = open("/", O_RDONLY | O_DIRECTORY);
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", root_fd);

    /* Paths that, unconfined, would name BASE (the directory holding the root and the canaries). */
    const char *base_patterns[] = {
        "..", "/..", "/../../../../../../../../../..", "//..//..//", "/./.././", "/up", "/up/../up",
        "/sub/../..", "/sub/deeper/../../..", "/dir-link/..", "/dir-rel-link/..", "/proc/self/cwd/..",
        "/proc/self/root%s", "%s", "/../../..%s", "/slash-link%s", "/updir-link%s", "/updir-link/..",
        "/..\n", "/\xff/..", "/..\xff", "/\x01..", "/.\x01./..",
    };
    for (size_t i = 0; i < sizeof base_patterns / sizeof *base_patterns; i++)
        bases[base_count++] = format(base_patterns[i], base);
    bases[base_count++] = format("%s/..", fdpath);
    bases[base_count++] = format("%s/../..", fdpath);
    /* Paths that, unconfined, would name BASE/canary-dir. */
    const char *dir_patterns[] = {
        "/dir-link", "/dir-rel-link", "../canary-dir", "/../canary-dir", "%s/canary-dir", "/slash-link%s/canary-dir",
        "/proc/self/root%s/canary-dir", "/up/canary-dir", "/dir-link/.", "/dir-link/", "/sub/../../canary-dir",
    };
    for (size_t i = 0; i < sizeof dir_patterns / sizeof *dir_patterns; i++)
        dirs[dir_count++] = format(dir_patterns[i], base);
    /* Paths that, unconfined, would name the canary file. */
    for (int i = 0; i < base_count; i++) files[file_count++] = format("%s/canary", bases[i]);
    for (int i = 0; i < dir_count; i++) files[file_count++] = format("%s/file", dirs[i]);
    files[file_count++] = "/abs-link";
    files[file_count++] = "/rel-link";
    files[file_count++] = "../canary\n";
    files[file_count++] = "/canary\xff";
    files[file_count++] = "/\x01/../canary";

    /* 1. Listings of what, unconfined, would be BASE or the canary directory. */
    for (int i = 0; i < base_count; i++) try_directory(bases[i]);
    for (int i = 0; i < dir_count; i++) try_directory(dirs[i]);

    /* 2. Reading and inspecting. */
    for (int i = 0; i < file_count; i++) { try_read(files[i]); try_inspect(files[i]); }
    try_read("/etc/passwd");
    try_read("/proc/self/root/etc/passwd");
    try_read("/slash-link/etc/passwd");
    try_read("/updir-link/etc/passwd");

    /* 3. Very long ".." chains: at PATH_MAX - 1 bytes (allowed) and past PATH_MAX. */
    size_t lengths[] = { 4000, 4095, 4096, 4097, 6000 };
    for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
        char *chain = dotdot_chain(lengths[i], "canary");
        try_read(chain);
        try_open_write(lengths[i] >= 4096 ? "open-trunc(over PATH_MAX)" : "open-trunc", chain, O_WRONLY | O_TRUNC, 0);
        char name[64];
        fresh("n", name);
        char *create = dotdot_chain(lengths[i], name);
        try_open_write(lengths[i] >= 4096 ? "creat-excl(over PATH_MAX)" : "creat-excl", create,
                       O_WRONLY | O_CREAT | O_EXCL, name);
        fresh("d", name);
        char *directory = dotdot_chain(lengths[i], name);
        long r = mkdir(directory, 0755);
        report('W', lengths[i] >= 4096 ? "mkdir(over PATH_MAX)" : "mkdir", directory, 0, r, errno, 0, r == 0 ? name : 0);
        free(chain); free(create); free(directory);
    }

    /* 4. Writing, linking, renaming onto the canary; creating beside it (and in the canary directory). */
    for (int i = 0; i < file_count; i++) try_write_existing(files[i]);
    for (int i = 0; i < base_count; i++) try_create(bases[i]);
    for (int i = 0; i < dir_count; i++) try_create(dirs[i]);
    /* Odd bytes in a created name (newline, 0xff, 0x01). */
    {
        char name[64], odd[96];
        fresh("o", name);
        snprintf(odd, sizeof odd, "/../%s\n\xff\x01", name);
        try_open_write("creat-odd", odd, O_WRONLY | O_CREAT | O_EXCL, name);
    }

    /* 5. Symlinks the guest makes, then opens through. */
    const char *targets[] = { "%s/canary", "../canary", "../../../../canary", "/proc/self/root%s/canary",
                              "/proc/self/cwd/../canary", "/proc/self/fd/3/../canary", "%s/canary-dir/file",
                              "../canary-dir/file", "/../../%s/canary" };
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
        char *target = format(targets[i], base), name[64], link_path[80];
        sprintf(link_path, "/%s", fresh("mk", name));
        long r = symlink(target, link_path);
        report('W', "symlink", target, link_path, r, errno, 0, r == 0 ? name : 0);
        try_read(link_path);
        try_open_write("open-trunc via own link", link_path, O_WRONLY | O_TRUNC, 0);
        /* O_CREAT through a dangling link creates its target beneath the root, if anything. */
        try_open_write("open-creat via own link", link_path, O_WRONLY | O_CREAT, 0);
        r = chmod(link_path, 0777);
        report('W', "chmod via own link", link_path, 0, r, errno, 0, 0);
        r = truncate(link_path, 0);
        report('W', "truncate via own link", link_path, 0, r, errno, 0, 0);
        free(target);
    }
    const char *dir_targets[] = { "%s/canary-dir", "../canary-dir", "/proc/self/root%s/canary-dir", "..", "/../..", "%s" };
    for (size_t i = 0; i < sizeof dir_targets / sizeof *dir_targets; i++) {
        char *target = format(dir_targets[i], base), name[64], link_path[80];
        sprintf(link_path, "/%s", fresh("mkdir", name));
        long r = symlink(target, link_path);
        report('W', "symlink", target, link_path, r, errno, 0, r == 0 ? name : 0);
        try_read(join(path, link_path, "/file"));
        try_read(join(path, link_path, "/canary"));
        try_write_existing(join(path, link_path, "/file"));
        try_create(link_path);
        try_directory(link_path);
        free(target);
    }

    /* 6. chdir("..") over and over, then create; fchdir to the root then "..". */
    {
        for (int i = 0; i < 64; i++) if (chdir("..") != 0) break;
        char cwd[4096] = "", name[64], detail[4200];
        if (!getcwd(cwd, sizeof cwd)) strcpy(cwd, "?");
        snprintf(detail, sizeof detail, "(cwd %s)", cwd);
        report('R', "chdir-up x64", "..", 0, 0, 0, detail, 0);
        try_read("canary");
        try_read("../canary");
        try_open_write("creat after chdir", fresh("c", name), O_WRONLY | O_CREAT | O_EXCL, name);
        long r = chdir("/sub/deeper");
        report('R', "chdir", "/sub/deeper", 0, r, errno, 0, 0);
        r = chdir("../../../..");
        report('R', "chdir", "../../../..", 0, r, errno, 0, 0);
        try_open_write("creat after chdir", fresh("c", name), O_WRONLY | O_CREAT | O_EXCL, name);
        r = chdir("/up");
        report('R', "chdir", "/up", 0, r, errno, 0, 0);
        try_read("canary");
        try_open_write("creat after chdir", fresh("c", name), O_WRONLY | O_CREAT | O_EXCL, name);
        r = chdir("/dir-link");
        report('R', "chdir", "/dir-link", 0, r, errno, 0, 0);
        try_read("file");
        r = fchdir(root_fd);
        report('R', "fchdir", "/", 0, r, errno, 0, 0);
        r = chdir("..");
        report('R', "chdir", "..", 0, r, errno, 0, 0);
        try_open_write("creat after fchdir", fresh("c", name), O_WRONLY | O_CREAT | O_EXCL, name);
        try_read(join(path, fdpath, "/../canary"));
        r = chdir("/");
    }

    /* 7. openat and friends with a directory descriptor, then "..". */
    {
        int sub = open("/sub/deeper", O_RDONLY | O_DIRECTORY), up = open("/up", O_RDONLY | O_DIRECTORY);
        int dirfds[] = { sub, root_fd, up };
        const char *dirnames[] = { "fd(/sub/deeper)", "fd(/)", "fd(/up)" };
        for (int d = 0; d < 3; d++) {
            int dfd = dirfds[d];
            const char *relatives[] = { "../../../canary", "../../../../../../canary", "..//../canary-dir/file" };
            for (int i = 0; i < 3; i++) {
                char label[256], name[64];
                snprintf(label, sizeof label, "%s + %s", dirnames[d], relatives[i]);
                int fd = openat(dfd, relatives[i], O_RDONLY);
                unsigned char bytes[64] = { 0 };
                long count = fd >= 0 ? read(fd, bytes, sizeof bytes) : -1;
                report('R', "openat-read", label, 0, fd, errno, 0, 0);
                if (fd >= 0) close(fd);
                if (outside_bytes(bytes, count)) escaped("openat-read", label, bytes, count);
                fd = openat(dfd, relatives[i], O_WRONLY | O_TRUNC);
                report('W', "openat-trunc", label, 0, fd, errno, 0, 0);
                if (fd >= 0) { if (write(fd, "PWNED", 5) < 0) {} close(fd); }
                long r = fchmodat(dfd, relatives[i], 0777, 0);
                report('W', "fchmodat", label, 0, r, errno, 0, 0);
                r = utimensat(dfd, relatives[i], 0, 0);
                report('W', "utimensat-at", label, 0, r, errno, 0, 0);
                r = linkat(dfd, relatives[i], root_fd, fresh("ln", name), 0);
                report('W', "linkat-in", label, name, r, errno, 0, r == 0 ? name : 0);
                r = linkat(dfd, relatives[i], root_fd, fresh("ln", name), AT_SYMLINK_FOLLOW);
                report('W', "linkat-in-follow", label, name, r, errno, 0, r == 0 ? name : 0);
                snprintf(label, sizeof label, "%s + ../../../../%s", dirnames[d], fresh("n", name));
                snprintf(path, sizeof path, "../../../../%s", name);
                fd = openat(dfd, path, O_WRONLY | O_CREAT | O_EXCL, 0644);
                report('W', "openat-creat", label, 0, fd, errno, 0, fd >= 0 ? name : 0);
                if (fd >= 0) close(fd);
                snprintf(path, sizeof path, "../../../../%s", fresh("d", name));
                r = mkdirat(dfd, path, 0755);
                report('W', "mkdirat", dirnames[d], path, r, errno, 0, r == 0 ? name : 0);
                snprintf(path, sizeof path, "../../../../%s", fresh("s", name));
                r = symlinkat("/inside.txt", dfd, path);
                report('W', "symlinkat", dirnames[d], path, r, errno, 0, r == 0 ? name : 0);
            }
            int parent = openat(dfd, "..", O_RDONLY | O_DIRECTORY);
            char label[128];
            snprintf(label, sizeof label, "%s + ..", dirnames[d]);
            report('R', "openat-dir", label, 0, parent, errno, 0, 0);
            if (parent >= 0) {
                int grand = openat(parent, "../..", O_RDONLY | O_DIRECTORY);
                int fd = grand >= 0 ? openat(grand, "canary", O_RDONLY) : -1;
                unsigned char bytes[64] = { 0 };
                long count = fd >= 0 ? read(fd, bytes, sizeof bytes) : -1;
                snprintf(label, sizeof label, "%s + .. + ../.. + canary", dirnames[d]);
                report('R', "openat-read", label, 0, fd, errno, 0, 0);
                if (outside_bytes(bytes, count)) escaped("openat-read", label, bytes, count);
                if (fd >= 0) close(fd);
                if (grand >= 0) close(grand);
                close(parent);
            }
        }
        /* Descriptor operations on a root file (allowed; EROFS under --read-only). */
        int fd = open("/inside.txt", O_RDONLY);
        long r = fchmod(fd, 0600);
        report('W', "fchmod", "/inside.txt", 0, r, errno, 0, 0);
        r = futimens(fd, 0);
        report('W', "futimens", "/inside.txt", 0, r, errno, 0, 0);
        close(fd);
        if (sub >= 0) close(sub);
        if (up >= 0) close(up);
    }

    /* 8. The same through raw hypercalls: the host sees "..", relative and odd paths as they are. */
    if (locate_image() != 0) {
        printf("raw hypercalls skipped: cannot locate the image in guest-physical memory\n");
    } else {
        const char *raw_patterns[] = {
            "../canary", "..", "../..", "/../canary", "../../../../../../canary", "/sub/../../canary",
            "/sub/deeper/../../../canary", "/up/canary", "/up/../canary", "/dir-link/../canary", "%s/canary",
            "/proc/self/root%s/canary", "/slash-link%s/canary", "/updir-link%s/canary", "/abs-link", "/rel-link",
            "/proc/self/fd/3/../canary", "/proc/self/cwd/../canary", "canary", "../canary-dir/file",
            "/dir-link/file", "/dir-rel-link/file", "..\n/canary", "/..\xff/../canary", "\x01/../../canary",
        };
        for (size_t i = 0; i < sizeof raw_patterns / sizeof *raw_patterns; i++)
            raw_files[raw_count++] = format(raw_patterns[i], base);
        const char *raw_dir_patterns[] = {
            "..", "../..", "/..", "/sub/../..", "/up", "%s", "/proc/self/root%s", "/dir-link", "../canary-dir",
        };
        for (size_t i = 0; i < sizeof raw_dir_patterns / sizeof *raw_dir_patterns; i++)
            raw_dirs[i] = format(raw_dir_patterns[i], base);
        for (int i = 0; i < raw_count; i++) raw_attempts(raw_files[i], raw_dirs[i % 9]);
        /* A ".." chain of PATH_MAX - 1 bytes straight to the host, and one byte more. */
        for (size_t length = 4094; length <= 4096; length++) {
            char name[64];
            char *chain = dotdot_chain(length, "canary");
            raw_read(chain);
            raw_write(length >= 4096 ? "hc-open-trunc(over PATH_MAX)" : "hc-open-trunc", chain, O_WRONLY | O_TRUNC, 0);
            char *create = dotdot_chain(length, fresh("n", name));
            raw_write(length >= 4096 ? "hc-creat(over PATH_MAX)" : "hc-creat", create, O_WRONLY | O_CREAT | O_EXCL, name);
            free(chain); free(create);
        }
        /* Final components the host must refuse for create/remove/rename: ".", "..", the root. */
        const char *finals[] = { "..", "/..", "../", "/../", "..//", "/sub/..", "/sub/../..", ".", "/.", "/", "//", "x/.." };
        for (size_t i = 0; i < sizeof finals / sizeof *finals; i++) {
            char name[64], target[80];
            raw_report('W', "hc-rmdir", finals[i], 0, raw_path(UK_PATH_RMDIR, finals[i], 0, 0, 0), 0);
            raw_report('W', "hc-unlink", finals[i], 0, raw_path(UK_PATH_UNLINK, finals[i], 0, 0, 0), 0);
            raw_report('W', "hc-mkdir", finals[i], 0, raw_path(UK_PATH_MKDIR, finals[i], 0, 0755, 0), 0);
            sprintf(target, "/%s", fresh("stolendir", name));
            raw_report('W', "hc-rename-out", finals[i], target, raw_path(UK_PATH_RENAME, finals[i], target, 0, 0), name);
            raw_report('W', "hc-symlink-at", "/inside.txt", finals[i], raw_path(UK_PATH_SYMLINK, "/inside.txt", finals[i], 0, 0), 0);
            raw_report('W', "hc-link-onto", "/inside.txt", finals[i], raw_path(UK_PATH_LINK, "/inside.txt", finals[i], 0, 0), 0);
            raw_report('W', "hc-rename-onto", "/sub/deeper", finals[i], raw_path(UK_PATH_RENAME, "/sub/deeper", finals[i], 0, 0), 0);
        }
    }

    /* 9. Removals and renames out of the root, last. */
    for (int i = 0; i < file_count; i++) try_remove(files[i], 0);
    for (int i = 0; i < dir_count; i++) { try_remove(join(path, dirs[i], "/file"), 0); try_remove(dirs[i], 1); }
    for (int i = 0; i < base_count; i++) try_remove(join(path, bases[i], "/canary-dir"), 1);
    for (int i = 0; i < raw_count; i++) raw_remove(raw_files[i], 0);
    for (int i = 0; i < 9; i++) raw_remove(raw_dirs[i], 1);

    printf("escape_attempts: %u attempts, %u ok (inside the root), %u escapes\n", attempts, successes, escapes);
}

/* ---- The symlink race ---------------------------------------------------- */

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void race_main(double seconds) {
    unsigned long opened = 0, written = 0, missing = 0, other = 0;
    int last_other = 0;
    printf("race: start\n");
    fflush(stdout);
    double end = now() + seconds;
    while (now() < end) {
        int fd = open("/race", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
            if (errno == ENOENT) missing++; else { other++; last_other = errno; }
            continue;
        }
        opened++;
        if (write(fd, "PWNED", 5) == 5) written++;
        close(fd);
    }
    printf("race: %lu opened, %lu written, %lu ENOENT, %lu other (last %s)\n", opened, written, missing, other,
           other ? errname(last_other) : "-");
    printf("race: done\n");
}

int main(int argc, char **argv) {
    setvbuf(stdout, 0, _IOLBF, 0);
    if (argc == 3 && strcmp(argv[1], "attempts") == 0) {
        base = argv[2];
        attempts_main();
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "race") == 0) {
        race_main(strtod(argv[2], 0));
        return 0;
    }
    fprintf(stderr, "usage: escape_attempts attempts BASE | race SECONDS\n");
    return 2;
}
