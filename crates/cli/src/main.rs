//! The `fupin` command; everything lives in the library.

fn main() -> std::process::ExitCode {
    fupin_cli::main()
}
