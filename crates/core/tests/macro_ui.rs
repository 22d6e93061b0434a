//! Compile-fail tests of `#[cached]`: each case is a mistake, and its `.stderr` shows that the error
//! points at that mistake.
//!
//! The `.stderr` files were recorded with rustc 1.95 (the toolchain of this workspace); regenerate
//! them with `TRYBUILD=overwrite cargo test -p miniperscache --test macro_ui` after a toolchain
//! change, and read each one before committing it.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    // An option the macro does not know: the error lists the valid ones.
    t.compile_fail("tests/ui/unknown_option.rs");
    // `skip(...)` names something that is not a parameter.
    t.compile_fail("tests/ui/skip_unknown_param.rs");
    // `key = ...` and `skip(...)` together: the key function already sees every parameter.
    t.compile_fail("tests/ui/key_and_skip.rs");
    // The same option twice.
    t.compile_fail("tests/ui/duplicate_option.rs");
    // A method (`self` receiver): not supported yet.
    t.compile_fail("tests/ui/self_receiver.rs");
    // A parameter that is a pattern (`(a, b): (i32, i32)`, `_: u8`) rather than a plain name.
    t.compile_fail("tests/ui/pattern_param.rs");
    // A borrowed return type: cached values are read back from the store, so they must be owned.
    t.compile_fail("tests/ui/borrowed_return.rs");
    // `tag = ...` that is not a string literal.
    t.compile_fail("tests/ui/tag_not_literal.rs");
    // Several mistakes in one attribute and signature: every one is reported in one compile.
    t.compile_fail("tests/ui/many_errors.rs");
    // A parameter whose type is not `Serialize`: the error points at the parameter list.
    t.compile_fail("tests/ui/param_not_serialize.rs");
}
