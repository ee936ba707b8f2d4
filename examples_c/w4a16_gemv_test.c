/*
 * w4a16_gemv_test.c — the seed project's test program, ported to the libw4a16 C API.
 *
 *   w4a16_gemv_test [M] [N] [K] [--bf16] [--zeros] [--bias] [--group G]
 *
 * Runs C[M,N] = A[M,K] * W^T with 4-bit W once at the given size, then sweeps
 * M = 1, 4, 16, 32, 64, 128, 256, 512. Every run is checked against a CPU reference (double
 * accumulation over the dequantized weights; C is poisoned with NaN first) unless M*N*K > 4e9,
 * and timed with CUDA events: 10 warm-up calls, then the median of 50 calls, each timed by its
 * own pair of events. The 50 calls are queued behind a host gate so that the GPU never waits
 * for the CPU between them: the times are GPU times, not launch overhead.
 * TFLOP/s = 2*M*N*K / t; GB/s = bytes that must move (packed W + scales (+ zeros) + A + C
 * (+ bias)) / t. Without a GPU it prints what it would run and exits 0.
 * Exit status: 0 all checks passed, 1 a check or a call failed, 2 bad arguments.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cuda_runtime.h>

#include "half_util.h"
#include "w4a16.h"

#include "check.h"

#define N_SWEEP 8
static const int64_t SWEEP_M[N_SWEEP] = {1, 4, 16, 32, 64, 128, 256, 512};
#define WARMUP 10
#define TIMED 50
#define CHECK_LIMIT 4e9 /* largest M*N*K checked against the (single-threaded) CPU reference */

typedef struct {
    int64_t m, n, k;
    int32_t group;
    int bf16, zeros, bias;
} options;

static void usage(const char *prog) {
    fprintf(stderr,
            "usage: %s [M] [N] [K] [--bf16] [--zeros] [--bias] [--group G]\n"
            "  M: rows of A (1 .. 4194304), default 32\n"
            "  N: output features, K: input features: multiples of 64 (K also of the group),\n"
            "     at most 1048576; defaults 1024 1024\n"
            "  --bf16: bfloat16 instead of fp16   --zeros: additive zero points\n"
            "  --bias: add a bias vector          --group G: 32, 64, 128 (default) or K\n",
            prog);
}

static int parse_positive(const char *s, long long max, long long *out) {
    char *end = NULL;
    long long v;
    if (s[0] < '0' || s[0] > '9') return 0; /* no sign, no spaces */
    v = strtoll(s, &end, 10);
    if (*end != '\0' || v <= 0 || v > max) return 0;
    *out = v;
    return 1;
}

/* Returns 1 on success; prints why and returns 0 on bad arguments. */
static int parse_args(int argc, char **argv, options *o) {
    long long pos[3] = {32, 1024, 1024};
    const long long max[3] = {W4A16_MAX_M, W4A16_MAX_DIM, W4A16_MAX_DIM};
    const char *names[3] = {"M", "N", "K"};
    int npos = 0;
    long long g = 128;
    o->bf16 = o->zeros = o->bias = 0;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--bf16") == 0) o->bf16 = 1;
        else if (strcmp(s, "--zeros") == 0) o->zeros = 1;
        else if (strcmp(s, "--bias") == 0) o->bias = 1;
        else if (strcmp(s, "--group") == 0) {
            if (i + 1 >= argc || !parse_positive(argv[i + 1], W4A16_MAX_DIM, &g)) {
                fprintf(stderr, "error: --group needs a positive number\n");
                return 0;
            }
            i++;
        } else if (npos < 3 && parse_positive(s, max[npos], &pos[npos])) {
            npos++;
        } else {
            if (npos < 3 && (s[0] != '-' || (s[1] >= '0' && s[1] <= '9')))
                fprintf(stderr, "error: %s='%s' is not an integer in 1..%lld\n", names[npos], s,
                        max[npos]);
            else
                fprintf(stderr, "error: unexpected argument '%s'\n", s);
            return 0;
        }
    }
    o->m = pos[0];
    o->n = pos[1];
    o->k = pos[2];
    o->group = (int32_t)g;
    return 1;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Holds the stream shut until main opens it (or 10 s pass, so that a library call that
 * synchronizes cannot deadlock the program). Runs on a CUDA runtime thread. */
typedef struct {
    int open;
    int timed_out;
} gate_t;

static double now_s(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void CUDART_CB gate_wait(void *arg) {
    gate_t *g = (gate_t *)arg;
    double t0 = now_s();
    while (!__atomic_load_n(&g->open, __ATOMIC_ACQUIRE)) {
        if (now_s() - t0 > 10.0) {
            __atomic_store_n(&g->timed_out, 1, __ATOMIC_RELEASE);
            break;
        }
    }
}

/* Everything one run needs. */
typedef struct {
    options o;
    w4a16_handle_t h;
    w4a16_problem_desc_t desc;
    cudaStream_t stream;
    void *d_a, *d_packed, *d_scales, *d_zeros, *d_bias, *d_c, *d_ws;
    size_t ws_bytes;
    uint16_t *c;       /* host copy of C, max_m rows */
    const double *ref; /* reference C, ref_rows rows */
    int64_t ref_rows;
    cudaEvent_t ev[TIMED + 1];
} ctx_t;

typedef struct {
    w4a16_plan_t plan;
    int checked, pass, gate_timed_out;
    double rel_err, median_us, min_us, max_us, tflops, gbs;
    char error[320]; /* non-empty when a w4a16_gemm call failed: the row is reported, not timed */
} result_t;

/* A failed w4a16_gemm is recorded in r->error (the sweep goes on with the next M). */
static int gemm(ctx_t *x, int64_t m, result_t *r) {
    w4a16_status_t st = w4a16_gemm(x->h, &x->desc, x->d_a, x->o.k, x->d_packed, x->d_scales,
                                   x->d_zeros, x->d_bias, x->d_c, x->o.n, m, x->d_ws, x->ws_bytes,
                                   (void *)x->stream);
    if (st == W4A16_STATUS_SUCCESS) return 1;
    snprintf(r->error, sizeof r->error, "w4a16_gemm: %s: %s", w4a16_status_string(st),
             w4a16_last_error());
    r->pass = 0;
    return 0;
}

static result_t run_case(ctx_t *x, int64_t m) {
    result_t r;
    const int64_t n = x->o.n, k = x->o.k;
    memset(&r, 0, sizeof r);
    r.pass = 1;
    r.plan.struct_size = sizeof(w4a16_plan_t);
    W4A16_CHECK(w4a16_plan(x->h, &x->desc, m, &r.plan));

    /* Correctness: poison C (0xFFFF is NaN in fp16 and bf16), one call, compare. */
    CUDA_CHECK(cudaMemsetAsync(x->d_c, 0xFF, (size_t)(m * n) * 2, x->stream));
    if (!gemm(x, m, &r)) return r;
    CUDA_CHECK(cudaMemcpyAsync(x->c, x->d_c, (size_t)(m * n) * 2, cudaMemcpyDeviceToHost, x->stream));
    CUDA_CHECK(cudaStreamSynchronize(x->stream));
    r.checked = m <= x->ref_rows;
    if (r.checked) {
        double err2 = 0.0, ref2 = 0.0;
        for (int64_t i = 0; i < m * n; i++) {
            double d = (double)hu_to_float(x->o.bf16, x->c[i]) - x->ref[i];
            err2 += d * d;
            ref2 += x->ref[i] * x->ref[i];
        }
        r.rel_err = sqrt(err2 / ref2);
        r.pass = r.rel_err <= (x->o.bf16 ? 2e-2 : 5e-3); /* false for NaN */
    }

    /* Timing: warm up, then queue TIMED calls between TIMED + 1 events behind a closed gate. */
    for (int i = 0; i < WARMUP; i++)
        if (!gemm(x, m, &r)) return r;
    CUDA_CHECK(cudaStreamSynchronize(x->stream));
    gate_t gate = {0, 0};
    int ok = 1;
    CUDA_CHECK(cudaLaunchHostFunc(x->stream, gate_wait, &gate));
    CUDA_CHECK(cudaEventRecord(x->ev[0], x->stream));
    for (int i = 0; i < TIMED && ok; i++) {
        ok = gemm(x, m, &r);
        CUDA_CHECK(cudaEventRecord(x->ev[i + 1], x->stream));
    }
    __atomic_store_n(&gate.open, 1, __ATOMIC_RELEASE);
    CUDA_CHECK(cudaStreamSynchronize(x->stream));
    r.gate_timed_out = __atomic_load_n(&gate.timed_out, __ATOMIC_ACQUIRE);
    if (!ok) return r;
    float ms[TIMED];
    for (int i = 0; i < TIMED; i++) CUDA_CHECK(cudaEventElapsedTime(&ms[i], x->ev[i], x->ev[i + 1]));
    qsort(ms, TIMED, sizeof ms[0], cmp_float);
    r.median_us = 1e3 * 0.5 * ((double)ms[TIMED / 2 - 1] + (double)ms[TIMED / 2]);
    r.min_us = 1e3 * (double)ms[0];
    r.max_us = 1e3 * (double)ms[TIMED - 1];
    double t = r.median_us * 1e-6;
    double groups = (double)(k / x->o.group);
    double bytes = (double)n * (double)k / 2 + groups * (double)n * 2 * (x->o.zeros ? 2 : 1) +
                   (double)m * (double)k * 2 + (double)m * (double)n * 2 + (x->o.bias ? (double)n * 2 : 0);
    r.tflops = 2.0 * (double)m * (double)n * (double)k / t / 1e12;
    r.gbs = bytes / t / 1e9;
    return r;
}

static const char *path_name(const w4a16_plan_t *p) {
    return p->path == W4A16_PATH_GEMV ? "GEMV" : "tensor-core";
}

static const char *reason_name(int32_t reason) {
    switch (reason) {
    case W4A16_PLAN_HEURISTIC: return "heuristic";
    case W4A16_PLAN_TUNED: return "tuned";
    case W4A16_PLAN_FORCED: return "forced";
    default: return "?";
    }
}

static void print_problem(const options *o) {
    printf("problem: C[%lld,%lld] = A[%lld,%lld] * W^T%s, %s, 4-bit W, group %d, %s\n",
           (long long)o->m, (long long)o->n, (long long)o->m, (long long)o->k,
           o->bias ? " + bias" : "", o->bf16 ? "bf16" : "fp16", (int)o->group,
           o->zeros ? "with zeros" : "no zeros");
}

int main(int argc, char **argv) {
    options o;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(argv[0]);
            return 0;
        }
    }
    if (!parse_args(argc, argv, &o)) {
        usage(argv[0]);
        return 2;
    }
    ctx_t x;
    memset(&x, 0, sizeof x);
    x.o = o;
    if (w4a16_desc_init(&x.desc, o.bf16 ? W4A16_DTYPE_BF16 : W4A16_DTYPE_FP16, o.n, o.k, o.group,
                        o.zeros) != W4A16_STATUS_SUCCESS) {
        fprintf(stderr, "error: %s\n", w4a16_last_error());
        usage(argv[0]);
        return 2;
    }
    const int64_t n = o.n, k = o.k;
    int64_t max_m = o.m, ref_rows = 0;
    for (int i = 0; i < N_SWEEP; i++)
        if (SWEEP_M[i] > max_m) max_m = SWEEP_M[i];
    /* The reference rows of a smaller M are the first rows of a larger one: compute them once. */
    if ((double)o.m * (double)n * (double)k <= CHECK_LIMIT) ref_rows = o.m;
    for (int i = 0; i < N_SWEEP; i++)
        if ((double)SWEEP_M[i] * (double)n * (double)k <= CHECK_LIMIT && SWEEP_M[i] > ref_rows)
            ref_rows = SWEEP_M[i];
    if ((double)max_m * (double)(k > n ? k : n) > 0x1p30 || (double)n * (double)k > 0x1p30) {
        fprintf(stderr, "error: M*K, M*N or N*K is above 2^30 elements: too large for this "
                        "program's host buffers\n");
        return 2;
    }

    unsigned v = w4a16_version();
    printf("libw4a16 %u.%u.%u\n", v / 10000, v / 100 % 100, v % 100);
    w4a16_status_t st = w4a16_create(0, &x.h);
    if (st == W4A16_STATUS_NO_DEVICE) {
        print_problem(&o);
        printf("sweep plan: M =");
        for (int i = 0; i < N_SWEEP; i++) printf(" %lld", (long long)SWEEP_M[i]);
        printf("; each run checked against a CPU reference (where M*N*K <= %.0e) and timed "
               "(%d warm-up calls, median of %d)\n", CHECK_LIMIT, WARMUP, TIMED);
        printf("no CUDA device present: nothing run (%s)\n", w4a16_last_error());
        return 0;
    }
    W4A16_CHECK(st);

    int dev = 0;
    struct cudaDeviceProp prop;
    CUDA_CHECK(cudaGetDevice(&dev));
    CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
    printf("GPU %d: %s, compute capability %d.%d, %d SMs, %.1f GiB, L2 %.1f MiB\n", dev, prop.name,
           prop.major, prop.minor, prop.multiProcessorCount,
           (double)prop.totalGlobalMem / (1024.0 * 1024 * 1024), (double)prop.l2CacheSize / (1024.0 * 1024));
    print_problem(&o);

    /* Host data: random weights quantized by the library, activations, bias. */
    const int64_t groups = k / o.group;
    const int bf = o.bf16;
    hu_rng rng = {0x5eed};
    float *w = (float *)xmalloc((size_t)(n * k) * sizeof(float));
    uint8_t *q = (uint8_t *)xmalloc((size_t)(n * k / 2));
    uint16_t *scales = (uint16_t *)xmalloc((size_t)(groups * n) * 2);
    uint16_t *zeros = o.zeros ? (uint16_t *)xmalloc((size_t)(groups * n) * 2) : NULL;
    uint16_t *bias = (uint16_t *)xmalloc((size_t)n * 2);
    uint16_t *a = (uint16_t *)xmalloc((size_t)(max_m * k) * 2);
    float *af = (float *)xmalloc((size_t)(max_m * k) * sizeof(float));
    x.c = (uint16_t *)xmalloc((size_t)(max_m * n) * 2);
    for (int64_t i = 0; i < n * k; i++) w[i] = hu_rng_uniform(&rng, -1.0f, 1.0f);
    for (int64_t i = 0; i < n; i++) bias[i] = hu_from_float(bf, hu_rng_uniform(&rng, -1.0f, 1.0f));
    for (int64_t i = 0; i < max_m * k; i++) {
        a[i] = hu_from_float(bf, hu_rng_uniform(&rng, -1.0f, 1.0f));
        af[i] = hu_to_float(bf, a[i]);
    }
    W4A16_CHECK(w4a16_quantize_host(&x.desc, w, q, scales, zeros));

    /* Reference: w now holds the dequantized weights (q - 8) * s (+ z). */
    for (int64_t r = 0; r < n; r++) {
        for (int64_t c = 0; c < k; c++) {
            int nib = (q[(r * k + c) / 2] >> (4 * (c & 1))) & 0xF; /* low nibble = even k */
            int64_t gi = (c / o.group) * n + r;
            w[r * k + c] = (float)(nib - 8) * hu_to_float(bf, scales[gi]) + (zeros ? hu_to_float(bf, zeros[gi]) : 0.0f);
        }
    }
    double *ref = (double *)xmalloc((size_t)(ref_rows * n + 1) * sizeof(double));
    for (int64_t i = 0; i < ref_rows; i++) {
        for (int64_t j = 0; j < n; j++) {
            const float *ar = af + i * k, *wr = w + j * k;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int64_t c = 0; c < k; c += 4) {
                s0 += (double)ar[c] * wr[c];
                s1 += (double)ar[c + 1] * wr[c + 1];
                s2 += (double)ar[c + 2] * wr[c + 2];
                s3 += (double)ar[c + 3] * wr[c + 3];
            }
            ref[i * n + j] = (s0 + s1) + (s2 + s3) + (o.bias ? hu_to_float(bf, bias[j]) : 0.0);
        }
    }
    x.ref = ref;
    x.ref_rows = ref_rows;

    /* Device buffers; the plain weights are packed once and then freed. */
    void *d_q = NULL;
    size_t packed_bytes = 0;
    W4A16_CHECK(w4a16_packed_weight_bytes(&x.desc, &packed_bytes));
    CUDA_CHECK(cudaStreamCreate(&x.stream));
    CUDA_CHECK(cudaMalloc(&d_q, (size_t)(n * k / 2)));
    CUDA_CHECK(cudaMalloc(&x.d_packed, packed_bytes));
    CUDA_CHECK(cudaMalloc(&x.d_a, (size_t)(max_m * k) * 2));
    CUDA_CHECK(cudaMalloc(&x.d_c, (size_t)(max_m * n) * 2));
    CUDA_CHECK(cudaMalloc(&x.d_scales, (size_t)(groups * n) * 2));
    CUDA_CHECK(cudaMemcpyAsync(d_q, q, (size_t)(n * k / 2), cudaMemcpyHostToDevice, x.stream));
    CUDA_CHECK(cudaMemcpyAsync(x.d_a, a, (size_t)(max_m * k) * 2, cudaMemcpyHostToDevice, x.stream));
    CUDA_CHECK(cudaMemcpyAsync(x.d_scales, scales, (size_t)(groups * n) * 2, cudaMemcpyHostToDevice, x.stream));
    if (zeros) {
        CUDA_CHECK(cudaMalloc(&x.d_zeros, (size_t)(groups * n) * 2));
        CUDA_CHECK(cudaMemcpyAsync(x.d_zeros, zeros, (size_t)(groups * n) * 2, cudaMemcpyHostToDevice, x.stream));
    }
    if (o.bias) {
        CUDA_CHECK(cudaMalloc(&x.d_bias, (size_t)n * 2));
        CUDA_CHECK(cudaMemcpyAsync(x.d_bias, bias, (size_t)n * 2, cudaMemcpyHostToDevice, x.stream));
    }
    W4A16_CHECK(w4a16_pack_weights(x.h, &x.desc, d_q, x.d_packed, (void *)x.stream));
    W4A16_CHECK(w4a16_workspace_size(x.h, &x.desc, max_m, &x.ws_bytes));
    if (x.ws_bytes > 0) CUDA_CHECK(cudaMalloc(&x.d_ws, x.ws_bytes));
    CUDA_CHECK(cudaStreamSynchronize(x.stream));
    CUDA_CHECK(cudaFree(d_q));
    for (int i = 0; i <= TIMED; i++) CUDA_CHECK(cudaEventCreate(&x.ev[i]));

    /* The requested size. */
    int failures = 0, gate_timeouts = 0;
    result_t r = run_case(&x, o.m);
    failures += !r.pass;
    gate_timeouts += r.gate_timed_out;
    printf("ran: %s, config %s (used_gemv = %d, %s, split-k %d, workspace %llu bytes)\n  why: %s\n",
           path_name(&r.plan), r.plan.config_name, (int)r.plan.used_gemv, reason_name(r.plan.reason),
           (int)r.plan.split_k, (unsigned long long)r.plan.workspace_bytes, r.plan.explanation);
    if (r.error[0] != '\0')
        printf("error: %s\n", r.error);
    else if (r.checked)
        printf("check: relative error vs CPU reference %.3e: %s\n", r.rel_err, r.pass ? "PASS" : "FAIL");
    else
        printf("check: not checked (M*N*K > %.0e)\n", CHECK_LIMIT);
    if (r.error[0] == '\0')
        printf("time: %.2f us (median of %d; min %.2f, max %.2f) = %.3f TFLOP/s, %.1f GB/s\n",
               r.median_us, TIMED, r.min_us, r.max_us, r.tflops, r.gbs);
    if ((double)packed_bytes < (double)prop.l2CacheSize)
        printf("note: the packed weights (%.2f MiB) fit in L2 and stay there between calls, so GB/s "
               "can exceed the HBM bandwidth\n", (double)packed_bytes / (1024.0 * 1024));

    /* The sweep. */
    printf("\nsweep (N=%lld, K=%lld):\n", (long long)n, (long long)k);
    printf("%5s | %-11s | %-28s | %9s | %7s | %8s | %s\n", "M", "path", "config", "time (us)",
           "TFLOP/s", "GB/s", "rel err");
    for (int i = 0; i < N_SWEEP; i++) {
        result_t s = run_case(&x, SWEEP_M[i]);
        char err[32];
        failures += !s.pass;
        gate_timeouts += s.gate_timed_out;
        if (s.error[0] != '\0') {
            printf("%5lld | %-11s | %-28s | %s\n", (long long)SWEEP_M[i], path_name(&s.plan),
                   s.plan.config_name, s.error);
            continue;
        }
        if (s.checked)
            snprintf(err, sizeof err, "%.2e%s", s.rel_err, s.pass ? "" : " FAIL");
        else
            snprintf(err, sizeof err, "not checked");
        printf("%5lld | %-11s | %-28s | %9.2f | %7.3f | %8.1f | %s\n", (long long)SWEEP_M[i],
               path_name(&s.plan), s.plan.config_name, s.median_us, s.tflops, s.gbs, err);
    }
    if (gate_timeouts)
        printf("warning: the timing gate timed out %d time(s): those times include launch gaps\n",
               gate_timeouts);

    for (int i = 0; i <= TIMED; i++) CUDA_CHECK(cudaEventDestroy(x.ev[i]));
    CUDA_CHECK(cudaFree(x.d_a));
    CUDA_CHECK(cudaFree(x.d_packed));
    CUDA_CHECK(cudaFree(x.d_scales));
    CUDA_CHECK(cudaFree(x.d_c));
    if (x.d_zeros) CUDA_CHECK(cudaFree(x.d_zeros));
    if (x.d_bias) CUDA_CHECK(cudaFree(x.d_bias));
    if (x.d_ws) CUDA_CHECK(cudaFree(x.d_ws));
    CUDA_CHECK(cudaStreamDestroy(x.stream));
    W4A16_CHECK(w4a16_destroy(x.h));
    free(w), free(q), free(scales), free(zeros), free(bias), free(a), free(af), free(x.c), free(ref);
    printf("%s\n", failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
