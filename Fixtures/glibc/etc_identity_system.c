// Checks the user and group databases and /etc/hosts in a dynamically linked glibc program run
// with the host's /etc (`--system`): glibc's NSS reads them through its files module as it does
// natively. The checks are musl/etc_identity.c's (a static glibc program cannot load the NSS
// modules these calls need; musl's static one reads the files itself, there from the /etc the
// runner generates).
// conformance-link: dynamic
#include "../musl/etc_identity.c"
