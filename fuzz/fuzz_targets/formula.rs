//! The indicator formula language: parse anything; walk and evaluate whatever parses.
#![no_main]

use fupin_core::formula::Expr;
use rust_decimal::Decimal;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(expr) = Expr::parse(text) {
        let _ = expr.names();
        let _ = expr.leaves();
        let _ = expr.evaluate(&|_| Some(Decimal::MAX));
        let _ = expr.evaluate(&|_| Some(Decimal::ZERO));
    }
});
