//! The attribute's arguments, parsed into syn types (never strings).
//!
//! ```text
//! #[cached(tag = "users", skip(log), key = my_key, store = MemoryStore::new(), codec = Json)]
//! ```
//!
//! Every option is optional, may come in any order and at most once. Parsing does not stop at the
//! first mistake: each bad option is reported (spanned on the mistake) and parsing resumes after the
//! next top-level comma, so one compile shows every error in the attribute.

use proc_macro2::{TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, ExprPath, Ident, Lit, LitStr, Token, Type};

use crate::check::Errors;

/// The names of the options, in the order the docs list them.
const OPTIONS: &str = "`tag`, `skip`, `key`, `store`, `codec`";

/// An option's value together with the option's name, so that checks can point at either.
pub struct Opt<T> {
    /// The option's name as written, e.g. the `skip` of `skip(a)`.
    pub name: Ident,
    /// The parsed value.
    pub value: T,
}

/// The parsed attribute arguments; `None` for each option not given.
#[derive(Default)]
pub struct Args {
    /// `tag = "literal"`: the cache tag (namespace).
    pub tag: Option<Opt<LitStr>>,
    /// `skip(a, b)`: parameters left out of the key.
    pub skip: Option<Opt<Vec<Ident>>>,
    /// `key = path::to::fn`: a custom key function.
    pub key: Option<Opt<ExprPath>>,
    /// `store = <expr>`: the store, built once per function.
    pub store: Option<Opt<Expr>>,
    /// `codec = <Type>`: how values are encoded.
    pub codec: Option<Opt<Type>>,
}

/// Parses the attribute's tokens, recording every mistake in `errors`.
///
/// Options that were written correctly are returned even when others were not, so that later
/// checks can still report their own errors.
pub fn parse(errors: &Errors, tokens: TokenStream) -> Args {
    let parser = |input: ParseStream| {
        let mut args = Args::default();
        while !input.is_empty() {
            if let Err(e) = parse_one(errors, input, &mut args) {
                errors.push(e);
                skip_past_comma(input);
                continue;
            }
            if input.is_empty() {
                break;
            }
            if let Err(e) = input.parse::<Token![,]>() {
                errors.push(syn::Error::new(
                    e.span(),
                    "expected `,` between `#[cached]` options",
                ));
                skip_past_comma(input);
            }
        }
        Ok(args)
    };
    match parser.parse2(tokens) {
        Ok(args) => args,
        Err(e) => {
            errors.push(e);
            Args::default()
        }
    }
}

/// Parses one `name = value` or `name(...)` option into `args`.
fn parse_one(errors: &Errors, input: ParseStream, args: &mut Args) -> syn::Result<()> {
    // `parse_any` also accepts keywords, so that e.g. `async` gets the "unknown option" message.
    let name = input.call(Ident::parse_any).map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("expected a `#[cached]` option: one of {OPTIONS}"),
        )
    })?;
    match name.to_string().as_str() {
        "tag" => {
            let value = parse_tag(input, &name)?;
            set(errors, &mut args.tag, name, value);
        }
        "skip" => {
            let value = parse_skip(input, &name)?;
            set(errors, &mut args.skip, name, value);
        }
        "key" => {
            let value = parse_key(input, &name)?;
            set(errors, &mut args.key, name, value);
        }
        "store" => {
            expect_eq(input, &name, "store = MemoryStore::new()")?;
            let value = input.parse::<Expr>()?;
            set(errors, &mut args.store, name, value);
        }
        "codec" => {
            expect_eq(input, &name, "codec = miniperscache::Json")?;
            let value = input.parse::<Type>()?;
            set(errors, &mut args.codec, name, value);
        }
        other => {
            return Err(syn::Error::new(
                name.span(),
                format!("unknown `#[cached]` option `{other}`; the options are {OPTIONS}"),
            ));
        }
    }
    Ok(())
}

/// `tag = "literal"`.
fn parse_tag(input: ParseStream, name: &Ident) -> syn::Result<LitStr> {
    expect_eq(input, name, "tag = \"users\"")?;
    match input.parse::<Expr>()? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Ok(lit),
        other => Err(syn::Error::new_spanned(
            other,
            "`tag` must be a string literal, e.g. `tag = \"users\"`",
        )),
    }
}

/// `skip(a, b, ...)`.
fn parse_skip(input: ParseStream, name: &Ident) -> syn::Result<Vec<Ident>> {
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new(
            name.span(),
            "`skip` takes a list of parameter names, e.g. `skip(log, retries)`",
        ));
    }
    let content;
    syn::parenthesized!(content in input);
    let names = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
    Ok(names.into_iter().collect())
}

/// `key = path::to::fn`.
fn parse_key(input: ParseStream, name: &Ident) -> syn::Result<ExprPath> {
    expect_eq(input, name, "key = my_key_fn")?;
    match input.parse::<Expr>()? {
        Expr::Path(path) => Ok(path),
        other => Err(syn::Error::new_spanned(
            other,
            "`key` must be the path of a function, e.g. `key = my_key_fn`",
        )),
    }
}

/// Consumes the `=` after an option's name, or explains the option's form with `example`.
fn expect_eq(input: ParseStream, name: &Ident, example: &str) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        Ok(())
    } else {
        Err(syn::Error::new(
            name.span(),
            format!("`{name}` needs a value, e.g. `{example}`"),
        ))
    }
}

/// Stores an option's value, reporting a second occurrence of the same option.
fn set<T>(errors: &Errors, slot: &mut Option<Opt<T>>, name: Ident, value: T) {
    if slot.is_some() {
        errors.push(syn::Error::new(
            name.span(),
            format!("duplicate `#[cached]` option `{name}`: each option may be given once"),
        ));
    } else {
        *slot = Some(Opt { name, value });
    }
}

/// Skips token trees up to and including the next top-level comma, to resume after an error.
fn skip_past_comma(input: ParseStream) {
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            rest = next;
            if matches!(&tt, TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
        }
        Ok(((), rest))
    });
}
