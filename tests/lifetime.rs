//! Issue #8, lifetime, in its own test binary (one test, so no other test allocates while the
//! resident set is measured): 10,000 w4a16_create / w4a16_destroy cycles without host memory
//! growth. On a GPU-less machine (CI) every create must return NO_DEVICE with a NULL handle and
//! a message; with a GPU every create succeeds and is destroyed. The device-memory side of the
//! same check is `lifetime_device_memory` in tests/reliability_gpu.rs.

use std::ffi::CStr;
use w4a16::capi::*;
use w4a16_status_t::*;

const CYCLES: usize = 10_000;
/// Allowed resident-set growth over the cycles (allocator noise; a leak of even 100 bytes a
/// cycle would be 1 MB).
const MAX_GROWTH_BYTES: i64 = 512 * 1024;

/// Resident set in bytes, from /proc/self/statm (pages).
fn rss_bytes() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: i64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as i64
}

fn cycle(expect_device: bool) {
    let mut h: w4a16_handle_t = 0x20 as w4a16_handle_t;
    let s = unsafe { w4a16_create(0, &mut h) };
    if expect_device {
        assert_eq!(s, W4A16_STATUS_SUCCESS);
        assert!(!h.is_null());
    } else {
        assert_eq!(s, W4A16_STATUS_NO_DEVICE, "{}", unsafe { CStr::from_ptr(w4a16_last_error()) }.to_string_lossy());
        assert!(h.is_null(), "a failed create must leave the handle NULL");
    }
    assert_eq!(unsafe { w4a16_destroy(h) }, W4A16_STATUS_SUCCESS);
}

#[test]
fn create_destroy_10000_cycles_without_host_memory_growth() {
    let gpu = w4a16::testing::gpu_unavailable_reason().is_none();
    println!(
        "{}",
        if gpu { "GPU present: create must succeed" } else { "no GPU: create must return NO_DEVICE (the library loads and says so)" }
    );
    // Warm-up: the runtime's and the allocator's one-time state.
    for _ in 0..200 {
        cycle(gpu);
    }
    let before = rss_bytes();
    let t = std::time::Instant::now();
    for _ in 0..CYCLES {
        cycle(gpu);
    }
    let after = rss_bytes();
    let msg = unsafe { CStr::from_ptr(w4a16_last_error()) }.to_string_lossy().into_owned();
    println!(
        "{CYCLES} cycles in {:.2} s; RSS {} KiB -> {} KiB ({:+} KiB); last error {msg:?}",
        t.elapsed().as_secs_f64(),
        before / 1024,
        after / 1024,
        (after - before) / 1024
    );
    if !gpu {
        assert!(msg.contains("driver") || msg.contains("device"), "NO_DEVICE message should say why: {msg:?}");
    }
    assert!(
        after - before <= MAX_GROWTH_BYTES,
        "resident set grew by {} KiB over {CYCLES} create/destroy cycles",
        (after - before) / 1024
    );
}
