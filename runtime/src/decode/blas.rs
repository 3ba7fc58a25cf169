//! The linear layers through cuBLAS: bf16 weights `[out, in]` (row-major, as sdec-model keeps
//! them) times bf16 activations `[batch, in]`, fp32 accumulation.
//!
//! cuBLAS is column-major: a row-major `[out, in]` matrix is its column-major `[in, out]`, so
//! `y[b] = W x[b]` for every row b is `Y (out × batch) = opT(W) · X (in × batch)` with leading
//! dimensions `in`, `in` and `out`.

use std::ffi::c_void;

use cudarc::cublas::{result as blas, sys, CudaBlas};
use cudarc::driver::{CudaSlice, DevicePtr, DevicePtrMut};

use crate::error::{Result, SdecError};
use crate::gpu::Gpu;

pub struct Blas {
    handle: CudaBlas,
}

/// Where the product goes.
pub enum Product<'a> {
    /// Overwrite a bf16 buffer (q, k, v, the MLP's gate and up).
    Bf16(&'a mut CudaSlice<u16>),
    /// Overwrite an fp32 buffer (the logits).
    F32(&'a mut CudaSlice<f32>),
    /// Add to the fp32 residual stream (`beta = 1`): the o and down projections with their
    /// residual connection in one call.
    AddF32(&'a mut CudaSlice<f32>),
}

impl Blas {
    pub fn new(gpu: &Gpu) -> Result<Self> {
        let handle = CudaBlas::new(gpu.stream.clone()).map_err(|e| SdecError::Invalid(format!("cuBLAS could not start: {e}")))?;
        Ok(Blas { handle })
    }

    /// `y[b][o] (+)= Σ_i w[o][i] · x[b][i]` for `batch` rows; `w` holds `out_dim × in_dim` bf16.
    pub fn linear(&self, gpu: &Gpu, w: &CudaSlice<u16>, x: &CudaSlice<u16>, y: Product, out_dim: usize, in_dim: usize, batch: usize) -> Result<()> {
        if w.len() < out_dim * in_dim || x.len() < batch * in_dim {
            return Err(SdecError::Invalid(format!("linear {out_dim}x{in_dim} on {batch} rows: operands too small")));
        }
        let stream = &gpu.stream;
        let (w_ptr, _w) = w.device_ptr(stream);
        let (x_ptr, _x) = x.device_ptr(stream);
        let alpha = 1.0f32;
        let (y_ptr, y_type, beta, y_len, _y) = match y {
            Product::Bf16(y) => {
                let len = y.len();
                let (p, g) = y.device_ptr_mut(stream);
                (p, sys::cudaDataType_t::CUDA_R_16BF, 0.0f32, len, g)
            }
            Product::F32(y) => {
                let len = y.len();
                let (p, g) = y.device_ptr_mut(stream);
                (p, sys::cudaDataType_t::CUDA_R_32F, 0.0f32, len, g)
            }
            Product::AddF32(y) => {
                let len = y.len();
                let (p, g) = y.device_ptr_mut(stream);
                (p, sys::cudaDataType_t::CUDA_R_32F, 1.0f32, len, g)
            }
        };
        if y_len < batch * out_dim {
            return Err(SdecError::Invalid(format!("linear {out_dim}x{in_dim} on {batch} rows: output too small")));
        }
        let dim = |n: usize| i32::try_from(n).map_err(|_| SdecError::Invalid(format!("matrix dimension {n} exceeds cuBLAS's 32-bit range")));
        unsafe {
            blas::gemm_ex(
                *self.handle.handle(),
                sys::cublasOperation_t::CUBLAS_OP_T,
                sys::cublasOperation_t::CUBLAS_OP_N,
                dim(out_dim)?,
                dim(batch)?,
                dim(in_dim)?,
                &alpha as *const f32 as *const c_void,
                w_ptr as *const c_void,
                sys::cudaDataType_t::CUDA_R_16BF,
                dim(in_dim)?,
                x_ptr as *const c_void,
                sys::cudaDataType_t::CUDA_R_16BF,
                dim(in_dim)?,
                &beta as *const f32 as *const c_void,
                y_ptr as *mut c_void,
                y_type,
                dim(out_dim)?,
                sys::cublasComputeType_t::CUBLAS_COMPUTE_32F,
                sys::cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
            )
        }
        .map_err(|e| SdecError::Invalid(format!("cuBLAS gemm {out_dim}x{in_dim} on {batch} rows failed: {e}")))
    }
}
