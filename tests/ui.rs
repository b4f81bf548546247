//! Compile-time checks: each case in tests/ui/fail must fail with the message in its
//! `.stderr`; each case in tests/ui/pass must compile.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
