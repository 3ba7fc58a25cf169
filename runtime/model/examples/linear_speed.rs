//! GFLOP/s of `ops::linear` and of the dense attention of a prefill chunk.
use ndarray::Array2;
use std::time::Instant;
fn main() {
    for (t, n_in, n_out) in [
        (1024, 576, 1536),
        (1024, 1536, 576),
        (1, 576, 49152),
        (7, 576, 1536),
    ] {
        let x = Array2::from_shape_fn((t, n_in), |(i, j)| ((i * 7 + j) % 13) as f32 * 0.1);
        let w = Array2::from_shape_fn((n_out, n_in), |(i, j)| ((i + j * 3) % 11) as f32 * 0.1);
        let reps = if t == 1 { 50 } else { 5 };
        let t0 = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(sdec_model::ops::linear(x.view(), w.view()));
        }
        let s = t0.elapsed().as_secs_f64() / reps as f64;
        println!(
            "linear T={t} {n_in}->{n_out}: {:.2} ms, {:.1} GFLOP/s",
            s * 1e3,
            2.0 * (t * n_in * n_out) as f64 / s / 1e9
        );
    }
}
