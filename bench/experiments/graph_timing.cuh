// graph_timing.cuh — shared by the experiment programs (not part of the library): a kernel launch
// with or without programmatic dependent launch, and the per-call time of back-to-back calls
// replayed in a CUDA graph (the bench's method).
#pragma once
#include <algorithm>
#include <vector>

#include <cuda_runtime.h>

#include "check.cuh"
#include "common/launch_util.cuh"

// Launches k<<<grid, block, 0, s>>>(args...), with the PDL attribute when `pdl`: the library's
// own launcher (kernels/common/launch_util.cuh), so the experiments launch as the kernels do.
template <typename... Params, typename... Args>
static cudaError_t launch_pdl(void (*k)(Params...), int grid, int block, bool pdl, cudaStream_t s,
                              Args... args) {
  return w4a16::launch_kernel(k, dim3(grid), dim3(block), 0, s, pdl, dim3(1, 1, 1), args...);
}

// Median per-call µs of `calls` back-to-back calls (enqueue(i) adds call i to the stream) captured
// in one graph, over `replays` timed replays after 3 untimed ones.
template <class Enqueue>
static double time_graph(cudaStream_t s, int calls, int replays, Enqueue enqueue) {
  cudaGraph_t g;
  CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  for (int i = 0; i < calls; ++i) CK(enqueue(i));
  CK(cudaStreamEndCapture(s, &g));
  cudaGraphExec_t ge;
  CK(cudaGraphInstantiate(&ge, g, 0));
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  std::vector<float> ts;
  for (int r = 0; r < replays + 3; ++r) {
    CK(cudaEventRecord(e0, s));
    CK(cudaGraphLaunch(ge, s));
    CK(cudaEventRecord(e1, s));
    CK(cudaEventSynchronize(e1));
    float ms;
    CK(cudaEventElapsedTime(&ms, e0, e1));
    if (r >= 3) ts.push_back(ms * 1e3f / calls);
  }
  CK(cudaGetLastError());
  std::sort(ts.begin(), ts.end());
  CK(cudaGraphExecDestroy(ge));
  CK(cudaGraphDestroy(g));
  CK(cudaEventDestroy(e0));
  CK(cudaEventDestroy(e1));
  return ts[ts.size() / 2];
}
