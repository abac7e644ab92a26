// Checks a program that loads a plugin it ships (`plugin_greeter`, placed at
// plugins/libgreeter.so in the working directory) with dlopen, as Linux runs it: the library is
// found by its relative path in the guest's file system, its constructor runs, its relocated data
// and a call back into the program work, its thread-local variable has one copy per thread
// (dynamic TLS), dlsym/dladdr/dl_iterate_phdr know it, /proc/self/maps names its file with an
// executable segment, a second dlopen returns the same handle, a missing symbol is an error,
// dlclose runs the destructor where the C library unloads (glibc; musl never unloads, so
// there it runs at exit), and /proc/self/exe opens the program itself.
// conformance-libcs: musl glibc
// conformance-link: dynamic
// conformance-ldflags: -ldl -rdynamic -pthread
// conformance-programs: plugin_greeter=plugins/libgreeter.so
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const pluginPath = "./plugins/libgreeter.so";
static int counter;

/// Called by the plugin (exported with -rdynamic).
int host_counter(void) { return ++counter; }

static int endsWith(const char *text, const char *suffix) {
    size_t length = strlen(text), tail = strlen(suffix);
    return length >= tail && strcmp(text + length - tail, suffix) == 0;
}

static int listed;
static int findPlugin(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size; (void)data;
    if (info->dlpi_name && endsWith(info->dlpi_name, "plugins/libgreeter.so")) {
        int loadable = 0;
        for (int i = 0; i < info->dlpi_phnum; i++) loadable += info->dlpi_phdr[i].p_type == PT_LOAD;
        listed = loadable;
    }
    return 0;
}

static void *threadBody(void *argument) {
    int (*bump)(void) = (int (*)(void))argument;
    return (void *)(long)bump();
}

/// Whether /proc/self/maps names the plugin's file, and on an executable mapping.
static void checkMaps(void) {
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps) { printf("maps: cannot open\n"); return; }
    char line[512];
    int named = 0, executable = 0;
    while (fgets(line, sizeof line, maps)) {
        line[strcspn(line, "\n")] = 0;
        if (!endsWith(line, "/plugins/libgreeter.so")) continue;
        named++;
        char permissions[5] = {0};
        if (sscanf(line, "%*x-%*x %4s", permissions) == 1 && permissions[2] == 'x') executable = 1;
    }
    fclose(maps);
    printf("maps: plugin named %s, executable segment %s\n", named ? "yes" : "no", executable ? "yes" : "no");
}

static void checkExe(void) {
    char link[4096];
    ssize_t length = readlink("/proc/self/exe", link, sizeof link - 1);
    if (length < 0) { printf("/proc/self/exe: readlink failed\n"); return; }
    link[length] = 0;
    const char *base = strrchr(link, '/');
    printf("/proc/self/exe: names %s\n", base ? base + 1 : link);
    int fd = open("/proc/self/exe", O_RDONLY);
    if (fd < 0) { printf("/proc/self/exe: open failed\n"); return; }
    unsigned char magic[4] = {0};
    ssize_t got = read(fd, magic, sizeof magic);
    printf("/proc/self/exe: opens an ELF file: %s\n", got == 4 && memcmp(magic, "\177ELF", 4) == 0 ? "yes" : "no");
    close(fd);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    void *plugin = dlopen(pluginPath, RTLD_NOW | RTLD_LOCAL);
    if (!plugin) { printf("dlopen failed: %s\n", dlerror()); return 1; }
    printf("dlopen %s: loaded\n", pluginPath);

    int (*greet)(int, const char *, char *, size_t) =
        (int (*)(int, const char *, char *, size_t))dlsym(plugin, "plugin_greet");
    int (*loads)(void) = (int (*)(void))dlsym(plugin, "plugin_loads");
    int (*bump)(void) = (int (*)(void))dlsym(plugin, "plugin_tls_bump");
    if (!greet || !loads || !bump) { printf("dlsym failed\n"); return 1; }
    char text[64];
    for (int language = 0; language < 3; language++) {
        greet(language, "world", text, sizeof text);
        printf("greet: %s\n", text);
    }
    printf("greet of an unknown language: %d\n", greet(7, "world", text, sizeof text));
    printf("constructor count: %d\n", loads());

    int first = bump(), second = bump();
    pthread_t thread;
    void *fromThread = NULL;
    pthread_create(&thread, NULL, threadBody, (void *)bump);
    pthread_join(thread, &fromThread);
    printf("thread-local: main %d then %d, another thread %ld\n", first, second, (long)fromThread);

    Dl_info info;
    if (dladdr((void *)greet, &info) && info.dli_fname)
        printf("dladdr: file ends with plugins/libgreeter.so: %s, symbol %s\n",
               endsWith(info.dli_fname, "plugins/libgreeter.so") ? "yes" : "no",
               info.dli_sname ? info.dli_sname : "(none)");
    else
        printf("dladdr: failed\n");
    dl_iterate_phdr(findPlugin, NULL);
    printf("dl_iterate_phdr: plugin listed with %s loadable segments\n", listed > 0 ? "its" : "no");
    checkMaps();

    void *again = dlopen(pluginPath, RTLD_NOW | RTLD_NOLOAD);
    printf("second dlopen: same handle %s\n", again == plugin ? "yes" : "no");
    if (again) dlclose(again);
    dlerror();
    void *missing = dlsym(plugin, "plugin_absent");
    const char *error = dlerror();
    printf("dlsym of a missing symbol: %s, error message %s\n", missing ? "found" : "null", error ? "set" : "unset");
    checkExe();

    printf("dlclose: %d\n", dlclose(plugin));
    printf("main returns\n");
    return 0;
}
