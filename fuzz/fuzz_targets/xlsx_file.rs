//! Any bytes saved as `regions.xlsx`, opened and read to the end.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::read_file("regions.xlsx", data));
