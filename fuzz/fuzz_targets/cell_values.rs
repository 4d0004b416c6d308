//! Every cell parser of `ingest::value` on text and numbers made from the input.
#![no_main]

use fupin_app::ingest::{Cell, formula_escape, value};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let number = data
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map(f64::from_le_bytes)
        .unwrap_or(0.0);
    for cell in [
        Cell::Text(text.clone()),
        Cell::Number(number),
        Cell::Percent(number),
        Cell::Error(text.clone()),
    ] {
        let _ = value::amount(&cell);
        let _ = value::rate(&cell);
        let _ = value::date(&cell);
        let _ = value::boolean(&cell);
        let _ = value::region_code(&cell);
        let _ = value::integer(&cell);
        let _ = value::checked_text(&cell);
        let _ = value::list(&cell);
        let _ = value::enumeration(
            &cell,
            &[("household", "农户", 1), ("enterprise", "企业", 2)],
        );
    }
    let escaped = formula_escape(&text);
    assert!(!escaped.starts_with(['=', '@']));
});
