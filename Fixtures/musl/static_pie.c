// Checks that a static-PIE program (ET_DYN, linked at 0) relocates itself wherever the
// loader puts it: calls through a table of function pointers, a global initialised with
// the address of another global, pointers into an array and into a string table, a
// struct of callbacks, a thread-local initialised with an address, and AT_PHDR/AT_ENTRY
// agreeing with the ELF header the program sees at __ehdr_start. Prints only facts that
// do not depend on the load address (ASLR moves it on every run).
// conformance-libcs: musl glibc
// conformance-link: static-pie
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

extern const Elf64_Ehdr __ehdr_start;

static int add(int a, int b) { return a + b; }
static int sub(int a, int b) { return a - b; }
static int mul(int a, int b) { return a * b; }
static int (*const operations[])(int, int) = {add, sub, mul};
static const char *const names[] = {"add", "sub", "mul"};

static int value = 1234;
static int *pointer_to_value = &value;           // R_X86_64_RELATIVE
static int array[8] = {10, 11, 12, 13, 14, 15, 16, 17};
static int *middle = &array[5];
static const char greeting[] = "relocated";
static const char *tail = greeting + 2;

struct callbacks { const char *label; int (*op)(int, int); int *data; };
static struct callbacks table[] = {
    {"first", add, &array[0]},
    {"second", mul, &value},
};

static _Thread_local int *thread_pointer = &value;

int main(void) {
    for (int i = 0; i < 3; i++) printf("%s(6, 3) = %d\n", names[i], operations[i](6, 3));
    printf("*pointer_to_value = %d, equals &value: %s\n", *pointer_to_value, pointer_to_value == &value ? "yes" : "no");
    printf("*middle = %d, index %td\n", *middle, middle - array);
    printf("tail = \"%s\", offset %td\n", tail, tail - greeting);
    for (int i = 0; i < 2; i++)
        printf("%s: op(5, 7) = %d, *data = %d\n", table[i].label, table[i].op(5, 7), *table[i].data);
    printf("thread-local pointer is &value: %s\n", thread_pointer == &value ? "yes" : "no");

    const Elf64_Ehdr *ehdr = &__ehdr_start;
    uintptr_t base = (uintptr_t)ehdr;
    printf("ELF type %s, load base page-aligned: %s, not the ELF's link address 0: %s\n",
           ehdr->e_type == ET_DYN ? "ET_DYN" : "other", base % 4096 == 0 ? "yes" : "no", base != 0 ? "yes" : "no");
    printf("AT_PHDR = base + e_phoff: %s\n", getauxval(AT_PHDR) == base + ehdr->e_phoff ? "yes" : "no");
    printf("AT_ENTRY = base + e_entry: %s\n", getauxval(AT_ENTRY) == base + ehdr->e_entry ? "yes" : "no");
    printf("AT_PHNUM = e_phnum: %s\n", getauxval(AT_PHNUM) == ehdr->e_phnum ? "yes" : "no");
    printf("main inside the image: %s\n", (uintptr_t)main > base ? "yes" : "no");
    char copy[16];
    strcpy(copy, greeting);   // glibc resolves strcpy through an IRELATIVE relocation
    printf("strlen(copy) = %zu\n", strlen(copy));
    return 0;
}
