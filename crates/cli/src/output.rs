//! Printing tables as aligned text, CSV or JSON.

use std::io::Write;

/// Output formats of every listing command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// An array of objects, one per row.
    Json,
    /// Comma-separated values with a header row.
    Csv,
}

/// A listing: named columns and rows of text cells (`None` is an empty cell / JSON null).
#[derive(Clone, Debug, Default)]
pub struct Listing {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl Listing {
    pub fn new(columns: Vec<&'static str>) -> Listing {
        Listing {
            columns,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Option<String>>) {
        debug_assert_eq!(
            row.len(),
            self.columns.len(),
            "a row has one cell per column"
        );
        self.rows.push(row);
    }

    /// Writes the listing in the chosen format.
    pub fn write(&self, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
        match format {
            Format::Table => self.write_table(out),
            Format::Json => self.write_json(out),
            Format::Csv => self.write_csv(out),
        }
    }

    fn write_table(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let mut widths: Vec<usize> = self.columns.iter().map(|c| display_width(c)).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(display_width(cell.as_deref().unwrap_or("")));
            }
        }
        let header: Vec<Option<String>> =
            self.columns.iter().map(|c| Some(c.to_string())).collect();
        write_aligned(out, &header, &widths)?;
        for row in &self.rows {
            write_aligned(out, row, &widths)?;
        }
        Ok(())
    }

    fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let objects: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|row| {
                let fields = self.columns.iter().zip(row).map(|(column, cell)| {
                    let value = cell
                        .clone()
                        .map_or(serde_json::Value::Null, serde_json::Value::String);
                    (column.to_string(), value)
                });
                serde_json::Value::Object(fields.collect())
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &objects)?;
        writeln!(out)
    }

    fn write_csv(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(out);
        writer.write_record(&self.columns)?;
        for row in &self.rows {
            writer.write_record(
                row.iter()
                    .map(|cell| csv_cell(cell.as_deref().unwrap_or(""))),
            )?;
        }
        writer.flush()
    }
}

fn write_aligned(
    out: &mut dyn Write,
    row: &[Option<String>],
    widths: &[usize],
) -> std::io::Result<()> {
    let mut line = String::new();
    for (index, (cell, width)) in row.iter().zip(widths).enumerate() {
        let text = cell.as_deref().unwrap_or("");
        line.push_str(text);
        if index + 1 < row.len() {
            line.push_str(&" ".repeat(width - display_width(text) + 2));
        }
    }
    writeln!(out, "{}", line.trim_end())
}

/// A cell with formulas defused (see `formula_escape`); the writer quotes it when needed.
fn csv_cell(text: &str) -> String {
    fupin_app::ingest::formula_escape(text).into_owned()
}

/// Columns a string takes on a terminal: East Asian wide characters take two.
pub fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(cell: &str, expected: &str) {
        let listing = Listing {
            columns: vec!["c"],
            rows: vec![vec![Some(cell.to_string())]],
        };
        let mut out = Vec::new();
        listing.write(Format::Csv, &mut out).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(text, format!("c\n{expected}\n"), "cell {cell:?}");
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        check("plain", "plain");
        check("a,b", "\"a,b\"");
        check("say \"hi\"", "\"say \"\"hi\"\"\"");
        check("=SUM(A1)", "'=SUM(A1)");
        check("@cmd", "'@cmd");
        check("+86 138", "'+86 138");
        check("-1,234.50", "\"-1,234.50\"");
        check("-5", "-5");
        check("-x", "'-x");
    }

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(display_width("上饶市"), 6);
        assert_eq!(display_width("Shangrao"), 8);
        assert_eq!(display_width("鄱阳县 Poyang"), 13);
    }
}
