//! Detecting the text encoding of a CSV file from its first bytes.
//!
//! Registry exports arrive as UTF-8 (with or without BOM) or GB18030 (Excel's "CSV" on a
//! Chinese Windows). Anything else is refused rather than guessed, because a wrong guess
//! stores mojibake that nobody notices until a name is printed on a form.

use std::borrow::Cow;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{DecoderResult, GB18030, GBK};

/// How many bytes of the file decide the encoding.
pub(crate) const SAMPLE_BYTES: usize = 64 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const GB18030_BOM: &[u8] = b"\x84\x31\x95\x33";
const UTF16LE_BOM: &[u8] = b"\xFF\xFE";
const UTF16BE_BOM: &[u8] = b"\xFE\xFF";
/// Every XLSX (a zip archive) starts with a local file header.
pub(crate) const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// Excel 97–2003 workbooks are OLE compound files.
pub(crate) const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// An encoding a CSV file is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextEncoding {
    Utf8,
    Utf8WithBom,
    Gb18030,
    Gb18030WithBom,
}

impl TextEncoding {
    /// The name shown to users.
    pub(crate) fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8WithBom => "UTF-8 (BOM)",
            TextEncoding::Gb18030 => "GB18030",
            TextEncoding::Gb18030WithBom => "GB18030 (BOM)",
        }
    }

    /// Bytes to skip at the start of the file.
    pub(crate) fn bom_length(self) -> u64 {
        match self {
            TextEncoding::Utf8 | TextEncoding::Gb18030 => 0,
            TextEncoding::Utf8WithBom => UTF8_BOM.len() as u64,
            TextEncoding::Gb18030WithBom => GB18030_BOM.len() as u64,
        }
    }

    /// Decodes one field; `None` when its bytes are not valid in this encoding. Never
    /// substitutes replacement characters.
    pub(crate) fn decode(self, bytes: &[u8]) -> Option<Cow<'_, str>> {
        match self {
            TextEncoding::Utf8 | TextEncoding::Utf8WithBom => {
                std::str::from_utf8(bytes).ok().map(Cow::Borrowed)
            }
            TextEncoding::Gb18030 | TextEncoding::Gb18030WithBom => {
                GB18030.decode_without_bom_handling_and_without_replacement(bytes)
            }
        }
    }
}

/// Why the first bytes of a file cannot be read as CSV text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    Utf16 {
        encoding: &'static str,
    },
    Workbook,
    LegacyXls,
    /// A NUL byte: UTF-16 without BOM, or not text at all.
    Binary {
        offset: usize,
    },
    /// Neither UTF-8 nor GB18030; `guess` is chardetng's closest encoding when not GBK.
    Undecodable {
        offset: usize,
        guess: Option<&'static str>,
    },
}

/// Decides the encoding from `sample`, the first [`SAMPLE_BYTES`] of the file (or all of it
/// when `is_whole_file`). A sample cut off in the middle of a character is fine.
pub(crate) fn detect(sample: &[u8], is_whole_file: bool) -> Result<TextEncoding, Refusal> {
    if let Some(found) = detect_by_signature(sample) {
        return found;
    }
    if let Some(offset) = sample.iter().position(|&byte| byte == 0) {
        return Err(Refusal::Binary { offset });
    }
    let Some(utf8_error_offset) = first_invalid_utf8(sample, is_whole_file) else {
        return Ok(TextEncoding::Utf8);
    };
    let guess = guess_legacy_encoding(sample, is_whole_file);
    let is_gbk_family = guess == GBK || guess == GB18030;
    match (is_gbk_family, first_invalid_gb18030(sample, is_whole_file)) {
        (true, None) => Ok(TextEncoding::Gb18030),
        (true, Some(offset)) => Err(Refusal::Undecodable {
            offset,
            guess: None,
        }),
        // Damaged GB18030 also lands here (chardetng then prefers a single-byte encoding):
        // the offset where GB18030 fails points at the damage.
        (false, Some(offset)) => Err(Refusal::Undecodable {
            offset,
            guess: Some(guess.name()),
        }),
        (false, None) => Err(Refusal::Undecodable {
            offset: utf8_error_offset,
            guess: Some(guess.name()),
        }),
    }
}

/// Byte-order marks and file signatures decide without looking further.
fn detect_by_signature(sample: &[u8]) -> Option<Result<TextEncoding, Refusal>> {
    let found = if sample.starts_with(UTF8_BOM) {
        Ok(TextEncoding::Utf8WithBom)
    } else if sample.starts_with(GB18030_BOM) {
        Ok(TextEncoding::Gb18030WithBom)
    } else if sample.starts_with(UTF16LE_BOM) {
        Err(Refusal::Utf16 {
            encoding: "UTF-16LE",
        })
    } else if sample.starts_with(UTF16BE_BOM) {
        Err(Refusal::Utf16 {
            encoding: "UTF-16BE",
        })
    } else if sample.starts_with(ZIP_MAGIC) {
        Err(Refusal::Workbook)
    } else if sample.starts_with(OLE_MAGIC) {
        Err(Refusal::LegacyXls)
    } else {
        return None;
    };
    Some(found)
}

/// The offset of the first byte that is not UTF-8, ignoring a character cut off at the end
/// of a partial sample.
fn first_invalid_utf8(sample: &[u8], is_whole_file: bool) -> Option<usize> {
    match std::str::from_utf8(sample) {
        Ok(_) => None,
        Err(error) if error.error_len().is_none() && !is_whole_file => None,
        Err(error) => Some(error.valid_up_to()),
    }
}

/// chardetng's best guess among legacy encodings.
fn guess_legacy_encoding(sample: &[u8], is_whole_file: bool) -> &'static encoding_rs::Encoding {
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(sample, is_whole_file);
    detector.guess(None, Utf8Detection::Deny)
}

/// The offset of the first malformed GB18030 sequence, ignoring one cut off at the end of a
/// partial sample.
fn first_invalid_gb18030(sample: &[u8], is_whole_file: bool) -> Option<usize> {
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(sample.len())
        .unwrap_or(sample.len() * 3);
    let mut decoded = String::with_capacity(capacity);
    let (result, read) =
        decoder.decode_to_string_without_replacement(sample, &mut decoded, is_whole_file);
    match result {
        DecoderResult::Malformed(bad_bytes, bytes_after) => {
            Some(read - usize::from(bad_bytes) - usize::from(bytes_after))
        }
        DecoderResult::InputEmpty | DecoderResult::OutputFull => None,
    }
}

/// The line (1-based) of a byte offset within the sample, for messages.
pub(crate) fn line_of_offset(sample: &[u8], offset: usize) -> u64 {
    let before = &sample[..offset.min(sample.len())];
    1 + before.iter().filter(|&&byte| byte == b'\n').count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gb18030(text: &str) -> Vec<u8> {
        GB18030.encode(text).0.into_owned()
    }

    #[test]
    fn detects_utf8_gb18030_and_boms() {
        let utf8 = "户编号,姓名\nH001,张三\n".as_bytes();
        let mut with_bom = UTF8_BOM.to_vec();
        with_bom.extend_from_slice(utf8);
        let cases: Vec<(&str, Vec<u8>, TextEncoding)> = vec![
            ("ascii", b"code,name\n1,a\n".to_vec(), TextEncoding::Utf8),
            ("utf-8", utf8.to_vec(), TextEncoding::Utf8),
            ("utf-8 bom", with_bom, TextEncoding::Utf8WithBom),
            (
                "gb18030",
                gb18030("户编号,姓名\nH001,张三\n"),
                TextEncoding::Gb18030,
            ),
            (
                "gb18030 english headers",
                gb18030("household_id,name\nH001,张三\n"),
                TextEncoding::Gb18030,
            ),
            (
                "gb18030 bom",
                [GB18030_BOM, &gb18030("代码")].concat(),
                TextEncoding::Gb18030WithBom,
            ),
        ];
        for (name, bytes, expected) in cases {
            assert_eq!(detect(&bytes, true), Ok(expected), "{name}");
        }
    }

    #[test]
    fn a_sample_cut_mid_character_is_still_utf8() {
        let text = "张三".repeat(20);
        let cut = &text.as_bytes()[..text.len() - 1];
        assert_eq!(detect(cut, false), Ok(TextEncoding::Utf8));
        assert!(matches!(
            detect(cut, true),
            Err(Refusal::Undecodable { .. }) | Ok(TextEncoding::Gb18030)
        ));
    }

    #[test]
    fn refuses_utf16_workbooks_and_binary() {
        let utf16le: Vec<u8> = [0xFF, 0xFE, b'a', 0, b'b', 0].to_vec();
        assert_eq!(
            detect(&utf16le, true),
            Err(Refusal::Utf16 {
                encoding: "UTF-16LE"
            })
        );
        assert_eq!(
            detect(&[0xFE, 0xFF, 0, b'a'], true),
            Err(Refusal::Utf16 {
                encoding: "UTF-16BE"
            })
        );
        assert_eq!(detect(b"a\0b\0", true), Err(Refusal::Binary { offset: 1 }));
        assert_eq!(detect(b"PK\x03\x04rest", true), Err(Refusal::Workbook));
        assert_eq!(detect(OLE_MAGIC, true), Err(Refusal::LegacyXls));
    }

    #[test]
    fn refuses_invalid_gb18030_with_its_offset() {
        // Valid GBK text followed by a lead byte with an impossible trail byte (0x7F).
        let mut bytes = gb18030("户编号,姓名\n张三,李四\n王五");
        let offset = bytes.len();
        bytes.extend_from_slice(b"\x81\x7F\n");
        match detect(&bytes, true) {
            Err(Refusal::Undecodable { offset: found, .. }) => {
                assert_eq!(found, offset);
                assert_eq!(line_of_offset(&bytes, found), 3);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn names_other_legacy_encodings() {
        let (big5, _, _) = encoding_rs::BIG5.encode("戶編號,姓名\n張三,李四\n鄱陽縣,饒豐鎮\n");
        assert!(matches!(
            detect(&big5, true),
            Err(Refusal::Undecodable {
                guess: Some("Big5"),
                ..
            })
        ));
        let (korean, _, _) = encoding_rs::EUC_KR.encode("이름,도시\n김철수,서울\n이영희,부산\n");
        assert!(matches!(
            detect(&korean, true),
            Err(Refusal::Undecodable {
                guess: Some("EUC-KR"),
                ..
            })
        ));
    }

    #[test]
    fn decodes_fields_without_replacement() {
        assert_eq!(
            TextEncoding::Gb18030.decode(&gb18030("鄱阳县")).as_deref(),
            Some("鄱阳县")
        );
        assert_eq!(TextEncoding::Gb18030.decode(b"\x81"), None);
        assert_eq!(TextEncoding::Utf8.decode(b"\xFF"), None);
    }
}
