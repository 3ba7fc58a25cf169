//! One decode step of the whole model on the GPU, and the state it keeps between steps.
//!
//! A step enqueues, with no host round trip: embed(tokens) → per layer [rmsnorm → qkv projection →
//! RoPE + KV append → attention (the policy) → o projection + residual → rmsnorm → gate|up
//! projection → SwiGLU → down projection + residual] → final rmsnorm → LM head → argmax into
//! `tokens` → positions + 1. With the generated `linear` kernels (the default at batch ≤ 8) the
//! RMSNorms happen inside the projections that read them and the SwiGLU inside the gate|up
//! projection that makes it, so a layer is seven launches; with cuBLAS they are kernels of their
//! own. Token ids and positions live on the
//! device, so steps follow each other (and are captured in a CUDA graph) without the host.

use std::sync::Arc;

use cudarc::driver::CudaSlice;
use sdec_kernels::attention::AttentionShape;
use sdec_kernels::glue::{Advance, Argmax, Embed, RmsNorm, RopeAppend, RowShape, Swiglu};
use sdec_kernels::linear::{Linear, LinearIn, LinearOut, LinearShape, MAX_BATCH};
use sdec_kernels::KernelFamily;
use sdec_model::ops::rope_inv_freq;
use sdec_model::{ModelConfig, PolicySpec};

use super::blas::{Blas, Product};
use super::graph::StepGraph;
use super::kv::KvCache;
use super::lychee::LycheeGpu;
use super::weights::GpuWeights;
use crate::error::{CudaContextExt, Result, SdecError};
use crate::gpu::Gpu;
use crate::launch::attention::{AttentionInputs, DecodeKernel};
use crate::launch::glue::{self, GlueKernel};
use crate::launch::linear::{LinearDst, LinearKernel, LinearSrc};
use crate::launch::{download, upload, zeros};
use crate::tuned::Tuned;

/// Policies the GPU loop serves; the others are refused by name.
pub const GPU_POLICIES: [&str; 2] = ["full", "lychee"];

/// The attention of a step.
enum Attention {
    Full,
    Lychee(Box<LycheeGpu>),
}

/// Whether a step applies the policy (decode) or attends densely (prefill, one token at a time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    Dense,
    Policy,
}

struct Buffers {
    x: CudaSlice<f32>,
    xn: CudaSlice<u16>,
    qkv: CudaSlice<u16>,
    q: CudaSlice<u16>,
    attn: CudaSlice<u16>,
    gate_up: CudaSlice<u16>,
    act: CudaSlice<u16>,
    /// The SwiGLU activations of the generated path, kept in fp32.
    act_f32: CudaSlice<f32>,
    logits: CudaSlice<f32>,
    tokens: CudaSlice<i32>,
    pos: CudaSlice<i32>,
    inv_freq: CudaSlice<f32>,
    unused_scores: CudaSlice<f32>,
}

/// Which code runs the linear layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Gemm {
    /// The `linear` family (batch ≤ 8): streams the weights once.
    Generated,
    /// cuBLAS GEMMs.
    Cublas,
}

/// The `linear` kernels of one step, one per projection shape.
struct Projections {
    qkv: LinearKernel,
    o: LinearKernel,
    gate_up: LinearKernel,
    down: LinearKernel,
    lm_head: LinearKernel,
}

impl Projections {
    fn new(gpu: &Gpu, tuned: &Tuned, cfg: &ModelConfig, batch: usize) -> Result<Self> {
        let make = |out_dim: usize, in_dim: usize, input: LinearIn, out: LinearOut| {
            let shape = LinearShape { batch: batch as u32, out_dim: out_dim as u32, in_dim: in_dim as u32, input, out };
            LinearKernel::new(gpu, tuned.config_for::<Linear>(gpu, &shape)?, shape)
        };
        let (h, q, kv, ffn) = (cfg.hidden, cfg.q_dim(), cfg.kv_dim(), cfg.ffn);
        Ok(Projections {
            qkv: make(q + 2 * kv, h, LinearIn::RmsNorm, LinearOut::Bf16)?,
            o: make(h, q, LinearIn::Bf16, LinearOut::AddF32)?,
            gate_up: make(2 * ffn, h, LinearIn::RmsNorm, LinearOut::SwiGlu)?,
            down: make(h, ffn, LinearIn::F32, LinearOut::AddF32)?,
            lm_head: make(cfg.vocab, h, LinearIn::RmsNorm, LinearOut::F32)?,
        })
    }
}

/// The linear layers of a step: generated kernels, or cuBLAS with separate norm and SwiGLU
/// kernels.
enum Linears {
    Generated(Projections),
    Cublas { blas: Blas, rmsnorm: GlueKernel, swiglu: GlueKernel },
}

struct Glue {
    rope_append: GlueKernel,
    argmax: GlueKernel,
    embed: GlueKernel,
    advance: GlueKernel,
}

pub struct Decoder {
    pub cfg: ModelConfig,
    pub batch: usize,
    /// Tokens in the cache (every sequence of the batch has the same length).
    pub len: usize,
    weights: Arc<GpuWeights>,
    kv: KvCache,
    linears: Linears,
    bufs: Buffers,
    glue: Glue,
    dense: DecodeKernel,
    attention: Attention,
    graph: StepGraph,
}

impl Decoder {
    /// A decoder for `batch` sequences of up to `capacity` tokens under `policy`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(gpu: &Gpu, tuned: &Tuned, cfg: &ModelConfig, weights: Arc<GpuWeights>, policy: &PolicySpec, batch: usize, capacity: usize, gemm: Gemm) -> Result<Self> {
        if cfg.qk_norm {
            return Err(SdecError::Invalid("the GPU decode loop does not serve Qwen3's q/k norm yet (Llama-architecture models only)".into()));
        }
        if capacity > cfg.max_context {
            return Err(SdecError::Invalid(format!("a context of {capacity} tokens is beyond the model's limit of {}", cfg.max_context)));
        }
        if batch == 0 || capacity == 0 {
            return Err(SdecError::Invalid("batch and context must be at least 1".into()));
        }
        let kv = KvCache::new(gpu, cfg, batch, capacity)?;
        let (b, h, q_dim, kv_dim, ffn, vocab, hd) = (batch, cfg.hidden, cfg.q_dim(), cfg.kv_dim(), cfg.ffn, cfg.vocab, cfg.head_dim);
        let row = |rows: usize, n: usize, head_dim: usize, capacity: usize| RowShape { rows: rows as u32, n: n as u32, head_dim: head_dim as u32, capacity: capacity as u32 };
        let glue = Glue {
            rope_append: {
                let shape = row(b, q_dim + 2 * kv_dim, hd, capacity);
                GlueKernel::new::<RopeAppend>(gpu, &RopeAppend::default_config(&shape, &gpu.limits())?, &shape)?
            },
            argmax: tuned.glue_kernel::<Argmax>(gpu, &row(b, vocab, 0, 0))?,
            embed: tuned.glue_kernel::<Embed>(gpu, &row(b, h, 0, 0))?,
            advance: {
                let shape = row(1, b, 0, 0);
                GlueKernel::new::<Advance>(gpu, &Advance::default_config(&shape, &gpu.limits())?, &shape)?
            },
        };
        let mut inv_freq = rope_inv_freq(hd, cfg.rope_theta, cfg.rope_scaling.as_ref());
        if let Some(d) = &cfg.rope_freq_divisors {
            inv_freq.iter_mut().zip(d).for_each(|(f, d)| *f /= *d as f64);
        }
        let inv_freq: Vec<f32> = inv_freq.into_iter().map(|f| f as f32).collect();
        let bufs = Buffers {
            x: zeros(gpu, b * h, "the residual stream")?,
            xn: zeros(gpu, b * h, "normed activations")?,
            qkv: zeros(gpu, b * (q_dim + 2 * kv_dim), "q|k|v")?,
            q: zeros(gpu, b * q_dim, "q")?,
            attn: zeros(gpu, b * q_dim, "attention output")?,
            gate_up: zeros(gpu, b * 2 * ffn, "gate|up")?,
            act: zeros(gpu, b * ffn, "MLP activations")?,
            act_f32: zeros(gpu, b * ffn, "MLP activations")?,
            logits: zeros(gpu, b * vocab, "logits")?,
            tokens: zeros(gpu, b, "token ids")?,
            pos: zeros(gpu, b, "positions")?,
            inv_freq: upload(gpu, &inv_freq, "RoPE frequencies")?,
            unused_scores: zeros(gpu, 4, "placeholder")?,
        };
        let dense_shape = AttentionShape {
            batch: b as u32, kv_heads: cfg.n_kv_head as u32, group: cfg.group_size() as u32, head_dim: hd as u32,
            context: capacity as u32, capacity: capacity as u32, emit_scores: false, score_block: 64,
        };
        let dense = tuned.decode_kernel(gpu, dense_shape)?;
        let attention = match policy {
            PolicySpec::Full => Attention::Full,
            PolicySpec::Lychee(p) => Attention::Lychee(Box::new(LycheeGpu::new(gpu, tuned, cfg, p, b, capacity)?)),
            other => {
                let name = serde_json::to_value(other).ok().and_then(|v| v.get("policy").and_then(|p| p.as_str()).map(str::to_string)).unwrap_or_default();
                return Err(SdecError::Invalid(format!(
                    "policy `{name}` is not served by the GPU decode loop yet (served: {}); run it with --device cpu",
                    GPU_POLICIES.join(", ")
                )));
            }
        };
        let linears = match gemm {
            Gemm::Generated if batch > MAX_BATCH as usize => {
                return Err(SdecError::Invalid(format!("the generated linear kernels serve batch ≤ {MAX_BATCH}; use --gemm cublas for batch {batch}")))
            }
            Gemm::Generated => Linears::Generated(Projections::new(gpu, tuned, cfg, batch)?),
            Gemm::Cublas => Linears::Cublas {
                blas: Blas::new(gpu)?,
                rmsnorm: tuned.glue_kernel::<RmsNorm>(gpu, &row(b, h, 0, 0))?,
                swiglu: tuned.glue_kernel::<Swiglu>(gpu, &row(b, ffn, 0, 0))?,
            },
        };
        Ok(Decoder { cfg: cfg.clone(), batch, len: 0, weights, kv, linears, bufs, glue, dense, attention, graph: StepGraph::default() })
    }

    pub fn capacity(&self) -> usize {
        self.kv.capacity
    }

    /// Sets the next step's token of every sequence (prefill, teacher forcing). Without it a
    /// step feeds each sequence its previous greedy token.
    pub fn set_tokens(&mut self, gpu: &Gpu, tokens: &[u32]) -> Result<()> {
        if tokens.len() != self.batch {
            return Err(SdecError::Invalid(format!("{} tokens for a batch of {}", tokens.len(), self.batch)));
        }
        if let Some(&t) = tokens.iter().find(|&&t| t as usize >= self.cfg.vocab) {
            return Err(SdecError::Invalid(format!("token id {t} is outside the vocabulary of {}", self.cfg.vocab)));
        }
        let ids: Vec<i32> = tokens.iter().map(|&t| t as i32).collect();
        gpu.stream.memcpy_htod(&ids, &mut self.bufs.tokens).during("uploading token ids")
    }

    /// Declares the first `len` cache positions filled (by [`Decoder::fill_cache_random`] or
    /// earlier steps) and moves every sequence there.
    pub fn set_len(&mut self, gpu: &Gpu, len: usize) -> Result<()> {
        if len >= self.kv.capacity {
            return Err(SdecError::Invalid(format!("a context of {len} leaves no room in a cache of {}", self.kv.capacity)));
        }
        self.len = len;
        gpu.stream.memcpy_htod(&vec![len as i32; self.batch], &mut self.bufs.pos).during("uploading positions")
    }

    /// Fills the whole cache with seeded random bf16 keys and values (the timing benchmarks
    /// start from a long context without a prefill).
    pub fn fill_cache_random(&mut self, gpu: &Gpu, seed: u64) -> Result<()> {
        let n = self.kv.k[0].len();
        let shape = RowShape { rows: 4 * gpu.info.sm_count.max(1) as u32, n: 1, head_dim: 0, capacity: 0 };
        let kernel = GlueKernel::new::<sdec_kernels::glue::SynthWeights>(gpu, &sdec_kernels::glue::SynthWeights::default_config(&shape, &gpu.limits())?, &shape)?;
        for (l, (k, v)) in self.kv.k.iter_mut().zip(self.kv.v.iter_mut()).enumerate() {
            for (which, buf) in [(0u64, k), (1u64, v)] {
                let mut view = buf.slice_mut(0..n);
                // Keys of spread √3 per entry, as the synthetic models' keys (see synthetic.rs).
                let range = glue::SynthRange { seed, tensor_id: 1 << 32 | (l as u64) << 1 | which, index0: 0, n: n as u64, row_len: n as u64, out_stride: n as u64 };
                glue::synth_weights(gpu, &kernel, glue::SynthOut::Bf16(&mut view), range, 0.0, 3.0)?;
            }
        }
        Ok(())
    }

    /// Enqueues one step: every sequence's current token at position `len`. Logits and the
    /// greedy next tokens stay on the device ([`Decoder::logits`], [`Decoder::tokens`]).
    pub fn step(&mut self, gpu: &Gpu, kind: StepKind) -> Result<()> {
        if self.len + 1 > self.kv.capacity {
            return Err(SdecError::Invalid(format!("the KV cache is full ({} tokens)", self.kv.capacity)));
        }
        let cfg = &self.cfg;
        let (b, h, q_dim, kv_dim, ffn, hd) = (self.batch, cfg.hidden, cfg.q_dim(), cfg.kv_dim(), cfg.ffn, cfg.head_dim);
        let ctx = (self.len + 1) as u32;
        let scale = (1.0 / (hd as f64).sqrt()) as f32;
        let (eps, bufs, g, w, lin) = (cfg.rms_eps, &mut self.bufs, &self.glue, &self.weights, &self.linears);
        glue::embed(gpu, &g.embed, &w.embedding, &bufs.tokens, &mut bufs.x, h as i32)?;
        let dims = (cfg.n_head as i32, cfg.n_kv_head as i32, hd as i32, self.kv.capacity as i32);
        for (l, lw) in w.layers.iter().enumerate() {
            match lin {
                Linears::Generated(p) => p.qkv.launch(gpu, &lw.wqkv, LinearSrc::RmsNorm { x: &bufs.x, gamma: &lw.attn_norm, eps }, LinearDst::Bf16(&mut bufs.qkv))?,
                Linears::Cublas { blas, rmsnorm, .. } => {
                    glue::rmsnorm(gpu, rmsnorm, &bufs.x, &lw.attn_norm, &mut bufs.xn, h as i32, eps)?;
                    blas.linear(gpu, &lw.wqkv, &bufs.xn, Product::Bf16(&mut bufs.qkv), q_dim + 2 * kv_dim, h, b)?;
                }
            }
            let (kc, vc) = (&mut self.kv.k[l], &mut self.kv.v[l]);
            glue::rope_append(gpu, &g.rope_append, &bufs.qkv, &mut bufs.q, kc, vc, &bufs.pos, &bufs.inv_freq, dims)?;
            let inputs = AttentionInputs { q: &bufs.q, k: kc, v: vc, scale };
            match (&mut self.attention, kind) {
                (Attention::Lychee(lychee), StepKind::Policy) => lychee.attend(gpu, l, ctx, &inputs, &mut bufs.attn)?,
                _ => self.dense.launch_at(gpu, &inputs, ctx, &mut bufs.attn, &mut bufs.unused_scores)?,
            }
            match lin {
                Linears::Generated(p) => {
                    p.o.launch(gpu, &lw.wo, LinearSrc::Bf16(&bufs.attn), LinearDst::F32(&mut bufs.x))?;
                    p.gate_up.launch(gpu, &lw.w_gate_up, LinearSrc::RmsNorm { x: &bufs.x, gamma: &lw.ffn_norm, eps }, LinearDst::F32(&mut bufs.act_f32))?;
                    p.down.launch(gpu, &lw.w_down, LinearSrc::F32(&bufs.act_f32), LinearDst::F32(&mut bufs.x))?;
                }
                Linears::Cublas { blas, rmsnorm, swiglu } => {
                    blas.linear(gpu, &lw.wo, &bufs.attn, Product::AddF32(&mut bufs.x), h, q_dim, b)?;
                    glue::rmsnorm(gpu, rmsnorm, &bufs.x, &lw.ffn_norm, &mut bufs.xn, h as i32, eps)?;
                    blas.linear(gpu, &lw.w_gate_up, &bufs.xn, Product::Bf16(&mut bufs.gate_up), 2 * ffn, h, b)?;
                    glue::swiglu(gpu, swiglu, &bufs.gate_up, &mut bufs.act, ffn as i32)?;
                    blas.linear(gpu, &lw.w_down, &bufs.act, Product::AddF32(&mut bufs.x), h, ffn, b)?;
                }
            }
        }
        match lin {
            Linears::Generated(p) => p.lm_head.launch(gpu, w.lm_head(), LinearSrc::RmsNorm { x: &bufs.x, gamma: &w.final_norm, eps }, LinearDst::F32(&mut bufs.logits))?,
            Linears::Cublas { blas, rmsnorm, .. } => {
                glue::rmsnorm(gpu, rmsnorm, &bufs.x, &w.final_norm, &mut bufs.xn, h as i32, eps)?;
                blas.linear(gpu, w.lm_head(), &bufs.xn, Product::F32(&mut bufs.logits), cfg.vocab, h, b)?;
            }
        }
        glue::argmax(gpu, &g.argmax, &bufs.logits, &mut bufs.tokens, cfg.vocab as i32)?;
        glue::advance(gpu, &g.advance, &mut bufs.pos, b as i32)?;
        self.len += 1;
        Ok(())
    }

    /// [`Decoder::step`] through a CUDA graph ([`StepGraph`]): captured, then launched as one.
    pub fn step_graph(&mut self, gpu: &Gpu, kind: StepKind) -> Result<()> {
        // Everything that allocates or uploads must happen before the capture.
        if let (Attention::Lychee(lychee), StepKind::Policy) = (&mut self.attention, kind) {
            lychee.prepare(gpu, self.cfg.n_layer, (self.len + 1) as u32)?;
        }
        let mut graph = std::mem::take(&mut self.graph);
        let result = graph.run(gpu, || self.step(gpu, kind));
        self.graph = graph;
        result
    }

    /// How many times the step graph was instantiated (the rest were in-place updates).
    pub fn graph_instantiations(&self) -> usize {
        self.graph.instantiations
    }

    /// Logits of the last step, `[batch][vocab]`.
    pub fn logits(&self, gpu: &Gpu) -> Result<Vec<f32>> {
        download(&gpu.stream, &self.bufs.logits, "logits")
    }

    /// The greedy tokens of the last step (the next step's input).
    pub fn tokens(&self, gpu: &Gpu) -> Result<Vec<u32>> {
        Ok(download(&gpu.stream, &self.bufs.tokens, "token ids")?.into_iter().map(|t| t as u32).collect())
    }

    /// KV entries (K and V rows) one policy step reads per sequence at context `ctx`.
    pub fn kv_entries(&self, ctx: usize) -> u64 {
        match &self.attention {
            Attention::Full => (self.cfg.n_layer * self.cfg.n_kv_head * ctx) as u64,
            Attention::Lychee(l) => l.kv_entries(ctx),
        }
    }

    pub fn weight_bytes(&self) -> u64 {
        self.weights.bytes
    }
}
