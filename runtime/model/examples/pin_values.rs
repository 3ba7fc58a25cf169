//! Prints reference values of the synthetic weight generator (for pinning in tests and CUDA mirrors).
fn main() {
    use sdec_model::synthetic::*;
    for i in 0..4u64 {
        let u = uniform(42, 17, i);
        println!("uniform(42, 17, {i}) = {u:e} (bits {:#010x})", u.to_bits());
    }
    let w = weight_value(42, 17, 1_000_003, 1.0, 0.1);
    println!(
        "weight_value(42, 17, 1000003, 1.0, 0.1) = {w:e} (bits {:#010x})",
        w.to_bits()
    );
}
