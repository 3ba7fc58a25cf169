//! Launchers of the `quest` family (kernels-gen/src/quest.rs, cuda/quest.cu).

use cudarc::driver::{CudaSlice, CudaView, PushKernelArg};
use sdec_kernels::quest::{Quest, QuestConfig, QuestShape};
use sdec_kernels::{KernelFamily, LaunchSpec};

use super::{launch_config, spec, validate};
use crate::error::{CudaContextExt, Result};
use crate::gpu::{Gpu, Kernels};

pub struct QuestKernels {
    pub shape: QuestShape,
    pub config: QuestConfig,
    kernels: Kernels,
    specs: Vec<LaunchSpec>,
}

impl QuestKernels {
    pub fn new(gpu: &Gpu, config: QuestConfig, shape: QuestShape) -> Result<Self> {
        validate::<Quest>(gpu, &config, &shape)?;
        let kernels = gpu.module::<Quest>(&config, &shape)?;
        let specs = Quest::launches(&config, &shape, &gpu.limits());
        Ok(QuestKernels { shape, config, kernels, specs })
    }

    /// Recomputes the bounds of the pages `pos` [rows] fall in (row r of sequence r /
    /// `rows_per_seq`), over the first `context` tokens of this layer's K.
    #[allow(clippy::too_many_arguments)]
    pub fn pages(&self, gpu: &Gpu, k: &CudaSlice<u16>, meta: &mut CudaSlice<u16>, pos: &CudaSlice<i32>, rows: u32, rows_per_seq: u32, context: u32) -> Result<()> {
        let s = &self.shape;
        let shape = QuestShape { rows, ..s.clone() };
        let (rps, ctx, kvh, cap, pages) = (rows_per_seq as i32, context as i32, s.kv_heads as i32, s.capacity as i32, s.pages_cap() as i32);
        let f = self.kernels.function("quest_pages")?;
        unsafe {
            gpu.stream.launch_builder(&f).arg(k).arg(meta).arg(pos).arg(&rps).arg(&ctx).arg(&kvh).arg(&cap).arg(&pages)
                .launch(launch_config(spec(&Quest::launches(&self.config, &shape, &gpu.limits()), "quest_pages")?))
        }
        .during("quest page bounds")?;
        Ok(())
    }

    /// Scores [batch*kv_heads][n_pages] of the pages of `context` tokens for queries q.
    pub fn score(&self, gpu: &Gpu, q: &CudaSlice<u16>, meta: &CudaSlice<u16>, scores: &mut CudaSlice<f32>, context: u32) -> Result<()> {
        let s = &self.shape;
        let n_pages = context.div_ceil(s.page);
        let shape = QuestShape { capacity: n_pages * s.page, ..s.clone() };
        let (n, kvh, pages) = (n_pages as i32, s.kv_heads as i32, s.pages_cap() as i32);
        let f = self.kernels.function("quest_score")?;
        unsafe {
            gpu.stream.launch_builder(&f).arg(q).arg(meta).arg(scores).arg(&n).arg(&kvh).arg(&pages)
                .launch(launch_config(spec(&Quest::launches(&self.config, &shape, &gpu.limits()), "quest_score")?))
        }
        .during("quest page scores")?;
        Ok(())
    }

    /// Page lists [batch*kv_heads][entries] from top-k `picks` [batch*kv_heads][k_valid].
    pub fn list(&self, gpu: &Gpu, picks: &CudaView<'_, i32>, lists: &mut CudaSlice<i32>, k_valid: u32, n_pages: u32) -> Result<()> {
        let (kv, n, entries) = (k_valid as i32, n_pages as i32, self.shape.entries as i32);
        let f = self.kernels.function("quest_list")?;
        unsafe {
            gpu.stream.launch_builder(&f).arg(picks).arg(lists).arg(&kv).arg(&n).arg(&entries)
                .launch(launch_config(spec(&self.specs, "quest_list")?))
        }
        .during("quest page lists")?;
        Ok(())
    }
}
