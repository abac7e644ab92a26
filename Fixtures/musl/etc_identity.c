// Checks the user and group databases and the loopback host names a program reads from /etc:
// getpwuid/getpwnam for root and for the running user, getgrgid/getgrnam for their groups, an
// unknown id (NULL), and /etc/hosts naming localhost at 127.0.0.1. When the guest's root has no
// /etc of its own, the runner generates these files from the host's own entries.
// musl only: a static glibc program needs the dynamic NSS modules for these calls (natively too).
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void user(const char *label, struct passwd *entry) {
    if (!entry) { printf("%s: none\n", label); return; }
    printf("%s: name %s uid %u gid %u dir %s shell %s\n", label, entry->pw_name, (unsigned)entry->pw_uid,
           (unsigned)entry->pw_gid, entry->pw_dir, entry->pw_shell);
}

static void group(const char *label, struct group *entry) {
    if (!entry) { printf("%s: none\n", label); return; }
    printf("%s: name %s gid %u\n", label, entry->gr_name, (unsigned)entry->gr_gid);
}

int main(void) {
    user("uid 0", getpwuid(0));
    user("getuid", getpwuid(getuid()));
    user("name root", getpwnam("root"));
    user("unknown uid", getpwuid(54321));
    group("gid 0", getgrgid(0));
    group("getgid", getgrgid(getgid()));
    group("name root", getgrnam("root"));
    group("unknown gid", getgrgid(54321));
    FILE *hosts = fopen("/etc/hosts", "r");
    int localhost = 0;
    char line[512];
    while (hosts && fgets(line, sizeof line, hosts)) {
        char address[64], name[256];
        if (line[0] != '#' && sscanf(line, "%63s %255s", address, name) == 2 && strcmp(name, "localhost") == 0 &&
            strcmp(address, "127.0.0.1") == 0)
            localhost = 1;
    }
    if (hosts) fclose(hosts);
    printf("/etc/hosts names localhost at 127.0.0.1: %s\n", localhost ? "yes" : "no");
    return 0;
}
