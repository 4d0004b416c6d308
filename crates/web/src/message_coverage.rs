//! Every message the application layer can show a person has its Chinese pattern in
//! [`crate::labels`]: a missing translation fails this test, not the page (#25).
//!
//! The messages are read from the source of `fupin-app`: the string literal given to each
//! `AppError::{Invalid, Conflict, NotFound, Forbidden, Unauthenticated}` and `AppError::field`,
//! with every `{…}` placeholder filled by a sample value, then shown the way the error's
//! `Display` shows it.

use std::path::{Path, PathBuf};

use crate::labels::translate;

/// Where a message starts in the source (the text before the call's arguments), which
/// argument holds it, and how its error shows it.
const MARKERS: &[(&str, usize, Shape)] = &[
    ("AppError::Invalid(", 0, Shape::AsIs),
    ("AppError::Conflict(", 0, Shape::AsIs),
    ("AppError::Unauthenticated(", 0, Shape::AsIs),
    ("AppError::Forbidden(", 0, Shape::AsIs),
    ("AppError::NotFound(", 0, Shape::NotFound),
    ("AppError::field(", 1, Shape::Field),
    // A row of an imported file: (line, column, value, message).
    ("row_error(", 3, Shape::AsIs),
    ("FieldError::new(", 3, Shape::AsIs),
    // The web's own refusals of a request's fields.
    ("Error::field(", 1, Shape::Field),
];

#[derive(Clone, Copy)]
enum Shape {
    AsIs,
    NotFound,
    Field,
}

/// A sample for each placeholder: a code-like value that no pattern's fixed text contains.
const SAMPLE: &str = "X9";

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        // Tests' messages are made up; a person never sees them.
        if path.is_dir() && !path.ends_with("tests") {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("tests.rs") {
            out.push(path);
        }
    }
}

/// The Rust string literal at the start of `text` (after blanks), unescaped, if there is one.
fn literal(text: &str) -> Option<String> {
    let text = text.trim_start();
    let body = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                // A line continuation: the newline and the next line's indentation vanish.
                '\n' => {
                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                }
                other => out.push(other),
            },
            other => out.push(other),
        }
    }
    None
}

/// The text of argument `index` of the call whose arguments start at `rest`, if the call has
/// that many: arguments end at a comma outside brackets and string literals.
fn argument(rest: &str, index: usize) -> Option<&str> {
    let (mut depth, mut start, mut count) = (0_i32, 0, 0);
    let mut in_string = false;
    let mut escaped = false;
    for (at, c) in rest.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return (count == index).then(|| &rest[start..at]),
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                if count == index {
                    return Some(&rest[start..at]);
                }
                count += 1;
                start = at + 1;
            }
            _ => {}
        }
    }
    None
}

/// The message in argument `index` of the call at `rest`, if it is a literal (or the format
/// string of a `format!`).
fn message_after(rest: &str, index: usize) -> Option<String> {
    let text = argument(rest, index)?.trim_start();
    literal(text.strip_prefix("format!(").unwrap_or(text))
}

/// `text` with each `{…}` placeholder replaced by [`SAMPLE`] and `{{`/`}}` unescaped.
fn filled(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('{', Some('{')) | ('}', Some('}')) => {
                out.push(c);
                chars.next();
            }
            ('{', _) => {
                for inner in chars.by_ref() {
                    if inner == '}' {
                        break;
                    }
                }
                out.push_str(SAMPLE);
            }
            _ => out.push(c),
        }
    }
    out
}

fn shown(message: &str, shape: Shape) -> String {
    match shape {
        Shape::AsIs => message.to_string(),
        Shape::NotFound => format!("{message} not found"),
        Shape::Field => format!("amount: {message}"),
    }
}

/// Every message of `crate_dir`'s source behind one of [`MARKERS`], as a person would see it.
fn messages_of(crate_dir: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(crate_dir);
    let mut files = Vec::new();
    sources(&root, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("source");
        let name = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        for (marker, index, shape) in MARKERS {
            for (at, _) in text.match_indices(marker) {
                // `Error::field(` also ends `AppError::field(`, counted once above.
                if text[..at].ends_with("App") && !marker.starts_with("App") {
                    continue;
                }
                let Some(message) = message_after(&text[at + marker.len()..], *index) else {
                    continue;
                };
                // A message made only of placeholders is assembled elsewhere.
                if !filled(&message)
                    .replace(SAMPLE, "")
                    .chars()
                    .any(char::is_alphabetic)
                {
                    continue;
                }
                let line = text[..at].lines().count() + 1;
                out.push((
                    format!("{crate_dir}/{name}:{line}"),
                    shown(&filled(&message), *shape),
                ));
            }
        }
    }
    out
}

fn app_messages() -> Vec<(String, String)> {
    [messages_of("../app/src"), messages_of("src")].concat()
}

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[test]
fn literals_are_read_as_rust_reads_them() {
    assert_eq!(literal(r#" "a \"b\" c" x"#).as_deref(), Some(r#"a "b" c"#));
    assert_eq!(literal("\"one \\\n     two\"").as_deref(), Some("one two"));
    assert_eq!(filled("loan {} of {name:?}: {{x}}"), "loan X9 of X9: {x}");
    assert_eq!(argument("a(b, c), \"d,\" , e)", 1), Some(" \"d,\" "));
    assert_eq!(argument("x, y)", 2), None);
    assert_eq!(
        message_after(r#""amount", format!("must be positive, not {x}"))"#, 1).as_deref(),
        Some("must be positive, not {x}")
    );
}

#[test]
fn every_message_of_the_application_has_chinese_text() {
    let messages = app_messages();
    assert!(
        messages.len() > 200,
        "found only {} messages",
        messages.len()
    );
    let missing: Vec<String> = messages
        .iter()
        .filter(|(_, text)| !translate(text).is_some_and(|zh| has_chinese(&zh)))
        .map(|(place, text)| format!("{place}: {text:?}"))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} messages have no Chinese pattern in labels::MESSAGES:\n{}",
        missing.len(),
        messages.len(),
        missing.join("\n")
    );
}

fn check(english: &str, expect: &str) {
    assert_eq!(translate(english).as_deref(), Some(expect), "{english}");
}

#[test]
fn fields_are_named_and_values_kept() {
    check("amount: must be positive", "金额：必须大于零");
    check("sum_insured: must not be negative", "保险金额：不能为负");
    check("new_field: is required", "new_field：必填");
    check("loan 361102/HT-7 not found", "贷款 361102/HT-7 不存在");
    check(
        "claim C-1 of policy P-9 is paid: only an assessed claim is paid",
        "保单 P-9 的理赔 C-1 状态为 paid：只有已定损的理赔才能赔付",
    );
    check(
        "the bank role does not read reported figures",
        "银行角色无权查看报送数据",
    );
    check(
        "the bank role does not read the registry",
        "银行角色无权查看建档立卡名册",
    );
    check(
        "the finance role does not approve, lock or reopen returns",
        "财政局角色无权审批、锁定或重新打开报表",
    );
    assert_eq!(translate("Amount: is required"), None);
    assert_eq!(translate("something: else entirely"), None);
}
