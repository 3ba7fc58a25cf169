//! CPU cost of what runs before NVRTC: rendering a configuration and hashing its key, and
//! enumerating a family's valid space. (GPU benchmarks: `sdec bench kernels`, benches/kernels.sh.)

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sdec_kernels::attention::{standard_decode_shapes, DecodeAttention};
use sdec_kernels::{DeviceLimits, KernelFamily};

fn render_and_key(c: &mut Criterion) {
    let shape = standard_decode_shapes().remove(0);
    let limits = DeviceLimits::default();
    let config = DecodeAttention::default_config(&shape, &limits).expect("the standard shape has a valid configuration");
    c.bench_function("decode_attention render", |b| b.iter(|| DecodeAttention::render(black_box(&config), black_box(&shape))));
    c.bench_function("decode_attention key", |b| b.iter(|| DecodeAttention::key(black_box(&config), black_box(&shape), "sm_90")));
    c.bench_function("decode_attention valid space", |b| b.iter(|| DecodeAttention::valid_space(black_box(&shape), &limits)));
}

criterion_group!(benches, render_and_key);
criterion_main!(benches);
