//! Builds kernels/ with CMake + nvcc into a static library linked into libw4a16, links the CUDA
//! runtime statically, and generates the C header (OUT_DIR/w4a16.h) with cbindgen.
//!
//! Environment (each one is a rerun trigger):
//! - `CUDA_HOME`: CUDA toolkit root; else the one holding `nvcc` on PATH; else the project's own
//!   bootstrap in `.toolchain/cuda` (`make setup`).
//! - `W4A16_CUDA_ARCHS`: CMake CUDA architectures (default `90a-real`: sm_90a machine code).
//! - `W4A16_CUTLASS_DIR`: CUTLASS source root; default `.toolchain/cutlass-src` when present.
//! - `CMAKE`: the cmake executable (the cmake crate reads it); default the bootstrap's when present.
use std::env;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    for var in ["CUDA_HOME", "W4A16_CUDA_ARCHS", "W4A16_CUTLASS_DIR", "CMAKE", "PATH"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    for path in ["kernels", "src/capi.rs", "src/error.rs", "cbindgen.toml", "build.rs"] {
        println!("cargo:rerun-if-changed={path}");
    }

    generate_header(&manifest, &out);

    let toolchain = manifest.join(".toolchain");
    let cuda_home = find_cuda_home(&toolchain);
    let nvcc = cuda_home.join("bin/nvcc");
    let archs = env::var("W4A16_CUDA_ARCHS").unwrap_or_else(|_| "90a-real".to_string());
    let cutlass = env::var_os("W4A16_CUTLASS_DIR")
        .map(PathBuf::from)
        .or_else(|| Some(toolchain.join("cutlass-src")).filter(|p| p.join("include").is_dir()));

    let venv_bin = toolchain.join("venv/bin");
    if env::var_os("CMAKE").is_none() && which("cmake").is_none() && venv_bin.join("cmake").exists() {
        env::set_var("CMAKE", venv_bin.join("cmake"));
    }
    let mut cfg = cmake::Config::new("kernels");
    cfg.define("CMAKE_CUDA_COMPILER", &nvcc)
        .define("CUDAToolkit_ROOT", &cuda_home)
        .define("CMAKE_CUDA_ARCHITECTURES", &archs)
        .profile("Release")
        .very_verbose(false);
    let ninja = which("ninja").or_else(|| Some(venv_bin.join("ninja")).filter(|p| p.exists()));
    if let Some(ninja) = ninja {
        cfg.generator("Ninja").define("CMAKE_MAKE_PROGRAM", ninja);
    }
    if let Some(dir) = &cutlass {
        cfg.define("W4A16_CUTLASS_DIR", dir);
    }
    let dst = cfg.build();

    println!("cargo:rustc-link-search=native={}", dst.join("lib").display());
    println!("cargo:rustc-link-lib=static=w4a16_kernels");
    // Static runtime: the .so then needs only the driver (libcuda.so.1), loaded by cudart at run
    // time, so it loads and reports "no device" on a machine without one.
    println!("cargo:rustc-link-search=native={}", cuda_home.join("lib64").display());
    println!("cargo:rustc-link-lib=static=cudart_static");
    for lib in ["stdc++", "dl", "rt", "pthread"] {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
    println!("cargo:rustc-env=W4A16_CUDA_HOME={}", cuda_home.display());
    // Versioned soname libw4a16.so.<major> (docs/INSTALL.md); `make build` adds the link to it.
    let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libw4a16.so.{major}");
}

fn find_cuda_home(toolchain: &Path) -> PathBuf {
    if let Some(home) = env::var_os("CUDA_HOME") {
        return PathBuf::from(home);
    }
    if let Some(nvcc) = which("nvcc") {
        if let Some(home) = nvcc.parent().and_then(Path::parent) {
            return home.to_path_buf();
        }
    }
    let bootstrap = toolchain.join("cuda");
    if bootstrap.join("bin/nvcc").exists() {
        return bootstrap;
    }
    panic!(
        "no CUDA toolkit found: set CUDA_HOME, put nvcc on PATH, or run `make setup` \
         (installs CUDA 13.0 + CUTLASS from PyPI into .toolchain/)"
    );
}

fn which(program: &str) -> Option<PathBuf> {
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Writes OUT_DIR/w4a16.h; `make header` copies it to include/ and a test fails when they differ.
fn generate_header(manifest: &Path, out: &Path) {
    let version = format!(
        "/** Major version of this header: the library's soname is libw4a16.so.<major>. */\n\
         #define W4A16_VERSION_MAJOR {}\n\
         /** Minor version: additions only (docs/API.md, versioning policy; 0.x minors may break). */\n\
         #define W4A16_VERSION_MINOR {}\n\
         /** Patch version: fixes and speed, no change to declarations or the packed layout. */\n\
         #define W4A16_VERSION_PATCH {}\n\
         /** Encoded as w4a16_version() returns it: major * 10000 + minor * 100 + patch. */\n\
         #define W4A16_VERSION (W4A16_VERSION_MAJOR * 10000 + W4A16_VERSION_MINOR * 100 + W4A16_VERSION_PATCH)\n\n\
         /** Device pointers passed to w4a16_gemm / w4a16_pack_weights must be aligned to this many bytes. */\n\
         #define W4A16_POINTER_ALIGNMENT 16\n\
         /** lda and ldc must be multiples of this many elements. */\n\
         #define W4A16_LD_MULTIPLE 8\n\
         /** Largest M of one w4a16_gemm call. */\n\
         #define W4A16_MAX_M (1 << 22)\n\
         /** Largest N or K. */\n\
         #define W4A16_MAX_DIM (1 << 20)\n\
         /** Version of the packed weight layout w4a16_pack_weights* write (docs/LAYOUT.md). */\n\
         #define W4A16_PACKED_LAYOUT_VERSION 2\n",
        env::var("CARGO_PKG_VERSION_MAJOR").unwrap(),
        env::var("CARGO_PKG_VERSION_MINOR").unwrap(),
        env::var("CARGO_PKG_VERSION_PATCH").unwrap(),
    );
    let config = cbindgen::Config::from_file(manifest.join("cbindgen.toml"))
        .expect("cbindgen.toml is invalid");
    cbindgen::Builder::new()
        .with_crate(manifest)
        .with_config(config)
        .with_after_include(version)
        .generate()
        .expect("cbindgen could not generate w4a16.h")
        .write_to_file(out.join("w4a16.h"));
}
