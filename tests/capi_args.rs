//! Issue #8, bad input, no GPU needed: every export × every bad argument that can be checked
//! without a device, one by one, through the C functions. Each case asserts the specific status
//! and that w4a16_last_error() names the argument (and, where useful, the value).
//!
//! What needs a handle (w4a16_gemm / w4a16_plan / w4a16_workspace_size / w4a16_force_path /
//! w4a16_pack_weights beyond the NULL handle, WORKSPACE_TOO_SMALL, WRONG_DEVICE) is in
//! tests/reliability_gpu.rs and tests/multi_gpu.rs: a handle can only be made on a GPU.

use std::ffi::{c_void, CStr};
use std::ptr::{null, null_mut};
use w4a16::capi::*;
use w4a16_status_t::*;

fn last_error() -> String {
    unsafe { CStr::from_ptr(w4a16_last_error()) }.to_string_lossy().into_owned()
}

/// Asserts the status and that the message mentions every needle.
#[track_caller]
fn expect(status: w4a16_status_t, want: w4a16_status_t, needles: &[&str]) {
    let msg = last_error();
    assert_eq!(status, want, "last error: {msg}");
    if want != W4A16_STATUS_SUCCESS {
        for needle in needles {
            assert!(msg.contains(needle), "message {msg:?} does not mention {needle:?}");
        }
    }
}

fn desc(dtype: i32, n: i64, k: i64, g: i32, z: i32) -> w4a16_problem_desc_t {
    let mut d = unsafe { std::mem::zeroed::<w4a16_problem_desc_t>() };
    let s = unsafe { w4a16_desc_init(&mut d, dtype, n, k, g, z) };
    assert_eq!(s, W4A16_STATUS_SUCCESS, "{}", last_error());
    d
}

/// Descriptors that are wrong in exactly one field (as a caller that edits a filled struct, or
/// never called w4a16_desc_init, would pass them), with what the message must name.
fn corrupted_descs(good: w4a16_problem_desc_t) -> Vec<(w4a16_problem_desc_t, &'static str)> {
    let mut v = Vec::new();
    let mut push = |f: &dyn Fn(&mut w4a16_problem_desc_t), needle: &'static str| {
        let mut d = good;
        f(&mut d);
        v.push((d, needle));
    };
    push(&|d| d.struct_size = 0, "struct_size=0");
    push(&|d| d.struct_size = 4, "struct_size=4");
    push(&|d| d.dtype = 2, "dtype=2");
    push(&|d| d.dtype = i32::MIN, "dtype=-2147483648");
    push(&|d| d.has_zeros = -1, "has_zeros=-1");
    push(&|d| d.has_zeros = 7, "has_zeros=7");
    push(&|d| d.n = 0, "N=0");
    push(&|d| d.n = -64, "desc->n=-64");
    push(&|d| d.n = i64::MIN, "desc->n=");
    push(&|d| d.n = 96, "N=96");
    push(&|d| d.n = (1 << 20) + 64, "N=1048640");
    push(&|d| d.k = 0, "K=0");
    push(&|d| d.k = -128, "desc->k=-128");
    push(&|d| d.k = 200, "K=200");
    push(&|d| d.k = i64::MAX, "K=");
    push(&|d| d.group_size = 16, "group_size=16");
    push(&|d| d.group_size = 512, "group_size=512");
    push(&|d| d.group_size = -1, "group_size=-1");
    push(&|d| d.group_size = i32::MAX, "group_size=2147483647");
    if good.group_size == 128 {
        push(&|d| d.k = 320, "K=320 is not a multiple of group_size=128");
    }
    v
}

fn good() -> w4a16_problem_desc_t {
    desc(0, 128, 256, 128, 0)
}

fn good_z() -> w4a16_problem_desc_t {
    desc(1, 128, 256, 64, 1)
}

/// A pointer one byte past an aligned buffer start: misaligned for u16/i32/f32.
fn odd<T>(p: *const T) -> *const T {
    (p as *const u8).wrapping_add(1) as *const T
}

fn odd_mut<T>(p: *mut T) -> *mut T {
    (p as *mut u8).wrapping_add(1) as *mut T
}

#[test]
fn desc_init_each_field_and_extremes() {
    expect(unsafe { w4a16_desc_init(null_mut(), 0, 64, 64, 64, 0) }, W4A16_STATUS_INVALID_ARGUMENT, &["desc is NULL"]);
    let cases: &[((i32, i64, i64, i32, i32), &str)] = &[
        ((i32::MAX, 128, 128, 128, 0), "dtype=2147483647"),
        ((0, i64::MIN, 128, 128, 0), "desc->n=-9223372036854775808"),
        ((0, i64::MAX, 128, 128, 0), "N=9223372036854775807"),
        ((0, 128, i64::MIN, 128, 0), "desc->k=-9223372036854775808"),
        ((0, 128, -64, 128, 0), "desc->k=-64"),
        ((0, 128, 64, 128, 0), "group_size=128"),
        ((0, 128, 96, 32, 0), "K=96"),
        ((0, 2 << 20, 128, 128, 0), "N=2097152"),
        ((0, 128, 2 << 20, 128, 0), "K=2097152"),
        ((0, 128, 128, i32::MIN, 0), "group_size=-2147483648"),
        ((0, 128, 128, 128, i32::MIN), "has_zeros=-2147483648"),
        ((0, 128, 128, 128, 1 << 30), "has_zeros=1073741824"),
    ];
    for &((dt, n, k, g, z), needle) in cases {
        let mut d = unsafe { std::mem::zeroed::<w4a16_problem_desc_t>() };
        let s = unsafe { w4a16_desc_init(&mut d, dt, n, k, g, z) };
        expect(s, W4A16_STATUS_INVALID_ARGUMENT, &[needle]);
        // The struct is filled anyway (struct_size set), so a caller can inspect it.
        assert_eq!(d.struct_size as usize, std::mem::size_of::<w4a16_problem_desc_t>());
    }
    // The extremes that are valid.
    for (n, k, g) in [(1i64 << 20, 64i64, 64i32), (64, 1 << 20, 1 << 20), (64, 1 << 20, 32), (1 << 20, 1 << 20, 128)] {
        let _ = desc(0, n, k, g, 1);
    }
}

#[test]
fn packed_weight_bytes_rejects_each_corrupted_desc() {
    let mut bytes = 12345usize;
    expect(unsafe { w4a16_packed_weight_bytes(null(), &mut bytes) }, W4A16_STATUS_INVALID_ARGUMENT, &["desc is NULL"]);
    expect(unsafe { w4a16_packed_weight_bytes(&good(), null_mut()) }, W4A16_STATUS_INVALID_ARGUMENT, &["bytes is NULL"]);
    for (d, needle) in corrupted_descs(good()) {
        expect(unsafe { w4a16_packed_weight_bytes(&d, &mut bytes) }, W4A16_STATUS_INVALID_ARGUMENT, &[needle]);
    }
    // N·K/2 at the largest dimensions (2^39 bytes) must not overflow.
    let big = desc(0, 1 << 20, 1 << 20, 128, 0);
    expect(unsafe { w4a16_packed_weight_bytes(&big, &mut bytes) }, W4A16_STATUS_SUCCESS, &[]);
    assert_eq!(bytes, 1usize << 39);
}

#[test]
fn pack_and_unpack_host_each_bad_argument() {
    let d = good();
    let n = 128 * 256 / 2;
    let src = vec![0x5Au8; n];
    let mut dst = vec![0u8; n];
    type F = unsafe extern "C" fn(*const w4a16_problem_desc_t, *const u8, usize, *mut u8, usize) -> w4a16_status_t;
    let fns: [(F, &str, &str, &str, &str); 2] = [
        (w4a16_pack_weights_host, "plain_qweight", "plain_bytes", "packed_out", "packed_bytes"),
        (w4a16_unpack_weights_host, "packed", "packed_bytes", "plain_out", "plain_bytes"),
    ];
    for (f, src_name, src_bytes, dst_name, dst_bytes) in fns {
        expect(unsafe { f(&d, src.as_ptr(), n, dst.as_mut_ptr(), n) }, W4A16_STATUS_SUCCESS, &[]);
        expect(unsafe { f(null(), src.as_ptr(), n, dst.as_mut_ptr(), n) }, W4A16_STATUS_INVALID_ARGUMENT, &["desc is NULL"]);
        for (bad, needle) in corrupted_descs(d) {
            expect(unsafe { f(&bad, src.as_ptr(), n, dst.as_mut_ptr(), n) }, W4A16_STATUS_INVALID_ARGUMENT, &[needle]);
        }
        expect(unsafe { f(&d, null(), n, dst.as_mut_ptr(), n) }, W4A16_STATUS_INVALID_ARGUMENT, &[&format!("{src_name} is NULL")]);
        expect(unsafe { f(&d, src.as_ptr(), n, null_mut(), n) }, W4A16_STATUS_INVALID_ARGUMENT, &[&format!("{dst_name} is NULL")]);
        expect(unsafe { f(&d, src.as_ptr(), 0, dst.as_mut_ptr(), n) }, W4A16_STATUS_INVALID_ARGUMENT, &[&format!("{src_bytes}=0")]);
        expect(unsafe { f(&d, src.as_ptr(), n - 1, dst.as_mut_ptr(), n) }, W4A16_STATUS_INVALID_ARGUMENT, &[&format!("{src_bytes}={}", n - 1), &n.to_string()]);
        expect(unsafe { f(&d, src.as_ptr(), n, dst.as_mut_ptr(), n - 1) }, W4A16_STATUS_INVALID_ARGUMENT, &[&format!("{dst_bytes}={}", n - 1)]);
        // Larger buffers than needed are fine (only N·K/2 bytes are touched).
        let mut dst2 = vec![0xEEu8; n + 16];
        expect(unsafe { f(&d, src.as_ptr(), n, dst2.as_mut_ptr(), n + 16) }, W4A16_STATUS_SUCCESS, &[]);
        assert!(dst2[n..].iter().all(|&b| b == 0xEE), "{dst_name}: wrote past N*K/2 bytes");
        // A descriptor that needs more than the buffers hold is refused by size, before any access.
        let huge = desc(0, 1 << 20, 1 << 20, 128, 0);
        expect(unsafe { f(&huge, src.as_ptr(), n, dst.as_mut_ptr(), n) }, W4A16_STATUS_INVALID_ARGUMENT, &[src_bytes, "549755813888"]);
        // A failed call leaves the output untouched.
        let mut dst3 = vec![0xEEu8; n];
        let _ = unsafe { f(&d, src.as_ptr(), n, dst3.as_mut_ptr(), n - 1) };
        assert!(dst3.iter().all(|&b| b == 0xEE), "{dst_name}: a failed call wrote output");
    }
}

#[test]
fn quantize_host_each_bad_argument() {
    for d in [good(), good_z()] {
        let z = d.has_zeros == 1;
        let w: Vec<f32> = (0..128 * 256).map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0).collect();
        let mut plain = vec![0u8; 128 * 128];
        let mut scales = vec![0u16; 8 * 128 + 1];
        let mut zeros = vec![0u16; 8 * 128 + 1];
        let sp = scales.as_mut_ptr() as *mut c_void;
        let zp = if z { zeros.as_mut_ptr() as *mut c_void } else { null_mut() };
        let q = |d: *const w4a16_problem_desc_t, w: *const f32, p: *mut u8, s: *mut c_void, zz: *mut c_void| unsafe {
            w4a16_quantize_host(d, w, p, s, zz)
        };
        expect(q(&d, w.as_ptr(), plain.as_mut_ptr(), sp, zp), W4A16_STATUS_SUCCESS, &[]);
        expect(q(null(), w.as_ptr(), plain.as_mut_ptr(), sp, zp), W4A16_STATUS_INVALID_ARGUMENT, &["desc is NULL"]);
        for (bad, needle) in corrupted_descs(d) {
            if bad.has_zeros == d.has_zeros {
                expect(q(&bad, w.as_ptr(), plain.as_mut_ptr(), sp, zp), W4A16_STATUS_INVALID_ARGUMENT, &[needle]);
            }
        }
        expect(q(&d, null(), plain.as_mut_ptr(), sp, zp), W4A16_STATUS_INVALID_ARGUMENT, &["weights is NULL"]);
        expect(q(&d, odd(w.as_ptr()), plain.as_mut_ptr(), sp, zp), W4A16_STATUS_INVALID_ARGUMENT, &["weights=", "aligned"]);
        expect(q(&d, w.as_ptr(), null_mut(), sp, zp), W4A16_STATUS_INVALID_ARGUMENT, &["plain_out is NULL"]);
        expect(q(&d, w.as_ptr(), plain.as_mut_ptr(), null_mut(), zp), W4A16_STATUS_INVALID_ARGUMENT, &["scales_out is NULL"]);
        expect(q(&d, w.as_ptr(), plain.as_mut_ptr(), odd_mut(sp), zp), W4A16_STATUS_INVALID_ARGUMENT, &["scales_out=", "aligned"]);
        if z {
            expect(q(&d, w.as_ptr(), plain.as_mut_ptr(), sp, null_mut()), W4A16_STATUS_INVALID_ARGUMENT, &["zeros_out is NULL", "has_zeros=1"]);
            expect(q(&d, w.as_ptr(), plain.as_mut_ptr(), sp, odd_mut(zp)), W4A16_STATUS_INVALID_ARGUMENT, &["zeros_out=", "aligned"]);
        } else {
            let zz = zeros.as_mut_ptr() as *mut c_void;
            expect(q(&d, w.as_ptr(), plain.as_mut_ptr(), sp, zz), W4A16_STATUS_INVALID_ARGUMENT, &["zeros_out is not NULL", "has_zeros=0"]);
        }
        // Data errors: a non-finite weight, a scale that overflows the dtype.
        for (bad, needle) in [(f32::NAN, "NaN"), (f32::INFINITY, "inf"), (f32::NEG_INFINITY, "inf")] {
            let mut w2 = w.clone();
            w2[300] = bad;
            expect(q(&d, w2.as_ptr(), plain.as_mut_ptr(), sp, zp), W4A16_STATUS_INVALID_ARGUMENT, &["w[300]", needle]);
        }
        if d.dtype == 0 {
            let mut w2 = w.clone();
            w2[5] = 1e30;
            expect(q(&d, w2.as_ptr(), plain.as_mut_ptr(), sp, zp), W4A16_STATUS_INVALID_ARGUMENT, &["overflows fp16"]);
        }
        assert_eq!(scales[8 * 128], 0, "wrote past the scales");
        assert_eq!(zeros[8 * 128], 0, "wrote past the zeros");
    }
}

/// A GPTQ tensor set for `d` (symmetric-looking qzeros: stored 7 = zp 8 with zero_offset 1).
fn gptq_parts(d: &w4a16_problem_desc_t) -> (Vec<i32>, Vec<i32>, Vec<u16>) {
    let (n, k, g) = (d.n as usize, d.k as usize, d.group_size as usize);
    let qweight: Vec<i32> = (0..k / 8 * n).map(|i| (i as i32).wrapping_mul(0x1234567)).collect();
    let qzeros = vec![0x7777_7777i32; k / g * n / 8];
    let one = if d.dtype == 0 { 0x3C00u16 } else { 0x3F80 };
    let scales = vec![one; k / g * n];
    (qweight, qzeros, scales)
}

#[test]
fn import_gptq_host_each_bad_argument() {
    for d in [good(), good_z()] {
        let z = d.has_zeros == 1;
        let (qw, qz, sc) = gptq_parts(&d);
        let mut plain = vec![0u8; 128 * 128];
        let mut zeros = vec![0u16; sc.len()];
        let zo = if z { zeros.as_mut_ptr() as *mut c_void } else { null_mut() };
        let s = sc.as_ptr() as *const c_void;
        let call = |d: *const w4a16_problem_desc_t, qw: *const i32, qz: *const i32, s: *const c_void, off: i32, p: *mut u8, zo: *mut c_void| unsafe {
            w4a16_import_gptq_host(d, qw, qz, s, off, p, zo)
        };
        expect(call(&d, qw.as_ptr(), qz.as_ptr(), s, 1, plain.as_mut_ptr(), zo), W4A16_STATUS_SUCCESS, &[]);
        expect(call(null(), qw.as_ptr(), qz.as_ptr(), s, 1, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["desc is NULL"]);
        for (bad, needle) in corrupted_descs(d) {
            if bad.has_zeros == d.has_zeros {
                expect(call(&bad, qw.as_ptr(), qz.as_ptr(), s, 1, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &[needle]);
            }
        }
        expect(call(&d, null(), qz.as_ptr(), s, 1, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["qweight is NULL"]);
        expect(call(&d, odd(qw.as_ptr()), qz.as_ptr(), s, 1, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["qweight=", "aligned"]);
        expect(call(&d, qw.as_ptr(), odd(qz.as_ptr()), s, 1, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["qzeros=", "aligned"]);
        expect(call(&d, qw.as_ptr(), qz.as_ptr(), null(), 1, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["scales is NULL"]);
        expect(call(&d, qw.as_ptr(), qz.as_ptr(), odd(s), 1, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["scales=", "aligned"]);
        expect(call(&d, qw.as_ptr(), qz.as_ptr(), s, 1, null_mut(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["plain_out is NULL"]);
        for off in [2, -1, i32::MAX, i32::MIN] {
            expect(call(&d, qw.as_ptr(), qz.as_ptr(), s, off, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &[&format!("zero_offset={off}")]);
        }
        let mut nan_scales = sc.clone();
        nan_scales[3] = 0x7E00; // fp16 NaN
        if d.dtype == 0 {
            expect(call(&d, qw.as_ptr(), qz.as_ptr(), nan_scales.as_ptr() as *const c_void, 1, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["scales[3]", "not finite"]);
        } else {
            nan_scales[3] = 0x7FC0; // bf16 NaN
            expect(call(&d, qw.as_ptr(), qz.as_ptr(), nan_scales.as_ptr() as *const c_void, 1, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["scales[3]", "not finite"]);
        }
        if z {
            expect(call(&d, qw.as_ptr(), null(), s, 1, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["qzeros is missing", "has_zeros"]);
            expect(call(&d, qw.as_ptr(), qz.as_ptr(), s, 1, plain.as_mut_ptr(), null_mut()), W4A16_STATUS_INVALID_ARGUMENT, &["zeros_out is NULL"]);
            expect(call(&d, qw.as_ptr(), qz.as_ptr(), s, 1, plain.as_mut_ptr(), odd_mut(zo)), W4A16_STATUS_INVALID_ARGUMENT, &["zeros_out=", "aligned"]);
        } else {
            let zz = zeros.as_mut_ptr() as *mut c_void;
            expect(call(&d, qw.as_ptr(), qz.as_ptr(), s, 1, plain.as_mut_ptr(), zz), W4A16_STATUS_INVALID_ARGUMENT, &["zeros_out is not NULL", "has_zeros=0"]);
            // Symmetric desc: qzeros may be absent, or present with zp = 8 everywhere only.
            expect(call(&d, qw.as_ptr(), null(), s, 1, plain.as_mut_ptr(), null_mut()), W4A16_STATUS_SUCCESS, &[]);
            let mut qz2 = qz.clone();
            qz2[1] = 0x7777_7771;
            expect(call(&d, qw.as_ptr(), qz2.as_ptr(), s, 1, plain.as_mut_ptr(), null_mut()), W4A16_STATUS_INVALID_ARGUMENT, &["zero point 2", "has_zeros=false"]);
        }
    }
}

#[test]
fn import_awq_host_each_bad_argument() {
    let d = good_z();
    let (n, k, g) = (128usize, 256usize, 64usize);
    let qw: Vec<i32> = (0..k * n / 8).map(|i| (i as i32).wrapping_mul(0x3456789)).collect();
    let qz = vec![0x1234_5678i32; k / g * n / 8];
    let sc = vec![0x3F80u16; k / g * n];
    let mut plain = vec![0u8; n * k / 2];
    let mut zeros = vec![0u16; sc.len()];
    let s = sc.as_ptr() as *const c_void;
    let zo = zeros.as_mut_ptr() as *mut c_void;
    let call = |d: *const w4a16_problem_desc_t, qw: *const i32, qz: *const i32, s: *const c_void, p: *mut u8, zo: *mut c_void| unsafe {
        w4a16_import_awq_host(d, qw, qz, s, p, zo)
    };
    expect(call(&d, qw.as_ptr(), qz.as_ptr(), s, plain.as_mut_ptr(), zo), W4A16_STATUS_SUCCESS, &[]);
    expect(call(null(), qw.as_ptr(), qz.as_ptr(), s, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["desc is NULL"]);
    for (bad, needle) in corrupted_descs(d) {
        if bad.has_zeros == 1 {
            expect(call(&bad, qw.as_ptr(), qz.as_ptr(), s, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &[needle]);
        }
    }
    expect(call(&d, null(), qz.as_ptr(), s, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["qweight is NULL"]);
    expect(call(&d, odd(qw.as_ptr()), qz.as_ptr(), s, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["qweight=", "aligned"]);
    expect(call(&d, qw.as_ptr(), null(), s, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["qzeros is NULL"]);
    expect(call(&d, qw.as_ptr(), odd(qz.as_ptr()), s, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["qzeros=", "aligned"]);
    expect(call(&d, qw.as_ptr(), qz.as_ptr(), null(), plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["scales is NULL"]);
    expect(call(&d, qw.as_ptr(), qz.as_ptr(), odd(s), plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["scales=", "aligned"]);
    expect(call(&d, qw.as_ptr(), qz.as_ptr(), s, null_mut(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["plain_out is NULL"]);
    expect(call(&d, qw.as_ptr(), qz.as_ptr(), s, plain.as_mut_ptr(), null_mut()), W4A16_STATUS_INVALID_ARGUMENT, &["zeros_out is NULL"]);
    expect(call(&d, qw.as_ptr(), qz.as_ptr(), s, plain.as_mut_ptr(), odd_mut(zo)), W4A16_STATUS_INVALID_ARGUMENT, &["zeros_out=", "aligned"]);
    // AWQ always has zeros: a symmetric descriptor is refused whatever zeros_out is.
    let sym = desc(1, 128, 256, 64, 0);
    expect(call(&sym, qw.as_ptr(), qz.as_ptr(), s, plain.as_mut_ptr(), null_mut()), W4A16_STATUS_INVALID_ARGUMENT, &["has_zeros must be true"]);
    expect(call(&sym, qw.as_ptr(), qz.as_ptr(), s, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["zeros_out is not NULL"]);
    let mut nan = sc.clone();
    nan[7] = 0x7F80; // bf16 +inf
    expect(call(&d, qw.as_ptr(), qz.as_ptr(), nan.as_ptr() as *const c_void, plain.as_mut_ptr(), zo), W4A16_STATUS_INVALID_ARGUMENT, &["scales[7]", "not finite"]);
}

#[test]
fn dequantize_host_each_bad_argument() {
    for d in [good(), good_z()] {
        let z = d.has_zeros == 1;
        let g = d.group_size as usize;
        let plain = vec![0x3Cu8; 128 * 128];
        let sc = vec![0x3C00u16; 256 / g * 128];
        let zs = vec![0u16; sc.len()];
        let mut out = vec![0f32; 128 * 256];
        let s = sc.as_ptr() as *const c_void;
        let zp = if z { zs.as_ptr() as *const c_void } else { null() };
        let call = |d: *const w4a16_problem_desc_t, p: *const u8, s: *const c_void, zz: *const c_void, o: *mut f32| unsafe {
            w4a16_dequantize_host(d, p, s, zz, o)
        };
        expect(call(&d, plain.as_ptr(), s, zp, out.as_mut_ptr()), W4A16_STATUS_SUCCESS, &[]);
        expect(call(null(), plain.as_ptr(), s, zp, out.as_mut_ptr()), W4A16_STATUS_INVALID_ARGUMENT, &["desc is NULL"]);
        for (bad, needle) in corrupted_descs(d) {
            if bad.has_zeros == d.has_zeros {
                expect(call(&bad, plain.as_ptr(), s, zp, out.as_mut_ptr()), W4A16_STATUS_INVALID_ARGUMENT, &[needle]);
            }
        }
        expect(call(&d, null(), s, zp, out.as_mut_ptr()), W4A16_STATUS_INVALID_ARGUMENT, &["plain_qweight is NULL"]);
        expect(call(&d, plain.as_ptr(), null(), zp, out.as_mut_ptr()), W4A16_STATUS_INVALID_ARGUMENT, &["scales is NULL"]);
        expect(call(&d, plain.as_ptr(), odd(s), zp, out.as_mut_ptr()), W4A16_STATUS_INVALID_ARGUMENT, &["scales=", "aligned"]);
        expect(call(&d, plain.as_ptr(), s, zp, null_mut()), W4A16_STATUS_INVALID_ARGUMENT, &["weights_out is NULL"]);
        expect(call(&d, plain.as_ptr(), s, zp, odd_mut(out.as_mut_ptr())), W4A16_STATUS_INVALID_ARGUMENT, &["weights_out=", "aligned"]);
        if z {
            expect(call(&d, plain.as_ptr(), s, null(), out.as_mut_ptr()), W4A16_STATUS_INVALID_ARGUMENT, &["zeros", "NULL", "has_zeros=1"]);
            expect(call(&d, plain.as_ptr(), s, odd(zp), out.as_mut_ptr()), W4A16_STATUS_INVALID_ARGUMENT, &["zeros=", "aligned"]);
        } else {
            expect(call(&d, plain.as_ptr(), s, zs.as_ptr() as *const c_void, out.as_mut_ptr()), W4A16_STATUS_INVALID_ARGUMENT, &["not NULL", "has_zeros=0"]);
        }
    }
}

#[test]
fn handle_entry_points_with_null_handle_and_other_bad_arguments() {
    // Without a GPU no handle exists; the handle is checked and named first. Where an output
    // pointer or struct_size is checked before the handle, that is named instead.
    let d = good();
    let p = 4096usize as *mut c_void;
    let mut bytes = 7usize;
    expect(unsafe { w4a16_workspace_size(null_mut(), &d, 16, &mut bytes) }, W4A16_STATUS_INVALID_ARGUMENT, &["handle is NULL"]);
    expect(unsafe { w4a16_workspace_size(null_mut(), &d, 16, null_mut()) }, W4A16_STATUS_INVALID_ARGUMENT, &["bytes is NULL"]);
    expect(unsafe { w4a16_workspace_size(null_mut(), null(), -1, &mut bytes) }, W4A16_STATUS_INVALID_ARGUMENT, &["handle is NULL"]);
    let mut plan = unsafe { std::mem::zeroed::<w4a16_plan_t>() };
    expect(unsafe { w4a16_plan(null_mut(), &d, 1, null_mut()) }, W4A16_STATUS_INVALID_ARGUMENT, &["plan is NULL"]);
    expect(unsafe { w4a16_plan(null_mut(), &d, 1, &mut plan) }, W4A16_STATUS_INVALID_ARGUMENT, &["plan->struct_size=0"]);
    plan.struct_size = std::mem::size_of::<w4a16_plan_t>() as u32;
    expect(unsafe { w4a16_plan(null_mut(), null(), 0, &mut plan) }, W4A16_STATUS_INVALID_ARGUMENT, &["handle is NULL"]);
    for path in [-1, 0, 1, 2, i32::MIN] {
        expect(unsafe { w4a16_force_path(null_mut(), path) }, W4A16_STATUS_INVALID_ARGUMENT, &["handle is NULL"]);
        expect(unsafe { w4a16_set_pdl(null_mut(), path) }, W4A16_STATUS_INVALID_ARGUMENT, &["handle is NULL"]);
    }
    expect(unsafe { w4a16_pack_weights(null_mut(), null(), null(), null_mut(), null_mut()) }, W4A16_STATUS_INVALID_ARGUMENT, &["handle is NULL"]);
    expect(
        unsafe { w4a16_gemm(null_mut(), null(), null(), -1, null(), null(), null(), null(), null_mut(), -1, -1, null_mut(), 99, null_mut()) },
        W4A16_STATUS_INVALID_ARGUMENT,
        &["handle is NULL"],
    );
    expect(
        unsafe { w4a16_gemm(null_mut(), &d, p, 256, p, p, null(), null(), p, 128, 1, null_mut(), 0, null_mut()) },
        W4A16_STATUS_INVALID_ARGUMENT,
        &["handle is NULL"],
    );
    expect(unsafe { w4a16_create(0, null_mut()) }, W4A16_STATUS_INVALID_ARGUMENT, &["handle is NULL"]);
    expect(unsafe { w4a16_device_count(null_mut()) }, W4A16_STATUS_INVALID_ARGUMENT, &["count is NULL"]);
    expect(unsafe { w4a16_destroy(null_mut()) }, W4A16_STATUS_SUCCESS, &[]);
}

#[test]
fn create_with_bad_ordinals() {
    let mut h: w4a16_handle_t;
    match w4a16::testing::gpu_unavailable_reason() {
        Some(why) => {
            println!("no GPU here ({why}): every ordinal reports NO_DEVICE");
            for dev in [-1, 0, 1, i32::MAX, i32::MIN] {
                h = 0x10 as w4a16_handle_t;
                expect(unsafe { w4a16_create(dev, &mut h) }, W4A16_STATUS_NO_DEVICE, &[]);
                assert!(h.is_null(), "handle must be NULL after a failed create");
                assert!(!last_error().is_empty());
            }
        }
        None => {
            let mut count = 0;
            assert_eq!(unsafe { w4a16_device_count(&mut count) }, W4A16_STATUS_SUCCESS);
            for dev in [-1, count, i32::MAX, i32::MIN] {
                h = 0x10 as w4a16_handle_t;
                expect(unsafe { w4a16_create(dev, &mut h) }, W4A16_STATUS_INVALID_ARGUMENT, &[&format!("device={dev}")]);
                assert!(h.is_null(), "handle must be NULL after a failed create");
            }
        }
    }
}

#[test]
fn last_error_survives_successes_and_names_the_latest_failure() {
    let _ = unsafe { w4a16_desc_init(null_mut(), 0, 64, 64, 64, 0) };
    assert!(last_error().contains("desc is NULL"));
    let _ = good(); // success: the message is kept (documented: the last *failed* call)
    assert!(last_error().contains("desc is NULL"));
    let mut d = unsafe { std::mem::zeroed::<w4a16_problem_desc_t>() };
    let _ = unsafe { w4a16_desc_init(&mut d, 0, 64, 100, 64, 0) };
    assert!(last_error().contains("K=100"), "{}", last_error());
    // status strings for every code, and for codes that do not exist.
    for s in [-1, 11, 100, i32::MAX, i32::MIN] {
        let t = unsafe { CStr::from_ptr(w4a16_status_string(s)) }.to_str().unwrap();
        assert_eq!(t, "unknown status");
    }
}
