/*
 * example.c — the smallest complete use of libw4a16: quantize float weights to 4 bits, pack
 * them on the GPU, compute C[M,N] = A[M,K] * W^T + bias in fp16, and check the result against
 * a CPU loop. Without a GPU it prints what it would run and exits 0.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <cuda_runtime.h>

#include "half_util.h"
#include "w4a16.h"

/* W4A16_CHECK / CUDA_CHECK: every call is checked (check.h). */
#include "check.h"

int main(void) {
    const int64_t M = 16, N = 4096, K = 4096;
    const int32_t group = 128;
    const double tol = 5e-3; /* fp16 output: ~3e-4 is typical */
    unsigned v = w4a16_version();
    printf("libw4a16 %u.%u.%u (header %d.%d.%d)\n", v / 10000, v / 100 % 100, v % 100,
           W4A16_VERSION_MAJOR, W4A16_VERSION_MINOR, W4A16_VERSION_PATCH);

    /* The weight side of the problem: fp16, group 128, symmetric (no zeros). */
    w4a16_problem_desc_t desc;
    W4A16_CHECK(w4a16_desc_init(&desc, W4A16_DTYPE_FP16, N, K, group, 0));
    size_t packed_bytes = 0;
    W4A16_CHECK(w4a16_packed_weight_bytes(&desc, &packed_bytes));
    printf("problem: C[%lld,%lld] = A[%lld,%lld] * W^T + bias, fp16, 4-bit W, group %d, no zeros"
           " (packed W: %zu bytes)\n", (long long)M, (long long)N, (long long)M, (long long)K,
           (int)group, packed_bytes);

    w4a16_handle_t h = NULL;
    w4a16_status_t st = w4a16_create(0, &h);
    if (st == W4A16_STATUS_NO_DEVICE) {
        printf("plan: quantize W on the host, pack it on GPU 0, one w4a16_gemm, compare with a "
               "CPU reference (pass if rel err <= %.0e)\n", tol);
        printf("no CUDA device present: nothing run (%s)\n", w4a16_last_error());
        return 0;
    }
    W4A16_CHECK(st);

    /* Host data: random weights quantized to 4 bits + per-group scales, activations, bias. */
    const int64_t groups = K / group;
    hu_rng rng = {12345};
    float *w = (float *)xmalloc((size_t)(N * K) * sizeof(float));
    uint8_t *q = (uint8_t *)xmalloc((size_t)(N * K / 2));
    uint16_t *scales = (uint16_t *)xmalloc((size_t)(groups * N) * sizeof(uint16_t));
    uint16_t *a = (uint16_t *)xmalloc((size_t)(M * K) * sizeof(uint16_t));
    uint16_t *bias = (uint16_t *)xmalloc((size_t)N * sizeof(uint16_t));
    uint16_t *c = (uint16_t *)xmalloc((size_t)(M * N) * sizeof(uint16_t));
    for (int64_t i = 0; i < N * K; i++) w[i] = hu_rng_uniform(&rng, -1.0f, 1.0f);
    for (int64_t i = 0; i < M * K; i++) a[i] = hu_float_to_fp16(hu_rng_uniform(&rng, -1.0f, 1.0f));
    for (int64_t i = 0; i < N; i++) bias[i] = hu_float_to_fp16(hu_rng_uniform(&rng, -1.0f, 1.0f));
    W4A16_CHECK(w4a16_quantize_host(&desc, w, q, scales, NULL));

    /* Device buffers (cudaMalloc returns 256-byte aligned pointers: the library needs 16). */
    void *d_a, *d_q, *d_packed, *d_scales, *d_bias, *d_c, *d_ws = NULL;
    cudaStream_t stream;
    CUDA_CHECK(cudaStreamCreate(&stream));
    CUDA_CHECK(cudaMalloc(&d_a, (size_t)(M * K) * 2));
    CUDA_CHECK(cudaMalloc(&d_q, (size_t)(N * K / 2)));
    CUDA_CHECK(cudaMalloc(&d_packed, packed_bytes));
    CUDA_CHECK(cudaMalloc(&d_scales, (size_t)(groups * N) * 2));
    CUDA_CHECK(cudaMalloc(&d_bias, (size_t)N * 2));
    CUDA_CHECK(cudaMalloc(&d_c, (size_t)(M * N) * 2));
    CUDA_CHECK(cudaMemcpyAsync(d_a, a, (size_t)(M * K) * 2, cudaMemcpyHostToDevice, stream));
    CUDA_CHECK(cudaMemcpyAsync(d_q, q, (size_t)(N * K / 2), cudaMemcpyHostToDevice, stream));
    CUDA_CHECK(cudaMemcpyAsync(d_scales, scales, (size_t)(groups * N) * 2, cudaMemcpyHostToDevice, stream));
    CUDA_CHECK(cudaMemcpyAsync(d_bias, bias, (size_t)N * 2, cudaMemcpyHostToDevice, stream));

    /* Pack once (at model load time), then multiply as often as needed. */
    W4A16_CHECK(w4a16_pack_weights(h, &desc, d_q, d_packed, (void *)stream));
    size_t ws_bytes = 0;
    W4A16_CHECK(w4a16_workspace_size(h, &desc, M, &ws_bytes));
    if (ws_bytes > 0) CUDA_CHECK(cudaMalloc(&d_ws, ws_bytes));
    CUDA_CHECK(cudaMemsetAsync(d_c, 0xFF, (size_t)(M * N) * 2, stream)); /* NaN: catches unwritten C */
    W4A16_CHECK(w4a16_gemm(h, &desc, d_a, K, d_packed, d_scales, NULL, d_bias, d_c, N, M,
                           d_ws, ws_bytes, (void *)stream));
    CUDA_CHECK(cudaMemcpyAsync(c, d_c, (size_t)(M * N) * 2, cudaMemcpyDeviceToHost, stream));
    CUDA_CHECK(cudaStreamSynchronize(stream));

    /* CPU reference over the dequantized weights W[n][k] = (q - 8) * s[k/group][n]. */
    double err2 = 0.0, ref2 = 0.0;
    float *wrow = (float *)xmalloc((size_t)K * sizeof(float));
    float *af = (float *)xmalloc((size_t)(M * K) * sizeof(float));
    for (int64_t i = 0; i < M * K; i++) af[i] = hu_fp16_to_float(a[i]);
    for (int64_t n = 0; n < N; n++) {
        for (int64_t k = 0; k < K; k++) {
            int nib = (q[(n * K + k) / 2] >> (4 * (k & 1))) & 0xF; /* low nibble = even k */
            wrow[k] = (float)(nib - 8) * hu_fp16_to_float(scales[(k / group) * N + n]);
        }
        for (int64_t m = 0; m < M; m++) {
            double acc = hu_fp16_to_float(bias[n]);
            for (int64_t k = 0; k < K; k++) acc += (double)af[m * K + k] * wrow[k];
            double d = (double)hu_fp16_to_float(c[m * N + n]) - acc;
            err2 += d * d;
            ref2 += acc * acc;
        }
    }
    double rel = sqrt(err2 / ref2);
    int pass = rel <= tol; /* false for NaN */
    printf("relative Frobenius error vs CPU reference: %.3e (tolerance %.0e): %s\n", rel, tol,
           pass ? "PASS" : "FAIL");

    w4a16_plan_t plan;
    plan.struct_size = sizeof(w4a16_plan_t);
    W4A16_CHECK(w4a16_plan(h, &desc, M, &plan));
    printf("ran: %s, config %s (split-k %d, workspace %llu bytes)\n  why: %s\n",
           plan.path == W4A16_PATH_GEMV ? "GEMV (CUDA cores)" : "tensor-core GEMM",
           plan.config_name, (int)plan.split_k, (unsigned long long)plan.workspace_bytes,
           plan.explanation);

    CUDA_CHECK(cudaFree(d_a));
    CUDA_CHECK(cudaFree(d_q));
    CUDA_CHECK(cudaFree(d_packed));
    CUDA_CHECK(cudaFree(d_scales));
    CUDA_CHECK(cudaFree(d_bias));
    CUDA_CHECK(cudaFree(d_c));
    if (d_ws != NULL) CUDA_CHECK(cudaFree(d_ws));
    CUDA_CHECK(cudaStreamDestroy(stream));
    W4A16_CHECK(w4a16_destroy(h));
    free(w), free(q), free(scales), free(a), free(bias), free(c), free(wrow), free(af);
    return pass ? 0 : 1;
}
