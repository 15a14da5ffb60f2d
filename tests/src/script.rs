//! APDU scripts: a terminal's side of an exchange written as text, run against any [`Card`].
//!
//! The format is the one `../shared/vectors/smart-tap/e2e-loyalty-2018.apdu` uses:
//!
//! ```text
//! # SELECT OSE.VAS.01           ← a comment right before a command labels it
//! > 00a404000a 4f53452e5641532e3031 00
//! < 6f XX 84 * 9000             ← expected R-APDU (data ‖ SW)
//! ```
//!
//! - `#` starts a comment anywhere on a line; blank lines are ignored.
//! - `> hex` is a C-APDU. `< pattern` is the R-APDU expected for the command before it;
//!   a command without one accepts any answer (it is still shown in the transcript).
//! - Hex digits come in pairs; whitespace may separate pairs, not split them.
//! - In a pattern, `XX` (any case) or `??` matches any one byte, and one `*` per pattern
//!   matches any number (zero or more) of bytes, so `< * 9000` is "any data, then 9000"
//!   and `< 6f * 90 00` is "starts with 6F, ends with 9000".
//!
//! Errors carry the line and column. Running a script gives a [`Transcript`]; an
//! [`Exchange`] that did not match renders a byte-aligned diff.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fmt::{self, Write as _};

use crate::card::{Card, CardError};

/// One byte of an expected response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    Byte(u8),
    /// `XX` / `??`: any byte.
    Any,
}

impl Pattern {
    fn matches(self, b: u8) -> bool {
        match self {
            Pattern::Byte(p) => p == b,
            Pattern::Any => true,
        }
    }
}

/// An expected R-APDU: `head`, then (if `tail` is present) any bytes, then `tail`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    pub head: Vec<Pattern>,
    /// `Some` when the pattern has the rest wildcard `*`: the patterns after it.
    pub tail: Option<Vec<Pattern>>,
}

impl Expectation {
    /// Exact bytes, no wildcard.
    pub fn exact(bytes: &[u8]) -> Self {
        Expectation { head: bytes.iter().map(|&b| Pattern::Byte(b)).collect(), tail: None }
    }

    pub fn matches(&self, actual: &[u8]) -> bool {
        let all = |p: &[Pattern], a: &[u8]| p.iter().zip(a).all(|(p, &b)| p.matches(b));
        match &self.tail {
            None => actual.len() == self.head.len() && all(&self.head, actual),
            Some(tail) => {
                let Some(middle) = actual.len().checked_sub(self.head.len() + tail.len()) else {
                    return false;
                };
                let (head, rest) = actual.split_at(self.head.len());
                all(&self.head, head) && all(tail, rest.get(middle..).unwrap_or_default())
            }
        }
    }

    /// One cell per actual byte position (see [`Cell`]), for diffs.
    fn cells(&self, actual_len: usize) -> Vec<Cell> {
        let mut cells: Vec<Cell> = self.head.iter().map(|&p| Cell::Pattern(p)).collect();
        if let Some(tail) = &self.tail {
            let fixed = self.head.len() + tail.len();
            let spread = actual_len.saturating_sub(fixed).max(1);
            cells.extend(std::iter::repeat_n(Cell::Rest, spread));
            cells.extend(tail.iter().map(|&p| Cell::Pattern(p)));
        }
        cells
    }
}

/// One column of an expected response as the diff lays it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    Pattern(Pattern),
    /// Covered by `*`.
    Rest,
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut tokens: Vec<String> = self.head.iter().map(pattern_token).collect();
        if let Some(tail) = &self.tail {
            tokens.push("*".into());
            tokens.extend(tail.iter().map(pattern_token));
        }
        f.write_str(&tokens.join(" "))
    }
}

fn pattern_token(p: &Pattern) -> String {
    match p {
        Pattern::Byte(b) => format!("{b:02X}"),
        Pattern::Any => "XX".into(),
    }
}

/// One command of a script with what is expected back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// 1-based line of the `>`.
    pub line: usize,
    /// The comment line right before the command (the last of a block), if any.
    pub label: Option<String>,
    pub command: Vec<u8>,
    pub expect: Option<Expectation>,
}

/// A parsed script.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    pub steps: Vec<Step>,
}

/// What is wrong with a script line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("a line must start with '>' (command), '<' (expected response) or '#'")]
    UnknownLine,
    #[error("'{0}' is not a hex digit")]
    BadDigit(char),
    #[error("odd number of hex digits (a byte was split or cut short)")]
    OddDigits,
    #[error("wildcards are only allowed in expected responses")]
    WildcardInCommand,
    #[error("more than one '*' in one expected response")]
    SecondRest,
    #[error("empty {0}")]
    Empty(&'static str),
    #[error("an expected response without the rest wildcard must have at least SW1 SW2")]
    ShorterThanStatus,
    #[error("expected response with no command before it")]
    ExpectationWithoutCommand,
    #[error("second expected response for the command on line {0}")]
    SecondExpectation(usize),
    #[error("the script has no command")]
    NoCommand,
}

/// A script error with its position (both 1-based).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub kind: ParseErrorKind,
}

/// A parsed byte field: patterns before a `*`, and those after it if there is one.
type Field = (Vec<Pattern>, Option<Vec<Pattern>>);

impl Script {
    pub fn parse(text: &str) -> Result<Script, ParseError> {
        let mut steps: Vec<Step> = Vec::new();
        let mut label = None;
        let mut expected_for_last = true;
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let err = |column, kind| ParseError { line, column, kind };
            let content = raw.split('#').next().unwrap_or_default();
            let trimmed = content.trim_start();
            let Some(first) = trimmed.chars().next() else {
                // A comment line labels the next command; a blank line ends the label.
                label = raw
                    .split_once('#')
                    .map(|(_, comment)| comment.trim().to_string())
                    .filter(|c| !c.is_empty());
                continue;
            };
            // Column of the '>' / '<' marker (1-based).
            let start_col = content.len() - trimmed.len() + 1;
            if first != '>' && first != '<' {
                return Err(err(start_col, ParseErrorKind::UnknownLine));
            }
            let body = trimmed.get(first.len_utf8()..).unwrap_or_default();
            let field = parse_field(body, first == '<').map_err(|(c, k)| err(start_col + c, k))?;
            match first {
                '>' => {
                    let (bytes, _) = field;
                    if bytes.is_empty() {
                        return Err(err(start_col, ParseErrorKind::Empty("command")));
                    }
                    let command = bytes
                        .into_iter()
                        .map(|p| match p {
                            Pattern::Byte(b) => b,
                            Pattern::Any => 0,
                        })
                        .collect();
                    steps.push(Step { line, label: label.take(), command, expect: None });
                    expected_for_last = false;
                }
                '<' => {
                    let (head, tail) = field;
                    let Some(step) = steps.last_mut() else {
                        return Err(err(start_col, ParseErrorKind::ExpectationWithoutCommand));
                    };
                    if expected_for_last {
                        return Err(err(start_col, ParseErrorKind::SecondExpectation(step.line)));
                    }
                    if head.is_empty() && tail.is_none() {
                        return Err(err(start_col, ParseErrorKind::Empty("expected response")));
                    }
                    if tail.is_none() && head.len() < 2 {
                        return Err(err(start_col, ParseErrorKind::ShorterThanStatus));
                    }
                    step.expect = Some(Expectation { head, tail });
                    expected_for_last = true;
                    label = None;
                }
                _ => {} // ruled out above
            }
        }
        if steps.is_empty() {
            return Err(ParseError {
                line: text.lines().count().max(1),
                column: 1,
                kind: ParseErrorKind::NoCommand,
            });
        }
        Ok(Script { steps })
    }

    /// Runs the steps in order. A mismatch stops the run unless `keep_going`; a transport
    /// error always does (the transcript keeps what happened before it).
    pub fn run(&self, card: &mut dyn Card, keep_going: bool) -> Transcript {
        let mut transcript = Transcript::default();
        for step in &self.steps {
            let response = match card.transmit(&step.command) {
                Ok(r) if r.len() < 2 => Err(CardError::ShortResponse(r.len())),
                other => other,
            };
            let response = match response {
                Ok(r) => r,
                Err(e) => {
                    transcript.error = Some((step.clone(), e));
                    break;
                }
            };
            let matched = step.expect.as_ref().is_none_or(|e| e.matches(&response));
            transcript.exchanges.push(Exchange { step: step.clone(), response, matched });
            if !matched && !keep_going {
                break;
            }
        }
        transcript.not_run = self
            .steps
            .len()
            .saturating_sub(transcript.exchanges.len() + usize::from(transcript.error.is_some()));
        transcript
    }
}

/// Parses the bytes after a `>` / `<`. Errors carry a 0-based column within `body`.
fn parse_field(body: &str, wildcards: bool) -> Result<Field, (usize, ParseErrorKind)> {
    let mut head = Vec::new();
    let mut tail: Option<Vec<Pattern>> = None;
    let mut pending: Option<(usize, char)> = None;
    for (column, c) in body.chars().enumerate() {
        let column = column + 1;
        if let Some((start, first)) = pending {
            if c.is_whitespace() || c == '*' {
                return Err((start, ParseErrorKind::OddDigits));
            }
            let pattern = match (first, c) {
                ('x' | 'X', 'x' | 'X') | ('?', '?') if wildcards => Pattern::Any,
                ('x' | 'X' | '?', _) | (_, 'x' | 'X' | '?') if !wildcards => {
                    return Err((start, ParseErrorKind::WildcardInCommand))
                }
                _ => {
                    let digit =
                        |ch: char, col| ch.to_digit(16).ok_or((col, ParseErrorKind::BadDigit(ch)));
                    let value = digit(first, start)? * 16 + digit(c, column)?;
                    Pattern::Byte(value as u8)
                }
            };
            tail.as_mut().unwrap_or(&mut head).push(pattern);
            pending = None;
        } else if c.is_whitespace() {
            continue;
        } else if c == '*' {
            if !wildcards {
                return Err((column, ParseErrorKind::WildcardInCommand));
            }
            if tail.is_some() {
                return Err((column, ParseErrorKind::SecondRest));
            }
            tail = Some(Vec::new());
        } else {
            pending = Some((column, c));
        }
    }
    if let Some((start, _)) = pending {
        return Err((start, ParseErrorKind::OddDigits));
    }
    Ok((head, tail))
}

/// One command sent and what came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    pub step: Step,
    pub response: Vec<u8>,
    pub matched: bool,
}

impl Exchange {
    /// The byte-aligned difference between expected and actual, if they differ.
    pub fn diff(&self) -> Option<String> {
        let expect = self.step.expect.as_ref().filter(|_| !self.matched)?;
        Some(render_diff(expect, &self.response))
    }
}

/// What a script run did.
#[derive(Debug, Default)]
pub struct Transcript {
    pub exchanges: Vec<Exchange>,
    /// The step whose transmit failed, and why.
    pub error: Option<(Step, CardError)>,
    /// Steps after a stop (mismatch or error) that were not sent.
    pub not_run: usize,
}

impl Transcript {
    /// Every step ran and every expectation held.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.not_run == 0 && self.exchanges.iter().all(|e| e.matched)
    }

    pub fn mismatches(&self) -> impl Iterator<Item = &Exchange> {
        self.exchanges.iter().filter(|e| !e.matched)
    }

    /// The transcript as a person reads it: each command and answer in hex, the
    /// annotator's lines under each, and a diff under every mismatch.
    pub fn render(&self, annotator: &dyn Annotator) -> String {
        let mut out = String::new();
        for x in &self.exchanges {
            if let Some(label) = &x.step.label {
                let _ = writeln!(out, "# {label}");
            }
            push_hex(&mut out, ">", &x.step.command);
            for note in annotator.command(&x.step.command) {
                let _ = writeln!(out, "      {note}");
            }
            push_hex(&mut out, "<", &x.response);
            for note in annotator.response(&x.step.command, &x.response) {
                let _ = writeln!(out, "      {note}");
            }
            if let Some(diff) = x.diff() {
                let _ = writeln!(out, "!! MISMATCH (script line {})", x.step.line);
                out.push_str(&diff);
            }
            out.push('\n');
        }
        if let Some((step, e)) = &self.error {
            push_hex(&mut out, ">", &step.command);
            let _ = writeln!(out, "!! ERROR (script line {}): {e}", step.line);
        }
        let failed = self.mismatches().count() + usize::from(self.error.is_some());
        let _ = write!(
            out,
            "{} exchanges, {} matched, {} failed",
            self.exchanges.len(),
            self.exchanges.len() - self.mismatches().count(),
            failed
        );
        if self.not_run > 0 {
            let _ = write!(out, ", {} not run", self.not_run);
        }
        out.push('\n');
        out
    }
}

/// Adds notes under commands and responses in a rendered transcript.
pub trait Annotator {
    fn command(&self, _apdu: &[u8]) -> Vec<String> {
        Vec::new()
    }
    fn response(&self, _command: &[u8], _response: &[u8]) -> Vec<String> {
        Vec::new()
    }
}

/// Adds nothing.
pub struct NoNotes;
impl Annotator for NoNotes {}

/// Bytes per transcript and diff row.
const ROW: usize = 16;

fn push_hex(out: &mut String, marker: &str, bytes: &[u8]) {
    for (i, chunk) in bytes.chunks(2 * ROW).enumerate() {
        let lead = if i == 0 { marker } else { " " };
        let _ = writeln!(out, "{lead} {}", hex_spaced(chunk));
    }
    if bytes.is_empty() {
        let _ = writeln!(out, "{marker}");
    }
}

fn hex_spaced(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(" ")
}

/// Rows of [`ROW`] positions: `-` expected, `+` actual, `^^` under each differing byte.
/// Rows that agree are summarised; the `*` span shows as `..`.
fn render_diff(expect: &Expectation, actual: &[u8]) -> String {
    let cells = expect.cells(actual.len());
    let len = cells.len().max(actual.len());
    let mut out = format!(
        "   expected {} (min {} bytes), got {} bytes\n",
        expect,
        expect.head.len() + expect.tail.as_ref().map_or(0, Vec::len),
        actual.len()
    );
    let mut same_rows = 0;
    for row in (0..len.div_ceil(ROW)).map(|r| r * ROW) {
        let end = (row + ROW).min(len);
        let (mut exp, mut got, mut marks, mut differs) =
            (String::new(), String::new(), String::new(), false);
        for i in row..end {
            let cell = cells.get(i);
            let byte = actual.get(i);
            let bad = match (cell, byte) {
                (Some(Cell::Pattern(p)), Some(&b)) => !p.matches(b),
                (Some(Cell::Rest), _) => false,
                _ => true,
            };
            differs |= bad;
            exp.push_str(&match cell {
                Some(Cell::Pattern(p)) => format!(" {}", pattern_token(p)),
                Some(Cell::Rest) => " ..".into(),
                None => "   ".into(),
            });
            got.push_str(&byte.map_or("   ".into(), |b| format!(" {b:02X}")));
            marks.push_str(if bad { " ^^" } else { "   " });
        }
        if !differs {
            same_rows += 1;
            continue;
        }
        if same_rows > 0 {
            let _ = writeln!(out, "   ({same_rows} equal row(s) of {ROW} bytes)");
            same_rows = 0;
        }
        let _ = writeln!(out, " - {row:04X}{}", exp.trim_end());
        let _ = writeln!(out, " + {row:04X}{}", got.trim_end());
        let _ = writeln!(out, "       {}", marks.trim_end());
    }
    if same_rows > 0 {
        let _ = writeln!(out, "   ({same_rows} equal row(s) of {ROW} bytes)");
    }
    out
}
