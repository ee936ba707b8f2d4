/* check.h — the examples' error checks: every library and CUDA call is checked; on failure print
 * where, what, and the library's (w4a16_last_error) or CUDA's message, then exit(1); so does
 * xmalloc when the host is out of memory. */
#ifndef W4A16_EXAMPLES_CHECK_H
#define W4A16_EXAMPLES_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include <cuda_runtime.h>

#include "w4a16.h"

#define W4A16_CHECK(call)                                                                      \
    do {                                                                                       \
        w4a16_status_t st_ = (call);                                                           \
        if (st_ != W4A16_STATUS_SUCCESS) {                                                     \
            fprintf(stderr, "%s:%d: %s: %s: %s\n", __FILE__, __LINE__, #call,                 \
                    w4a16_status_string(st_), w4a16_last_error());                             \
            exit(1);                                                                           \
        }                                                                                      \
    } while (0)
#define CUDA_CHECK(call)                                                                       \
    do {                                                                                       \
        cudaError_t e_ = (call);                                                               \
        if (e_ != cudaSuccess) {                                                               \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,                     \
                    cudaGetErrorString(e_));                                                   \
            exit(1);                                                                           \
        }                                                                                      \
    } while (0)

/* malloc that exits with a message instead of returning NULL. */
static inline void *xmalloc(size_t bytes) {
    void *p = malloc(bytes);
    if (p == NULL) {
        fprintf(stderr, "out of host memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return p;
}

#endif /* W4A16_EXAMPLES_CHECK_H */
