// Checks dynamically linked programs (the compiler's default link, PT_INTERP) as Linux runs
// them: the guest gets the host's interpreter and libraries (`--system`), the interpreter finds
// the program through auxv (AT_PHDR, AT_ENTRY, and AT_BASE, its own base), arguments arrive, a
// symbol of the program (linked -rdynamic) and of the C library resolve through dlsym, a library the program was not linked with is loaded with
// dlopen from the guest's file system and called (glibc: libm.so.6's cos; musl: its libc.so,
// which is the interpreter itself), a missing library fails with an error message, and the
// exit status is the program's.
// conformance-libcs: musl glibc
// conformance-link: dynamic
// conformance-ldflags: -ldl -rdynamic
// conformance-args: first second
// conformance-exit: 7
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

static const char *yesno(int b) { return b ? "yes" : "no"; }

int main(int argc, char **argv) {
    printf("argc %d, argv[1] %s, argv[2] %s\n", argc, argc > 1 ? argv[1] : "-", argc > 2 ? argv[2] : "-");
    unsigned long base = getauxval(AT_BASE), entry = getauxval(AT_ENTRY), phdr = getauxval(AT_PHDR);
    printf("AT_BASE set %s, AT_ENTRY is _start's page %s, AT_PHDR set %s\n", yesno(base != 0),
           yesno(entry != 0), yesno(phdr != 0));

    void *self = dlopen(NULL, RTLD_NOW);
    printf("dlopen(NULL): %s; dlsym(main) is main: %s; dlsym(printf): %s\n", yesno(self != NULL),
           yesno(self && dlsym(self, "main") == (void *)main), yesno(self && dlsym(self, "printf") != NULL));
#ifdef __GLIBC__
    const char *library = "libm.so.6";
#else
    const char *library = "libc.so";
#endif
    void *lib = dlopen(library, RTLD_NOW);
    if (!lib) printf("dlopen of a library: failed (%s)\n", dlerror());
    else {
#ifdef __GLIBC__
        double (*cosine)(double) = (double (*)(double))dlsym(lib, "cos");
        printf("dlopen of a library: loaded; cos(0) = %.1f\n", cosine ? cosine(0.0) : -1.0);
#else
        size_t (*length)(const char *) = (size_t (*)(const char *))dlsym(lib, "strlen");
        printf("dlopen of a library: loaded; strlen(\"four\") = %zu\n", length ? length("four") : (size_t)-1);
#endif
        dlclose(lib);
    }
    void *missing = dlopen("libdoes-not-exist.so.9", RTLD_NOW);
    printf("dlopen of a missing library: %s, error message %s\n", missing ? "loaded" : "failed",
           yesno(!missing && dlerror() != NULL));
    fflush(stdout);
    return 7;
}
