// Checks argc/argv and the environment: every argument (empty ones and ones with
// spaces included), environ in order, getenv hits and misses, setenv/unsetenv.
// conformance-args: alpha "two words" '' "tab\there" last
// conformance-env: HOME=/home/nobody
// conformance-env: LANG=C
// conformance-env: EMPTY=
// conformance-env: WITH_EQUALS=a=b=c
// conformance-libcs: musl glibc
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    printf("argv[0] is absolute: %s\n", argv[0][0] == '/' ? "yes" : "no");
    for (int i = 1; i < argc; i++) printf("argv[%d]=[%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
    printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
    for (char **e = environ; *e; e++) printf("env: %s\n", *e);
    printf("getenv(HOME)=%s\n", getenv("HOME"));
    printf("getenv(EMPTY)=[%s]\n", getenv("EMPTY"));
    printf("getenv(WITH_EQUALS)=%s\n", getenv("WITH_EQUALS"));
    printf("getenv(MISSING)=%s\n", getenv("MISSING") ? "set" : "(null)");
    setenv("ADDED", "new value", 1);
    unsetenv("LANG");
    printf("after setenv/unsetenv: ADDED=%s LANG=%s\n", getenv("ADDED"), getenv("LANG") ? "set" : "(null)");
    return 0;
}
