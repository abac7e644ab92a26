// Checks what programs read of /proc and /dev/fd, against the process's own state: the
// /proc/self link, status (Name, State, Tgid/Pid/PPid, Uid/Gid, Threads, SigBlk/SigIgn/SigCgt
// after the mask and dispositions change), stat (52 fields: pid, comm, state, ppid), statm,
// maps (the stack's, an anonymous mapping's and its mprotect'ed half's lines, Linux's column
// layout), cmdline and environ (the argument and environment strings), auxv (AT_PAGESZ,
// AT_ENTRY), limits (the header and the open-files row after setrlimit), comm, the fd directory
// and its links (a file by name, a pipe as pipe:[N], /dev/stdin -> /proc/self/fd/0), opening
// /dev/fd/N and /proc/self/fd/N (a new offset for a file), fdinfo, cwd, cpuinfo's processors
// against sysconf, meminfo's and uptime's formats, sys/kernel/ostype, osrelease and hostname
// against uname, and a chdir into /proc/self.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

static char buffer[65536];

/* The whole file, NUL-terminated (binary files keep their length in *length). */
static const char *slurp(const char *path, size_t *length) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { printf("open %s: errno %d\n", path, errno); *length = 0; buffer[0] = 0; return buffer; }
    size_t total = 0;
    for (int i = 0; i < 1000 && total < sizeof buffer - 1; i++) {
        ssize_t n = read(fd, buffer + total, sizeof buffer - 1 - total);
        if (n <= 0) break;
        total += (size_t)n;
    }
    close(fd);
    buffer[total] = 0;
    if (length) *length = total;
    return buffer;
}

/* The value after "Key:\t" in a status-like text, up to the end of its line. */
static const char *field(const char *text, const char *key, char *out, size_t size) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\n%s:\t", key);
    const char *at = strstr(text, pattern);
    if (!at && strncmp(text, pattern + 1, strlen(pattern + 1)) == 0) at = text - 1;
    if (!at) { snprintf(out, size, "(missing)"); return out; }
    at += strlen(pattern);
    size_t n = strcspn(at, "\n");
    if (n >= size) n = size - 1;
    memcpy(out, at, n);
    out[n] = 0;
    return out;
}

static const char *yesno(int condition) { return condition ? "yes" : "no"; }

static void on_signal(int signal) { (void)signal; }

int main(int argc, char **argv) {
    char value[256], expected[256], link[4096];
    size_t length;
    pid_t pid = getpid();

    ssize_t n = readlink("/proc/self", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    snprintf(expected, sizeof expected, "%d", pid);
    printf("/proc/self -> pid: %s\n", yesno(strcmp(link, expected) == 0));
    n = readlink("/proc/self/exe", link, sizeof link - 1);
    printf("exe link absolute: %s\n", yesno(n > 0 && link[0] == '/'));

    // status, after blocking SIGUSR1, ignoring SIGPIPE and catching SIGUSR2
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGUSR2, on_signal);
    const char *status = slurp("/proc/self/status", &length);
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    printf("status Name is the program: %s\n", yesno(strncmp(field(status, "Name", value, sizeof value), name, 15) == 0));
    printf("status State: %s\n", field(status, "State", value, sizeof value));
    printf("status Tgid: %s\n", yesno(atoi(field(status, "Tgid", value, sizeof value)) == pid));
    printf("status Pid: %s\n", yesno(atoi(field(status, "Pid", value, sizeof value)) == pid));
    printf("status PPid: %s\n", yesno(atoi(field(status, "PPid", value, sizeof value)) == getppid()));
    snprintf(expected, sizeof expected, "%d\t%d\t%d\t%d", getuid(), geteuid(), geteuid(), geteuid());
    printf("status Uid: %s\n", yesno(strcmp(field(status, "Uid", value, sizeof value), expected) == 0));
    snprintf(expected, sizeof expected, "%d\t%d\t%d\t%d", getgid(), getegid(), getegid(), getegid());
    printf("status Gid: %s\n", yesno(strcmp(field(status, "Gid", value, sizeof value), expected) == 0));
    printf("status Threads: %s\n", field(status, "Threads", value, sizeof value));
    printf("status SigBlk: %s\n", field(status, "SigBlk", value, sizeof value));
    // Signals 32 and 33 are left out: a runner linked with glibc cannot see whether its caller
    // ignored them (glibc sets its own handlers for them before main).
    printf("status SigIgn (1-31): %08llx\n", strtoull(field(status, "SigIgn", value, sizeof value), NULL, 16) & 0x7fffffffull);
    printf("status SigCgt has SIGUSR2: %s\n", yesno(strtoull(field(status, "SigCgt", value, sizeof value), NULL, 16) & (1ull << (SIGUSR2 - 1))));
    printf("status Umask: %s\n", field(status, "Umask", value, sizeof value));
    const char *keys[] = {"FDSize", "VmSize", "VmRSS", "VmStk", "SigPnd", "ShdPnd", "CapEff", "Cpus_allowed_list",
                          "voluntary_ctxt_switches"};
    for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++)
        printf("status has %s: %s\n", keys[i], yesno(strcmp(field(status, keys[i], value, sizeof value), "(missing)") != 0));
    field(status, "VmSize", value, sizeof value);
    printf("status VmSize ends in kB: %s\n", yesno(strlen(value) > 3 && strcmp(value + strlen(value) - 3, " kB") == 0));

    // stat: 52 fields after "pid (comm) "
    const char *stat_text = slurp("/proc/self/stat", &length);
    int stat_pid = atoi(stat_text);
    const char *close_paren = strrchr(stat_text, ')');
    int fields = 2;
    char state = close_paren ? close_paren[2] : '?';
    for (const char *p = close_paren ? close_paren + 1 : stat_text; *p && *p != '\n'; p++)
        if (*p == ' ') fields++;
    int stat_ppid = close_paren ? atoi(close_paren + 4) : -1;
    printf("stat pid %s, state %c, ppid %s, fields %d\n", yesno(stat_pid == pid), state, yesno(stat_ppid == getppid()), fields);
    char comm[64] = "";
    const char *open_paren = strchr(stat_text, '(');
    if (open_paren && close_paren) snprintf(comm, sizeof comm, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
    printf("stat comm is the program: %s\n", yesno(strncmp(comm, name, 15) == 0));
    slurp("/proc/self/comm", &length);
    size_t comm_length = strlen(name) < 15 ? strlen(name) : 15;
    printf("comm: %s\n", yesno(length == comm_length + 1 && strncmp(buffer, name, comm_length) == 0 && buffer[comm_length] == '\n'));

    // statm: 7 numbers
    slurp("/proc/self/statm", &length);
    unsigned long sizes[7];
    int count = sscanf(buffer, "%lu %lu %lu %lu %lu %lu %lu", &sizes[0], &sizes[1], &sizes[2], &sizes[3], &sizes[4], &sizes[5], &sizes[6]);
    printf("statm fields %d, size > resident > 0: %s\n", count, yesno(count == 7 && sizes[0] >= sizes[1] && sizes[1] > 0));

    // maps
    char *anon = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(anon + 4096, 4096, PROT_READ);
    const char *maps = slurp("/proc/self/maps", &length);
    int local = 0;
    int stack_ok = 0, anon_rw = 0, anon_ro = 0, exe_line = 0, columns_ok = 1;
    for (const char *line = maps; *line;) {
        const char *end = strchr(line, '\n');
        if (!end) break;
        unsigned long start, stop;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &start, &stop, perms) == 3) {
            int len = (int)(end - line);
            if (len > 73 && line[72] != ' ') columns_ok = 0;
            if ((unsigned long)&local >= start && (unsigned long)&local < stop) stack_ok = len > 73 && strncmp(line + 73, "[stack]", 7) == 0;
            if (start == (unsigned long)anon && strncmp(perms, "rw-p", 4) == 0) anon_rw = strncmp(line + strlen(line) - strlen(line), line, 0) == 0 && len < 73 && line[len - 1] == ' ';
            if (start == (unsigned long)anon + 4096 && strncmp(perms, "r--p", 4) == 0) anon_ro = 1;
            if ((unsigned long)main >= start && (unsigned long)main < stop) exe_line = perms[2] == 'x' && len > 73 && line[73] == '/';
        }
        line = end + 1;
    }
    printf("maps: stack line %s, anonymous rw %s, mprotected half %s, code line names a file %s, columns %s\n",
           yesno(stack_ok), yesno(anon_rw), yesno(anon_ro), yesno(exe_line), yesno(columns_ok));
    munmap(anon, 8192);

    // cmdline and environ
    slurp("/proc/self/cmdline", &length);
    size_t offset = 0;
    int args_ok = 1;
    for (int i = 0; i < argc; i++) {
        if (offset >= length || strcmp(buffer + offset, argv[i]) != 0) args_ok = 0;
        offset += strlen(argv[i]) + 1;
    }
    printf("cmdline matches argv: %s (%s)\n", yesno(args_ok && offset == length), yesno(length > 0));
    slurp("/proc/self/environ", &length);
    offset = 0;
    int env_ok = 1, env_count = 0;
    for (char **e = environ; *e; e++, env_count++) {
        if (offset >= length || strcmp(buffer + offset, *e) != 0) env_ok = 0;
        offset += strlen(*e) + 1;
    }
    printf("environ matches environ: %s\n", yesno(env_ok && offset == length));

    // auxv
    slurp("/proc/self/auxv", &length);
    unsigned long *aux = (unsigned long *)buffer;
    int pagesz = 0, entry = 0, ends = 0;
    for (size_t i = 0; i + 1 < length / sizeof(unsigned long); i += 2) {
        if (aux[i] == AT_PAGESZ) pagesz = aux[i + 1] == 4096;
        if (aux[i] == AT_ENTRY) entry = aux[i + 1] == getauxval(AT_ENTRY);
        if (aux[i] == AT_NULL) { ends = i + 2 == length / sizeof(unsigned long); break; }
    }
    printf("auxv: AT_PAGESZ %s, AT_ENTRY %s, ends with AT_NULL %s\n", yesno(pagesz), yesno(entry), yesno(ends));

    // limits after lowering RLIMIT_NOFILE
    struct rlimit limit = {200, 300};
    setrlimit(RLIMIT_NOFILE, &limit);
    const char *limits = slurp("/proc/self/limits", &length);
    printf("limits header: %.*s|\n", (int)strcspn(limits, "\n"), limits);
    const char *row = strstr(limits, "Max open files");
    printf("limits open files: %.*s|\n", row ? (int)strcspn(row, "\n") : 0, row ? row : "");
    row = strstr(limits, "Max stack size");
    printf("limits stack row length: %d\n", row ? (int)strcspn(row, "\n") : 0);

    // descriptors
    int file = open("proc_data.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(file, "hello, proc\n", 12);
    int pipes[2];
    pipe(pipes);
    snprintf(value, sizeof value, "/proc/self/fd/%d", file);
    n = readlink(value, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    char *real = realpath("proc_data.txt", NULL);
    printf("fd link of a file is its path: %s\n", yesno(real && strcmp(link, real) == 0));
    free(real);
    snprintf(value, sizeof value, "/proc/self/fd/%d", pipes[0]);
    n = readlink(value, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("fd link of a pipe: %.6s…]: %s\n", link, yesno(strncmp(link, "pipe:[", 6) == 0 && link[n - 1] == ']'));
    n = readlink("/dev/stdin", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("/dev/stdin -> %s\n", link);
    n = readlink("/dev/fd", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("/dev/fd -> %s\n", link);
    DIR *dir = opendir("/proc/self/fd");
    int listed_file = 0, listed_pipe = 0, dots = 0, others = 0;
    for (struct dirent *d; dir && (d = readdir(dir));) {
        if (d->d_name[0] == '.') { dots++; continue; }
        int fd = atoi(d->d_name);
        if (fd == file) listed_file = d->d_type == DT_LNK;
        else if (fd == pipes[0]) listed_pipe = 1;
        else others++;
    }
    if (dir) closedir(dir);
    printf("fd directory lists the file %s and the pipe %s\n", yesno(listed_file), yesno(listed_pipe));
    snprintf(value, sizeof value, "/dev/fd/%d", file);
    int again = open(value, O_RDONLY);
    char text[32] = "";
    n = again >= 0 ? read(again, text, sizeof text - 1) : -1;
    text[n > 0 ? n : 0] = 0;
    printf("/dev/fd/N reopens from offset 0: %s", n > 0 ? text : "(nothing)\n");
    printf("the original offset stays: %ld\n", (long)lseek(file, 0, SEEK_CUR));
    snprintf(value, sizeof value, "/proc/self/fdinfo/%d", file);
    const char *info = slurp(value, &length);
    printf("fdinfo: %.*s|\n", (int)strcspn(info, "\n"), info);
    printf("fdinfo has flags/ino: %s\n", yesno(strstr(info, "\nflags:\t") && strstr(info, "\nino:\t")));
    struct stat st_link, st_target;
    snprintf(value, sizeof value, "/proc/self/fd/%d", file);
    printf("stat follows fd link: %s, lstat is a link: %s\n",
           yesno(stat(value, &st_target) == 0 && S_ISREG(st_target.st_mode) && st_target.st_size == 12),
           yesno(lstat(value, &st_link) == 0 && S_ISLNK(st_link.st_mode)));
    write(pipes[1], "via pipe", 8);
    snprintf(value, sizeof value, "/proc/self/fd/%d", pipes[0]);
    int pipe_again = open(value, O_RDONLY);
    n = pipe_again >= 0 ? read(pipe_again, text, 8) : -1;
    printf("pipe reopened through /proc: %.*s\n", n > 0 ? (int)n : 0, text);

    // cwd
    char cwd[4096];
    getcwd(cwd, sizeof cwd);
    n = readlink("/proc/self/cwd", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("cwd link is getcwd: %s\n", yesno(strcmp(link, cwd) == 0));

    // system-wide files
    const char *cpuinfo = slurp("/proc/cpuinfo", &length);
    int processors = 0;
    for (const char *p = cpuinfo; (p = strstr(p, "processor\t:")); p++) processors++;
    printf("cpuinfo processors = online CPUs: %s\n", yesno(processors == sysconf(_SC_NPROCESSORS_ONLN)));
    printf("cpuinfo has model name and flags: %s\n", yesno(strstr(cpuinfo, "\nmodel name\t:") && strstr(cpuinfo, "\nflags\t\t:")));
    const char *meminfo = slurp("/proc/meminfo", &length);
    unsigned long total = 0;
    char unit[8] = "";
    printf("meminfo first line format: %s\n", yesno(sscanf(meminfo, "MemTotal: %lu %7s", &total, unit) == 2 && strcmp(unit, "kB") == 0 && total > 0 && meminfo[strcspn(meminfo, "\n") - 3] == ' '));
    printf("meminfo has MemAvailable: %s\n", yesno(strstr(meminfo, "\nMemAvailable:") != NULL));
    slurp("/proc/uptime", &length);
    double up = 0, idle = 0;
    printf("uptime: two numbers %s\n", yesno(sscanf(buffer, "%lf %lf", &up, &idle) == 2 && up >= 0 && idle >= 0 && buffer[length - 1] == '\n'));
    slurp("/proc/loadavg", &length);
    double load[3];
    printf("loadavg: three loads %s\n", yesno(sscanf(buffer, "%lf %lf %lf", &load[0], &load[1], &load[2]) == 3));
    struct utsname uts;
    uname(&uts);
    slurp("/proc/sys/kernel/ostype", &length);
    printf("ostype: %s", buffer);
    slurp("/proc/sys/kernel/osrelease", &length);
    buffer[strcspn(buffer, "\n")] = 0;
    printf("osrelease is uname's: %s\n", yesno(strcmp(buffer, uts.release) == 0));
    slurp("/proc/sys/kernel/hostname", &length);
    buffer[strcspn(buffer, "\n")] = 0;
    printf("hostname is uname's: %s\n", yesno(strcmp(buffer, uts.nodename) == 0));
    slurp("/proc/sys/kernel/random/boot_id", &length);
    printf("boot_id is a UUID line: %s\n", yesno(length == 37 && buffer[8] == '-' && buffer[36] == '\n'));
    slurp("/proc/version", &length);
    printf("version starts with Linux version: %s\n", yesno(strncmp(buffer, "Linux version ", 14) == 0));
    struct stat st;
    printf("/proc is a directory: %s, /proc/self/status is a regular file: %s\n",
           yesno(stat("/proc", &st) == 0 && S_ISDIR(st.st_mode)),
           yesno(stat("/proc/self/status", &st) == 0 && S_ISREG(st.st_mode)));
    errno = 0;
    printf("missing /proc file: %s\n", open("/proc/self/no-such-file", O_RDONLY) < 0 && errno == ENOENT ? "ENOENT" : "other");
    errno = 0;
    printf("write-open of status: %s\n", open("/proc/self/status", O_WRONLY) < 0 ? "refused" : "allowed");

    // chdir into /proc/self
    if (chdir("/proc/self") == 0) {
        getcwd(cwd, sizeof cwd);
        snprintf(expected, sizeof expected, "/proc/%d", pid);
        printf("chdir /proc/self: getcwd %s, relative open %s\n", yesno(strcmp(cwd, expected) == 0),
               yesno(access("status", R_OK) == 0));
    }
    return 0;
}
