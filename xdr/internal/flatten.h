// UXCOM_XDR_FLATTEN marks the encoder's and decoder's entry points [[gnu::flatten]] in optimized
// builds: everything on their success paths is inlined into one straight-line function, which
// is what makes them fast. It is also what makes them slow to compile, so debug and sanitizer
// builds (no NDEBUG) do without.
#ifndef UXCOM_XDR_INTERNAL_FLATTEN_H_
#define UXCOM_XDR_INTERNAL_FLATTEN_H_

#ifdef NDEBUG
#define UXCOM_XDR_FLATTEN [[gnu::flatten]]
#else
#define UXCOM_XDR_FLATTEN
#endif

#endif  // UXCOM_XDR_INTERNAL_FLATTEN_H_
