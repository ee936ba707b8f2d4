//! GPU tests of measured dispatch: w4a16_tune makes tuned choices that w4a16_plan reports, the
//! results stay correct, and the cache file round-trips; bad cache files are ignored with a
//! warning and change nothing. `#[ignore]`d: they need a GPU (see tests/gpu.rs).

use std::ffi::{CStr, CString};
use std::ptr::{null, null_mut};
use w4a16::capi::*;
use w4a16::reference::{reference_gemm, rel_error_bits};
use w4a16::rng::{random_bits, Rng};
use w4a16::testing::{gpu_unavailable_reason, use_device, DevBuf};
use w4a16::{Dtype, WeightDesc};
use w4a16_status_t::*;

fn last_error() -> String {
    unsafe { CStr::from_ptr(w4a16_last_error()) }.to_string_lossy().into_owned()
}

fn create() -> w4a16_handle_t {
    if let Some(why) = gpu_unavailable_reason() {
        panic!("GPU TEST CANNOT RUN: {why}");
    }
    use_device(0).unwrap();
    let mut h = null_mut();
    assert_eq!(unsafe { w4a16_create(0, &mut h) }, W4A16_STATUS_SUCCESS, "{}", last_error());
    h
}

fn plan(h: w4a16_handle_t, d: &w4a16_problem_desc_t, m: i64) -> w4a16_plan_t {
    let mut p = unsafe { std::mem::zeroed::<w4a16_plan_t>() };
    p.struct_size = std::mem::size_of::<w4a16_plan_t>() as u32;
    assert_eq!(unsafe { w4a16_plan(h, d, m, &mut p) }, W4A16_STATUS_SUCCESS, "{}", last_error());
    p
}

#[test]
#[ignore = "needs a GPU"]
fn tune_then_plan_reports_tuned_and_results_stay_correct() {
    let h = create();
    // 3072 x 2048: a shape the shipped tables do not cover (not even with another dtype or group,
    // which the same-shape fallback would use), so the heuristic answers before tuning.
    let (n, k, g) = (3072usize, 2048usize, 64usize);
    let mut d = unsafe { std::mem::zeroed::<w4a16_problem_desc_t>() };
    assert_eq!(unsafe { w4a16_desc_init(&mut d, 0, n as i64, k as i64, g as i32, 0) }, W4A16_STATUS_SUCCESS);
    let ms = [1i64, 4, 16, 64, 256];
    let st = unsafe { w4a16_tune(h, &d, ms.as_ptr(), ms.len(), null_mut()) };
    assert_eq!(st, W4A16_STATUS_SUCCESS, "{}", last_error());
    for m in [1i64, 3, 16, 17, 64, 200, 256] {
        let p = plan(h, &d, m);
        assert_eq!(p.reason, w4a16_plan_reason_t::W4A16_PLAN_TUNED as i32, "M={m}");
        let name = unsafe { CStr::from_ptr(p.config_name.as_ptr()) }.to_string_lossy().into_owned();
        println!("tuned M={m}: {name} (workspace {} B)", p.workspace_bytes);
    }
    // Beyond the largest tuned M the heuristic answers.
    assert_eq!(plan(h, &d, 1000).reason, w4a16_plan_reason_t::W4A16_PLAN_HEURISTIC as i32);

    // The tuned choices compute the right thing.
    let w = WeightDesc::new(Dtype::F16, n, k, g, false).unwrap();
    let mut rng = Rng::new(11);
    let m_max = 256usize;
    let a = random_bits(Dtype::F16, m_max * k, &mut rng, -1.0, 1.0);
    let q: Vec<u8> = (0..w.weight_bytes()).map(|_| rng.next_u64() as u8).collect();
    let s = random_bits(Dtype::F16, w.scale_elems(), &mut rng, 0.002, 0.02);
    let want = reference_gemm(&w, m_max, &a, k, &q, &s, None, None);
    let (da, dq, dp, ds) = (DevBuf::from_slice(&a).unwrap(), DevBuf::from_slice(&q).unwrap(), DevBuf::new(q.len()).unwrap(), DevBuf::from_slice(&s).unwrap());
    assert_eq!(unsafe { w4a16_pack_weights(h, &d, dq.ptr(), dp.ptr(), null_mut()) }, W4A16_STATUS_SUCCESS);
    let mut ws_bytes = 0usize;
    assert_eq!(unsafe { w4a16_workspace_size(h, &d, m_max as i64, &mut ws_bytes) }, W4A16_STATUS_SUCCESS);
    let ws = DevBuf::new(ws_bytes.max(16)).unwrap();
    for m in [1usize, 3, 16, 17, 64, 200, 256] {
        let c = DevBuf::new(m * n * 2).unwrap();
        c.fill(0xFF).unwrap();
        let st = unsafe {
            w4a16_gemm(h, &d, da.ptr(), k as i64, dp.ptr(), ds.ptr(), null(), null(), c.ptr(), n as i64, m as i64,
                       if ws_bytes > 0 { ws.ptr() } else { null_mut() }, ws_bytes, null_mut())
        };
        assert_eq!(st, W4A16_STATUS_SUCCESS, "{}", last_error());
        w4a16::testing::synchronize().unwrap();
        let got: Vec<u16> = c.download(m * n).unwrap();
        let err = rel_error_bits(Dtype::F16, &got, n, m, n, &want[..m * n]);
        assert!(err <= 5e-3, "tuned M={m}: rel err {err:e}");
    }

    // Save, load into a fresh handle: same choices, reported as tuned.
    let dir = std::env::temp_dir().join(format!("w4a16-tune-gpu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = CString::new(dir.join("cache.json").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { w4a16_cache_save(h, path.as_ptr()) }, W4A16_STATUS_SUCCESS, "{}", last_error());
    let h2 = create();
    assert_eq!(plan(h2, &d, 16).reason, w4a16_plan_reason_t::W4A16_PLAN_HEURISTIC as i32);
    assert_eq!(unsafe { w4a16_cache_load(h2, path.as_ptr()) }, W4A16_STATUS_SUCCESS, "{}", last_error());
    for m in [1i64, 16, 64, 256] {
        let (a, b) = (plan(h, &d, m), plan(h2, &d, m));
        assert_eq!((a.path, a.config_id, a.split_k, a.reason), (b.path, b.config_id, b.split_k, b.reason), "M={m}");
    }

    // Corrupt, truncated and foreign files: a warning, and nothing changes.
    let text = std::fs::read_to_string(dir.join("cache.json")).unwrap();
    let bad_files = [
        ("truncated.json", text[..text.len() / 3].to_string()),
        ("garbage.json", "{{{ not json".to_string()),
        ("foreign.json", text.replace("\"sm_count\": 132", "\"sm_count\": 114")),
        ("unsupported.json", with_unknown_config(&text)),
    ];
    let h3 = create();
    for (name, body) in bad_files {
        std::fs::write(dir.join(name), body).unwrap();
        let p = CString::new(dir.join(name).to_str().unwrap()).unwrap();
        let st = unsafe { w4a16_cache_load(h3, p.as_ptr()) };
        assert_eq!(st, W4A16_STATUS_CACHE_IGNORED, "{name}: {}", last_error());
        println!("{name}: {}", last_error());
        assert_eq!(plan(h3, &d, 16).reason, w4a16_plan_reason_t::W4A16_PLAN_HEURISTIC as i32, "{name} changed the table");
    }
    let missing = CString::new(dir.join("missing.json").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { w4a16_cache_load(h3, missing.as_ptr()) }, W4A16_STATUS_IO_ERROR);
    for x in [h, h2, h3] {
        unsafe { w4a16_destroy(x) };
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `text` (a saved cache file) with the first entry's configuration id replaced by one no kernel
/// family has (77), so that loading it must be refused as unsupported.
fn with_unknown_config(text: &str) -> String {
    let key = "\"config\": ";
    let at = text.find(key).expect("a saved cache file holds entries") + key.len();
    let digits = text[at..].chars().take_while(|c| c.is_ascii_digit()).count();
    assert!(digits > 0, "config id after {key}");
    format!("{}77{}", &text[..at], &text[at + digits..])
}
