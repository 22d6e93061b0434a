//! The `#[cached]` attribute macro of miniperscache.
//!
//! Use it through the `miniperscache` crate (`use miniperscache::cached;`), which re-exports it
//! and provides the runtime the generated code calls; this crate alone is of no use.
//!
//! The macro works in three steps, one module each:
//!
//! 1. `args` parses the attribute's options into syn types;
//! 2. `check` validates them against the function, collecting every error with its span;
//! 3. `expand` generates the wrapped function.

mod args;
mod check;
mod expand;

use proc_macro::TokenStream;

/// Caches a function's results persistently, keyed by its arguments.
///
/// ```ignore
/// use miniperscache::cached;
///
/// #[cached]
/// fn word_count(text: &str) -> usize {
///     text.split_whitespace().count() // runs once per distinct `text`, across runs of the program
/// }
///
/// #[cached(tag = "geocode", skip(client), store = miniperscache::MemoryStore::new())]
/// async fn geocode(client: &Client, address: &str) -> Result<(f64, f64), Error> {
///     client.lookup(address).await // only `Ok` results are cached
/// }
/// ```
///
/// # Options
///
/// All options are optional, may be given in any order and each at most once.
///
/// | option | meaning | default |
/// | --- | --- | --- |
/// | `tag = "name"` | the cache tag: the namespace the function's entries live in | the function's path, e.g. `my_crate::geo::geocode` or `my_crate::User::name` |
/// | `skip(a, b)` | parameters left out of the key | every parameter is part of the key |
/// | `key = path::to::fn` | a function computing the key material from every parameter | the parameters themselves |
/// | `store = <expr>` | the store the entries go to | the default store |
/// | `codec = <Type>` | how values are encoded, a type implementing `miniperscache::Codec` | `miniperscache::MsgPack` |
///
/// # The key
///
/// By default the key is the tuple of the parameters (less those in `skip(...)`), so each
/// parameter's type must implement `serde::Serialize`. Parameters may be borrowed (`&str`,
/// `&[T]`, `&T`): nothing is cloned and no `'static` bound is needed.
///
/// With `key = my_key`, the key is whatever `my_key(&a, &b, ...)` returns (any
/// `impl Serialize`). It receives a reference to every parameter, in order, so `key` cannot be
/// combined with `skip`. Thanks to deref coercion, a key function may declare `text: &str` for a
/// `text: &str` parameter (it is passed a `&&str`).
///
/// In a generic context, the generic arguments join the key: the function's own type and const
/// parameters, the types of its `impl Trait` arguments and the parameters of an enclosing generic
/// `impl`, so `parse::<u32>("1")` and `parse::<u64>("1")`, or `Wrap::<u8>::make(1)` and
/// `Wrap::<u64>::make(1)`, never share an entry. (They are read from a closure's type name, whose
/// spelling a new compiler may change: such entries are then computed once more.)
///
/// Changing the tag, the parameters or their types starts a fresh set of entries; changing the
/// body does not: use a new `tag` when the function's meaning changes.
///
/// # What is cached
///
/// - The return value, after the body returns. A panic caches nothing.
/// - When the declared return type's last path segment is `Result` (`Result<T, E>`,
///   `io::Result<T>`, `anyhow::Result<T>`), only `Ok` values are cached; errors are returned and
///   the next call runs the body again.
/// - The value (the `Ok` type for a `Result`) must be owned, implementing `Serialize` and
///   `DeserializeOwned`: the return type cannot be a reference, borrow a lifetime other than
///   `'static`, or be `impl Trait`.
///
/// The cache fails open: when the store or the codec fails, the body runs, its value is
/// returned, and a warning goes to `tracing`.
///
/// # The store
///
/// Without `store = ...`, entries go to the process-wide default store (see the `miniperscache`
/// crate docs for where it lives). `store = <expr>` is evaluated once per function, on its first
/// call, in a context that cannot see the function's parameters or generics. Its value is a store
/// (`miniperscache::Store` for an `fn`, `miniperscache::AsyncStore` for an `async fn`), or a
/// `Result` of one, such as `SqliteStore::open(path)` returns: an `Err` leaves the function
/// uncached, with a warning.
///
/// ```ignore
/// #[cached(store = miniperscache::SqliteStore::open("/var/cache/app.db"))]
/// fn thumbnail(image: &[u8]) -> Vec<u8> { /* ... */ }
/// ```
///
/// # Supported functions
///
/// `fn` and `async fn`; free functions and associated functions without a receiver, generic or
/// not, with any visibility. The signature, documentation and other attributes are kept. The
/// future of an `async fn` is `Send` when its body's future is.
///
/// These are compile errors, each pointing at the cause:
///
/// - methods (a `self` receiver): not supported yet;
/// - parameters that are patterns rather than names (`(a, b): (i32, i32)`, `_: T`);
/// - `const fn` and variadic functions;
/// - a borrowed or `impl Trait` return type;
/// - an unknown, duplicated or malformed option, `skip` naming something that is not a
///   parameter, and `key` together with `skip`.
#[proc_macro_attribute]
pub fn cached(attr: TokenStream, item: TokenStream) -> TokenStream {
    cached_impl(attr.into(), item.into()).into()
}

/// Parses, checks and expands; on error, emits the errors followed by the function unchanged, so
/// that its callers do not get a second, misleading "cannot find function" error.
fn cached_impl(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(e) => {
            let message = "`#[cached]` applies to an `fn` or `async fn` with a body";
            let mut error = syn::Error::new(e.span(), message);
            error.combine(e);
            return error.into_compile_error();
        }
    };
    let errors = check::Errors::default();
    let args = args::parse(&errors, attr);
    let plan = check::check(&errors, args, &func);
    errors
        .finish()
        .and_then(|()| {
            // `check` returns no plan only after recording why; this error is never expected.
            plan.ok_or_else(|| {
                syn::Error::new(
                    proc_macro2::Span::call_site(),
                    "`#[cached]` internal error: no plan and no error; please report this",
                )
            })
        })
        .map(|plan| expand::expand(plan, func))
        .unwrap_or_else(|e| {
            let mut out = e.into_compile_error();
            out.extend(item);
            out
        })
}
