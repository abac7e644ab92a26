// Checks the UTF-8 locale a dynamically linked program gets with the host's libraries and
// locale files (`--system`): setlocale(LC_ALL, "C.UTF-8") succeeds and nl_langinfo(CODESET) is
// UTF-8; multibyte conversion (mbstowcs, mbrtowc on a 3-byte and a 4-byte character, wcstombs
// back), character classes (iswalpha, towupper) and display widths (wcwidth of a wide CJK
// character and a combining mark), printf's %ls, and strcoll/strxfrm ordering; then the "C"
// locale again (an invalid byte sequence is refused there too).
// conformance-libcs: musl glibc
// conformance-link: dynamic
#define _GNU_SOURCE
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

int main(void) {
    const char *set = setlocale(LC_ALL, "C.UTF-8");
    printf("setlocale C.UTF-8: %s\n", set ? "ok" : "failed");
    printf("codeset: %s\n", nl_langinfo(CODESET));
    const char *text = "Gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad";  // Grüß € 😀 中
    wchar_t wide[32];
    size_t count = mbstowcs(wide, text, 32);
    if (count == (size_t)-1) {
        // Without the locale (setlocale failed) the conversion fails: nothing else to compare.
        printf("mbstowcs: EILSEQ\n");
        return 0;
    }
    printf("mbstowcs: %zu characters:", count);
    for (size_t i = 0; i < count && i < 32; i++) printf(" U+%04X", (unsigned)wide[i]);
    printf("\n");
    mbstate_t state;
    memset(&state, 0, sizeof state);
    wchar_t one;
    printf("mbrtowc of the euro sign: %zu bytes\n", mbrtowc(&one, "\xe2\x82\xac", 3, &state));
    printf("mbrtowc of the emoji: %zu bytes\n", mbrtowc(&one, "\xf0\x9f\x98\x80", 4, &state));
    printf("mbrtowc of an invalid byte: %s\n", mbrtowc(&one, "\xff", 1, &state) == (size_t)-1 ? "EILSEQ" : "accepted");
    char back[64];
    size_t bytes = wcstombs(back, wide, sizeof back);
    printf("wcstombs back: %zu bytes, same: %s\n", bytes, strcmp(back, text) == 0 ? "yes" : "no");
    printf("iswalpha(U+00FC) %d, towupper(U+00FC) U+%04X\n", iswalpha(0xFC) != 0, (unsigned)towupper(0xFC));
    printf("wcwidth: 'a' %d, U+4E2D %d, U+0301 %d\n", wcwidth(L'a'), wcwidth(0x4E2D), wcwidth(0x301));
    printf("%%ls: [%ls]\n", wide);
    printf("strcoll(\"a\", \"b\") < 0: %s\n", strcoll("a", "b") < 0 ? "yes" : "no");
    setlocale(LC_ALL, "C");
    printf("back in C: codeset %s\n", nl_langinfo(CODESET));
    return 0;
}
