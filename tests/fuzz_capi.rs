//! Issue #8: property-based fuzzing (proptest) of the C API's argument checking and the host
//! pack / unpack / quantize / import / dequantize functions, with arbitrary (including absurd)
//! integers, bit patterns and buffer sizes. Properties:
//!   * every call returns SUCCESS or INVALID_ARGUMENT — never INTERNAL (a caught panic), never
//!     an abort (a panic escaping `extern "C"` aborts the whole test binary);
//!   * SUCCESS exactly when an independent model of the documented rules says the input is valid,
//!     and a failure's message is non-empty;
//!   * valid inputs round-trip (pack ∘ unpack = id, import keeps every 4-bit value, quantize →
//!     dequantize stays within half a step).
//!
//! Buffers are always as large as the sizes the call is told (the C contract); what is fuzzed
//! is the values, the descriptors and the declared sizes.
//!
//! Time bound for CI: W4A16_FUZZ_CASES (else PROPTEST_CASES, else 2000) cases per property for
//! the cheap properties, a quarter of that for the ones that quantize or import whole matrices.
//! About 10 s in all in a release build.

use proptest::prelude::*;
use proptest::test_runner::Config;
use std::ffi::{c_void, CStr};
use std::ptr::{null, null_mut};
use w4a16::capi::*;
use w4a16::engine::{validate_operands, Operands, LD_MULTIPLE, MAX_M, POINTER_ALIGNMENT};
use w4a16::types::MAX_DIM;
use w4a16::Dtype;
use w4a16_status_t::*;

fn cases() -> u32 {
    std::env::var("W4A16_FUZZ_CASES")
        .or_else(|_| std::env::var("PROPTEST_CASES"))
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn config(divisor: u32) -> Config {
    Config { cases: (cases() / divisor).max(1), failure_persistence: None, ..Config::default() }
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(w4a16_last_error()) }.to_string_lossy().into_owned()
}

/// SUCCESS or INVALID_ARGUMENT with a message; anything else fails the property.
fn ok_or_invalid(s: w4a16_status_t) -> Result<bool, TestCaseError> {
    match s {
        W4A16_STATUS_SUCCESS => Ok(true),
        W4A16_STATUS_INVALID_ARGUMENT => {
            prop_assert!(!last_error().is_empty(), "INVALID_ARGUMENT without a message");
            Ok(false)
        }
        other => Err(TestCaseError::fail(format!("status {other:?}: {}", last_error()))),
    }
}

/// The documented descriptor rules, written independently of src/types.rs.
fn desc_is_valid(dtype: i32, n: i64, k: i64, g: i32, z: i32) -> bool {
    let dim_ok = |v: i64| v > 0 && v % 64 == 0 && v <= MAX_DIM as i64;
    (dtype == 0 || dtype == 1)
        && (z == 0 || z == 1)
        && dim_ok(n)
        && dim_ok(k)
        && (g == 32 || g == 64 || g == 128 || g as i64 == k)
        && g > 0
        && k % g as i64 == 0
}

fn interesting_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => (0i64..=64).prop_map(|x| x * 64),                   // small valid multiples
        2 => (1i64..=16).prop_map(|x| x * 65536),                 // up to 2^20
        1 => Just(MAX_DIM as i64),
        1 => Just(MAX_DIM as i64 + 64),
        1 => prop_oneof![Just(0i64), Just(-1), Just(-64), Just(1), Just(63), Just(96), Just(100)],
        1 => prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(i64::MAX - 63), Just(1i64 << 40), Just(1i64 << 32)],
        2 => any::<i64>(),
    ]
}

fn interesting_group() -> impl Strategy<Value = i32> {
    prop_oneof![
        4 => prop_oneof![Just(32i32), Just(64), Just(128)],
        1 => prop_oneof![Just(0i32), Just(-32), Just(16), Just(256), Just(i32::MAX), Just(i32::MIN), Just(192), Just(1 << 20)],
        1 => any::<i32>(),
    ]
}

fn interesting_small() -> impl Strategy<Value = i32> {
    prop_oneof![4 => 0i32..=1, 1 => -3i32..=5, 1 => any::<i32>()]
}

fn raw_desc(dtype: i32, n: i64, k: i64, g: i32, z: i32) -> w4a16_problem_desc_t {
    w4a16_problem_desc_t {
        struct_size: std::mem::size_of::<w4a16_problem_desc_t>() as u32,
        dtype,
        n,
        k,
        group_size: g,
        has_zeros: z,
    }
}

/// Small descriptors (so host buffers stay small), valid or not: n, k from a short list.
fn small_desc() -> impl Strategy<Value = (i32, i64, i64, i32, i32)> {
    (
        prop_oneof![4 => 0i32..=1, 1 => -1i32..=3],
        prop_oneof![Just(64i64), Just(128), Just(192), Just(0), Just(96), Just(-64)],
        prop_oneof![Just(64i64), Just(128), Just(192), Just(256), Just(512), Just(0), Just(100), Just(-128)],
        prop_oneof![Just(32i32), Just(64), Just(128), Just(192), Just(256), Just(512), Just(0), Just(48), Just(-64)],
        prop_oneof![4 => 0i32..=1, 1 => -1i32..=2],
    )
}

/// Small valid descriptors (built directly: no rejection sampling).
fn valid_small_desc() -> impl Strategy<Value = w4a16_problem_desc_t> {
    (0i32..=1, prop_oneof![Just(64i64), Just(128), Just(192)], prop_oneof![Just(64i64), Just(128), Just(192), Just(256), Just(512)], 0i32..=1)
        .prop_flat_map(|(dt, n, k, z)| {
            let groups: Vec<i32> = [32i32, 64, 128, k as i32].into_iter().filter(|g| k % *g as i64 == 0).collect();
            proptest::sample::select(groups).prop_map(move |g| raw_desc(dt, n, k, g, z))
        })
}

fn wdesc(d: &w4a16_problem_desc_t) -> w4a16::WeightDesc {
    w4a16::WeightDesc::new(
        Dtype::from_code(d.dtype).unwrap(),
        d.n as usize,
        d.k as usize,
        d.group_size as usize,
        d.has_zeros == 1,
    )
    .unwrap()
}

/// Finite, non-NaN scale bits of `dtype` in a sane range (the values real checkpoints hold).
fn scale_bits(dtype: Dtype, rng: u64) -> u16 {
    let x = 1e-3 + (rng % 10_000) as f32 * 1e-5;
    dtype.to_bits(x)
}

proptest! {
    #![proptest_config(config(1))]

    #[test]
    fn desc_init_accepts_exactly_the_documented_descriptors(
        dtype in interesting_small(), n in interesting_i64(), k in interesting_i64(),
        g in interesting_group(), z in interesting_small(),
    ) {
        let mut d = unsafe { std::mem::zeroed::<w4a16_problem_desc_t>() };
        let ok = ok_or_invalid(unsafe { w4a16_desc_init(&mut d, dtype, n, k, g, z) })?;
        prop_assert_eq!(ok, desc_is_valid(dtype, n, k, g, z), "desc_init({}, {}, {}, {}, {}): {}", dtype, n, k, g, z, last_error());
        let mut bytes = usize::MAX;
        let ok2 = ok_or_invalid(unsafe { w4a16_packed_weight_bytes(&d, &mut bytes) })?;
        prop_assert_eq!(ok, ok2);
        if ok {
            prop_assert_eq!(bytes as u128, n as u128 * k as u128 / 2);
        }
    }

    #[test]
    fn packed_weight_bytes_checks_struct_size_and_every_field(
        size in prop_oneof![Just(std::mem::size_of::<w4a16_problem_desc_t>() as u32), any::<u32>(), 0u32..64],
        dtype in interesting_small(), n in interesting_i64(), k in interesting_i64(),
        g in interesting_group(), z in interesting_small(),
    ) {
        let mut d = raw_desc(dtype, n, k, g, z);
        d.struct_size = size;
        let mut bytes = 0usize;
        let ok = ok_or_invalid(unsafe { w4a16_packed_weight_bytes(&d, &mut bytes) })?;
        let valid = size as usize >= std::mem::size_of::<w4a16_problem_desc_t>() && desc_is_valid(dtype, n, k, g, z);
        prop_assert_eq!(ok, valid, "{:?}: {}", d, last_error());
    }

    #[test]
    fn status_strings_never_null(s in any::<i32>()) {
        let p = w4a16_status_string(s);
        prop_assert!(!p.is_null());
        let t = unsafe { CStr::from_ptr(p) }.to_str().unwrap();
        prop_assert!(!t.is_empty());
        prop_assert_eq!(t == "unknown status", !(0..=8).contains(&s));
    }

    /// The gemm operand checks (the same function w4a16_gemm runs before any launch), with
    /// arbitrary pointer values (never dereferenced), leading dimensions, M and workspace.
    #[test]
    fn gemm_operand_checks_match_the_documented_rules(
        d in valid_small_desc(),
        ptrs in proptest::collection::vec(prop_oneof![
            3 => (1usize..1 << 20).prop_map(|x| x * 16),
            1 => Just(0usize),
            1 => any::<usize>(),
            1 => (1usize..1 << 20).prop_map(|x| x * 16 + 8),
        ], 7),
        lda_delta in prop_oneof![Just(0i64), Just(8), Just(-8), Just(1), Just(4), any::<i64>()],
        ldc_delta in prop_oneof![Just(0i64), Just(8), Just(-8), Just(2), Just(4096), any::<i64>()],
        m in prop_oneof![1usize..=2000, Just(0usize), Just(MAX_M), Just(MAX_M + 1), any::<usize>()],
        ws_bytes in prop_oneof![Just(0usize), 1usize..1 << 20, any::<usize>()],
    ) {
        let w = wdesc(&d);
        let lda = (w.k as i64).wrapping_add(lda_delta) as usize;
        let ldc = (w.n as i64).wrapping_add(ldc_delta) as usize;
        let p = |i: usize| ptrs[i] as *mut c_void;
        // zeros: honor has_zeros most of the time so the later checks are reached too.
        let zeros = if w.has_zeros { if ptrs[4] == 0 { 16 } else { ptrs[4] } } else { 0 };
        let zeros = if ptrs[6] % 7 == 0 { ptrs[4] } else { zeros };
        let ops = Operands {
            a: p(0), lda, packed_w: p(1), scales: p(2), zeros: zeros as *const c_void, bias: p(3),
            c: p(5), ldc, m, workspace: p(6), workspace_bytes: ws_bytes,
        };
        let got = std::panic::catch_unwind(|| validate_operands(&w, &ops));
        prop_assert!(got.is_ok(), "validate_operands panicked on {:?}", ops);
        let got = got.unwrap();
        if let Err(e) = &got {
            prop_assert_eq!(e.status, W4A16_STATUS_INVALID_ARGUMENT);
            prop_assert!(!e.message.is_empty());
        }
        let aligned = |x: usize| x % POINTER_ALIGNMENT == 0;
        let nn_al = |x: usize| x != 0 && aligned(x);
        let valid = (1..=MAX_M).contains(&m)
            && nn_al(ptrs[0]) && nn_al(ptrs[1]) && nn_al(ptrs[2]) && nn_al(ptrs[5])
            && (zeros != 0) == w.has_zeros && aligned(zeros)
            && aligned(ptrs[3])
            && lda >= w.k && lda % LD_MULTIPLE == 0
            && ldc >= w.n && ldc % LD_MULTIPLE == 0
            && !(ptrs[6] == 0 && ws_bytes != 0)
            && aligned(ptrs[6])
            && (m as u128) * (lda as u128) <= i64::MAX as u128
            && (m as u128) * (ldc as u128) <= i64::MAX as u128;
        prop_assert_eq!(got.is_ok(), valid, "{:?} {:?}: {:?}", w, ops, got);
    }

    /// Every handle entry point with a NULL handle and otherwise arbitrary arguments names the
    /// handle (or the output pointer checked before it) and never crashes.
    #[test]
    fn null_handle_entry_points_never_crash(
        dtype in interesting_small(), n in interesting_i64(), k in interesting_i64(), g in interesting_group(),
        m in any::<i64>(), lda in any::<i64>(), ldc in any::<i64>(), path in any::<i32>(), ws in any::<usize>(),
        p in any::<usize>(),
    ) {
        let d = raw_desc(dtype, n, k, g, 0);
        let pp = p as *mut c_void;
        let s = unsafe { w4a16_gemm(null_mut(), &d, pp, lda, pp, pp, null(), pp, pp, ldc, m, pp, ws, null_mut()) };
        prop_assert_eq!(s, W4A16_STATUS_INVALID_ARGUMENT);
        prop_assert!(last_error().contains("handle is NULL"));
        let mut bytes = 0usize;
        prop_assert_eq!(unsafe { w4a16_workspace_size(null_mut(), &d, m, &mut bytes) }, W4A16_STATUS_INVALID_ARGUMENT);
        prop_assert!(last_error().contains("handle is NULL"));
        let mut plan = unsafe { std::mem::zeroed::<w4a16_plan_t>() };
        plan.struct_size = std::mem::size_of::<w4a16_plan_t>() as u32;
        prop_assert_eq!(unsafe { w4a16_plan(null_mut(), &d, m, &mut plan) }, W4A16_STATUS_INVALID_ARGUMENT);
        prop_assert!(last_error().contains("handle is NULL"));
        prop_assert_eq!(unsafe { w4a16_force_path(null_mut(), path) }, W4A16_STATUS_INVALID_ARGUMENT);
        prop_assert_eq!(unsafe { w4a16_pack_weights(null_mut(), &d, pp, pp, null_mut()) }, W4A16_STATUS_INVALID_ARGUMENT);
        prop_assert!(last_error().contains("handle is NULL"));
    }

    /// Host pack/unpack with arbitrary descriptors and declared sizes (buffers as large as
    /// declared): success exactly when both sizes cover N·K/2 of a valid descriptor; then
    /// every sampled weight sits at its packed-layout-v2 position as q ^ 8, unpack inverts the
    /// pack, and nothing past N·K/2 is written.
    #[test]
    fn host_pack_unpack_sizes_and_round_trip(
        (dt, n, k, g, z) in small_desc(),
        src_extra in prop_oneof![Just(0i64), Just(-1), Just(1), Just(16), -70000i64..70000],
        dst_extra in prop_oneof![Just(0i64), Just(-1), Just(1), Just(16), -70000i64..70000],
        seed in any::<u64>(),
    ) {
        let d = raw_desc(dt, n, k, g, z);
        let need = if desc_is_valid(dt, n, k, g, z) { (n * k / 2) as i64 } else { 4096 };
        let src_len = (need + src_extra).max(0) as usize;
        let dst_len = (need + dst_extra).max(0) as usize;
        let mut rng = w4a16::rng::Rng::new(seed);
        let src: Vec<u8> = (0..src_len).map(|_| rng.next_u64() as u8).collect();
        let mut packed = vec![0xEEu8; dst_len];
        let ok = ok_or_invalid(unsafe { w4a16_pack_weights_host(&d, src.as_ptr(), src_len, packed.as_mut_ptr(), dst_len) })?;
        let valid = desc_is_valid(dt, n, k, g, z) && src_len as i64 >= need && dst_len as i64 >= need;
        prop_assert_eq!(ok, valid, "{:?} src {} dst {}: {}", d, src_len, dst_len, last_error());
        if !ok {
            prop_assert!(packed.iter().all(|&b| b == 0xEE), "a failed pack wrote output");
            return Ok(());
        }
        let need = need as usize;
        for _ in 0..64 {
            let (ni, ki) = (rng.below(n as u64) as usize, rng.below(k as u64) as usize);
            let nib = w4a16::pack::packed_nibble(&packed, k as usize, ni, ki);
            prop_assert_eq!(nib, w4a16::pack::q_at(&src, k as usize, ni, ki) ^ 8, "weight ({}, {})", ni, ki);
        }
        prop_assert!(packed[need..].iter().all(|&b| b == 0xEE), "pack wrote past N*K/2");
        let mut back = vec![0x11u8; need + 3];
        let ok = ok_or_invalid(unsafe { w4a16_unpack_weights_host(&d, packed.as_ptr(), dst_len, back.as_mut_ptr(), need + 3) })?;
        prop_assert!(ok);
        prop_assert_eq!(&back[..need], &src[..need]);
        prop_assert!(back[need..].iter().all(|&b| b == 0x11));
    }

    /// Plain bytes and scale/zero bits of any value (NaN and inf included): dequantize_host
    /// succeeds for every valid descriptor and computes (q - 8)·s (+ z) element by element.
    #[test]
    fn dequantize_host_any_bits(d in valid_small_desc(), seed in any::<u64>()) {
        let w = wdesc(&d);
        let mut rng = w4a16::rng::Rng::new(seed);
        let plain: Vec<u8> = (0..w.weight_bytes()).map(|_| rng.next_u64() as u8).collect();
        let scales: Vec<u16> = (0..w.scale_elems()).map(|_| rng.next_u64() as u16).collect();
        let zeros: Vec<u16> = (0..w.scale_elems()).map(|_| rng.next_u64() as u16).collect();
        let mut out = vec![0f32; w.n * w.k];
        let zp = if w.has_zeros { zeros.as_ptr() as *const c_void } else { null() };
        let ok = ok_or_invalid(unsafe {
            w4a16_dequantize_host(&d, plain.as_ptr(), scales.as_ptr() as *const c_void, zp, out.as_mut_ptr())
        })?;
        prop_assert!(ok, "{}", last_error());
        for _ in 0..64 {
            let ni = rng.below(w.n as u64) as usize;
            let ki = rng.below(w.k as u64) as usize;
            let q = w4a16::pack::q_at(&plain, w.k, ni, ki) as f64;
            let gi = (ki / w.group_size) * w.n + ni;
            let s = w.dtype.from_bits(scales[gi]) as f64;
            let z = if w.has_zeros { w.dtype.from_bits(zeros[gi]) as f64 } else { 0.0 };
            let want = ((q - 8.0) * s + z) as f32;
            let got = out[ni * w.k + ki];
            prop_assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "n={} k={}: got {} want {}", ni, ki, got, want);
        }
    }
}

proptest! {
    #![proptest_config(config(4))]

    /// quantize_host with any f32 bit patterns: INVALID_ARGUMENT for non-finite or overflowing
    /// weights, SUCCESS otherwise; on success dequantize_host reproduces every weight within
    /// 0.6 of its group's step (plus the dtype rounding of the zero).
    #[test]
    fn quantize_host_any_floats(
        d in valid_small_desc(), seed in any::<u64>(),
        mode in 0u8..4, magnitude in prop_oneof![Just(1f32), Just(1e-6), Just(1e3), Just(6e4), Just(1e38)],
    ) {
        let w = wdesc(&d);
        let mut rng = w4a16::rng::Rng::new(seed);
        let wf: Vec<f32> = (0..w.n * w.k).map(|_| match mode {
            0 => f32::from_bits(rng.next_u64() as u32),          // any bit pattern
            1 => rng.uniform(-1.0, 1.0) * magnitude,             // a range
            2 => 100.0 + rng.uniform(0.0, 1.0) * magnitude,      // offset groups
            _ => if rng.below(50) == 0 { f32::NAN } else { rng.normal() * magnitude },
        }).collect();
        let mut plain = vec![0u8; w.weight_bytes()];
        let mut scales = vec![0u16; w.scale_elems()];
        let mut zeros = vec![0u16; w.scale_elems()];
        let zp = if w.has_zeros { zeros.as_mut_ptr() as *mut c_void } else { null_mut() };
        let ok = ok_or_invalid(unsafe {
            w4a16_quantize_host(&d, wf.as_ptr(), plain.as_mut_ptr(), scales.as_mut_ptr() as *mut c_void, zp)
        })?;
        if wf.iter().any(|x| !x.is_finite()) {
            prop_assert!(!ok, "non-finite weights accepted");
            prop_assert!(last_error().contains("not finite"), "{}", last_error());
            return Ok(());
        }
        if !ok {
            prop_assert!(last_error().contains("overflows"), "{}", last_error());
            return Ok(());
        }
        let mut deq = vec![0f32; w.n * w.k];
        let ok = ok_or_invalid(unsafe {
            w4a16_dequantize_host(&d, plain.as_ptr(), scales.as_ptr() as *const c_void, zp as *const c_void, deq.as_mut_ptr())
        })?;
        prop_assert!(ok);
        let ulp = match w.dtype { Dtype::F16 => 1.0 / 1024.0, Dtype::Bf16 => 1.0 / 128.0 };
        for ni in 0..w.n {
            for ki in 0..w.k {
                let gi = (ki / w.group_size) * w.n + ni;
                let s = w.dtype.from_bits(scales[gi]) as f64;
                let z = if w.has_zeros { w.dtype.from_bits(zeros[gi]) as f64 } else { 0.0 };
                let x = wf[ni * w.k + ki] as f64;
                let err = (deq[ni * w.k + ki] as f64 - x).abs();
                let bound = 0.6 * s + z.abs() * ulp + x.abs() * 1e-6 + 1e-30;
                prop_assert!(err <= bound, "{:?} n={} k={}: w={} deq={} s={} z={}", w, ni, ki, x, deq[ni * w.k + ki], s, z);
            }
        }
    }

    /// GPTQ import of any int32 words, zero offsets and scales: INVALID_ARGUMENT for a bad
    /// zero_offset, a non-finite scale or (symmetric descriptor) a zero point other than 8;
    /// on success every 4-bit value is kept and z = (8 - zp)·s up to the dtype's rounding.
    #[test]
    fn import_gptq_any_words(
        d in valid_small_desc(), seed in any::<u64>(),
        zero_offset in prop_oneof![4 => 0i32..=1, 1 => any::<i32>()],
        with_qzeros in any::<bool>(), sym_zeros in any::<bool>(), nan_scale in proptest::bool::weighted(0.1),
    ) {
        let w = wdesc(&d);
        let mut rng = w4a16::rng::Rng::new(seed);
        let qweight: Vec<i32> = (0..w.k / 8 * w.n).map(|_| rng.next_u64() as i32).collect();
        let qzeros: Vec<i32> = (0..w.groups() * w.n / 8).map(|_| {
            if sym_zeros { if zero_offset == 1 { 0x7777_7777 } else { -0x7777_7778 } } else { rng.next_u64() as i32 }
        }).collect();
        let mut scales: Vec<u16> = (0..w.scale_elems()).map(|_| scale_bits(w.dtype, rng.next_u64())).collect();
        if nan_scale {
            let i = rng.below(scales.len() as u64) as usize;
            scales[i] = if w.dtype == Dtype::F16 { 0x7C00 } else { 0x7FC1 };
        }
        let mut plain = vec![0u8; w.weight_bytes()];
        let mut zeros = vec![0u16; w.scale_elems()];
        let zo = if w.has_zeros { zeros.as_mut_ptr() as *mut c_void } else { null_mut() };
        let qz = if with_qzeros { qzeros.as_ptr() } else { null() };
        let ok = ok_or_invalid(unsafe {
            w4a16_import_gptq_host(&d, qweight.as_ptr(), qz, scales.as_ptr() as *const c_void, zero_offset, plain.as_mut_ptr(), zo)
        })?;
        let zp_of = |g: usize, col: usize| ((qzeros[g * (w.n / 8) + col / 8] as u32 >> (4 * (col % 8))) & 0xF) as i32 + zero_offset;
        let all_eight = (0..w.groups()).all(|g| (0..w.n).all(|c| zp_of(g, c) == 8));
        let expect_ok = (zero_offset == 0 || zero_offset == 1)
            && !nan_scale
            && (if w.has_zeros { with_qzeros } else { !with_qzeros || all_eight });
        prop_assert_eq!(ok, expect_ok, "{:?} off={} qz={} sym={}: {}", w, zero_offset, with_qzeros, sym_zeros, last_error());
        if !ok {
            return Ok(());
        }
        for _ in 0..64 {
            let ni = rng.below(w.n as u64) as usize;
            let ki = rng.below(w.k as u64) as usize;
            let want = (qweight[(ki / 8) * w.n + ni] as u32 >> (4 * (ki % 8))) & 0xF;
            prop_assert_eq!(w4a16::pack::q_at(&plain, w.k, ni, ki) as u32, want);
        }
        if w.has_zeros {
            for gi in 0..w.scale_elems() {
                let (g, col) = (gi / w.n, gi % w.n);
                let s = w.dtype.from_bits(scales[gi]) as f64;
                let want = (8 - zp_of(g, col)) as f64 * s;
                let got = w.dtype.from_bits(zeros[gi]) as f64;
                prop_assert!((got - want).abs() <= want.abs() / 128.0 + 1e-30, "zero {}: {} vs {}", gi, got, want);
            }
        }
    }

    /// AWQ import of any int32 words: success exactly with has_zeros=1 and finite scales; every
    /// 4-bit value lands at its documented (AutoAWQ order) position.
    #[test]
    fn import_awq_any_words(d in valid_small_desc(), seed in any::<u64>(), nan_scale in proptest::bool::weighted(0.1)) {
        let w = wdesc(&d);
        let mut rng = w4a16::rng::Rng::new(seed);
        let qweight: Vec<i32> = (0..w.k * w.n / 8).map(|_| rng.next_u64() as i32).collect();
        let qzeros: Vec<i32> = (0..w.groups() * w.n / 8).map(|_| rng.next_u64() as i32).collect();
        let mut scales: Vec<u16> = (0..w.scale_elems()).map(|_| scale_bits(w.dtype, rng.next_u64())).collect();
        if nan_scale {
            scales[0] = if w.dtype == Dtype::F16 { 0xFC00 } else { 0xFF80 };
        }
        let mut plain = vec![0u8; w.weight_bytes()];
        let mut zeros = vec![0u16; w.scale_elems()];
        let zo = if w.has_zeros { zeros.as_mut_ptr() as *mut c_void } else { null_mut() };
        let ok = ok_or_invalid(unsafe {
            w4a16_import_awq_host(&d, qweight.as_ptr(), qzeros.as_ptr(), scales.as_ptr() as *const c_void, plain.as_mut_ptr(), zo)
        })?;
        prop_assert_eq!(ok, w.has_zeros && !nan_scale, "{:?}: {}", w, last_error());
        if !ok {
            return Ok(());
        }
        for _ in 0..64 {
            let ni = rng.below(w.n as u64) as usize;
            let ki = rng.below(w.k as u64) as usize;
            let slot = w4a16::import::AWQ_PACK_ORDER.iter().position(|&o| o == ni % 8).unwrap();
            let want = (qweight[ki * (w.n / 8) + ni / 8] as u32 >> (4 * slot)) & 0xF;
            prop_assert_eq!(w4a16::pack::q_at(&plain, w.k, ni, ki) as u32, want, "n={} k={}", ni, ki);
        }
    }
}
