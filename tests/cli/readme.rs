//! The `console` examples of the README and the docs are run and their output compared, so they stay real.

#[test]
fn readme_examples_print_what_the_readme_shows() {
    trycmd::TestCases::new()
        .register_bin("jaegis", std::path::Path::new(env!("CARGO_BIN_EXE_jaegis")))
        // The width a reader's terminal exports must not change the documented tables.
        .env("COLUMNS", "100")
        .case("README.md")
        .case("docs/resilience.md")
        .case("docs/examples.md")
        .case("docs/plan.md")
        .case("docs/lint.md")
        .case("docs/validation.md")
        .case("docs/agents.md")
        .case("docs/traces.md");
}
