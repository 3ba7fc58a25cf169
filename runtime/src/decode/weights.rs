//! The model's weights on the GPU in bf16: uploaded from sdec-model's f32 weights (a GGUF file
//! dequantized, rounded to bf16 here), or generated in place from a seed by the `synth_weights`
//! kernel — the same values sdec-model's `synthetic` module computes, so a 16 GB model needs no
//! copy. Matrices keep sdec-model's row-major `[out, in]` layout; q, k and v are one
//! `[q_dim + 2·kv_dim, hidden]` matrix (in that order) with each q and k head's rows in rotation
//! pairs (dims i and i + head_dim/2 side by side, `glue::reference::to_rotation_pairs`), and the
//! MLP's gate and up one `[2·ffn, hidden]` matrix with their rows interleaved (gate_j, up_j), so
//! one launch serves each group, and RoPE and the SwiGLU are computed where their pairs are.

use cudarc::driver::CudaSlice;
use half::bf16;
use ndarray::{Array1, Array2};
use sdec_kernels::glue::reference::to_rotation_pairs;
use sdec_kernels::glue::{RowShape, SynthWeights};
use sdec_kernels::KernelFamily;
use sdec_model::synthetic::{tensor_id, tensor_scale, TensorKind};
use sdec_model::{ModelConfig, ModelWeights};

use crate::error::Result;
use crate::gpu::Gpu;
use crate::launch::glue::{synth_weights, GlueKernel, SynthOut, SynthRange};
use crate::launch::{ensure_fits, upload, zeros};

pub struct GpuLayer {
    pub attn_norm: CudaSlice<u16>,
    /// wq, wk, wv stacked; the rows of each q and k head in rotation pairs.
    pub wqkv: CudaSlice<u16>,
    /// Qwen3's per-head RMSNorm weights of q and k ([head_dim] each); None for Llama.
    pub qk_norm: Option<(CudaSlice<u16>, CudaSlice<u16>)>,
    pub wo: CudaSlice<u16>,
    pub ffn_norm: CudaSlice<u16>,
    pub w_gate_up: CudaSlice<u16>,
    pub w_down: CudaSlice<u16>,
}

pub struct GpuWeights {
    pub embedding: CudaSlice<u16>,
    pub layers: Vec<GpuLayer>,
    pub final_norm: CudaSlice<u16>,
    /// `None` when tied to the embedding.
    pub lm_head: Option<CudaSlice<u16>>,
    /// Bytes of all weights (what one decode step reads at least once, the embedding row aside).
    pub bytes: u64,
}

/// f32 → bf16 bits, round to nearest even (as the kernels' `float_to_bf16`).
pub fn to_bf16_bits(values: impl IntoIterator<Item = f32>) -> Vec<u16> {
    values.into_iter().map(|v| bf16::from_f32(v).to_bits()).collect()
}

/// Bytes of the weights of `cfg` in bf16.
pub fn weight_bytes(cfg: &ModelConfig) -> u64 {
    2 * cfg.n_params() as u64
}

impl GpuWeights {
    /// Uploads f32 weights as bf16.
    pub fn upload(gpu: &Gpu, cfg: &ModelConfig, w: &ModelWeights) -> Result<Self> {
        ensure_fits(gpu, weight_bytes(cfg) as usize, "the model's weights")?;
        let mat = |a: &Array2<f32>, what: &str| upload(gpu, &to_bf16_bits(a.iter().copied()), what);
        let vec1 = |a: &Array1<f32>, what: &str| upload(gpu, &to_bf16_bits(a.iter().copied()), what);
        let layers = w
            .layers
            .iter()
            .map(|l| {
                let (row, hd) = (cfg.hidden, cfg.head_dim);
                let qk: Vec<f32> = l.wq.iter().chain(l.wk.iter()).copied().collect();
                let qkv = to_bf16_bits(to_rotation_pairs(&qk, row, hd).into_iter().chain(l.wv.iter().copied()));
                let gate_up = to_bf16_bits(l.w_gate.rows().into_iter().zip(l.w_up.rows()).flat_map(|(g, u)| g.into_iter().chain(u).copied().collect::<Vec<_>>()));
                let qk_norm = match (&l.q_norm, &l.k_norm) {
                    (Some(q), Some(k)) => Some((vec1(q, "q_norm")?, vec1(k, "k_norm")?)),
                    _ => None,
                };
                Ok(GpuLayer {
                    attn_norm: vec1(&l.attn_norm, "attn_norm")?,
                    wqkv: upload(gpu, &qkv, "wq|wk|wv")?,
                    qk_norm,
                    wo: mat(&l.wo, "wo")?,
                    ffn_norm: vec1(&l.ffn_norm, "ffn_norm")?,
                    w_gate_up: upload(gpu, &gate_up, "w_gate|w_up")?,
                    w_down: mat(&l.w_down, "w_down")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(GpuWeights {
            embedding: mat(&w.embedding, "embedding")?,
            final_norm: vec1(&w.final_norm, "final_norm")?,
            lm_head: w.lm_head.as_ref().map(|h| mat(h, "lm_head")).transpose()?,
            layers,
            bytes: weight_bytes(cfg),
        })
    }

    /// Generates sdec-model's synthetic weights of `cfg` for `seed` on the GPU.
    pub fn synthetic(gpu: &Gpu, cfg: &ModelConfig, seed: u64) -> Result<Self> {
        ensure_fits(gpu, weight_bytes(cfg) as usize, "the model's weights")?;
        let shape = RowShape { rows: 4 * gpu.info.sm_count.max(1) as u32, n: 1, head_dim: 0, capacity: 0 };
        let kernel = GlueKernel::new::<SynthWeights>(gpu, &SynthWeights::default_config(&shape, &gpu.limits())?, &shape)?;
        let gen = Generator { gpu, cfg, seed, kernel: &kernel };
        use TensorKind::*;
        let (h, q, kv, f) = (cfg.hidden, cfg.q_dim(), cfg.kv_dim(), cfg.ffn);
        let layers = (0..cfg.n_layer)
            .map(|l| {
                let mut wqkv = zeros::<u16>(gpu, (q + 2 * kv) * h, "wq|wk|wv")?;
                gen.fill_rotation_pairs(&mut wqkv, 0, Wq(l), cfg.n_head)?;
                gen.fill_rotation_pairs(&mut wqkv, q * h, Wk(l), cfg.n_kv_head)?;
                gen.fill(&mut wqkv, (q + kv) * h, Wv(l), kv * h, None)?;
                // Gate and up rows interleaved: row 2j is gate_j, row 2j+1 up_j.
                let mut w_gate_up = zeros::<u16>(gpu, 2 * f * h, "w_gate|w_up")?;
                gen.fill(&mut w_gate_up, 0, WGate(l), f * h, Some((h, 2 * h)))?;
                gen.fill(&mut w_gate_up, h, WUp(l), f * h, Some((h, 2 * h)))?;
                let qk_norm = if cfg.qk_norm { Some((gen.tensor(QNorm(l), cfg.head_dim)?, gen.tensor(KNorm(l), cfg.head_dim)?)) } else { None };
                Ok(GpuLayer {
                    attn_norm: gen.tensor(AttnNorm(l), h)?,
                    wqkv,
                    qk_norm,
                    wo: gen.tensor(Wo(l), h * q)?,
                    ffn_norm: gen.tensor(FfnNorm(l), h)?,
                    w_gate_up,
                    w_down: gen.tensor(WDown(l), h * f)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(GpuWeights {
            embedding: gen.tensor(Embedding, cfg.vocab * h)?,
            final_norm: gen.tensor(FinalNorm, h)?,
            lm_head: (!cfg.tied_embeddings).then(|| gen.tensor(LmHead, cfg.vocab * h)).transpose()?,
            layers,
            bytes: weight_bytes(cfg),
        })
    }

    pub fn lm_head(&self) -> &CudaSlice<u16> {
        self.lm_head.as_ref().unwrap_or(&self.embedding)
    }
}

struct Generator<'a> {
    gpu: &'a Gpu,
    cfg: &'a ModelConfig,
    seed: u64,
    kernel: &'a GlueKernel,
}

impl Generator<'_> {
    fn tensor(&self, kind: TensorKind, len: usize) -> Result<CudaSlice<u16>> {
        let mut out = zeros::<u16>(self.gpu, len, "synthetic weights")?;
        self.fill(&mut out, 0, kind, len, None)?;
        Ok(out)
    }

    /// Tensor `kind`'s values 0..len into `out` from element `at` on: contiguous, or in rows of
    /// `row_len` placed `stride` apart (`rows = Some((row_len, stride))`).
    fn fill(&self, out: &mut CudaSlice<u16>, at: usize, kind: TensorKind, len: usize, rows: Option<(usize, usize)>) -> Result<()> {
        self.fill_from(out, at, kind, 0, len, rows)
    }

    /// The projection `kind` of `heads` heads (rows `[heads·head_dim][hidden]`) into `out` from
    /// element `at` on, each head's rows in rotation pairs: its first half of rows to the even
    /// rows, its second half to the odd ones.
    fn fill_rotation_pairs(&self, out: &mut CudaSlice<u16>, at: usize, kind: TensorKind, heads: usize) -> Result<()> {
        let (h, hd) = (self.cfg.hidden, self.cfg.head_dim);
        let half = hd / 2 * h;
        for head in 0..heads {
            let first = head * hd * h;
            self.fill_from(out, at + first, kind, first, half, Some((h, 2 * h)))?;
            self.fill_from(out, at + first + h, kind, first + half, half, Some((h, 2 * h)))?;
        }
        Ok(())
    }

    /// Tensor `kind`'s values index0..index0 + len, placed as [`Generator::fill`] places 0..len.
    fn fill_from(&self, out: &mut CudaSlice<u16>, at: usize, kind: TensorKind, index0: usize, len: usize, rows: Option<(usize, usize)>) -> Result<()> {
        let (offset, scale) = tensor_scale(self.cfg, kind);
        let (row_len, stride) = rows.unwrap_or((len, len));
        let end = out.len();
        let mut view = out.slice_mut(at..end);
        let range = SynthRange { seed: self.seed, tensor_id: tensor_id(kind), index0: index0 as u64, n: len as u64, row_len: row_len as u64, out_stride: stride as u64 };
        synth_weights(self.gpu, self.kernel, SynthOut::Bf16(&mut view), range, offset, scale)
    }
}
