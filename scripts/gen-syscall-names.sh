#!/bin/sh
# Regenerates Sources/Hypervisor/Core/Diagnostics/LinuxSyscallNames.swift from
# the installed Linux UAPI header (linux-libc-dev).
set -eu
header=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
out=Sources/Hypervisor/Core/Diagnostics/LinuxSyscallNames.swift
{
    head -n 9 "$out"
    awk '/#define __NR_/ {n=$3; name=$2; sub("__NR_","",name); a[n]=name; if(n>max)max=n}
         END {for(i=0;i<=max;i++) printf "        \"%s\",\n", a[i]}' "$header"
    printf '    ]\n}\n\nprivate extension String {\n    var nilIfEmpty: String? { isEmpty ? nil : self }\n}\n'
} > "$out.tmp"
mv "$out.tmp" "$out"
