//! W4A16_GEMV_CONFIG / W4A16_TC_CONFIG: the configuration they name wins over the heuristic (and,
//! through Handle::choose, over tuning tables) wherever the problem supports it. The variables are
//! read once per process, so this file is its own test binary with one test. No GPU needed.

use w4a16::dispatch::{Choice, Path, GEMV_CFG_CUDA_CORE_MMA_NARROW_CAPPED, GEMV_MAX_M};
use w4a16::{Dtype, WeightDesc};

#[test]
fn env_overrides_name_the_configuration_where_supported() {
    // SAFETY: set before any thread of this test binary reads the environment.
    unsafe {
        std::env::set_var("W4A16_GEMV_CONFIG", " 6 : 2 ");
        std::env::set_var("W4A16_TC_CONFIG", "16");
    }
    let g128 = WeightDesc::new(Dtype::F16, 8192, 8192, 128, false).unwrap();
    for m in [1, 4, GEMV_MAX_M] {
        let c = Choice::env_override(&g128, m, 132).expect("GEMV override applies");
        assert_eq!((c.path, c.config, c.split_k), (Path::Gemv, GEMV_CFG_CUDA_CORE_MMA_NARROW_CAPPED, 2));
        assert_eq!(Choice::heuristic_sm(&g128, m, 132), c, "the heuristic returns the override");
    }
    let c = Choice::env_override(&g128, GEMV_MAX_M + 1, 132).expect("TC override applies");
    assert_eq!((c.path, c.config, c.split_k), (Path::TensorCore, 16, 1));
    // The SM90 rows need group >= their K tile: a group-32 problem keeps its normal dispatch.
    let g32 = WeightDesc::new(Dtype::F16, 8192, 8192, 32, false).unwrap();
    assert_eq!(Choice::env_override(&g32, 256, 132), None);
    assert_ne!(Choice::heuristic_sm(&g32, 256, 132).config, 16);
}
