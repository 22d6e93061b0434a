//! Code generation for `fn` and `async fn`.
//!
//! The generated code names only `::miniperscache::*` and `::miniperscache::__private::*`. For a
//! synchronous function it looks like this (an `async fn` mirrors it with `AsyncSite`,
//! `call_async` and an `async move` block):
//!
//! ```text
//! #[attrs] pub fn name(a: A, b: B) -> Ret {
//!     fn __mpc_tag() -> &'static str { TAG }   // or tag_of(type_name_of_val(&__mpc_tag))
//!     fn __mpc_store() -> Option<Arc<dyn Store>> { init_store(__mpc_tag(), STORE) } // or default_store
//!     static __MPC_SITE: SyncSite = SyncSite::new(__mpc_tag, __mpc_store);
//!     let __mpc_key = key_in(&(&a, &b), type_name_of_val(&|| ())); // borrows the parameters...
//!     call::<Codec, _, _>(&__MPC_SITE, __mpc_key, move || -> Ret { BODY })   // ...before this moves them
//! }
//! ```
//!
//! The body runs inside a closure (or an `async move` block) with the declared return type, so
//! `return` and `?` keep their meaning. The store and the site are items inside the function: one
//! per function, shared by every instantiation of a generic function.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn};

use crate::check::{KeySource, Plan};

/// Wraps `func` according to `plan`.
pub fn expand(plan: Plan, func: ItemFn) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = func;
    let Plan {
        tag,
        key,
        store,
        codec,
        ret,
        returns_result,
    } = plan;
    let is_async = sig.asyncness.is_some();
    // The body's statements in braces spanned by the macro, not the user's braces: as the argument
    // of `identity` below, a one-expression body would otherwise trip `unused_braces`.
    let stmts = &block.stmts;
    let body = quote!({ #(#stmts)* });
    let ret_span = match &sig.output {
        syn::ReturnType::Default => sig.ident.span(),
        syn::ReturnType::Type(_, ty) => ty.span(),
    };

    let (store_trait, init, default_store, site) = if is_async {
        (
            quote!(::miniperscache::AsyncStore),
            quote!(::miniperscache::__private::init_async_store),
            quote!(::miniperscache::__private::default_async_store),
            quote!(::miniperscache::__private::AsyncSite),
        )
    } else {
        (
            quote!(::miniperscache::Store),
            quote!(::miniperscache::__private::init_store),
            quote!(::miniperscache::__private::default_store),
            quote!(::miniperscache::__private::SyncSite),
        )
    };
    let (store_fn_item, store_fn) = match store {
        Some(store) => (
            quote! {
                fn __mpc_store()
                    -> ::core::option::Option<::std::sync::Arc<dyn #store_trait>>
                {
                    #init(__mpc_tag(), #store)
                }
            },
            quote!(__mpc_store),
        ),
        None => (TokenStream::new(), default_store),
    };

    // Spanned on the parameter list, so that "`T: Serialize` is not satisfied" points at it.
    let params_span = sig.paren_token.span.join();
    let key_material = key_material(&key, params_span);
    // A closure's type name spells out every generic argument of the context it is created in:
    // the fn's own type and const parameters, `impl Trait` arguments, and the parameters of an
    // enclosing generic `impl`. They join the key, so `Wrap::<u8>::make(1)` and
    // `Wrap::<u64>::make(1)` never share an entry.
    let key_call = quote_spanned!(params_span=>
        ::miniperscache::__private::key_in(&#key_material, ::core::any::type_name_of_val(&|| ()))
    );

    // Spanned on the return type, so that "`T: Serialize` is not satisfied" points at it.
    let call = match (is_async, returns_result) {
        (false, false) => quote_spanned! {ret_span=>
            ::miniperscache::__private::call::<#codec, _, _>(
                &__MPC_SITE, __mpc_key, move || -> #ret #block,
            )
        },
        (false, true) => quote_spanned! {ret_span=>
            ::miniperscache::__private::call_result::<#codec, _, _, _>(
                &__MPC_SITE, __mpc_key, move || -> #ret #block,
            )
        },
        // An async block cannot declare its output type; passing the body through
        // `identity::<Ret>` fixes it, which `?` in the body needs to pick its conversion.
        (true, false) => quote_spanned! {ret_span=>
            ::miniperscache::__private::call_async::<#codec, _, _>(
                &__MPC_SITE, __mpc_key, async move { ::core::convert::identity::<#ret>(#body) },
            ).await
        },
        (true, true) => quote_spanned! {ret_span=>
            ::miniperscache::__private::call_async_result::<#codec, _, _, _>(
                &__MPC_SITE, __mpc_key, async move { ::core::convert::identity::<#ret>(#body) },
            ).await
        },
    };

    // Inner attributes (`#![allow(...)]` at the top of the body) stay at the top of the body.
    let (inner, outer): (Vec<_>, Vec<_>) = attrs
        .into_iter()
        .partition(|attr| matches!(attr.style, syn::AttrStyle::Inner(_)));
    quote! {
        #(#outer)*
        #vis #sig {
            #(#inner)*
            fn __mpc_tag() -> &'static str {
                #tag
            }
            #store_fn_item
            static __MPC_SITE: #site = #site::new(__mpc_tag, #store_fn);
            let __mpc_key = #key_call;
            #call
        }
    }
}

/// The value whose key is taken: a tuple of references to the kept parameters, or the key
/// function's result.
fn key_material(key: &KeySource, span: Span) -> TokenStream {
    match key {
        KeySource::Params(params) => {
            let refs = params.iter().map(param_ref);
            quote_spanned!(span=> (#(#refs,)*))
        }
        KeySource::Function { path, params } => {
            let refs = params.iter().map(param_ref);
            // Spanned on the path, so that a wrong arity or argument type points at `key = ...`.
            let path_tokens = path.to_token_stream();
            quote_spanned!(path.span()=> #path_tokens(#(#refs),*))
        }
    }
}

/// `&param`, spanned on the parameter so that "`T: Serialize` is not satisfied" points at it.
fn param_ref(param: &Ident) -> TokenStream {
    let span: Span = param.span();
    quote_spanned!(span=> &#param)
}
