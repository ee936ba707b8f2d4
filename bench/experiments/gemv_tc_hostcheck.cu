// Host emulation of gemv_tc_kernel's index math (weight ring slots, scale/zero quarters, activation
// stages + ldmatrix B fragments, mma fragments, cp.async group waits, split-K, lone 64-k tails)
// against a plain reference GEMV. Uses the kernel header's own index maps and Ring<NT>; the loop
// structure below mirrors the kernel body line by line. Build (host only, no GPU needed):
//   nvcc -std=c++17 --expt-relaxed-constexpr -Ikernels bench/experiments/gemv_tc_hostcheck.cu
// Run with an argument 1..4 to plant a bug (must fail).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <vector>
#include <random>
#include <array>
#include "gemv/gemv_tc.cuh"
using namespace w4a16;
using namespace w4a16::gemv_tc;
static int BUG = 0;
static int gshift(long gs, long k) { if (gs == k) return 31; for (int s = 5; s <= 30; ++s) if (gs == (1L << s)) return s; return -1; }

struct Cell { double v[8]; int writer = -1; long grp = -1; };  // 16-byte cell (8 values or 16 nibbles)
struct Thread { long committed = 0, done = 0; };                // group ids: [0, committed) closed
static int errors = 0, final_fail = 0;
#define CHECK(c, ...) do { if (!(c)) { if (errors++ < 10) { printf(__VA_ARGS__); printf("\n"); } } } while (0)

template <int NT>
int run(long M, long N, long K, int split_k, long gsz, bool zeros, std::mt19937& rng) {
  using R = Ring<NT>;
  constexpr int MT = 8 * NT, kTps = R::kTps, kSteps = R::kSteps, kSlots = R::kSlots;
  std::vector<int> q(N * K); std::vector<double> a(M * K), sc(N * (K / std::min(gsz, K) + 1)), zr(sc.size());
  for (auto& x : q) x = rng() % 16;
  for (auto& x : a) x = ((int)(rng() % 2001) - 1000) / 1000.0;
  for (auto& x : sc) x = ((int)(rng() % 1000) + 1) / 1000.0;
  for (auto& x : zr) x = zeros ? ((int)(rng() % 2001) - 1000) / 1000.0 : 0.0;
  const int gs = gshift(gsz, K);
  auto wval = [&](long n, long k) { return (q[n * K + k] - 8) * sc[(k >> gs) * N + n] + zr[(k >> gs) * N + n]; };
  // packed nibble of (n, k) found through layout::weight_position -> reverse map byte/nibble -> (n,k)
  std::vector<long> at(N * K);  // element index 2*byte+hi -> n*K+k
  for (long n = 0; n < N; ++n) for (long k = 0; k < K; ++k) { int64_t byte; int hi; layout::weight_position(n, k, K, &byte, &hi); at[2 * byte + hi] = n * K + k; }
  std::vector<double> out(M * N, 0.0);
  const long steps64 = K / 64;
  const int steps_per_split = (steps64 + split_k - 1) / split_k;
  const long nblk = (N + kRowsPerCta - 1) / kRowsPerCta, mblk = (M + MT - 1) / MT;
  constexpr int kStageU4 = a_stage_u4<MT>();
  for (long bx = 0; bx < mblk; ++bx) for (long by = 0; by < nblk; ++by) for (int split = 0; split < split_k; ++split) {
    std::vector<Cell> s_a(2 * kStageU4), s_w(w_ring_u4<NT>());
    std::vector<double> s_s(s_ring_halves<NT>(), NAN); std::vector<int> s_s_writer(s_s.size(), -1); std::vector<long> s_s_grp(s_s.size(), -1);
    std::vector<Thread> th(kThreads);
    const long n_cta = by * kRowsPerCta, m_base = bx * MT;
    const int m_valid = (int)std::min<long>(MT, M - m_base);
    const long kb = (long)split * steps_per_split * 64, ke = std::min(K, kb + (long)steps_per_split * 64);
    const int ntiles = ke > kb ? (int)((ke - kb) / 64) : 0;
    const int nsteps = (ntiles + kTps - 1) / kTps, nstages = (ntiles + kStageTiles - 1) / kStageTiles;
    const bool two_groups = gs == 5;
    const int kt0 = (int)(kb / 64), gmask64 = gs > 6 ? (1 << (gs - 6)) - 1 : 0;
    auto new_group = [&](long k) {  // kernel form: tile index masked; checked against the shift form
      const bool r = ((kt0 + (int)((k - kb) / 64)) & gmask64) == 0;
      CHECK(r == ((k >> gs) != ((k - 64) >> gs)), "new_group mask form differs at k %ld", k);
      return r; };
    auto complete = [&](int writer, long grp) { return writer >= 0 && grp < th[writer].done; };
    auto commit = [&](int tid) { th[tid].committed++; };
    auto wait = [&](int tid, int n) { th[tid].done = std::max(th[tid].done, th[tid].committed - n); };
    auto write_cell = [&](Cell& c, int tid) {
      CHECK(c.writer < 0 || complete(c.writer, c.grp), "WAW race on a cell"); c.writer = tid; c.grp = th[tid].committed; };
    double accum[kRowsPerCta][MT] = {};
    auto issue_a = [&](int st, int buf) {
      for (int tid = 0; tid < kThreads; ++tid) for (int i = 0; i < kStageU4 / kThreads; ++i) {
        const int m = a_copy_m(tid, i), qq = a_copy_q(tid, i);
        const long k = kb + (long)st * kStageK + 8 * qq;
        const bool ok = m < m_valid && k < ke;
        Cell& c = s_a[buf * kStageU4 + a_chunk(m, qq)]; write_cell(c, tid);
        for (int e = 0; e < 8; ++e) c.v[e] = ok ? a[(m_base + m) * K + k + e] : 0.0;
      }
    };
    std::vector<std::array<long, 32>> wslot(s_w.size());
    auto issue_step = [&](int warp, int step, int slot) {
      const long n_warp = n_cta + warp * kRowsPerWarp;
      const bool warp_valid = n_warp < N;
      const long w_tile_stride = (K / 64) * 512;
      for (int lane = 0; lane < 32; ++lane) {
        const int tid = warp * 32 + lane;
        const long w_lane = warp_valid ? layout::slot_offset(n_warp, kb / 64, lane, K) : 0;
        const int tile0 = step * kTps;
        if (warp_valid && tile0 < ntiles) {
          for (int t = 0; t < kTps; ++t) if (t == 0 || tile0 + t < ntiles || BUG == 3)
            for (int ti = 0; ti < kTiles; ++ti) {
              const long src = w_lane + ti * w_tile_stride + (long)(tile0 + t) * 512;
              CHECK(kb / 64 + tile0 + t < ke / 64, "weight copy outside the split's k range");
              if (kb / 64 + tile0 + t >= K / 64) continue;
              Cell& c = s_w[w_index<NT>(slot, warp, t, ti, lane)]; write_cell(c, tid);
              // nibble e of the slot (word e/8, nibble e%8, little endian) = packed element 2 src + e
              for (int e = 0; e < 32; ++e) wslot[&c - s_w.data()][e] = at[2 * src + e];
            }
          const int sz = s_copy_sz<NT>(lane), qq = s_copy_q<NT>(lane), t = qq >> 1, h = qq & 1;
          const long k = kb + (long)(tile0 + t) * 64 + 32 * h;
          if (lane < 16 * kTps && (sz == 0 || zeros) && (h == 0 || two_groups) &&
              (t == 0 || (tile0 + t < ntiles && new_group(k)))) {
            for (int e = 0; e < 8; ++e) {
              const int idx = s_index<NT>(slot, warp, sz, qq, s_copy_ch(lane)) + e;
              CHECK(s_s_writer[idx] < 0 || complete(s_s_writer[idx], s_s_grp[idx]), "scale WAW race");
              s_s_writer[idx] = tid; s_s_grp[idx] = th[tid].committed;
              const long n = n_warp + s_copy_ch(lane) + e;
              s_s[idx] = (sz ? zr : sc)[(k >> gs) * N + n];
            }
          }
        }
        commit(tid);
      }
    };
    auto rd_s = [&](int idx) { CHECK(complete(s_s_writer[idx], s_s_grp[idx]), "scale read before its copy completed"); return s_s[idx]; };
    auto compute = [&](int warp, int slot, int buf, int s, int step) {
      const long n_warp = n_cta + warp * kRowsPerWarp;
      // per lane scale registers sc[lane][ti][hh][h]
      static double scr[32][kTiles][2][2], zcr[32][kTiles][2][2];
      for (int t = 0; t < kTps; ++t) {
        const int tile = step * kTps + t;
        if (t > 0 && tile >= ntiles) break;
        for (int lane = 0; lane < 32; ++lane) {
          const int g = lane >> 2;
          if (t == 0 || new_group(kb + (long)tile * 64) || BUG == 2) {
            for (int ti = 0; ti < kTiles; ++ti) for (int hh = 0; hh < 2; ++hh) {
              const int idx = s_index<NT>(slot, warp, 0, 2 * t, 16 * ti + 8 * hh + g);
              const int kZ = s_index<NT>(0, 0, 1, 0, 0);
              scr[lane][ti][hh][0] = rd_s(idx); zcr[lane][ti][hh][0] = zeros ? rd_s(idx + kZ) : 0;
              if (two_groups) { scr[lane][ti][hh][1] = rd_s(idx + 32 + (BUG == 1 ? 32 : 0)); zcr[lane][ti][hh][1] = zeros ? rd_s(idx + 32 + kZ) : 0; }
              else { scr[lane][ti][hh][1] = scr[lane][ti][hh][0]; zcr[lane][ti][hh][1] = zcr[lane][ti][hh][0]; }
            }
          }
        }
        // mma per k16 block j: A[16][16] from fragments, B[16][8 NT] from ldmatrix emulation.
        // f32 (kernel's kF32: NT = 1, no zeros): unscaled q - 8 into tmp per group piece (the
        // tile, or each 32-k half for group 32), then acc += s(row, piece) * tmp by the owner lane.
        const bool f32 = !zeros && NT == 1;
        double tmp[kTiles][NT][16][8] = {};
        for (int j = 0; j < 4; ++j) for (int ti = 0; ti < kTiles; ++ti) {
          double A[16][16]; for (auto& r : A) for (auto& x : r) x = NAN;
          for (int lane = 0; lane < 32; ++lane) {
            const int g = lane >> 2, c = lane & 3;
            const int ci = w_index<NT>(slot, warp, t, ti, lane);
            CHECK(complete(s_w[ci].writer, s_w[ci].grp), "weight read before its copy completed");
            for (int i = 0; i < 4; ++i) for (int e = 0; e < 2; ++e) {
              const int nib = 8 * j + i + 4 * e;  // word j, nibble i (e=0) / i+4 (e=1)
              const long nk = wslot[ci][nib];
              const int row = g + 8 * (i & 1), col = 2 * c + e + 8 * (i >> 1);
              // expected (n, k) of this fragment element
              const long n = n_warp + 16 * ti + row, k = kb + (long)tile * 64 + 16 * j + col;
              CHECK(nk == n * K + k, "weight fragment holds (%ld,%ld) not (%ld,%ld)", nk / K, nk % K, n, k);
              const double s2 = scr[lane][ti][i & 1][j >> 1], z2 = zcr[lane][ti][i & 1][j >> 1];
              if (f32) { A[row][col] = q[nk] - 8; continue; }
              A[row][col] = (q[nk] - 8) * s2 + z2;
              CHECK(std::fabs(A[row][col] - wval(n, k)) < 1e-12, "dequant (scale/zero) mismatch at n %ld k %ld", n, k);
            }
          }
          for (int nt = 0; nt < NT; ++nt) {
            double B[16][8]; for (auto& r : B) for (auto& x : r) x = NAN;
            const int jj = j >> 1;
            for (int lane = 0; lane < 32; ++lane) {
              const int g = lane >> 2, c = lane & 3;
              for (int e2 = 0; e2 < 2; ++e2) {  // b0b1 (reg 2(j&1)), b2b3 (reg 2(j&1)+1)
                const int reg = 2 * (j & 1) + e2;
                const int addr_lane = 8 * reg + g;  // ldmatrix: matrix reg, row g from lane 8reg+g
                const int ch = buf * kStageU4 + b_chunk(nt, s * kTps + t, jj, addr_lane);
                CHECK(complete(s_a[ch].writer, s_a[ch].grp), "activation read before its copy completed");
                for (int e = 0; e < 2; ++e) B[2 * c + e + 8 * e2][g] = s_a[ch].v[2 * c + e];
              }
            }
            for (int r = 0; r < 16; ++r) for (int col = 0; col < 8; ++col) {
              double sum = 0; for (int kk = 0; kk < 16; ++kk) sum += A[r][kk] * B[kk][col];
              if (f32) tmp[ti][nt][r][col] += sum;
              else accum[warp * kRowsPerWarp + 16 * ti + r][8 * nt + col] += sum;
            }
          }
          // end of a group piece: 32-k half (group 32) or the whole tile
          if (f32 && (j == 3 || (two_groups && j == 1))) {
            const int h = two_groups ? j >> 1 : 0;
            for (int nt = 0; nt < NT; ++nt) for (int r = 0; r < 16; ++r) for (int col = 0; col < 8; ++col) {
              const int lane = 4 * (r % 8) + (col % 8) / 2;  // owner of the C fragment element
              const int hh = (r / 8) ^ (BUG == 5);
              accum[warp * kRowsPerWarp + 16 * ti + r][8 * nt + col] += scr[lane][ti][hh][h] * tmp[ti][nt][r][col];
              tmp[ti][nt][r][col] = 0;
            }
          }
        }
      }
    };
    // ---- kernel body mirror ----
    if (nstages > 0) issue_a(0, 0);
    for (int warp = 0; warp < kWarps; ++warp) for (int i = 0; i < kSlots - 1; ++i) issue_step(warp, i, i);
    for (int tid = 0; tid < kThreads; ++tid) wait(tid, kSlots - 2);
    for (int tid = 0; tid < kThreads; ++tid) for (auto& c : s_a) if (c.writer == tid) CHECK(complete(c.writer, c.grp), "stage 0 not complete at barrier");
    for (int st = 0; st < nstages; ++st) {
      const int buf = st & 1;
      if (st + 1 < nstages) issue_a(st + 1, buf ^ 1);
      for (int warp = 0; warp < kWarps; ++warp) {
        const bool warp_valid = n_cta + warp * kRowsPerWarp < N;
        for (int s = 0; s < kSteps; ++s) {
          const int step = st * kSteps + s;
          issue_step(warp, step + kSlots - 1, (s + kSlots - 1) % kSlots);
          for (int lane = 0; lane < 32; ++lane) wait(warp * 32 + lane, kSlots - 1 + (BUG == 4));
          if (warp_valid && step < nsteps) compute(warp, s, buf, s, step);
        }
      }
      // barrier: next stage's activations must be complete in their writers' accounting
      for (auto& c : s_a) if (&c - s_a.data() >= (buf ^ 1) * kStageU4 && &c - s_a.data() < ((buf ^ 1) + 1) * kStageU4 && st + 1 < nstages)
        CHECK(complete(c.writer, c.grp), "next stage's activations not complete at the stage barrier");
    }
    for (int r = 0; r < kRowsPerCta; ++r) for (int m = 0; m < m_valid; ++m)
      if (n_cta + r < N) out[(m_base + m) * N + n_cta + r] += accum[r][m];
  }
  double maxerr = 0;
  for (long m = 0; m < M; ++m) for (long n = 0; n < N; ++n) {
    double ref = 0; for (long k = 0; k < K; ++k) ref += a[m * K + k] * wval(n, k);
    if (getenv("DBG") && n < 3) printf("m %ld n %ld ref %g out %g\n", m, n, ref, out[m * N + n]);
    maxerr = std::max(maxerr, std::fabs(ref - out[m * N + n]));
  }
  if (!(maxerr < 1e-9)) { ++errors; if (++final_fail <= 400) printf("NT %d M %ld N %ld K %ld split %d group %ld zeros %d: max err %g\n", NT, M, N, K, split_k, gsz, zeros, maxerr); }
  return 0;
}

// int4x8_to_pairs_x16 (fp16, NT = 1 without zeros) on the host: lop3 (a & b) ^ c, fp16 decode,
// subtract; pairs 1 and 3 must be 16 (q - 8), pairs 0 and 2 q - 8, q = nibble ^ 8.
static double h2d(uint16_t h) {
  const int e = (h >> 10) & 31, m = h & 1023; const double v = e ? std::ldexp(1024 + m, e - 25) : std::ldexp(m, -24);
  return (h & 0x8000) ? -v : v;
}
static void check_x16() {
  std::mt19937 r(7);
  for (int it = 0; it < 100000; ++it) {
    const uint32_t w = it < 65536 ? (it | (it << 16)) * (BUG == 6 ? 1u : 1u) : (uint32_t)r();
    const uint32_t w8 = w >> 8;
    const uint32_t hx = BUG == 6 ? 0x64886488u : 0x64806480u;
    const uint32_t raw[4] = {(w & 0x000F000Fu) ^ 0x64086408u, (w & 0x00F000F0u) ^ hx,
                             (w8 & 0x000F000Fu) ^ 0x64086408u, (w8 & 0x00F000F0u) ^ hx};
    const double sub[4] = {1032, 1152, 1032, 1152};
    for (int i = 0; i < 4; ++i) for (int e = 0; e < 2; ++e) {
      const int nib = (w >> (4 * (i + 4 * e))) & 15, qq = nib ^ 8;
      const double v = h2d((uint16_t)(raw[i] >> (16 * e))) - sub[i];
      CHECK(v == (i & 1 ? 16.0 : 1.0) * (qq - 8), "x16 dequant: word %08x pair %d half %d gives %g", w, i, e, v);
    }
  }
}

int main(int argc, char** argv) {
  BUG = argc > 1 ? atoi(argv[1]) : 0;
  check_x16();
  std::mt19937 rng(1);
  int cases = 0;
  const long Ks[] = {64, 128, 192, 576, 1088, 2048};
  const long Ns[] = {64, 192};
  for (long K : Ks) for (long N : Ns) for (int split : {1, 2, 3, 5}) for (long gsz : {32L, 64L, 128L, 256L, -1L}) for (int z = 0; z < 2; ++z) {
    const long g = gsz < 0 ? K : gsz;
    if (g > K || K % g) continue;
    const long M1 = (cases % 3 == 0) ? 2 : (cases % 3 == 1) ? 5 : 8;
    run<1>(M1, N, K, split, g, z, rng);
    if (cases % 2 == 0) run<2>((cases % 4) ? 16 : 11, N, K, split, g, z, rng);
    ++cases;
  }
  printf("%d cases, %d errors (BUG=%d)\n", cases, errors, BUG);
  return errors ? 1 : 0;
}
