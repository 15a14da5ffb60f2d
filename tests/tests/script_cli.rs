//! `hcectl run` as a user runs it: exit status, transcript, diff, error positions.

use std::process::{Command, Output};

fn hcectl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hcectl")).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write_script(dir: &tempfile::TempDir, name: &str, body: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, body).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn example_script_passes_with_an_annotated_transcript() {
    let out = hcectl(&["run", concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/loopback.apdu")]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("# SELECT the loopback applet (F0 \"hce-loop\").\n"));
    assert!(stdout.contains("> 00 A4 04 00 09 F0 68 63 65 2D 6C 6F 6F 70 00\n"));
    assert!(stdout.contains("SELECT by name, AID F06863652D6C6F6F70 \".hce-loop\""));
    assert!(stdout.contains("SW 6A82 ISO: application not found, 0 data bytes"));
    assert!(stdout.ends_with("9 exchanges, 9 matched, 0 failed\n"), "{stdout}");
}

#[test]
fn e2e_vector_script_passes_against_the_vector_wallet() {
    let script =
        hce_wallet_harness::cli::shared_dir().join("vectors/smart-tap/e2e-loyalty-2018.apdu");
    let out = hcectl(&["run", "--vector-wallet", &script.to_string_lossy()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("SELECT by name, AID 4F53452E5641532E3031 \"OSE.VAS.01\""));
    assert!(stdout.contains("      NEGOTIATE SECURE SMART TAP SESSION, 195 bytes\n"));
    assert!(stdout.contains("      SW 9000 success, 135 data bytes\n"), "{stdout}");
    assert!(stdout.ends_with("4 exchanges, 4 matched, 0 failed\n"));
}

#[test]
fn wrong_expectation_exits_1_with_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    let script = write_script(
        &dir,
        "wrong.apdu",
        "# select\n> 00a4040009f06863652d6c6f6f7000\n< 9000\n\
         # echo, expecting the wrong second byte\n> 80 01 00 00 02 12 34 00\n< 12 35 90 00\n\
         > 80 04 00 00 00\n< * 9000\n",
    );
    let out = hcectl(&["run", &script]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("!! MISMATCH (script line 5)"), "{stdout}");
    assert!(stdout.contains(" - 0000 12 35 90 00\n + 0000 12 34 90 00\n           ^^\n"));
    assert!(stdout.ends_with("2 exchanges, 1 matched, 1 failed, 1 not run\n"), "{stdout}");
    // --keep-going runs the last step as well.
    let out = hcectl(&["run", "--keep-going", &script]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).ends_with("3 exchanges, 2 matched, 1 failed\n"));
}

#[test]
fn script_errors_exit_2_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let script = write_script(&dir, "bad.apdu", "> 00a4040000\n< 90 0\n");
    let out = hcectl(&["run", &script]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("bad.apdu:2:6: odd number of hex digits"), "{stderr}");
    assert!(out.stdout.is_empty());

    let out = hcectl(&["run", &dir.path().join("missing.apdu").to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("missing.apdu: "));
}

#[test]
fn script_from_standard_input() {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hcectl"))
        .args(["run", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"> 80 04 00 00 00\n< 69 85\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).ends_with("1 exchanges, 1 matched, 0 failed\n"));
}
