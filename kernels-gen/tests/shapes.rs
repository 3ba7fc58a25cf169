//! Shapes a family cannot serve are refused with a message naming the cause.

use sdec_kernels::attention::{AttentionShape, DecodeAttention};
use sdec_kernels::family::Shape;
use sdec_kernels::topk::TopkShape;
use sdec_kernels::{DeviceLimits, KernelFamily};

#[test]
fn topk_refuses_k_beyond_the_context_and_empty_input() {
    let err = TopkShape { rows: 1, n: 100, k: 101 }.validate().unwrap_err();
    assert!(err.to_string().contains("k = 101 exceeds the row length (context) 100"), "{err}");
    assert!(TopkShape { rows: 0, n: 100, k: 1 }.validate().unwrap_err().to_string().contains("empty"));
    assert!(TopkShape { rows: 1, n: 100, k: 0 }.validate().is_err());
    assert!(TopkShape { rows: 1, n: 20_000, k: 16385 }.validate().unwrap_err().to_string().contains("16384"));
}

#[test]
fn attention_refuses_unsupported_head_dims_and_groups() {
    let shape = |head_dim, group| AttentionShape { batch: 1, kv_heads: 8, group, head_dim, context: 100, capacity: 100, emit_scores: false, score_block: 64 };
    assert!(shape(96, 4).validate().unwrap_err().to_string().contains("head dim 96"));
    assert!(shape(128, 9).validate().unwrap_err().to_string().contains("GQA group 9"));
    assert!(DecodeAttention::default_config(&shape(128, 0), &DeviceLimits::default()).is_err());
    let mut over = shape(128, 4);
    over.context = 200;
    assert!(over.validate().unwrap_err().to_string().contains("exceeds the cache capacity"));
}

#[test]
fn constraints_name_the_rule_that_fails() {
    let shape = AttentionShape { batch: 1, kv_heads: 8, group: 8, head_dim: 128, context: 100, capacity: 100, emit_scores: true, score_block: 2048 };
    let space = DecodeAttention::space();
    let split_1024 = space.iter().find(|c| c.split_tokens == 1024).unwrap();
    let err = DecodeAttention::check(split_1024, &shape, &DeviceLimits::default()).unwrap_err();
    assert_eq!(err.constraint, "split_tokens % shape.score_block == 0");
    let split_4096 = space.iter().find(|c| c.split_tokens == 4096 && c.unroll == 2).unwrap();
    assert!(DecodeAttention::check(split_4096, &shape, &DeviceLimits::default()).is_ok());
}

#[test]
fn keys_are_stable_and_distinguish_configurations() {
    let shape = AttentionShape { batch: 1, kv_heads: 8, group: 4, head_dim: 128, context: 100, capacity: 100, emit_scores: false, score_block: 64 };
    let space = DecodeAttention::valid_space(&shape, &DeviceLimits::default());
    let a = DecodeAttention::key(&space[0], &shape, "sm_90");
    assert_eq!(a, DecodeAttention::key(&space[0], &shape, "sm_90"));
    assert_ne!(a, DecodeAttention::key(&space[1], &shape, "sm_90"));
    assert_ne!(a, DecodeAttention::key(&space[0], &shape, "sm_80"));
    // The runtime context is not baked in: a longer context reuses the compiled kernel.
    let longer = AttentionShape { context: 90, ..shape.clone() };
    assert_eq!(a, DecodeAttention::key(&space[0], &longer, "sm_90"));
}
