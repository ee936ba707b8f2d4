//! `w4a16-bench`: the benchmark tool's library side (the binary is src/bin/w4a16-bench.rs).
//!
//! Measures the library's `Handle::gemm` against cuBLAS fp16/bf16 GEMM on the same dequantized
//! weights and against the memory-bandwidth floor (bytes that must move / measured
//! device-to-device copy bandwidth), on one Hopper GPU. Every point is checked for correctness
//! before it is timed; a point whose output disagrees is reported as WRONG, never with a speed.
//!
//! * [`args`]: command line. [`model`]: bytes, FLOPs, floor, rotation counts. [`stats`]:
//!   percentiles, error measure. [`report`]: tables, JSON, Markdown. [`svg`]: plots.
//! * [`gpu`]: streams, events, graphs, timing loops. [`cublas`]: the baseline.
//!   [`runner`]: the sweep.

pub mod args;
pub mod cublas;
pub mod gpu;
pub mod model;
pub mod report;
pub mod runner;
pub mod stats;
pub mod svg;

pub use runner::main;
