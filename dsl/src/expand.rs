//! Code generation for a checked declaration.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::parse::FamilyDecl;

pub fn expand(decl: &FamilyDecl, _source_text: &str) -> TokenStream {
    let FamilyDecl { attrs, vis, ident, name, source, shape, params, constraints, kernels } = decl;
    let config = format_ident!("{}Config", ident);
    let config_doc = format!("One configuration of the `{}` kernel family.", name.value());

    let fields = params.iter().map(|p| {
        let (pattrs, pident, pty) = (p.field_attrs(), &p.ident, &p.ty);
        quote! { #(#pattrs)* pub #pident: #pty }
    });
    let modes: Vec<bool> = params.iter().map(|p| p.mode_attr().is_some()).collect();
    let names: Vec<_> = params.iter().map(|p| &p.ident).collect();
    let name_strs: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let constant_names: Vec<String> = name_strs.iter().map(|n| n.to_uppercase()).collect();
    let candidate_lists = params.iter().map(|p| {
        let texts = p.candidates.iter().map(|c| quote!(#c).to_string());
        quote! { &[#(#texts),*] }
    });

    // Nested loops over the candidates, first parameter outermost, so `space()` lists
    // configurations in declaration order (the tuner's tie-break relies on it). Constraints that
    // name neither the shape nor the limits (e.g. which parameters a strategy uses) prune it.
    let static_constraints: Vec<_> = constraints.iter().filter(|c| !crate::check::mentions_shape_or_limits(c)).collect();
    let mut space_body = quote! {
        if true #(&& (#static_constraints))* {
            space.push(#config { #(#names),* });
        }
    };
    for p in params.iter().rev() {
        let (pident, candidates) = (&p.ident, &p.candidates);
        space_body = quote! { for #pident in [#(#candidates),*] { #space_body } };
    }

    let constraint_checks = constraints.iter().map(|c| {
        let text = quote!(#c).to_string();
        quote! {
            if !(#c) {
                return Err(::sdec_kernels::family::Violation { family: #name, constraint: #text });
            }
        }
    });

    let kernel_names: Vec<String> = kernels.iter().map(|k| k.ident.to_string()).collect();
    let launch_specs = kernels.iter().map(|k| {
        let (kname, grid, block, smem) = (k.ident.to_string(), &k.grid, &k.block, &k.smem);
        quote! {
            ::sdec_kernels::family::LaunchSpec {
                kernel: #kname,
                grid: ::sdec_kernels::family::Dim3::from(#grid),
                block: ::sdec_kernels::family::Dim3::from(#block),
                smem_bytes: (#smem) as u32,
            }
        }
    });

    let source_path = source.value();
    // Absolute, so `include_str!` finds the file from any crate (and rebuilds when it changes).
    let absolute = crate::check::source_path(decl).map(|p| p.display().to_string()).unwrap_or_default();
    quote! {
        #[doc = #config_doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #vis struct #config { #(#fields),* }

        #(#attrs)*
        #[derive(Debug, Clone, Copy, Default)]
        #vis struct #ident;

        impl ::sdec_kernels::family::KernelFamily for #ident {
            type Config = #config;
            type Shape = #shape;
            const NAME: &'static str = #name;
            const SOURCE_FILE: &'static str = #source_path;
            const SOURCE: &'static str = include_str!(#absolute);
            const PARAMS: &'static [::sdec_kernels::family::ParamInfo] = &[
                #(::sdec_kernels::family::ParamInfo { name: #name_strs, candidates: #candidate_lists, mode: #modes }),*
            ];
            const KERNELS: &'static [&'static str] = &[#(#kernel_names),*];

            fn space() -> Vec<#config> {
                let mut space = Vec::new();
                #space_body
                space
            }

            #[allow(unused_variables)]
            fn check(
                config: &#config,
                shape: &#shape,
                limits: &::sdec_kernels::family::DeviceLimits,
            ) -> Result<(), ::sdec_kernels::family::Violation> {
                let #config { #(#names),* } = *config;
                #(#constraint_checks)*
                Ok(())
            }

            fn param_constants(config: &#config) -> Vec<(&'static str, ::sdec_kernels::family::Constant)> {
                let #config { #(#names),* } = *config;
                vec![#((#constant_names, ::sdec_kernels::family::Constant::from(#names))),*]
            }

            #[allow(unused_variables)]
            fn launches(
                config: &#config,
                shape: &#shape,
                limits: &::sdec_kernels::family::DeviceLimits,
            ) -> Vec<::sdec_kernels::family::LaunchSpec> {
                let #config { #(#names),* } = *config;
                vec![#(#launch_specs),*]
            }
        }
    }
}
