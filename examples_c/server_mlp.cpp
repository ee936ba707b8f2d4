/*
 * server_mlp.cpp — libw4a16 used the way a C++ inference server uses it.
 *
 *   load:    a small multi-layer MLP with random float weights, quantized to 4 bits by the
 *            library's own quantizer (w4a16_quantize_host), uploaded and packed on the GPU once
 *            (w4a16_pack_weights); the plain weights are then freed. One workspace, sized for
 *            the largest step, is shared by every layer.
 *   serve:   on ONE stream, decode steps (M = 1..16 tokens) and a prefill step (M = 512), each
 *            one w4a16_gemm per layer; then the decode step captured in a CUDA graph and
 *            replayed with fresh inputs (what servers do to hide launch overhead).
 *   check:   before every checked step the output and the intermediate activations are poisoned
 *            with NaN; the result is compared with a CPU reference of the whole MLP computed from
 *            the library's own definition of the weights (w4a16_dequantize_host), in double,
 *            with the intermediate activations rounded to fp16 as the GPU stores them. A step
 *            passes when its relative Frobenius error is <= 5e-3 (fp16).
 *
 * The layers are linear (y = x * W^T + b, no activation function between them) so that this
 * program needs no CUDA kernels of its own and builds with a host C++ compiler and the CUDA
 * runtime only; a real server runs its own activation kernels in between.
 *
 * Without a GPU (or a CUDA driver) it loads the model on the host, prints what it would run
 * and exits 0. Exit status: 0 all checks passed (or nothing to run), 1 a check or a call failed.
 * The last line is the one-line summary.
 */
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <cuda_runtime.h>

#include "half_util.h"
#include "w4a16.h"

namespace {

// ---- error handling: every library and CUDA call is checked -------------------------------

[[noreturn]] void fail_exit() {
    std::printf("SUMMARY: FAIL (a library or CUDA call failed; see stderr)\n");
    std::exit(1);
}

void check_w4a16(w4a16_status_t st, const char *call, const char *file, int line) {
    if (st != W4A16_STATUS_SUCCESS) {
        std::fprintf(stderr, "%s:%d: %s: %s: %s\n", file, line, call, w4a16_status_string(st),
                     w4a16_last_error());
        fail_exit();
    }
}

void check_cuda(cudaError_t e, const char *call, const char *file, int line) {
    if (e != cudaSuccess) {
        std::fprintf(stderr, "%s:%d: %s: %s (%s)\n", file, line, call, cudaGetErrorString(e),
                     cudaGetErrorName(e));
        fail_exit();
    }
}

#define W4A16_OK(call) check_w4a16((call), #call, __FILE__, __LINE__)
#define CUDA_OK(call) check_cuda((call), #call, __FILE__, __LINE__)

// ---- RAII owners for CUDA objects ----------------------------------------------------------

class DeviceBuffer {
  public:
    DeviceBuffer() = default;
    explicit DeviceBuffer(size_t bytes) : bytes_(bytes) {
        if (bytes > 0) CUDA_OK(cudaMalloc(&ptr_, bytes));  // 256-byte aligned: >= W4A16_POINTER_ALIGNMENT
    }
    DeviceBuffer(DeviceBuffer &&o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(o.bytes_) {}
    DeviceBuffer &operator=(DeviceBuffer &&o) noexcept {
        std::swap(ptr_, o.ptr_);
        std::swap(bytes_, o.bytes_);
        return *this;
    }
    DeviceBuffer(const DeviceBuffer &) = delete;
    DeviceBuffer &operator=(const DeviceBuffer &) = delete;
    ~DeviceBuffer() {
        if (ptr_ != nullptr) CUDA_OK(cudaFree(ptr_));
    }
    void *get() const { return ptr_; }
    size_t bytes() const { return bytes_; }

  private:
    void *ptr_ = nullptr;
    size_t bytes_ = 0;
};

class Stream {
  public:
    Stream() { CUDA_OK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
    ~Stream() { CUDA_OK(cudaStreamDestroy(s_)); }
    Stream(const Stream &) = delete;
    Stream &operator=(const Stream &) = delete;
    cudaStream_t get() const { return s_; }

  private:
    cudaStream_t s_ = nullptr;
};

class Event {
  public:
    Event() { CUDA_OK(cudaEventCreate(&e_)); }
    ~Event() { CUDA_OK(cudaEventDestroy(e_)); }
    Event(const Event &) = delete;
    Event &operator=(const Event &) = delete;
    cudaEvent_t get() const { return e_; }

  private:
    cudaEvent_t e_ = nullptr;
};

class Handle {
  public:
    Handle() = default;
    ~Handle() {
        if (h_ != nullptr) W4A16_OK(w4a16_destroy(h_));
    }
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    w4a16_handle_t *out() { return &h_; }
    w4a16_handle_t get() const { return h_; }

  private:
    w4a16_handle_t h_ = nullptr;
};

// ---- the model -------------------------------------------------------------------------------

constexpr int64_t kHidden = 1024;
constexpr int64_t kMaxDecodeM = 16;
constexpr int64_t kPrefillM = 512;
constexpr int64_t kMaxM = kPrefillM;  // rows of the activation buffers and of the input pool
constexpr double kTol = 5e-3;         // relative Frobenius error, fp16 output
constexpr int kWarmup = 3;
constexpr int kTimed = 20;
const int64_t kGraphMs[] = {1, 2, 4, 8, 16};

struct LayerSpec {
    int64_t k, n;      // input and output features
    int32_t group;     // weights per scale along K
    int32_t has_zeros; // additive zeros
    bool bias;
};

// Two up/down blocks; a different quantization per layer to show that the descriptor is per layer.
const LayerSpec kSpecs[] = {
    {kHidden, 2048, 128, 0, true},   // up,   group 128, symmetric
    {2048, kHidden, 128, 1, true},   // down, group 128, additive zeros
    {kHidden, 2048, 64, 0, false},   // up,   group 64, no bias
    {2048, kHidden, 2048, 0, true},  // down, one scale per output channel (group = K)
};
constexpr int kLayers = static_cast<int>(sizeof(kSpecs) / sizeof(kSpecs[0]));

struct HostLayer {
    w4a16_problem_desc_t desc{};
    std::vector<uint8_t> plain;    // [N, K/2], freed after upload
    std::vector<uint16_t> scales;  // [K/group, N] fp16 bits
    std::vector<uint16_t> zeros;   // same, empty unless has_zeros
    std::vector<uint16_t> bias;    // [N] fp16 bits, empty without bias
    std::vector<float> w_ref;      // dequantized [N, K]: the reference weights
};

struct DeviceLayer {
    DeviceBuffer packed, scales, zeros, bias;
};

// Quantizes random float weights with the library and keeps the dequantized copy for the
// reference. Host only: works without a GPU.
std::vector<HostLayer> load_model_host(uint64_t seed) {
    std::vector<HostLayer> layers(kLayers);
    hu_rng rng = {seed};
    for (int l = 0; l < kLayers; l++) {
        const LayerSpec &s = kSpecs[l];
        HostLayer &L = layers[l];
        W4A16_OK(w4a16_desc_init(&L.desc, W4A16_DTYPE_FP16, s.n, s.k, s.group, s.has_zeros));
        const size_t groups = static_cast<size_t>(s.k / s.group);
        // Weight variance 1/K keeps the activations' scale from layer to layer.
        const float r = std::sqrt(3.0f / static_cast<float>(s.k));
        std::vector<float> w(static_cast<size_t>(s.n * s.k));
        for (float &x : w) x = hu_rng_uniform(&rng, -r, r);
        L.plain.resize(static_cast<size_t>(s.n * s.k / 2));
        L.scales.resize(groups * static_cast<size_t>(s.n));
        if (s.has_zeros) L.zeros.resize(L.scales.size());
        W4A16_OK(w4a16_quantize_host(&L.desc, w.data(), L.plain.data(), L.scales.data(),
                                     s.has_zeros ? L.zeros.data() : nullptr));
        L.w_ref.resize(w.size());
        W4A16_OK(w4a16_dequantize_host(&L.desc, L.plain.data(), L.scales.data(),
                                       s.has_zeros ? L.zeros.data() : nullptr, L.w_ref.data()));
        if (s.bias) {
            L.bias.resize(static_cast<size_t>(s.n));
            for (uint16_t &b : L.bias) b = hu_float_to_fp16(hu_rng_uniform(&rng, -0.1f, 0.1f));
        }
    }
    return layers;
}

// CPU reference of the MLP for rows [0, rows) of `x` (fp16 bits [rows, kHidden]): double
// accumulation over the dequantized weights; intermediate activations rounded to fp16 as the
// GPU stores them; the last layer's output is left unrounded. Threads split the rows.
std::vector<double> reference(const std::vector<HostLayer> &layers, const std::vector<uint16_t> &x,
                              int64_t rows) {
    std::vector<double> out(static_cast<size_t>(rows * kHidden));
    auto work = [&](int64_t r0, int64_t r1) {
        std::vector<float> h, next;
        for (int64_t r = r0; r < r1; r++) {
            h.resize(kHidden);
            for (int64_t k = 0; k < kHidden; k++) h[k] = hu_fp16_to_float(x[r * kHidden + k]);
            for (int l = 0; l < kLayers; l++) {
                const LayerSpec &s = kSpecs[l];
                const HostLayer &L = layers[l];
                const bool last = l == kLayers - 1;
                next.resize(static_cast<size_t>(s.n));
                for (int64_t n = 0; n < s.n; n++) {
                    const float *w = L.w_ref.data() + n * s.k;
                    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    for (int64_t k = 0; k < s.k; k += 4) {
                        a0 += static_cast<double>(h[k]) * w[k];
                        a1 += static_cast<double>(h[k + 1]) * w[k + 1];
                        a2 += static_cast<double>(h[k + 2]) * w[k + 2];
                        a3 += static_cast<double>(h[k + 3]) * w[k + 3];
                    }
                    double acc = (a0 + a1) + (a2 + a3);
                    if (s.bias) acc += hu_fp16_to_float(L.bias[n]);
                    if (last)
                        out[r * kHidden + n] = acc;
                    else
                        next[n] = hu_fp16_to_float(hu_float_to_fp16(static_cast<float>(acc)));
                }
                if (!last) std::swap(h, next);
            }
        }
    };
    const int64_t nt = std::max<int64_t>(1, std::min<int64_t>(std::thread::hardware_concurrency(), rows));
    std::vector<std::thread> threads;
    for (int64_t t = 0; t < nt; t++) threads.emplace_back(work, rows * t / nt, rows * (t + 1) / nt);
    for (std::thread &t : threads) t.join();
    return out;
}

// ---- the server ------------------------------------------------------------------------------

class Server {
  public:
    Server(w4a16_handle_t h, std::vector<HostLayer> &host) : h_(h) {
        // Load: upload plain weights, pack them on the device, keep scales/zeros/bias.
        for (int l = 0; l < kLayers; l++) {
            HostLayer &L = host[l];
            DeviceLayer D;
            size_t packed_bytes = 0;
            W4A16_OK(w4a16_packed_weight_bytes(&L.desc, &packed_bytes));
            D.packed = DeviceBuffer(packed_bytes);
            D.scales = upload(L.scales.data(), L.scales.size() * 2);
            if (!L.zeros.empty()) D.zeros = upload(L.zeros.data(), L.zeros.size() * 2);
            if (!L.bias.empty()) D.bias = upload(L.bias.data(), L.bias.size() * 2);
            DeviceBuffer plain = upload(L.plain.data(), L.plain.size());
            W4A16_OK(w4a16_pack_weights(h_, &L.desc, plain.get(), D.packed.get(), stream_.get()));
            CUDA_OK(cudaStreamSynchronize(stream_.get()));  // `plain` is freed at scope end
            std::vector<uint8_t>().swap(L.plain);
            size_t ws = 0;
            W4A16_OK(w4a16_workspace_size(h_, &L.desc, kMaxM, &ws));
            ws_bytes_ = std::max(ws_bytes_, ws);
            dev_.push_back(std::move(D));
        }
        // Activations: x (input) -> h0 -> h1 -> h0 -> ... -> y (output); one workspace.
        int64_t widest = kHidden;
        for (const LayerSpec &s : kSpecs) widest = std::max(widest, s.n);
        x_ = DeviceBuffer(static_cast<size_t>(kMaxM * kHidden) * 2);
        h_buf_[0] = DeviceBuffer(static_cast<size_t>(kMaxM * widest) * 2);
        h_buf_[1] = DeviceBuffer(static_cast<size_t>(kMaxM * widest) * 2);
        y_ = DeviceBuffer(static_cast<size_t>(kMaxM * kHidden) * 2);
        ws_ = DeviceBuffer(ws_bytes_);
        descs_.reserve(kLayers);
        for (const HostLayer &L : host) descs_.push_back(L.desc);
    }

    cudaStream_t stream() const { return stream_.get(); }
    size_t workspace_bytes() const { return ws_bytes_; }

    // One forward step of m tokens: one w4a16_gemm per layer, enqueued on the stream. Nothing
    // here allocates or synchronizes, so it can be captured in a CUDA graph.
    void forward(int64_t m) const {
        for (int l = 0; l < kLayers; l++) {
            const LayerSpec &s = kSpecs[l];
            const DeviceLayer &D = dev_[l];
            const void *in = l == 0 ? x_.get() : h_buf_[(l - 1) % 2].get();
            void *out = l == kLayers - 1 ? y_.get() : h_buf_[l % 2].get();
            W4A16_OK(w4a16_gemm(h_, &descs_[l], in, s.k, D.packed.get(), D.scales.get(), D.zeros.get(),
                                D.bias.get(), out, s.n, m, ws_.get(), ws_bytes_, stream_.get()));
        }
    }

    // Copies m input rows (fp16 bits) into the static input buffer (outside any graph).
    void set_input(const uint16_t *rows, int64_t m) const {
        CUDA_OK(cudaMemcpyAsync(x_.get(), rows, static_cast<size_t>(m * kHidden) * 2,
                                cudaMemcpyHostToDevice, stream_.get()));
    }

    // NaN (0xFFFF) into the output and every intermediate activation: unwritten elements fail.
    void poison() const {
        CUDA_OK(cudaMemsetAsync(y_.get(), 0xFF, y_.bytes(), stream_.get()));
        CUDA_OK(cudaMemsetAsync(h_buf_[0].get(), 0xFF, h_buf_[0].bytes(), stream_.get()));
        CUDA_OK(cudaMemsetAsync(h_buf_[1].get(), 0xFF, h_buf_[1].bytes(), stream_.get()));
    }

    std::vector<uint16_t> output(int64_t m) const {
        std::vector<uint16_t> y(static_cast<size_t>(m * kHidden));
        CUDA_OK(cudaMemcpyAsync(y.data(), y_.get(), y.size() * 2, cudaMemcpyDeviceToHost, stream_.get()));
        CUDA_OK(cudaStreamSynchronize(stream_.get()));
        return y;
    }

    // The path of every layer for m tokens, e.g. "gemv gemv gemv gemv".
    std::string paths(int64_t m) const {
        std::string s;
        for (int l = 0; l < kLayers; l++) {
            w4a16_plan_t plan;
            plan.struct_size = sizeof(w4a16_plan_t);
            W4A16_OK(w4a16_plan(h_, &descs_[l], m, &plan));
            s += (l ? " " : "");
            s += plan.path == W4A16_PATH_GEMV ? "gemv" : "tc";
        }
        return s;
    }

  private:
    DeviceBuffer upload(const void *src, size_t bytes) {
        DeviceBuffer d(bytes);
        CUDA_OK(cudaMemcpyAsync(d.get(), src, bytes, cudaMemcpyHostToDevice, stream_.get()));
        return d;
    }

    w4a16_handle_t h_;
    Stream stream_;
    std::vector<DeviceLayer> dev_;
    std::vector<w4a16_problem_desc_t> descs_;
    DeviceBuffer x_, h_buf_[2], y_, ws_;
    size_t ws_bytes_ = 0;
};

// Median of the device time of `reps` runs of `run`, each between its own pair of events.
template <class F> double median_us(cudaStream_t s, int reps, F run) {
    std::vector<Event> start(static_cast<size_t>(reps)), stop(static_cast<size_t>(reps));
    for (int i = 0; i < reps; i++) {
        CUDA_OK(cudaEventRecord(start[i].get(), s));
        run();
        CUDA_OK(cudaEventRecord(stop[i].get(), s));
    }
    CUDA_OK(cudaStreamSynchronize(s));
    std::vector<double> us(static_cast<size_t>(reps));
    for (int i = 0; i < reps; i++) {
        float ms = 0;
        CUDA_OK(cudaEventElapsedTime(&ms, start[i].get(), stop[i].get()));
        us[i] = 1000.0 * ms;
    }
    std::sort(us.begin(), us.end());
    return us[us.size() / 2];
}

// Relative Frobenius error of GPU rows against reference rows; NaN/inf give +inf.
double rel_error(const std::vector<uint16_t> &y, const std::vector<double> &ref, int64_t row0, int64_t m) {
    double err2 = 0, ref2 = 0;
    for (int64_t i = 0; i < m * kHidden; i++) {
        const double g = hu_fp16_to_float(y[i]);
        const double r = ref[row0 * kHidden + i];
        if (!std::isfinite(g)) return INFINITY;
        err2 += (g - r) * (g - r);
        ref2 += r * r;
    }
    return std::sqrt(err2 / ref2);
}

void print_model(const std::vector<HostLayer> &layers) {
    double total = 0;
    std::printf("model: %d-layer MLP, hidden %lld, fp16 activations, 4-bit weights (quantized by "
                "w4a16_quantize_host)\n", kLayers, static_cast<long long>(kHidden));
    for (int l = 0; l < kLayers; l++) {
        const LayerSpec &s = kSpecs[l];
        size_t bytes = 0;
        W4A16_OK(w4a16_packed_weight_bytes(&layers[l].desc, &bytes));
        total += static_cast<double>(bytes);
        std::printf("  layer %d: K=%lld -> N=%lld, group %d, %s, %s, packed %.2f MiB\n", l,
                    static_cast<long long>(s.k), static_cast<long long>(s.n), static_cast<int>(s.group),
                    s.has_zeros ? "additive zeros" : "symmetric", s.bias ? "bias" : "no bias",
                    static_cast<double>(bytes) / (1 << 20));
    }
    std::printf("  packed weights: %.2f MiB in all\n", total / (1 << 20));
}

}  // namespace

int main() {
    const unsigned v = w4a16_version();
    std::printf("libw4a16 %u.%u.%u (header %d.%d.%d)\n", v / 10000, v / 100 % 100, v % 100,
                W4A16_VERSION_MAJOR, W4A16_VERSION_MINOR, W4A16_VERSION_PATCH);
    // docs/API.md, versioning policy: same major, minor >= the header's; on 0.x, the same minor.
    const unsigned lib_major = v / 10000, lib_minor = v / 100 % 100;
    const bool compatible = lib_major == W4A16_VERSION_MAJOR &&
                            (W4A16_VERSION_MAJOR == 0 ? lib_minor == W4A16_VERSION_MINOR
                                                      : lib_minor >= W4A16_VERSION_MINOR);
    if (!compatible) {
        std::printf("SUMMARY: FAIL (library %u.%u is not compatible with header %d.%d)\n", lib_major,
                    lib_minor, W4A16_VERSION_MAJOR, W4A16_VERSION_MINOR);
        return 1;
    }

    std::vector<HostLayer> host = load_model_host(0x5e4e5);
    print_model(host);
    std::printf("steps (one stream): decode M = 1..%lld, prefill M = %lld, then decode captured in a "
                "CUDA graph and replayed for M =", static_cast<long long>(kMaxDecodeM),
                static_cast<long long>(kPrefillM));
    for (int64_t m : kGraphMs) std::printf(" %lld", static_cast<long long>(m));
    std::printf("; every step poisoned with NaN, then checked against a CPU reference (rel. "
                "Frobenius error <= %.0e), timed as the median of %d runs\n", kTol, kTimed);

    Handle handle;
    const w4a16_status_t st = w4a16_create(0, handle.out());
    if (st == W4A16_STATUS_NO_DEVICE) {
        std::printf("no CUDA device present: nothing run (%s)\n", w4a16_last_error());
        std::printf("SUMMARY: NOT RUN (no CUDA device; the host-side model load succeeded)\n");
        return 0;
    }
    W4A16_OK(st);

    int dev = 0;
    cudaDeviceProp prop;
    CUDA_OK(cudaGetDevice(&dev));
    CUDA_OK(cudaGetDeviceProperties(&prop, dev));
    std::printf("GPU %d: %s, compute capability %d.%d, %d SMs\n", dev, prop.name, prop.major, prop.minor,
                prop.multiProcessorCount);

    // Inputs: a pool of kMaxM token rows; the reference of every row, computed once.
    hu_rng rng = {0x1a7e};
    std::vector<uint16_t> pool(static_cast<size_t>(kMaxM * kHidden));
    for (uint16_t &x : pool) x = hu_float_to_fp16(hu_rng_uniform(&rng, -1.0f, 1.0f));
    const std::vector<double> ref = reference(host, pool, kMaxM);

    const Server server(handle.get(), host);
    std::printf("loaded: weights packed on the GPU, workspace %zu bytes shared by all layers\n",
                server.workspace_bytes());
    // Decode layers run back to back: with programmatic dependent launch each GEMV fetches its
    // weights while the layer ahead finishes. Allowed here because nothing writes the packed
    // weights any more (the loader synchronized after w4a16_pack_weights).
    W4A16_OK(w4a16_set_pdl(handle.get(), 1));
    std::printf("programmatic dependent launch: on (w4a16_set_pdl)\n");
    cudaStream_t s = server.stream();
    int checks = 0, failures = 0;
    int64_t row0 = 0;  // decode steps walk through the pool
    auto check = [&](const char *what, int64_t m, int64_t r0, double us) {
        const double err = rel_error(server.output(m), ref, r0, m);
        const bool pass = err <= kTol;
        checks++;
        failures += !pass;
        std::printf("%-8s M=%4lld  [%s]  %9.2f us/step  rel err %.2e  %s\n", what, static_cast<long long>(m),
                    server.paths(m).c_str(), us, err, pass ? "PASS" : "FAIL");
    };

    // Eager steps: decode M = 1..16, then prefill M = 512.
    std::vector<int64_t> eager_ms;
    for (int64_t m = 1; m <= kMaxDecodeM; m++) eager_ms.push_back(m);
    eager_ms.push_back(kPrefillM);
    for (int64_t m : eager_ms) {
        const int64_t r0 = m == kPrefillM ? 0 : row0;
        server.set_input(&pool[static_cast<size_t>(r0 * kHidden)], m);
        for (int i = 0; i < kWarmup; i++) server.forward(m);
        const double us = median_us(s, kTimed, [&] { server.forward(m); });
        server.poison();
        server.forward(m);
        CUDA_OK(cudaGetLastError());
        check(m == kPrefillM ? "prefill" : "decode", m, r0, us);
        row0 = (row0 + m) % (kMaxM - kMaxDecodeM);
    }

    // CUDA graphs: capture one decode step per batch size, then replay with fresh inputs copied
    // into the same (static) input buffer.
    for (int64_t m : kGraphMs) {
        cudaGraph_t graph = nullptr;
        cudaGraphExec_t exec = nullptr;
        CUDA_OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
        server.forward(m);
        CUDA_OK(cudaStreamEndCapture(s, &graph));
        CUDA_OK(cudaGraphInstantiate(&exec, graph, 0));
        server.set_input(&pool[static_cast<size_t>(row0 * kHidden)], m);
        for (int i = 0; i < kWarmup; i++) CUDA_OK(cudaGraphLaunch(exec, s));
        const double us = median_us(s, kTimed, [&] { CUDA_OK(cudaGraphLaunch(exec, s)); });
        row0 = (row0 + 7 * m + 1) % (kMaxM - kMaxDecodeM);  // fresh rows for the checked replay
        server.set_input(&pool[static_cast<size_t>(row0 * kHidden)], m);
        server.poison();
        CUDA_OK(cudaGraphLaunch(exec, s));
        CUDA_OK(cudaGetLastError());
        check("graph", m, row0, us);
        CUDA_OK(cudaGraphExecDestroy(exec));
        CUDA_OK(cudaGraphDestroy(graph));
    }
    CUDA_OK(cudaStreamSynchronize(s));

    std::printf("SUMMARY: %s (%d of %d steps within %.0e: %zu eager, %zu graph replays)\n",
                failures ? "FAIL" : "PASS", checks - failures, checks, kTol, eager_ms.size(),
                sizeof(kGraphMs) / sizeof(kGraphMs[0]));
    return failures ? 1 : 0;
}
