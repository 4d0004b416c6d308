//! Any bytes saved as `upload`, opened and read to the end.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::read_file("upload", data));
