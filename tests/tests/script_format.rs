//! The APDU script format and runner (`tests/src/script.rs`): parsing, errors with
//! positions, wildcard matching laws, runs against the in-process core, diffs.

use hce_wallet_core::router::Router;
use hce_wallet_harness::card::{Card, CardError, RouterCard};
use hce_wallet_harness::loopback::Loopback;
use hce_wallet_harness::script::{
    Expectation, NoNotes, ParseErrorKind, Pattern, Script, Transcript,
};
use proptest::prelude::*;

fn shared_dir() -> std::path::PathBuf {
    std::env::var_os("HCE_SHARED_DIR")
        .map(Into::into)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared").into())
}

fn loopback_card() -> RouterCard {
    let mut router = Router::new();
    router.register(Box::new(Loopback::new()));
    RouterCard::new(router)
}

fn run(text: &str) -> Transcript {
    Script::parse(text).unwrap().run(&mut loopback_card(), false)
}

const SELECT: &str = "> 00a4040009f06863652d6c6f6f7000\n< 9000\n";

#[test]
fn parses_the_shared_e2e_vector_script() {
    let path = shared_dir().join("vectors/smart-tap/e2e-loyalty-2018.apdu");
    let script = Script::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(script.steps.len(), 4);
    let labels: Vec<_> = script.steps.iter().map(|s| s.label.as_deref().unwrap()).collect();
    assert_eq!(
        labels,
        [
            "SELECT OSE.VAS.01",
            "SELECT Smart Tap 2",
            "NEGOTIATE SECURE SMART TAP SESSION",
            "GET SMART TAP DATA"
        ]
    );
    assert_eq!(script.steps[0].command, hex::decode("00a404000a4f53452e5641532e303100").unwrap());
    for step in &script.steps {
        let expect = step.expect.as_ref().unwrap();
        assert!(expect.tail.is_none());
        assert_eq!(expect.head[expect.head.len() - 2..], [Pattern::Byte(0x90), Pattern::Byte(0)]);
    }
    assert_eq!(script.steps[2].command.len(), 5 + 0xBD + 1);
}

#[test]
fn syntax_variants() {
    let s = Script::parse(
        "# header\n\n# block\n  # label one\n>00 a4 0400   # trailing comment\n<  90  00\n\
         # dropped by the blank line\n\n>\t80010000 01 AA\n< ?? xx XX *\n> 80 01 00 00 01 BB\n\
         # unused label\n",
    )
    .unwrap();
    assert_eq!(s.steps.len(), 3);
    assert_eq!(s.steps[0].label.as_deref(), Some("label one"));
    assert_eq!(s.steps[0].line, 5);
    assert_eq!(s.steps[0].command, [0x00, 0xA4, 0x04, 0x00]);
    assert_eq!(s.steps[0].expect, Some(Expectation::exact(&[0x90, 0x00])));
    assert_eq!(s.steps[1].label, None);
    assert_eq!(
        s.steps[1].expect,
        Some(Expectation { head: vec![Pattern::Any; 3], tail: Some(vec![]) })
    );
    assert_eq!(s.steps[2].expect, None);
    assert_eq!(s.steps[1].expect.as_ref().unwrap().to_string(), "XX XX XX *");
}

#[test]
fn errors_carry_line_and_column() {
    let cases: &[(&str, usize, usize, ParseErrorKind)] = &[
        ("> 00a4\n< 9000\nhello\n", 3, 1, ParseErrorKind::UnknownLine),
        ("> 00a4\n<   90 0g\n", 2, 9, ParseErrorKind::BadDigit('g')),
        ("> 00a 4\n", 1, 5, ParseErrorKind::OddDigits),
        ("> 00a4 0\n", 1, 8, ParseErrorKind::OddDigits),
        ("> 00 XX\n", 1, 6, ParseErrorKind::WildcardInCommand),
        ("> 00 *\n", 1, 6, ParseErrorKind::WildcardInCommand),
        ("> 00a4\n< 90 * 00 *\n", 2, 11, ParseErrorKind::SecondRest),
        ("# x\n  >  # nothing\n", 2, 3, ParseErrorKind::Empty("command")),
        ("> 00a4\n<\n", 2, 1, ParseErrorKind::Empty("expected response")),
        ("> 00a4\n< 90\n", 2, 1, ParseErrorKind::ShorterThanStatus),
        ("< 9000\n", 1, 1, ParseErrorKind::ExpectationWithoutCommand),
        ("> 00a4\n< 9000\n< 9000\n", 3, 1, ParseErrorKind::SecondExpectation(1)),
        ("# only a comment\n\n", 2, 1, ParseErrorKind::NoCommand),
        ("", 1, 1, ParseErrorKind::NoCommand),
    ];
    for (text, line, column, kind) in cases {
        let e = Script::parse(text).unwrap_err();
        assert_eq!((e.line, e.column, &e.kind), (*line, *column, kind), "{text:?}");
        assert!(e.to_string().starts_with(&format!("line {line}, column {column}: ")));
    }
}

#[test]
fn loopback_example_script_passes_in_process() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/loopback.apdu");
    let script = Script::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    let transcript = script.run(&mut loopback_card(), false);
    assert!(transcript.passed(), "{}", transcript.render(&NoNotes));
    assert_eq!(transcript.exchanges.len(), script.steps.len());
    let fill = &transcript.exchanges[4];
    assert_eq!(fill.response.len(), 302);
}

#[test]
fn mismatch_stops_and_renders_an_aligned_diff() {
    let text = format!("{SELECT}> 80 02 00 24 00\n< 00 01 02 * FF 22 23 90 00\n> 80 04 00 00 00\n");
    let t = run(&text);
    assert!(!t.passed());
    assert_eq!((t.exchanges.len(), t.not_run), (2, 1));
    let bad: Vec<_> = t.mismatches().collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].step.line, 3);
    let diff = bad[0].diff().unwrap();
    // 36 data bytes + SW = 38: the tail (FF 22 23 90 00) lands on 0x21..=0x25; only 0x21 differs.
    let lines: Vec<&str> = diff.lines().collect();
    assert!(lines[0].contains("expected 00 01 02 * FF 22 23 90 00 (min 8 bytes), got 38 bytes"));
    assert!(lines[1].contains("(2 equal row(s) of 16 bytes)"), "{diff}");
    assert_eq!(lines[2], " - 0020 .. FF 22 23 90 00");
    assert_eq!(lines[3], " + 0020 20 21 22 23 90 00");
    assert_eq!(lines[4], "           ^^");
    let rendered = t.render(&NoNotes);
    assert!(rendered.contains("!! MISMATCH (script line 3)"));
    assert!(rendered.ends_with("2 exchanges, 1 matched, 1 failed, 1 not run\n"), "{rendered}");
}

#[test]
fn length_mismatches_are_marked() {
    let t = run(&format!("{SELECT}> 80 01 00 00 02 AA BB 00\n< AA 90 00\n"));
    let diff = t.exchanges[1].diff().unwrap();
    assert!(diff.contains(" - 0000 AA 90 00\n + 0000 AA BB 90 00\n           ^^ ^^ ^^"), "{diff}");
    // Shorter than head + tail: the '*' still shows.
    let t = run(&format!("{SELECT}> 80 03 90 00\n< 61 * 62 90 00\n"));
    let diff = t.exchanges[1].diff().unwrap();
    assert!(diff.contains(" - 0000 61 .. 62 90 00\n + 0000 90 00\n"), "{diff}");
}

#[test]
fn keep_going_runs_every_step() {
    let text =
        format!("{SELECT}> 80 03 6A 82\n< 9000\n> 80 03 90 00\n< 9000\n> 80 7F 00 00\n< 9000\n");
    let t = Script::parse(&text).unwrap().run(&mut loopback_card(), true);
    assert_eq!((t.exchanges.len(), t.not_run, t.mismatches().count()), (4, 0, 2));
    assert!(!t.passed());
}

struct Broken(usize);
impl Card for Broken {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        self.0 += 1;
        match self.0 {
            1 => Ok(vec![0x90, 0x00]),
            2 => Ok(vec![0x90]),
            _ => Err(CardError::Transport(format!("gone after {} bytes", apdu.len()))),
        }
    }
}

#[test]
fn transport_errors_and_short_answers_end_the_run() {
    let script = Script::parse("> 00 01 02 03\n> 00 01 02 03\n> 00 01 02 03\n").unwrap();
    let t = script.run(&mut Broken(0), true);
    assert_eq!(t.exchanges.len(), 1);
    let (step, e) = t.error.as_ref().unwrap();
    assert_eq!(step.line, 2);
    assert!(matches!(e, CardError::ShortResponse(1)));
    assert_eq!(t.not_run, 1);
    assert!(!t.passed());
    assert!(t.render(&NoNotes).contains("!! ERROR (script line 2)"));
}

fn pattern() -> impl Strategy<Value = Pattern> {
    prop_oneof![4 => any::<u8>().prop_map(Pattern::Byte), 1 => Just(Pattern::Any)]
}

/// Replaces every `Any` by a byte, giving a string the pattern matches.
fn instantiate(patterns: &[Pattern], fill: u8) -> Vec<u8> {
    patterns
        .iter()
        .map(|p| match p {
            Pattern::Byte(b) => *b,
            Pattern::Any => fill,
        })
        .collect()
}

proptest! {
    #[test]
    fn exact_matches_itself_only(bytes in prop::collection::vec(any::<u8>(), 2..64),
                                 at in any::<prop::sample::Index>(), delta in 1u8..) {
        let e = Expectation::exact(&bytes);
        prop_assert!(e.matches(&bytes));
        let mut other = bytes.clone();
        let i = at.index(other.len());
        other[i] = other[i].wrapping_add(delta);
        prop_assert!(!e.matches(&other));
        prop_assert!(!e.matches(&bytes[1..]));
        let mut longer = bytes.clone();
        longer.push(0);
        prop_assert!(!e.matches(&longer));
    }

    #[test]
    fn rest_wildcard_law(head in prop::collection::vec(pattern(), 0..8),
                         tail in prop::collection::vec(pattern(), 0..8),
                         middle in prop::collection::vec(any::<u8>(), 0..40), fill in any::<u8>()) {
        // head ‖ anything ‖ tail matches; anything shorter than head + tail does not.
        let e = Expectation { head: head.clone(), tail: Some(tail.clone()) };
        let mut actual = instantiate(&head, fill);
        actual.extend(&middle);
        actual.extend(instantiate(&tail, fill));
        prop_assert!(e.matches(&actual));
        if head.len() + tail.len() > 0 {
            prop_assert!(!e.matches(&actual[..head.len() + tail.len() - 1]));
        }
    }

    #[test]
    fn printed_expectations_parse_back(head in prop::collection::vec(pattern(), 2..20),
                                       tail in prop::option::of(prop::collection::vec(pattern(), 0..6))) {
        let e = Expectation { head, tail };
        let script = Script::parse(&format!("> 00 01 02 03\n< {e}\n")).unwrap();
        prop_assert_eq!(script.steps[0].expect.as_ref(), Some(&e));
    }

    #[test]
    fn parser_never_panics(text in "[<># 0-9a-fA-FxX?*\n\t]{0,200}") {
        let _ = Script::parse(&text);
    }
}
