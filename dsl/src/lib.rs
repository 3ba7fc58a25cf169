//! `kernel_family!` — declare a CUDA kernel family once, get everything the tools need.
//!
//! A declaration names the family, its CUDA source file, the problem-shape type it serves, its
//! tunable parameters with their candidate values, the constraints a configuration must meet, and
//! the kernels it launches with their geometry:
//!
//! ```ignore
//! kernel_family! {
//!     /// Split-KV flash decoding.
//!     pub family DecodeAttention {
//!         name = "decode_attention";
//!         source = "cuda/attention.cu";
//!         shape = AttentionShape;
//!         params {
//!             threads: u32 = [128, 256],
//!             split_tokens: u32 = [512, 1024],
//!         }
//!         constraints {
//!             threads % 32 == 0,
//!             split_tokens % shape.score_block == 0,
//!         }
//!         kernels {
//!             attend(grid = (splits(shape, split_tokens), 1, 1), block = (threads, 1, 1), smem = 0),
//!         }
//!     }
//! }
//! ```
//!
//! It generates `DecodeAttentionConfig` (serde, one field per parameter) and a unit struct
//! `DecodeAttention` implementing `sdec_kernels::family::KernelFamily`: the enumerated space in
//! declaration order (pruned by the constraints that name neither `shape` nor `limits`), the
//! constraint check (each failure names its constraint), rendering to CUDA
//! (a `constexpr` prelude with the parameters in UPPER_SNAKE case and the shape's baked constants,
//! then the source file), and the launch geometry of each kernel.
//!
//! Mistakes are compile errors at the offending tokens: duplicate or unknown names, empty or
//! mistyped candidate lists, constraints or geometry that use undeclared names, a source file that
//! is missing, that never uses a parameter, or that lacks a declared `__global__` kernel.

mod check;
mod expand;
mod parse;

use proc_macro::TokenStream;

#[proc_macro]
pub fn kernel_family(input: TokenStream) -> TokenStream {
    let decl = syn::parse_macro_input!(input as parse::FamilyDecl);
    match check::validate(&decl) {
        Ok(source_text) => expand::expand(&decl, &source_text).into(),
        Err(err) => err.to_compile_error().into(),
    }
}
