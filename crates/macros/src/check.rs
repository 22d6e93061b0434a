//! Validation of the parsed arguments against the function they decorate.
//!
//! [`check`] turns [`Args`] and the function into a [`Plan`] that [`crate::expand`] can emit without
//! further questions. Every problem is reported with the span of the mistake, and every problem is
//! collected in [`Errors`] rather than returned at the first one.

use std::cell::RefCell;
use std::collections::HashSet;

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{
    ExprPath, FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Signature,
    Type, TypeParamBound,
};

use crate::args::{Args, Opt};

/// Collects errors so that one compile reports all of them.
#[derive(Default)]
pub struct Errors {
    errors: RefCell<Vec<syn::Error>>,
}

impl Errors {
    /// Records an error.
    pub fn push(&self, error: syn::Error) {
        self.errors.borrow_mut().push(error);
    }

    /// Records an error spanned on `tokens` (the whole range, first to last token).
    pub fn spanned(&self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// `Ok` when nothing was recorded, otherwise all errors combined into one.
    pub fn finish(self) -> syn::Result<()> {
        self.errors
            .into_inner()
            .into_iter()
            .reduce(|mut all, next| {
                all.combine(next);
                all
            })
            .map_or(Ok(()), Err)
    }
}

/// Everything the expansion needs, validated.
pub struct Plan {
    /// The body of `fn __mpc_tag() -> &'static str`: the literal tag, or the function's path
    /// derived at run time from the type name of `__mpc_tag` itself.
    pub tag: TokenStream,
    /// What the key is made of.
    pub key: KeySource,
    /// The user's store expression, if any.
    pub store: Option<syn::Expr>,
    /// The codec type.
    pub codec: TokenStream,
    /// The declared return type (`()` when none is written).
    pub ret: TokenStream,
    /// The return type is a `Result`: only `Ok` values are cached.
    pub returns_result: bool,
}

/// How the key is computed.
pub enum KeySource {
    /// A tuple of references to these parameters, in declaration order.
    Params(Vec<Ident>),
    /// `path(&p1, &p2, ...)` over every parameter.
    Function {
        /// The user's key function.
        path: ExprPath,
        /// Every parameter, in declaration order.
        params: Vec<Ident>,
    },
}

/// Checks `args` against `func`; `None` when something was reported in `errors`.
pub fn check(errors: &Errors, args: Args, func: &ItemFn) -> Option<Plan> {
    let sig = &func.sig;
    check_signature(errors, sig);
    let params = param_names(errors, sig);
    let ret = return_type(errors, sig);

    if let Some(tag) = &args.tag {
        if tag.value.value().is_empty() {
            errors.spanned(&tag.value, "`tag` must not be empty");
        }
    }
    let key = key_source(errors, &args, sig, params);
    let (ret, returns_result) = ret?;
    let key = key?;

    // The default tag is the function's full path, read from the type name of the item
    // `__mpc_tag` nested in it: unlike `module_path!()`, it tells apart associated fns of
    // different types (`crate::User::name`, `<crate::User as crate::Tr>::name`) and fns nested
    // in different fns.
    let tag = match args.tag {
        Some(tag) => tag.value.into_token_stream(),
        None => quote!(::miniperscache::__private::tag_of(
            ::core::any::type_name_of_val(&__mpc_tag)
        )),
    };
    let codec = match args.codec {
        Some(codec) => codec.value.into_token_stream(),
        None => quote!(::miniperscache::MsgPack),
    };
    Some(Plan {
        tag,
        key,
        store: args.store.map(|s| s.value),
        codec,
        ret,
        returns_result,
    })
}

/// Rejects the kinds of function the expansion cannot wrap.
fn check_signature(errors: &Errors, sig: &Signature) {
    if let Some(constness) = &sig.constness {
        errors.spanned(
            constness,
            "`#[cached]` cannot be used on a `const fn`: a store cannot be read at compile time",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(
            variadic,
            "`#[cached]` cannot be used on a variadic function",
        );
    }
}

/// The name of every parameter; `Err` holds the names found after reporting the parameters that
/// have no plain name (or are `self`).
fn param_names(errors: &Errors, sig: &Signature) -> Result<Vec<Ident>, Vec<Ident>> {
    let mut names = Vec::new();
    let mut ok = true;
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => {
                ok = false;
                errors.spanned(
                    receiver.self_token,
                    "`#[cached]` does not support methods yet: move the body into a free function \
                     that takes the value as a named parameter, and cache that",
                );
            }
            FnArg::Typed(pat_type) => match &*pat_type.pat {
                Pat::Ident(pat) if pat.subpat.is_none() => names.push(pat.ident.clone()),
                Pat::Wild(wild) => {
                    ok = false;
                    errors.spanned(
                        wild,
                        "`#[cached]` needs a name for every parameter, because parameters are part \
                         of the cache key: name it (e.g. `_unused`), and list it in `skip(...)` to \
                         keep it out of the key",
                    );
                }
                other => {
                    ok = false;
                    errors.spanned(
                        other,
                        "`#[cached]` needs a plain parameter name here, e.g. `point: (i32, i32)`; \
                         destructure it inside the body",
                    );
                }
            },
        }
    }
    if ok {
        Ok(names)
    } else {
        Err(names)
    }
}

/// Resolves `skip` and `key` into the key's ingredients.
fn key_source(
    errors: &Errors,
    args: &Args,
    sig: &Signature,
    params: Result<Vec<Ident>, Vec<Ident>>,
) -> Option<KeySource> {
    // With a bad parameter there is no key to build, but `skip` can still be checked.
    let (params, params_ok) = match params {
        Ok(params) => (params, true),
        Err(params) => (params, false),
    };
    let source = match (&args.key, args.skip.as_ref()) {
        (Some(_), Some(skip)) => {
            errors.spanned(
                &skip.name,
                "`skip` cannot be combined with `key`: the key function receives every parameter \
                 and decides itself what goes into the key",
            );
            None
        }
        (Some(key), None) => Some(KeySource::Function {
            path: key.value.clone(),
            params,
        }),
        (None, skip) => {
            let skipped = skip.map_or(&[][..], |s| &s.value[..]);
            check_skip(errors, skip, sig, &params, params_ok)?;
            let kept = params
                .into_iter()
                .filter(|p| !skipped.contains(p))
                .collect();
            Some(KeySource::Params(kept))
        }
    };
    source.filter(|_| params_ok)
}

/// Each name in `skip(...)` must be a parameter, listed once.
fn check_skip(
    errors: &Errors,
    skip: Option<&Opt<Vec<Ident>>>,
    sig: &Signature,
    params: &[Ident],
    params_ok: bool,
) -> Option<()> {
    let Some(skip) = skip else { return Some(()) };
    let mut ok = true;
    let mut seen = HashSet::new();
    for name in &skip.value {
        if !params.contains(name) {
            ok = false;
            // When a parameter had no plain name, this may be its name: that was reported already.
            if params_ok {
                errors.spanned(
                    name,
                    format!(
                        "`skip` names `{name}`, which is not a parameter of `fn {}`",
                        sig.ident
                    ),
                );
            }
        } else if !seen.insert(name) {
            ok = false;
            errors.spanned(name, format!("`{name}` is listed twice in `skip`"));
        }
    }
    ok.then_some(())
}

/// The return type to give the wrapped body, and whether it is a `Result`.
fn return_type(errors: &Errors, sig: &Signature) -> Option<(TokenStream, bool)> {
    let ty = match &sig.output {
        ReturnType::Default => return Some((quote!(()), false)),
        ReturnType::Type(_, ty) => ty,
    };
    // For a `Result`, only the `Ok` type is cached, so only it must be owned; the error type may
    // borrow (e.g. `Result<String, &'static str>`).
    let (cached, returns_result) = match result_ok_type(ty) {
        Some(ok) => (ok, true),
        None if is_result(ty) => (None, true),
        None => (Some(&**ty), false),
    };
    let owned = cached.is_none_or(|cached| check_owned(errors, cached));
    let concrete = check_no_impl_trait(errors, ty);
    (owned && concrete).then(|| (ty.to_token_stream(), returns_result))
}

/// Whether the last path segment of `ty` is `Result`, e.g. `io::Result<T>` or `anyhow::Result<T>`.
fn is_result(ty: &Type) -> bool {
    match strip(ty) {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == "Result"),
        _ => false,
    }
}

/// The first type argument of a `Result` return type: its `Ok` type.
fn result_ok_type(ty: &Type) -> Option<Option<&Type>> {
    if !is_result(ty) {
        return None;
    }
    let Type::Path(path) = strip(ty) else {
        return None;
    };
    let last = path.path.segments.last()?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args
        .iter()
        .find_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .map(Some)
}

/// Removes parentheses and invisible groups around a type.
fn strip(ty: &Type) -> &Type {
    match ty {
        Type::Paren(inner) => strip(&inner.elem),
        Type::Group(inner) => strip(&inner.elem),
        _ => ty,
    }
}

/// A cached value is read back from the store, so it cannot borrow: no references and no
/// lifetimes other than `'static`. Returns whether `ty` passed.
fn check_owned(errors: &Errors, ty: &Type) -> bool {
    const MESSAGE: &str = "a cached function must return an owned value: the value is read \
                           back from the store, so it cannot borrow (return e.g. `String` \
                           instead of `&str`, `Vec<T>` instead of `&[T]`)";
    let mut ok = true;
    walk_type(ty, &mut |part| match part {
        TypePart::Type(Type::Reference(reference)) => {
            ok = false;
            errors.spanned(reference, MESSAGE);
            false
        }
        TypePart::Lifetime(lifetime) if lifetime.ident != "static" => {
            ok = false;
            errors.spanned(lifetime, MESSAGE);
            false
        }
        _ => true,
    });
    ok
}

/// `impl Trait` cannot be named as the type of a cached value. Returns whether `ty` passed.
fn check_no_impl_trait(errors: &Errors, ty: &Type) -> bool {
    let mut ok = true;
    walk_type(ty, &mut |part| match part {
        TypePart::Type(Type::ImplTrait(impl_trait)) => {
            ok = false;
            errors.spanned(
                impl_trait,
                "a cached function must return a concrete type, not `impl Trait`: the value is \
                 read back from the store, so its type must be named",
            );
            false
        }
        _ => true,
    });
    ok
}

/// A part of a type visited by [`walk_type`].
enum TypePart<'a> {
    /// A type, nested or not.
    Type(&'a Type),
    /// A lifetime written anywhere in the type.
    Lifetime(&'a syn::Lifetime),
}

/// Visits `ty` and the types and lifetimes inside it; `visit` returns whether to descend.
fn walk_type<'a>(ty: &'a Type, visit: &mut dyn FnMut(TypePart<'a>) -> bool) {
    if !visit(TypePart::Type(ty)) {
        return;
    }
    match ty {
        Type::Array(array) => walk_type(&array.elem, visit),
        Type::Group(group) => walk_type(&group.elem, visit),
        Type::Paren(paren) => walk_type(&paren.elem, visit),
        Type::Ptr(ptr) => walk_type(&ptr.elem, visit),
        Type::Slice(slice) => walk_type(&slice.elem, visit),
        Type::Tuple(tuple) => tuple.elems.iter().for_each(|elem| walk_type(elem, visit)),
        Type::Reference(reference) => {
            if let Some(lifetime) = &reference.lifetime {
                visit(TypePart::Lifetime(lifetime));
            }
            walk_type(&reference.elem, visit);
        }
        Type::Path(path) => {
            if let Some(qself) = &path.qself {
                walk_type(&qself.ty, visit);
            }
            for segment in &path.path.segments {
                walk_path_arguments(&segment.arguments, visit);
            }
        }
        Type::TraitObject(object) => walk_bounds(object.bounds.iter(), visit),
        Type::ImplTrait(impl_trait) => walk_bounds(impl_trait.bounds.iter(), visit),
        _ => {}
    }
}

/// Visits the generic arguments of one path segment.
fn walk_path_arguments<'a>(args: &'a PathArguments, visit: &mut dyn FnMut(TypePart<'a>) -> bool) {
    match args {
        PathArguments::None => {}
        PathArguments::AngleBracketed(args) => {
            for arg in &args.args {
                match arg {
                    GenericArgument::Type(ty) => walk_type(ty, visit),
                    GenericArgument::Lifetime(lifetime) => {
                        visit(TypePart::Lifetime(lifetime));
                    }
                    GenericArgument::AssocType(assoc) => walk_type(&assoc.ty, visit),
                    _ => {}
                }
            }
        }
        PathArguments::Parenthesized(args) => {
            args.inputs.iter().for_each(|ty| walk_type(ty, visit));
            if let ReturnType::Type(_, ty) = &args.output {
                walk_type(ty, visit);
            }
        }
    }
}

/// Visits the lifetimes and trait arguments of `dyn`/`impl` bounds.
fn walk_bounds<'a>(
    bounds: impl Iterator<Item = &'a TypeParamBound>,
    visit: &mut dyn FnMut(TypePart<'a>) -> bool,
) {
    for bound in bounds {
        match bound {
            TypeParamBound::Lifetime(lifetime) => {
                visit(TypePart::Lifetime(lifetime));
            }
            TypeParamBound::Trait(trait_bound) => {
                for segment in &trait_bound.path.segments {
                    walk_path_arguments(&segment.arguments, visit);
                }
            }
            _ => {}
        }
    }
}
