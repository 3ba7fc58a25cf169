//! TMA tensor maps of the K and V caches for the gather family's `mma` = 3 (attention.cu's
//! `tma_produce`): a cache [batch][kv_heads][capacity][head_dim] bf16 as one 2-D tensor of
//! rows, read in boxes of 32 rows x 64 dims under the 128-byte swizzle. A map is 128 opaque
//! bytes that the kernel takes by value, so a captured graph holds it with no upload.

use cudarc::driver::sys::{self, CUdeviceptr};

use crate::error::{Result, SdecError};

/// The driver's encoded map, as the kernel parameter's bytes.
pub type TensorMapWords = [u64; 16];

/// What the kernels' `mma` < 3 paths take in the map parameters: they never read them.
pub const UNUSED_MAP: TensorMapWords = [0; 16];

/// Rows of a box (attention.cu's UNIT) and its width in elements (128 bytes of bf16).
const BOX_ROWS: u32 = 32;
const BOX_DIMS: u32 = 64;

/// The map of a cache at `ptr` holding `rows` rows of `head_dim` bf16 values.
pub fn kv_rows_map(ptr: CUdeviceptr, rows: u64, head_dim: u32) -> Result<TensorMapWords> {
    if head_dim % BOX_DIMS != 0 {
        return Err(SdecError::Invalid(format!("a TMA box takes rows of a multiple of {BOX_DIMS} dims, not {head_dim}")));
    }
    let mut map = sys::CUtensorMap { opaque: [0; 16] };
    let dims: [u64; 2] = [head_dim as u64, rows];
    let row_stride: [u64; 1] = [head_dim as u64 * 2];
    let boxes: [u32; 2] = [BOX_DIMS, BOX_ROWS];
    let element_steps: [u32; 2] = [1, 1];
    // SAFETY: every pointer is to a live local array of the rank the call is given; the driver
    // writes the 128-byte map and only records `ptr`.
    let status = unsafe {
        sys::cuTensorMapEncodeTiled(
            &mut map,
            sys::CUtensorMapDataType::CU_TENSOR_MAP_DATA_TYPE_BFLOAT16,
            2,
            ptr as *mut std::ffi::c_void,
            dims.as_ptr(),
            row_stride.as_ptr(),
            boxes.as_ptr(),
            element_steps.as_ptr(),
            sys::CUtensorMapInterleave::CU_TENSOR_MAP_INTERLEAVE_NONE,
            sys::CUtensorMapSwizzle::CU_TENSOR_MAP_SWIZZLE_128B,
            sys::CUtensorMapL2promotion::CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
            // Out-of-bounds rows (a box past the cache's last row) land as zeros.
            sys::CUtensorMapFloatOOBfill::CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE,
        )
    };
    if status != sys::CUresult::CUDA_SUCCESS {
        return Err(SdecError::Invalid(format!("encoding a TMA tensor map of {rows} rows x {head_dim} dims at {ptr:#x}: {status:?}")));
    }
    Ok(map.opaque)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_that_are_not_whole_boxes_wide_are_refused_before_the_driver() {
        let err = kv_rows_map(0x1000, 64, 96).unwrap_err().to_string();
        assert!(err.contains("96"), "{err}");
    }
}
