//! Hand-made XLSX files for hostile tests: a minimal workbook around any worksheet XML, and
//! worksheets deflated by hand so that a few megabytes inflate to more than a gibibyte (a zip
//! bomb) in a fraction of a second, without any compression library.

use std::io::Write;
use std::path::Path;

/// One file of the archive.
pub enum Entry {
    Stored {
        name: String,
        data: Vec<u8>,
    },
    /// Already deflated; `crc` is what the archive claims (a bomb need not be honest).
    Deflated {
        name: String,
        compressed: Vec<u8>,
        uncompressed_len: u64,
        crc: u32,
    },
}

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// Writes a zip archive (no zip64: every size below 4 GiB).
pub fn write_zip(path: &Path, entries: &[Entry]) {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for entry in entries {
        let (name, method, crc, compressed, size): (&str, u16, u32, &[u8], u64) = match entry {
            Entry::Stored { name, data } => (name, 0, crc32(data), data, data.len() as u64),
            Entry::Deflated {
                name,
                compressed,
                uncompressed_len,
                crc,
            } => (name, 8, *crc, compressed, *uncompressed_len),
        };
        let size = u32::try_from(size).expect("below 4 GiB");
        let compressed_size = u32::try_from(compressed.len()).expect("below 4 GiB");
        let offset = u32::try_from(out.len()).expect("below 4 GiB");
        let name_len = u16::try_from(name.len()).expect("short name");
        // Local file header.
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        for value in [20u16, 0, method, 0, 0x21] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        for value in [crc, compressed_size, size] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(compressed);
        // Its central directory record.
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        for value in [20u16, 20, 0, method, 0, 0x21] {
            central.extend_from_slice(&value.to_le_bytes());
        }
        for value in [crc, compressed_size, size] {
            central.extend_from_slice(&value.to_le_bytes());
        }
        for value in [name_len, 0, 0, 0, 0] {
            central.extend_from_slice(&value.to_le_bytes());
        }
        central.extend_from_slice(&0u32.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = u32::try_from(out.len()).expect("below 4 GiB");
    let central_size = u32::try_from(central.len()).expect("small");
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    let count = u16::try_from(entries.len()).expect("few entries");
    for value in [0u16, 0, count, count] {
        out.extend_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    std::fs::File::create(path)
        .and_then(|mut file| file.write_all(&out))
        .expect("write zip");
}

fn stored(name: &str, text: &str) -> Entry {
    Entry::Stored {
        name: name.to_string(),
        data: text.as_bytes().to_vec(),
    }
}

/// A workbook with one sheet named `sheet_name` whose XML is `sheet`.
pub fn workbook(sheet_name: &str, sheet: Entry) -> Vec<Entry> {
    vec![
        stored(
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        stored(
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        stored(
            "xl/workbook.xml",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>"#
            ),
        ),
        stored(
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
        sheet,
    ]
}

pub const SHEET_PATH: &str = "xl/worksheets/sheet1.xml";
pub const SHEET_START: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
pub const SHEET_END: &str = "</sheetData></worksheet>";

/// A plain stored worksheet.
pub fn sheet(xml: &str) -> Entry {
    stored(SHEET_PATH, xml)
}

/// Bits of a raw deflate stream, least significant first.
struct Bits {
    out: Vec<u8>,
    buffer: u64,
    count: u32,
}

impl Bits {
    fn push(&mut self, value: u32, bits: u32) {
        self.buffer |= u64::from(value) << self.count;
        self.count += bits;
        while self.count >= 8 {
            self.out.push(self.buffer as u8);
            self.buffer >>= 8;
            self.count -= 8;
        }
    }

    /// Huffman codes go most significant bit first.
    fn push_code(&mut self, code: u32, bits: u32) {
        let reversed = code.reverse_bits() >> (32 - bits);
        self.push(reversed, bits);
    }

    fn literal(&mut self, byte: u8) {
        match byte {
            0..=143 => self.push_code(0x30 + u32::from(byte), 8),
            _ => self.push_code(0x190 + u32::from(byte) - 144, 9),
        }
    }

    fn symbol(&mut self, symbol: u32) {
        match symbol {
            256..=279 => self.push_code(symbol - 256, 7),
            _ => self.push_code(0xC0 + symbol - 280, 8),
        }
    }

    /// A back-reference of `length` (3–258) bytes, `distance` (1–32768) back.
    fn copy(&mut self, length: u32, distance: u32) {
        const LENGTHS: [(u32, u32); 29] = [
            (3, 0),
            (4, 0),
            (5, 0),
            (6, 0),
            (7, 0),
            (8, 0),
            (9, 0),
            (10, 0),
            (11, 1),
            (13, 1),
            (15, 1),
            (17, 1),
            (19, 2),
            (23, 2),
            (27, 2),
            (31, 2),
            (35, 3),
            (43, 3),
            (51, 3),
            (59, 3),
            (67, 4),
            (83, 4),
            (99, 4),
            (115, 4),
            (131, 5),
            (163, 5),
            (195, 5),
            (227, 5),
            (258, 0),
        ];
        const DISTANCES: [(u32, u32); 30] = [
            (1, 0),
            (2, 0),
            (3, 0),
            (4, 0),
            (5, 1),
            (7, 1),
            (9, 2),
            (13, 2),
            (17, 3),
            (25, 3),
            (33, 4),
            (49, 4),
            (65, 5),
            (97, 5),
            (129, 6),
            (193, 6),
            (257, 7),
            (385, 7),
            (513, 8),
            (769, 8),
            (1025, 9),
            (1537, 9),
            (2049, 10),
            (3073, 10),
            (4097, 11),
            (6145, 11),
            (8193, 12),
            (12289, 12),
            (16385, 13),
            (24577, 13),
        ];
        let index = LENGTHS
            .iter()
            .rposition(|(base, _)| *base <= length)
            .expect("length");
        let index = if length == 258 { 28 } else { index.min(27) };
        let (base, extra) = LENGTHS[index];
        self.symbol(257 + index as u32);
        if extra > 0 {
            self.push(length - base, extra);
        }
        let code = DISTANCES
            .iter()
            .rposition(|(base, _)| *base <= distance)
            .expect("distance");
        let (base, extra) = DISTANCES[code];
        self.push_code(code as u32, 5);
        if extra > 0 {
            self.push(distance - base, extra);
        }
    }
}

/// A worksheet entry whose XML is `start`, then `period` repeated `times` times, then `end`,
/// deflated by hand: each 258 repeated bytes cost 13 bits. The CRC is not computed (a bomb's
/// need not be right; a reader that inflates it all fails on it at the very end).
pub fn bomb_sheet(start: &str, period: &str, times: u64, end: &str) -> Entry {
    assert!((3..=32_768).contains(&period.len()) && times >= 1);
    let mut bits = Bits {
        out: Vec::new(),
        buffer: 0,
        count: 0,
    };
    bits.push(1, 1); // final block
    bits.push(1, 2); // fixed Huffman codes
    for byte in start.bytes().chain(period.bytes()) {
        bits.literal(byte);
    }
    let distance = period.len() as u32;
    let mut left = (times - 1) * period.len() as u64;
    while left > 0 {
        let length = match left {
            258 | 261.. => 258,
            // Keep the last copy at least 3 bytes long.
            259 | 260 => (left - 3) as u32,
            _ => left as u32,
        };
        bits.copy(length, distance);
        left -= u64::from(length);
    }
    for byte in end.bytes() {
        bits.literal(byte);
    }
    bits.symbol(256);
    bits.push(0, 7); // flush
    let uncompressed_len = (start.len() + end.len()) as u64 + times * period.len() as u64;
    Entry::Deflated {
        name: SHEET_PATH.to_string(),
        compressed: bits.out,
        uncompressed_len,
        crc: 0,
    }
}
