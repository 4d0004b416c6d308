//! The JSON request bodies of the API: any bytes deserialise or fail, never panic.
#![no_main]

use fupin_web::areas::session::Credentials;
use fupin_web::areas::territory::InstitutionDto;
use fupin_web::areas::users::NewUserDto;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<Credentials>(data);
    let _ = serde_json::from_slice::<InstitutionDto>(data);
    let _ = serde_json::from_slice::<NewUserDto>(data);
    let _ = serde_json::from_slice::<serde_json::Value>(data);
});
