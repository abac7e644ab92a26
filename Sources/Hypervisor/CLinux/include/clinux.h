/* Umbrella header of the CLinux shim: only what Swift cannot call directly. */
#include "clinux_kvm.h"
#include "clinux_files.h"
#include "clinux_process.h"
