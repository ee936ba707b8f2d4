//! `w4a16-bench --help` for usage; the tool lives in `w4a16::bench`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(w4a16::bench::main(&args));
}
