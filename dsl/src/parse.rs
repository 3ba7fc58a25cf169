//! Parsing of a `kernel_family!` declaration into a syntax tree that keeps every span.

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{braced, bracketed, parenthesized, Attribute, Expr, Ident, LitStr, Token, Type, Visibility};

pub struct FamilyDecl {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
    pub name: LitStr,
    pub source: LitStr,
    pub shape: Type,
    pub params: Vec<ParamDecl>,
    pub constraints: Vec<Expr>,
    pub kernels: Vec<KernelDecl>,
}

pub struct ParamDecl {
    pub attrs: Vec<Attribute>,
    pub ident: Ident,
    pub ty: Ident,
    pub candidates: Vec<Expr>,
    pub bracket_span: proc_macro2::Span,
}

impl ParamDecl {
    /// `#[mode]`: the parameter switches between code paths, so the tuner's descent also starts
    /// from each of its values (their best neighbours differ).
    pub fn mode_attr(&self) -> Option<&Attribute> {
        self.attrs.iter().find(|a| a.path().is_ident("mode"))
    }

    /// The attributes kept on the configuration's field (doc comments), `#[mode]` taken out.
    pub fn field_attrs(&self) -> impl Iterator<Item = &Attribute> {
        self.attrs.iter().filter(|a| !a.path().is_ident("mode"))
    }
}

pub struct KernelDecl {
    pub ident: Ident,
    pub grid: Expr,
    pub block: Expr,
    pub smem: Expr,
}

mod kw {
    syn::custom_keyword!(family);
    syn::custom_keyword!(name);
    syn::custom_keyword!(source);
    syn::custom_keyword!(shape);
    syn::custom_keyword!(params);
    syn::custom_keyword!(constraints);
    syn::custom_keyword!(kernels);
    syn::custom_keyword!(grid);
    syn::custom_keyword!(block);
    syn::custom_keyword!(smem);
}

impl Parse for FamilyDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        input.parse::<kw::family>()?;
        let ident: Ident = input.parse()?;
        let body;
        braced!(body in input);

        let mut name = None;
        let mut source = None;
        let mut shape = None;
        let mut params = None;
        let mut constraints = None;
        let mut kernels = None;
        while !body.is_empty() {
            let look = body.lookahead1();
            if look.peek(kw::name) {
                let key = body.parse::<kw::name>()?;
                set_once(&mut name, key.span, "name", || {
                    body.parse::<Token![=]>()?;
                    let value: LitStr = body.parse()?;
                    body.parse::<Token![;]>()?;
                    Ok(value)
                })?;
            } else if look.peek(kw::source) {
                let key = body.parse::<kw::source>()?;
                set_once(&mut source, key.span, "source", || {
                    body.parse::<Token![=]>()?;
                    let value: LitStr = body.parse()?;
                    body.parse::<Token![;]>()?;
                    Ok(value)
                })?;
            } else if look.peek(kw::shape) {
                let key = body.parse::<kw::shape>()?;
                set_once(&mut shape, key.span, "shape", || {
                    body.parse::<Token![=]>()?;
                    let value: Type = body.parse()?;
                    body.parse::<Token![;]>()?;
                    Ok(value)
                })?;
            } else if look.peek(kw::params) {
                let key = body.parse::<kw::params>()?;
                set_once(&mut params, key.span, "params", || {
                    let inner;
                    braced!(inner in body);
                    let list = Punctuated::<ParamDecl, Token![,]>::parse_terminated(&inner)?;
                    Ok(list.into_iter().collect::<Vec<_>>())
                })?;
            } else if look.peek(kw::constraints) {
                let key = body.parse::<kw::constraints>()?;
                set_once(&mut constraints, key.span, "constraints", || {
                    let inner;
                    braced!(inner in body);
                    let list = Punctuated::<Expr, Token![,]>::parse_terminated(&inner)?;
                    Ok(list.into_iter().collect::<Vec<_>>())
                })?;
            } else if look.peek(kw::kernels) {
                let key = body.parse::<kw::kernels>()?;
                set_once(&mut kernels, key.span, "kernels", || {
                    let inner;
                    braced!(inner in body);
                    let list = Punctuated::<KernelDecl, Token![,]>::parse_terminated(&inner)?;
                    Ok(list.into_iter().collect::<Vec<_>>())
                })?;
            } else {
                return Err(look.error());
            }
        }

        let missing = |what: &str| {
            syn::Error::new(ident.span(), format!("kernel family `{ident}` has no `{what}` section"))
        };
        Ok(FamilyDecl {
            attrs,
            vis,
            name: name.ok_or_else(|| missing("name"))?,
            source: source.ok_or_else(|| missing("source"))?,
            shape: shape.ok_or_else(|| missing("shape"))?,
            params: params.ok_or_else(|| missing("params"))?,
            constraints: constraints.unwrap_or_default(),
            kernels: kernels.ok_or_else(|| missing("kernels"))?,
            ident,
        })
    }
}

fn set_once<T>(
    slot: &mut Option<T>,
    span: proc_macro2::Span,
    what: &str,
    parse: impl FnOnce() -> syn::Result<T>,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(span, format!("`{what}` is declared twice")));
    }
    *slot = Some(parse()?);
    Ok(())
}

impl Parse for ParamDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let ident: Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        let ty: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let inner;
        let bracket = bracketed!(inner in input);
        let list = Punctuated::<Expr, Token![,]>::parse_terminated(&inner)?;
        Ok(ParamDecl {
            attrs,
            ident,
            ty,
            candidates: list.into_iter().collect(),
            bracket_span: bracket.span.join(),
        })
    }
}

impl Parse for KernelDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let ident: Ident = input.parse()?;
        let inner;
        parenthesized!(inner in input);
        inner.parse::<kw::grid>()?;
        inner.parse::<Token![=]>()?;
        let grid: Expr = inner.parse()?;
        inner.parse::<Token![,]>()?;
        inner.parse::<kw::block>()?;
        inner.parse::<Token![=]>()?;
        let block: Expr = inner.parse()?;
        inner.parse::<Token![,]>()?;
        inner.parse::<kw::smem>()?;
        inner.parse::<Token![=]>()?;
        let smem: Expr = inner.parse()?;
        let _ = inner.parse::<Option<Token![,]>>()?;
        Ok(KernelDecl { ident, grid, block, smem })
    }
}
