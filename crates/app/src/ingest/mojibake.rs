//! Recognising text damaged by a wrong encoding (mojibake), so it is refused instead of stored.
//!
//! Only patterns that normal Chinese or English text does not produce are flagged. Private-use
//! characters are deliberately not flagged: GB18030 maps some rare name characters there.

/// Why `text` looks like damaged encoding, or `None` when it looks fine.
pub fn mojibake(text: &str) -> Option<&'static str> {
    // Every import checks every text cell: codes, numbers and dates are ASCII, where only a
    // control character can be damage (the 8 % of a registry import this used to take).
    if text.is_ascii() {
        return text
            .bytes()
            .any(|byte| is_stray_control(char::from(byte)))
            .then_some("contains control characters");
    }
    if text.contains('\u{FFFD}') {
        return Some(
            "contains the replacement character �: the text was decoded with the wrong \
             encoding (e.g. GBK read as UTF-8)",
        );
    }
    if text
        .chars()
        .any(|character| GBK_MARKER_STARTS.contains(&character))
        && GBK_MARKERS.iter().any(|marker| text.contains(marker))
    {
        return Some(
            "contains 锟斤拷, 鈥 or similar: UTF-8 text was read as GBK (or uninitialised memory \
             was exported)",
        );
    }
    if has_utf8_read_as_latin1(text) {
        return Some("contains â€, Ã© or similar: UTF-8 text was read as Latin-1/Windows-1252");
    }
    if text.chars().any(is_stray_control) {
        return Some("contains control characters");
    }
    if text.contains('\u{FEFF}') {
        return Some("contains a byte-order mark (U+FEFF) inside the text");
    }
    None
}

/// Sequences produced by reading UTF-8 as GBK: `锟斤拷` is EF BF BD EF BF BD (two U+FFFD);
/// `鈥` starts ‘ ’ “ ” … —, `锛` full-width punctuation, `銆` 、。《》「」 (E2 80 / EF BC /
/// E3 80). `烫烫烫` and `屯屯屯` are MSVC's fill bytes for uninitialised memory read as GBK.
/// All are characters no name or place uses.
const GBK_MARKERS: &[&str] = &["锟斤拷", "烫烫烫", "屯屯屯", "鈥", "锛", "銆"];
/// The first characters of `GBK_MARKERS`: one pass over a cell finds whether any may be there.
const GBK_MARKER_STARTS: &[char] = &['锟', '烫', '屯', '鈥', '锛', '銆'];

/// UTF-8 read as Latin-1 or Windows-1252 turns each multi-byte character into a lead
/// character (U+00C2–U+00F4, e.g. `Ã`, `â`, `ä`) followed by one to three continuation
/// characters (U+0080–U+00BF, or the Windows-1252 characters for bytes 0x80–0x9F, e.g. `€`,
/// `“`). Real European text almost never puts such characters right after an accented letter.
fn has_utf8_read_as_latin1(text: &str) -> bool {
    text.char_indices().any(|(index, character)| {
        let Some(continuations) = utf8_continuations_after(character) else {
            return false;
        };
        let mut following = text[index + character.len_utf8()..].chars().peekable();
        // `”` is E2 80 9D and 0x9D is unassigned in Windows-1252, so it often arrives as `â€`.
        if character == 'â' && following.peek() == Some(&'€') {
            return true;
        }
        let complete = following
            .take(continuations)
            .filter(|&next| is_continuation(next))
            .count();
        complete == continuations
    })
}

/// How many continuation bytes follow a UTF-8 lead byte read as Latin-1.
fn utf8_continuations_after(character: char) -> Option<usize> {
    match u32::from(character) {
        0xC2..=0xDF => Some(1),
        0xE0..=0xEF => Some(2),
        0xF0..=0xF4 => Some(3),
        _ => None,
    }
}

/// A UTF-8 continuation byte (0x80–0xBF) as Latin-1 or as Windows-1252.
fn is_continuation(character: char) -> bool {
    const WINDOWS_1252_0X80_TO_0X9F: &str = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";
    matches!(u32::from(character), 0x80..=0xBF) || WINDOWS_1252_0X80_TO_0X9F.contains(character)
}

/// C0 and C1 control characters other than tab and line breaks, which cells may hold.
fn is_stray_control(character: char) -> bool {
    character.is_control() && !matches!(character, '\t' | '\n' | '\r')
}
