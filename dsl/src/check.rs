//! Semantic checks of a declaration. Every error points at the tokens that caused it.

use std::collections::HashSet;
use std::path::PathBuf;

use syn::visit::Visit;
use syn::{Expr, ExprLit, Lit};

use crate::parse::FamilyDecl;

/// Names every constraint and geometry expression may use besides the parameters.
const SHAPE_NAME: &str = "shape";
const LIMITS_NAME: &str = "limits";

/// Checks the declaration and returns the text of its CUDA source file.
pub fn validate(decl: &FamilyDecl) -> syn::Result<String> {
    let mut errors: Vec<syn::Error> = Vec::new();
    let mut param_names = HashSet::new();

    if decl.params.is_empty() {
        errors.push(syn::Error::new(decl.ident.span(), "a kernel family needs at least one parameter"));
    }
    for param in &decl.params {
        let name = param.ident.to_string();
        if name == SHAPE_NAME || name == LIMITS_NAME {
            errors.push(syn::Error::new(param.ident.span(), format!("`{name}` is reserved for the problem shape and device limits")));
        }
        if !param_names.insert(name.clone()) {
            errors.push(syn::Error::new(param.ident.span(), format!("parameter `{name}` is declared twice")));
        }
        check_candidates(param, &mut errors);
        if let Some(attr) = param.mode_attr() {
            if !matches!(attr.meta, syn::Meta::Path(_)) {
                errors.push(syn::Error::new_spanned(attr, "`#[mode]` takes no arguments"));
            }
        }
    }

    let mut allowed: HashSet<String> = param_names.clone();
    allowed.insert(SHAPE_NAME.into());
    allowed.insert(LIMITS_NAME.into());
    for constraint in &decl.constraints {
        check_free_names(constraint, &allowed, "constraint", &mut errors);
    }

    if decl.kernels.is_empty() {
        errors.push(syn::Error::new(decl.ident.span(), "a kernel family needs at least one kernel"));
    }
    let mut kernel_names = HashSet::new();
    for kernel in &decl.kernels {
        if !kernel_names.insert(kernel.ident.to_string()) {
            errors.push(syn::Error::new(kernel.ident.span(), format!("kernel `{}` is declared twice", kernel.ident)));
        }
        for expr in [&kernel.grid, &kernel.block, &kernel.smem] {
            check_free_names(expr, &allowed, "launch geometry", &mut errors);
        }
    }

    let source = read_source(decl);
    match &source {
        Ok(text) => check_source_uses(decl, text, &mut errors),
        Err(err) => errors.push(err.clone()),
    }

    match errors.into_iter().reduce(|mut all, next| {
        all.combine(next);
        all
    }) {
        Some(all) => Err(all),
        None => source,
    }
}

fn check_candidates(param: &crate::parse::ParamDecl, errors: &mut Vec<syn::Error>) {
    let ty = param.ty.to_string();
    if ty != "u32" && ty != "bool" {
        errors.push(syn::Error::new(param.ty.span(), format!("unsupported parameter type `{ty}`: use `u32` or `bool`")));
        return;
    }
    if param.candidates.is_empty() {
        errors.push(syn::Error::new(param.bracket_span, format!("parameter `{}` has no candidate values", param.ident)));
    }
    let mut seen = HashSet::new();
    for candidate in &param.candidates {
        let value = match (ty.as_str(), candidate) {
            ("u32", Expr::Lit(ExprLit { lit: Lit::Int(int), .. })) if int.suffix().is_empty() || int.suffix() == "u32" => {
                match int.base10_parse::<u32>() {
                    Ok(v) => v.to_string(),
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                }
            }
            ("bool", Expr::Lit(ExprLit { lit: Lit::Bool(b), .. })) => b.value.to_string(),
            _ => {
                errors.push(syn::Error::new_spanned(candidate, format!("candidate of `{}` must be a `{ty}` literal", param.ident)));
                continue;
            }
        };
        if !seen.insert(value.clone()) {
            errors.push(syn::Error::new_spanned(candidate, format!("candidate `{value}` of `{}` is listed twice", param.ident)));
        }
    }
}

/// Rejects single-segment names that are neither parameters nor `shape`/`limits`. Callees of
/// function calls and paths with several segments (constants, helper functions) are allowed.
fn check_free_names(expr: &Expr, allowed: &HashSet<String>, context: &str, errors: &mut Vec<syn::Error>) {
    struct Names<'a> {
        allowed: &'a HashSet<String>,
        context: &'a str,
        errors: &'a mut Vec<syn::Error>,
    }
    impl<'ast> Visit<'ast> for Names<'_> {
        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            if !matches!(&*call.func, Expr::Path(_)) {
                self.visit_expr(&call.func);
            }
            for arg in &call.args {
                self.visit_expr(arg);
            }
        }
        fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
            if let Some(ident) = path.path.get_ident() {
                let name = ident.to_string();
                let is_constant = name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                if !self.allowed.contains(&name) && !is_constant {
                    self.errors.push(syn::Error::new(
                        ident.span(),
                        format!("unknown name `{name}` in {}: use a declared parameter, `shape` or `limits`", self.context),
                    ));
                }
            }
        }
    }
    Names { allowed, context, errors }.visit_expr(expr);
}

/// Where the declared source file is: relative to the package that declares the family — the
/// nearest folder with a Cargo.toml above the declaring file (so UI tests, which trybuild builds
/// as a crate of its own, find their files too); `CARGO_MANIFEST_DIR` when the file is unknown.
pub fn source_path(decl: &FamilyDecl) -> syn::Result<PathBuf> {
    // rustc names files relative to its working directory.
    let declaring_file = decl.source.span().unwrap().local_file().map(|f| match std::env::current_dir() {
        Ok(cwd) if f.is_relative() => cwd.join(f),
        _ => f,
    });
    let package = declaring_file
        .as_deref()
        .and_then(|file| file.ancestors().skip(1).find(|dir| dir.join("Cargo.toml").is_file()).map(PathBuf::from));
    let root = match package {
        Some(dir) => dir,
        None => PathBuf::from(
            std::env::var("CARGO_MANIFEST_DIR").map_err(|_| syn::Error::new(decl.source.span(), "CARGO_MANIFEST_DIR is not set"))?,
        ),
    };
    Ok(root.join(decl.source.value()))
}

fn read_source(decl: &FamilyDecl) -> syn::Result<String> {
    let path = source_path(decl)?;
    std::fs::read_to_string(&path)
        .map_err(|e| syn::Error::new(decl.source.span(), format!("cannot read CUDA source `{}`: {}", decl.source.value(), e.kind())))
}

/// Every parameter must reach the CUDA source (as its UPPER_SNAKE constant), and every declared
/// kernel must be a `__global__` function of it: a parameter the code ignores would multiply the
/// search space for nothing, and a missing kernel would only fail at run time.
fn check_source_uses(decl: &FamilyDecl, text: &str, errors: &mut Vec<syn::Error>) {
    let words: HashSet<&str> = text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).collect();
    for param in &decl.params {
        let constant = param.ident.to_string().to_uppercase();
        if !words.contains(constant.as_str()) {
            errors.push(syn::Error::new(
                param.ident.span(),
                format!("parameter `{}` is never used by `{}` (expected the constant `{constant}`)", param.ident, decl.source.value()),
            ));
        }
    }
    let globals = global_function_names(text);
    for kernel in &decl.kernels {
        let name = kernel.ident.to_string();
        if !globals.contains(&name) {
            errors.push(syn::Error::new(
                kernel.ident.span(),
                format!("`{}` has no `__global__` function `{name}`", decl.source.value()),
            ));
        }
    }
}

/// Names of the functions declared `__global__` in a CUDA source: the identifier that follows each
/// `__global__`, past `void` and attribute macros like `__launch_bounds__(...)` or
/// `__cluster_dims__(...)`.
pub fn global_function_names(text: &str) -> HashSet<String> {
    let ident_len = |s: &str| s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    text.match_indices("__global__")
        .filter_map(|(at, _)| {
            let mut rest = &text[at + "__global__".len()..];
            loop {
                rest = rest.trim_start();
                let word = &rest[..ident_len(rest)];
                if word.is_empty() {
                    return None;
                }
                let after = rest[word.len()..].trim_start();
                if word == "void" {
                    rest = after;
                } else if word.starts_with("__") && word.ends_with("__") && after.starts_with('(') {
                    rest = skip_parens(after)?;
                } else {
                    return Some(word.to_string());
                }
            }
        })
        .collect()
}

/// The text after the balanced parenthesised group `s` starts with.
fn skip_parens(s: &str) -> Option<&str> {
    let mut depth = 0usize;
    for (at, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&s[at + 1..]);
                }
            }
            _ => {}
        }
    }
    None
}

/// True when `expr` names the problem shape or the device limits; a constraint that names
/// neither holds or fails for a configuration alone, so it also prunes the enumerated space.
pub fn mentions_shape_or_limits(expr: &Expr) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
            if let Some(ident) = path.path.get_ident() {
                if ident == SHAPE_NAME || ident == LIMITS_NAME {
                    self.0 = true;
                }
            }
        }
    }
    let mut finder = Finder(false);
    finder.visit_expr(expr);
    finder.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_kernels_past_attributes() {
        let text = r#"
            extern "C" __global__ void __launch_bounds__(THREADS) plain(int n) {}
            extern "C" __global__ void __cluster_dims__(max(1, (C)), 1, 1) __launch_bounds__(THREADS) clustered(int n) {}
            __global__ void bare(float* x) {}
        "#;
        let names = global_function_names(text);
        let expected: HashSet<String> = ["plain", "clustered", "bare"].iter().map(|s| s.to_string()).collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn static_constraints_name_neither_shape_nor_limits() {
        let expr = |s: &str| syn::parse_str::<Expr>(s).unwrap();
        assert!(!mentions_shape_or_limits(&expr("threads % 32 == 0 || (a == 1) == (b != FUSED)")));
        assert!(mentions_shape_or_limits(&expr("shape.n >= threads")));
        assert!(mentions_shape_or_limits(&expr("f(limits) > 2")));
    }
}
