//! A decode step as a CUDA graph. The step is captured from the stream, instantiated once, and
//! afterwards each new capture updates the instantiated graph in place (cuGraphExecUpdate): the
//! context length is a kernel argument and a grid size, so every step differs a little, and an
//! update costs far less than a new instantiation. Launching the graph replaces ~10 launches per
//! layer with one, so the gaps between kernels vanish.

use cudarc::driver::sys;

use crate::error::{Result, SdecError};
use crate::gpu::Gpu;

fn check(r: sys::CUresult, what: &str) -> Result<()> {
    if r == sys::CUresult::CUDA_SUCCESS {
        Ok(())
    } else {
        Err(SdecError::Invalid(format!("CUDA graph: {what} failed ({r:?})")))
    }
}

/// The instantiated graph of the last captured step.
#[derive(Default)]
pub struct StepGraph {
    exec: Option<sys::CUgraphExec>,
    /// Instantiations so far (1 when every later step was an in-place update).
    pub instantiations: usize,
}

impl StepGraph {
    /// Captures what `enqueue` puts on the stream, brings the instantiated graph up to date
    /// with it and launches it.
    pub fn run(&mut self, gpu: &Gpu, enqueue: impl FnOnce() -> Result<()>) -> Result<()> {
        let stream = gpu.stream.cu_stream();
        gpu.ctx.bind_to_thread().map_err(|e| SdecError::Invalid(format!("binding the CUDA context: {e}")))?;
        check(unsafe { sys::cuStreamBeginCapture_v2(stream, sys::CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL) }, "beginning a capture")?;
        let enqueued = enqueue();
        let mut graph: sys::CUgraph = std::ptr::null_mut();
        let ended = check(unsafe { sys::cuStreamEndCapture(stream, &mut graph) }, "ending a capture");
        let result = enqueued.and(ended).and_then(|()| self.update(graph)).and_then(|()| self.launch(gpu));
        if !graph.is_null() {
            unsafe { sys::cuGraphDestroy(graph) };
        }
        result
    }

    /// Brings the instantiated graph up to date with `graph`: updated in place where it can be,
    /// else instantiated anew.
    fn update(&mut self, graph: sys::CUgraph) -> Result<()> {
        let updated = match self.exec {
            Some(exec) => {
                let mut info: sys::CUgraphExecUpdateResultInfo = unsafe { std::mem::zeroed() };
                let r = unsafe { sys::cuGraphExecUpdate_v2(exec, graph, &mut info) };
                r == sys::CUresult::CUDA_SUCCESS
            }
            None => false,
        };
        if !updated {
            self.reset();
            let mut exec: sys::CUgraphExec = std::ptr::null_mut();
            check(unsafe { sys::cuGraphInstantiateWithFlags(&mut exec, graph, 0) }, "instantiating the step")?;
            self.exec = Some(exec);
            self.instantiations += 1;
        }
        Ok(())
    }

    /// Launches the instantiated graph as it is (a step identical to the last captured one).
    pub fn launch(&self, gpu: &Gpu) -> Result<()> {
        let exec = self.exec.ok_or_else(|| SdecError::Invalid("CUDA graph: nothing instantiated to launch again".into()))?;
        gpu.ctx.bind_to_thread().map_err(|e| SdecError::Invalid(format!("binding the CUDA context: {e}")))?;
        check(unsafe { sys::cuGraphLaunch(exec, gpu.stream.cu_stream()) }, "launching the step")
    }

    /// Forgets the instantiated graph (the next step instantiates anew).
    pub fn reset(&mut self) {
        if let Some(exec) = self.exec.take() {
            unsafe { sys::cuGraphExecDestroy(exec) };
        }
    }
}

impl Drop for StepGraph {
    fn drop(&mut self) {
        self.reset();
    }
}
