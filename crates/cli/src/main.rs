//! The `fupin` command; everything lives in the library.

/// mimalloc, also in place of the C library's `malloc` (SQLite's page caches allocate there).
/// With glibc's allocator every SQLite connection thread kept its own arena, and a long demo
/// ended holding memory it had freed: its peak grew with the scale (306 MiB at scale 1, 433 at
/// scale 10) while what it used did not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    fupin_cli::main()
}
