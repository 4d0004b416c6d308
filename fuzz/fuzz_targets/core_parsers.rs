//! Money, rates, dates, region codes, resident ID numbers and credit codes from any text; what
//! parses prints back to itself.
#![no_main]

use fupin_core::date::{Month, Quarter};
use fupin_core::{BusinessDate, CreditCode, Fen, Rate, RegionCode, ResidentId};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(fen) = Fen::parse_yuan(text) {
        assert_eq!(Fen::parse_yuan(&fen.to_plain_yuan()), Ok(fen));
    }
    if let Ok(rate) = Rate::parse_percent(text) {
        assert_eq!(Rate::parse_percent(&rate.to_string()), Ok(rate));
    }
    if let Ok(date) = BusinessDate::parse(text) {
        assert_eq!(BusinessDate::parse(&date.to_string()), Ok(date));
    }
    let _ = (Month::parse(text), Quarter::parse(text));
    if let Ok(code) = RegionCode::parse(text) {
        assert_eq!(RegionCode::parse(&code.to_string()), Ok(code));
    }
    let today = BusinessDate::from_ymd(2018, 1, 5).expect("date");
    if let Ok(id) = ResidentId::parse(text, today) {
        assert!(id.birth_date() <= today);
    }
    if let Ok(code) = CreditCode::parse(text) {
        assert!(code.has_valid_check());
    }
});
