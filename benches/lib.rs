//! Benchmarks: `cargo bench -p sdec-benches` (CPU side) and `benches/kernels.sh` (GPU, beside PyTorch).
