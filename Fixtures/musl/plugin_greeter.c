// A plugin that `dlopen_plugin` ships next to itself and loads with dlopen: a shared library
// with a constructor and a destructor, initialised data with relocated pointers, a thread-local
// variable (dynamic TLS, reached through __tls_get_addr), and a call back into the program
// that loaded it (a symbol the program exports with -rdynamic).
// conformance-libcs: musl glibc
// conformance-link: shared-library
#include <stdio.h>
#include <string.h>

/// Defined by the program that loads the plugin.
extern int host_counter(void);

static const char *const greetings[] = {"hello", "bonjour", "hallo"};
static int loads;
__thread int plugin_tls = 41;

__attribute__((constructor)) static void plugin_start(void) {
    loads++;
    printf("plugin: constructor ran\n");
}

__attribute__((destructor)) static void plugin_stop(void) {
    printf("plugin: destructor ran\n");
    fflush(stdout);
}

/// Writes "<greeting>, <who> (#<counter>)" into `out`.
int plugin_greet(int language, const char *who, char *out, size_t size) {
    if (language < 0 || language >= (int)(sizeof greetings / sizeof greetings[0])) return -1;
    return snprintf(out, size, "%s, %s (#%d)", greetings[language], who, host_counter());
}

int plugin_loads(void) { return loads; }

/// The calling thread's copy of the thread-local variable, incremented.
int plugin_tls_bump(void) { return ++plugin_tls; }
