// MOEFIT_CLONES: run-time dispatch of a hot loop to the widest vector ISA the CPU has (SSE2,
// x86-64-v3 with AVX2 and FMA, x86-64-v4 with AVX-512) through GCC's target_clones, since the
// build does not assume -march. Empty elsewhere (clang, other architectures): one portable version.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define MOEFIT_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define MOEFIT_CLONES
#endif
