// Checks extended attributes on a file of the working directory, as GNU ls, cp -a and tar use
// them: setxattr of a user.* name, getxattr's size query and value, listxattr (size query and
// names), XATTR_CREATE on an existing name (EEXIST) and XATTR_REPLACE on a missing one
// (ENODATA), fgetxattr/flistxattr on an open descriptor, removexattr then ENODATA, lgetxattr
// and llistxattr on a symbolic link itself, a missing file (ENOENT), and an empty or over-long
// name (ERANGE). Where the file system has no user attributes the errors match instead.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *errname(long r) {
    if (r >= 0) return "ok";
    switch (errno) {
    case ENODATA: return "ENODATA";
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    case ERANGE: return "ERANGE";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EPERM: return "EPERM";
    default: return "other";
    }
}

int main(void) {
    int fd = open("attr.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "data\n", 5);
    long r = setxattr("attr.txt", "user.fixture", "value-1", 7, 0);
    printf("setxattr user.fixture: %s\n", errname(r));
    char value[64] = "";
    r = getxattr("attr.txt", "user.fixture", NULL, 0);
    printf("getxattr size query: %ld %s\n", r, errname(r));
    r = getxattr("attr.txt", "user.fixture", value, sizeof value);
    printf("getxattr: %ld %s \"%.*s\"\n", r, errname(r), r > 0 ? (int)r : 0, value);
    r = getxattr("attr.txt", "user.fixture", value, 3);
    printf("getxattr into 3 bytes: %s\n", errname(r));

    char names[256];
    memset(names, 0, sizeof names);
    long size = listxattr("attr.txt", NULL, 0);
    long listed = listxattr("attr.txt", names, sizeof names);
    int found = 0;
    for (long i = 0; listed > 0 && i < listed; i += (long)strlen(names + i) + 1)
        if (!strcmp(names + i, "user.fixture")) found = 1;
    printf("listxattr: size query %s, list %s, holds user.fixture %s\n", size >= 13 ? "fits" : errname(size),
           listed == size ? "same size" : errname(listed), found ? "yes" : "no");

    r = setxattr("attr.txt", "user.fixture", "x", 1, XATTR_CREATE);
    printf("XATTR_CREATE on an existing name: %s\n", errname(r));
    r = setxattr("attr.txt", "user.missing", "x", 1, XATTR_REPLACE);
    printf("XATTR_REPLACE on a missing name: %s\n", errname(r));
    r = setxattr("attr.txt", "user.empty", "", 0, 0);
    printf("setxattr of an empty value: %s, getxattr %ld\n", errname(r), getxattr("attr.txt", "user.empty", value, sizeof value));

    r = fgetxattr(fd, "user.fixture", value, sizeof value);
    printf("fgetxattr: %ld %s\n", r, errname(r));
    r = flistxattr(fd, names, sizeof names);
    printf("flistxattr: same as listxattr %s\n", r == listxattr("attr.txt", NULL, 0) ? "yes" : "no");

    r = removexattr("attr.txt", "user.fixture");
    printf("removexattr: %s\n", errname(r));
    r = getxattr("attr.txt", "user.fixture", value, sizeof value);
    printf("getxattr after removal: %s\n", errname(r));

    symlink("attr.txt", "attr-link");
    r = lgetxattr("attr-link", "user.empty", value, sizeof value);
    printf("lgetxattr on a link: %s\n", errname(r));
    r = llistxattr("attr-link", names, sizeof names);
    printf("llistxattr on a link: %ld %s\n", r, errname(r));
    r = getxattr("attr-link", "user.empty", value, sizeof value);
    printf("getxattr through a link: %ld %s\n", r, errname(r));

    r = getxattr("missing.txt", "user.fixture", value, sizeof value);
    printf("getxattr of a missing file: %s\n", errname(r));
    r = getxattr("attr.txt", "", value, sizeof value);
    printf("empty name: %s\n", errname(r));
    char longname[300];
    memset(longname, 'a', sizeof longname);
    memcpy(longname, "user.", 5);
    longname[299] = 0;
    r = getxattr("attr.txt", longname, value, sizeof value);
    printf("300-byte name: %s\n", errname(r));
    close(fd);
    return 0;
}
