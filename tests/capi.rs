//! C API tests that need no GPU: the committed header, the version, argument checking of every
//! entry point, host packing/quantizing through the C functions, and NO_DEVICE without a GPU.

use std::ffi::{c_void, CStr};
use std::ptr::{null, null_mut};
use w4a16::capi::*;
use w4a16::testing::gpu_unavailable_reason;

use w4a16_status_t::*;

fn last_error() -> String {
    unsafe { CStr::from_ptr(w4a16_last_error()) }.to_string_lossy().into_owned()
}

/// Asserts the status and that the message mentions `needle` (the argument's name or value).
#[track_caller]
fn expect(status: w4a16_status_t, want: w4a16_status_t, needle: &str) {
    assert_eq!(status, want, "last error: {}", last_error());
    if want != W4A16_STATUS_SUCCESS {
        let msg = last_error();
        assert!(msg.contains(needle), "message {msg:?} does not mention {needle:?}");
    }
}

fn desc(dtype: i32, n: i64, k: i64, g: i32, z: i32) -> (w4a16_status_t, w4a16_problem_desc_t) {
    let mut d = unsafe { std::mem::zeroed::<w4a16_problem_desc_t>() };
    let s = unsafe { w4a16_desc_init(&mut d, dtype, n, k, g, z) };
    (s, d)
}

fn good_desc() -> w4a16_problem_desc_t {
    let (s, d) = desc(0, 128, 256, 64, 0);
    assert_eq!(s, W4A16_STATUS_SUCCESS);
    d
}

#[test]
fn committed_header_matches_generated_header() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/w4a16.h"));
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/w4a16.h"))
        .expect("include/w4a16.h is missing (run `make header`)");
    assert!(
        generated == committed,
        "include/w4a16.h is stale: run `make header` and commit the result"
    );
}

#[test]
fn version_macros_match_cargo_and_runtime() {
    let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/w4a16.h")).unwrap();
    let macro_value = |name: &str| -> u32 {
        let line = header
            .lines()
            .find(|l| l.starts_with(&format!("#define {name} ")))
            .unwrap_or_else(|| panic!("{name} missing from the header"));
        line.split_whitespace().nth(2).unwrap().parse().unwrap()
    };
    let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
    let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap();
    let patch: u32 = env!("CARGO_PKG_VERSION_PATCH").parse().unwrap();
    assert_eq!(macro_value("W4A16_VERSION_MAJOR"), major);
    assert_eq!(macro_value("W4A16_VERSION_MINOR"), minor);
    assert_eq!(macro_value("W4A16_VERSION_PATCH"), patch);
    assert_eq!(w4a16_version(), major * 10000 + minor * 100 + patch);
}

#[test]
fn status_strings_are_distinct_and_never_null() {
    let mut seen = std::collections::HashSet::new();
    for s in 0..=10 {
        let p = w4a16_status_string(s);
        assert!(!p.is_null());
        let text = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string();
        assert!(seen.insert(text.clone()), "duplicate status string {text}");
    }
    let unknown = unsafe { CStr::from_ptr(w4a16_status_string(12345)) }.to_str().unwrap();
    assert_eq!(unknown, "unknown status");
    assert!(!w4a16_status_string(-1).is_null());
}

#[test]
fn desc_init_rejects_each_bad_field() {
    expect(unsafe { w4a16_desc_init(null_mut(), 0, 128, 128, 128, 0) }, W4A16_STATUS_INVALID_ARGUMENT, "desc is NULL");
    let cases: &[((i32, i64, i64, i32, i32), &str)] = &[
        ((2, 128, 128, 128, 0), "dtype=2"),
        ((-1, 128, 128, 128, 0), "dtype=-1"),
        ((0, 0, 128, 128, 0), "N=0"),
        ((0, 100, 128, 128, 0), "N=100"),
        ((0, -64, 128, 128, 0), "desc->n=-64"),
        ((0, 128, 0, 128, 0), "K=0"),
        ((0, 128, 1000, 128, 0), "K=1000"),
        ((0, 128, 192, 128, 0), "K=192 is not a multiple of group_size=128"),
        ((0, 128, 256, 48, 0), "group_size=48"),
        ((0, 128, 256, 0, 0), "group_size=0"),
        ((0, 128, 256, -32, 0), "group_size=-32"),
        ((0, 128, 256, 128, 2), "has_zeros=2"),
        ((0, 1 << 40, 256, 128, 0), "N=1099511627776"),
        ((0, 128, i64::MAX, 128, 0), "K="),
    ];
    for &((dt, n, kk, g, z), needle) in cases {
        let (s, _) = desc(dt, n, kk, g, z);
        expect(s, W4A16_STATUS_INVALID_ARGUMENT, needle);
    }
    // Per-channel: group == K, also when K is not a multiple of 128.
    assert_eq!(desc(1, 64, 192, 192, 1).0, W4A16_STATUS_SUCCESS);
    assert_eq!(desc(0, 64, 192, 64, 0).0, W4A16_STATUS_SUCCESS);
}

#[test]
fn struct_size_is_checked() {
    let mut d = good_desc();
    d.struct_size = 8;
    let mut bytes = 0usize;
    expect(unsafe { w4a16_packed_weight_bytes(&d, &mut bytes) }, W4A16_STATUS_INVALID_ARGUMENT, "struct_size=8");
}

#[test]
fn packed_weight_bytes_and_null_checks() {
    let d = good_desc();
    let mut bytes = 0usize;
    expect(unsafe { w4a16_packed_weight_bytes(&d, &mut bytes) }, W4A16_STATUS_SUCCESS, "");
    assert_eq!(bytes, 128 * 256 / 2);
    expect(unsafe { w4a16_packed_weight_bytes(null(), &mut bytes) }, W4A16_STATUS_INVALID_ARGUMENT, "desc is NULL");
    expect(unsafe { w4a16_packed_weight_bytes(&d, null_mut()) }, W4A16_STATUS_INVALID_ARGUMENT, "bytes is NULL");
}

#[test]
fn host_pack_unpack_through_c_api() {
    let d = good_desc();
    let n = 128 * 256 / 2;
    let plain: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
    let mut packed = vec![0u8; n];
    let mut back = vec![0u8; n];
    expect(unsafe { w4a16_pack_weights_host(&d, plain.as_ptr(), n, packed.as_mut_ptr(), n) }, W4A16_STATUS_SUCCESS, "");
    // Packed layout v2: every weight's nibble holds q ^ 8 at its documented position.
    for (ni, ki) in [(0, 0), (0, 1), (8, 9), (17, 100), (127, 255)] {
        let q = w4a16::pack::q_at(&plain, 256, ni, ki);
        assert_eq!(w4a16::pack::packed_nibble(&packed, 256, ni, ki), q ^ 8, "weight ({ni}, {ki})");
    }
    expect(unsafe { w4a16_unpack_weights_host(&d, packed.as_ptr(), n, back.as_mut_ptr(), n) }, W4A16_STATUS_SUCCESS, "");
    assert_eq!(plain, back);
    expect(
        unsafe { w4a16_pack_weights_host(&d, plain.as_ptr(), n - 1, packed.as_mut_ptr(), n) },
        W4A16_STATUS_INVALID_ARGUMENT,
        "plain_bytes=16383",
    );
    expect(
        unsafe { w4a16_pack_weights_host(&d, plain.as_ptr(), n, packed.as_mut_ptr(), 7) },
        W4A16_STATUS_INVALID_ARGUMENT,
        "packed_bytes=7",
    );
    expect(
        unsafe { w4a16_pack_weights_host(&d, null(), n, packed.as_mut_ptr(), n) },
        W4A16_STATUS_INVALID_ARGUMENT,
        "plain_qweight is NULL",
    );
    expect(
        unsafe { w4a16_pack_weights_host(&d, plain.as_ptr(), n, null_mut(), n) },
        W4A16_STATUS_INVALID_ARGUMENT,
        "packed_out is NULL",
    );
}

#[test]
fn quantize_host_through_c_api() {
    let (s, d) = desc(0, 64, 128, 32, 1);
    assert_eq!(s, W4A16_STATUS_SUCCESS);
    let w: Vec<f32> = (0..64 * 128).map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0).collect();
    let mut plain = vec![0u8; 64 * 64];
    let mut scales = vec![0u16; 4 * 64];
    let mut zeros = vec![0u16; 4 * 64];
    let st = unsafe {
        w4a16_quantize_host(&d, w.as_ptr(), plain.as_mut_ptr(), scales.as_mut_ptr() as *mut c_void, zeros.as_mut_ptr() as *mut c_void)
    };
    expect(st, W4A16_STATUS_SUCCESS, "");
    assert!(scales.iter().all(|&s| s != 0));
    let st = unsafe { w4a16_quantize_host(&d, w.as_ptr(), plain.as_mut_ptr(), scales.as_mut_ptr() as *mut c_void, null_mut()) };
    expect(st, W4A16_STATUS_INVALID_ARGUMENT, "zeros_out is NULL");
    let st = unsafe { w4a16_quantize_host(&d, null(), plain.as_mut_ptr(), scales.as_mut_ptr() as *mut c_void, zeros.as_mut_ptr() as *mut c_void) };
    expect(st, W4A16_STATUS_INVALID_ARGUMENT, "weights is NULL");
}

#[test]
fn handle_functions_reject_null_handle() {
    let d = good_desc();
    let mut bytes = 0usize;
    expect(unsafe { w4a16_workspace_size(null_mut(), &d, 16, &mut bytes) }, W4A16_STATUS_INVALID_ARGUMENT, "handle is NULL");
    let mut plan = unsafe { std::mem::zeroed::<w4a16_plan_t>() };
    plan.struct_size = std::mem::size_of::<w4a16_plan_t>() as u32;
    expect(unsafe { w4a16_plan(null_mut(), &d, 1, &mut plan) }, W4A16_STATUS_INVALID_ARGUMENT, "handle is NULL");
    plan.struct_size = 4;
    expect(unsafe { w4a16_plan(null_mut(), &d, 1, &mut plan) }, W4A16_STATUS_INVALID_ARGUMENT, "struct_size=4");
    let p = 256usize as *mut c_void;
    expect(
        unsafe { w4a16_pack_weights(null_mut(), &d, p, p, null_mut()) },
        W4A16_STATUS_INVALID_ARGUMENT,
        "handle is NULL",
    );
    expect(
        unsafe { w4a16_gemm(null_mut(), &d, p, 256, p, p, null(), null(), p, 128, 1, null_mut(), 0, null_mut()) },
        W4A16_STATUS_INVALID_ARGUMENT,
        "handle is NULL",
    );
    expect(unsafe { w4a16_destroy(null_mut()) }, W4A16_STATUS_SUCCESS, "");
    expect(unsafe { w4a16_create(0, null_mut()) }, W4A16_STATUS_INVALID_ARGUMENT, "handle is NULL");
    expect(unsafe { w4a16_device_count(null_mut()) }, W4A16_STATUS_INVALID_ARGUMENT, "count is NULL");
}

#[test]
fn operand_validation_names_each_bad_argument() {
    use w4a16::engine::{validate_operands, Operands};
    let w = w4a16::WeightDesc::new(w4a16::Dtype::F16, 128, 256, 64, false).unwrap();
    let p = 4096usize as *mut c_void;
    let good = Operands {
        a: p, lda: 256, packed_w: p, scales: p, zeros: null(), bias: null(), c: p, ldc: 128, m: 5,
        workspace: null_mut(), workspace_bytes: 0,
    };
    assert!(validate_operands(&w, &good).is_ok());
    let bad = |f: &dyn Fn(&mut Operands), needle: &str| {
        let mut o = good;
        f(&mut o);
        let e = validate_operands(&w, &o).expect_err(needle);
        assert_eq!(e.status, W4A16_STATUS_INVALID_ARGUMENT);
        assert!(e.message.contains(needle), "{:?} does not mention {needle:?}", e.message);
    };
    bad(&|o| o.a = null(), "A is NULL");
    bad(&|o| o.a = 4098usize as *const c_void, "A=0x1002 is not 16-byte aligned");
    bad(&|o| o.packed_w = null(), "packed_w is NULL");
    bad(&|o| o.scales = null(), "scales is NULL");
    bad(&|o| o.scales = 4100usize as *const c_void, "scales=0x1004");
    bad(&|o| o.c = null_mut(), "C is NULL");
    bad(&|o| o.zeros = p, "zeros is not NULL but the descriptor has has_zeros=0");
    bad(&|o| o.bias = 4097usize as *const c_void, "bias=0x1001");
    bad(&|o| o.lda = 128, "lda=128");
    bad(&|o| o.lda = 260, "lda=260");
    bad(&|o| o.ldc = 64, "ldc=64");
    bad(&|o| o.ldc = 129, "ldc=129");
    bad(&|o| o.m = 0, "M=0");
    bad(&|o| o.m = usize::MAX, "M=");
    bad(&|o| o.workspace_bytes = 64, "workspace is NULL but workspace_bytes=64");
    bad(&|o| o.workspace = 4104usize as *mut c_void, "workspace=0x1008");
    let wz = w4a16::WeightDesc::new(w4a16::Dtype::F16, 128, 256, 64, true).unwrap();
    let e = validate_operands(&wz, &good).unwrap_err();
    assert!(e.message.contains("zeros is NULL but the descriptor has has_zeros=1"));
}

#[test]
fn no_device_is_a_status_not_a_crash() {
    let mut h: w4a16_handle_t = 0x1 as w4a16_handle_t;
    let st = unsafe { w4a16_create(0, &mut h) };
    match gpu_unavailable_reason() {
        Some(why) => {
            println!("no GPU here ({why}): w4a16_create must report NO_DEVICE");
            expect(st, W4A16_STATUS_NO_DEVICE, "");
            assert!(h.is_null(), "handle must be NULL after a failed create");
            let mut count = -1;
            expect(unsafe { w4a16_device_count(&mut count) }, W4A16_STATUS_NO_DEVICE, "");
            assert_eq!(count, 0);
        }
        None => {
            // A GPU is present: the handle works, and a bad ordinal is named.
            expect(st, W4A16_STATUS_SUCCESS, "");
            unsafe { w4a16_destroy(h) };
            let mut h2: w4a16_handle_t = null_mut();
            expect(unsafe { w4a16_create(4096, &mut h2) }, W4A16_STATUS_INVALID_ARGUMENT, "device=4096");
            expect(unsafe { w4a16_create(-1, &mut h2) }, W4A16_STATUS_INVALID_ARGUMENT, "device=-1");
        }
    }
}

#[test]
fn last_error_is_per_thread() {
    let (s, _) = desc(0, 100, 128, 128, 0);
    assert_eq!(s, W4A16_STATUS_INVALID_ARGUMENT);
    let here = last_error();
    let there = std::thread::spawn(|| last_error()).join().unwrap();
    assert!(here.contains("N=100"));
    assert_eq!(there, "", "another thread must not see this thread's error");
}

#[test]
fn header_limit_macros_match_the_library() {
    let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/w4a16.h")).unwrap();
    for (name, value) in [
        ("W4A16_POINTER_ALIGNMENT", w4a16::engine::POINTER_ALIGNMENT.to_string()),
        ("W4A16_LD_MULTIPLE", w4a16::engine::LD_MULTIPLE.to_string()),
        ("W4A16_MAX_M", format!("(1 << {})", w4a16::engine::MAX_M.trailing_zeros())),
        ("W4A16_MAX_DIM", format!("(1 << {})", w4a16::types::MAX_DIM.trailing_zeros())),
        ("W4A16_PACKED_LAYOUT_VERSION", w4a16::pack::PACKED_LAYOUT_VERSION.to_string()),
    ] {
        let want = format!("#define {name} {value}");
        assert!(header.lines().any(|l| l == want), "header lacks `{want}`");
    }
}

#[test]
fn force_path_and_dequantize_host_check_arguments() {
    expect(unsafe { w4a16_force_path(null_mut(), 0) }, W4A16_STATUS_INVALID_ARGUMENT, "handle is NULL");
    expect(unsafe { w4a16_set_pdl(null_mut(), 1) }, W4A16_STATUS_INVALID_ARGUMENT, "handle is NULL");
    let (s, d) = desc(0, 64, 64, 32, 1);
    assert_eq!(s, W4A16_STATUS_SUCCESS);
    // q = 0x0F / 0x00 alternating bytes; scale 1.0 (0x3C00), zero 0.5 (0x3800).
    let plain: Vec<u8> = (0..64 * 32).map(|i| if i % 2 == 0 { 0x0F } else { 0x00 }).collect();
    let scales = vec![0x3C00u16; 2 * 64];
    let zeros = vec![0x3800u16; 2 * 64];
    let mut out = vec![f32::NAN; 64 * 64];
    let st = unsafe {
        w4a16_dequantize_host(&d, plain.as_ptr(), scales.as_ptr() as *const c_void, zeros.as_ptr() as *const c_void, out.as_mut_ptr())
    };
    expect(st, W4A16_STATUS_SUCCESS, "");
    // Byte 0x0F: k=0 has q=15 → 7.5, k=1 has q=0 → -7.5; byte 0x00: q=0 → -7.5.
    assert_eq!(&out[..4], &[7.5, -7.5, -7.5, -7.5]);
    let st = unsafe { w4a16_dequantize_host(&d, plain.as_ptr(), scales.as_ptr() as *const c_void, null(), out.as_mut_ptr()) };
    expect(st, W4A16_STATUS_INVALID_ARGUMENT, "has_zeros=1");
    let st = unsafe { w4a16_dequantize_host(&d, plain.as_ptr(), null(), zeros.as_ptr() as *const c_void, out.as_mut_ptr()) };
    expect(st, W4A16_STATUS_INVALID_ARGUMENT, "scales is NULL");
}

#[test]
fn tuning_and_cache_calls_check_arguments() {
    let d = good_desc();
    let ms = [1i64, 16];
    expect(unsafe { w4a16_tune(null_mut(), &d, ms.as_ptr(), 2, null_mut()) }, W4A16_STATUS_INVALID_ARGUMENT, "handle is NULL");
    expect(unsafe { w4a16_cache_save(null_mut(), c"/tmp/x.json".as_ptr()) }, W4A16_STATUS_INVALID_ARGUMENT, "handle is NULL");
    expect(unsafe { w4a16_cache_load(null_mut(), c"/tmp/x.json".as_ptr()) }, W4A16_STATUS_INVALID_ARGUMENT, "handle is NULL");
}
