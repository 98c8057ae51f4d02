/* Random identifiers for names that must never collide across processes
 * (a writer attempt's data files, a compaction run). */
#ifndef TL_UTIL_RANDOM_H
#define TL_UTIL_RANDOM_H

/* 16 lowercase hex digits (64 bits) from the kernel's CSPRNG, NUL-terminated;
 * falls back to a clock/pid mix if getrandom is unavailable. */
void tl_random_id(char out[17]);

#endif
