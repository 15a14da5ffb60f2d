//! `hcectl passes bundle|show` (issue #17): a bundle signed with a feed key verifies with
//! its public half and lists its changes; another key is refused; a payload the wallet
//! would refuse is never signed.

use std::path::Path;
use std::process::{Command, Output};

use p256::ecdsa::SigningKey;
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::json;

fn hcectl(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hcectl")).args(args).current_dir(dir).output().unwrap()
}

fn write_key(dir: &Path, name: &str, seed: u8) {
    let sk = SigningKey::from_slice(&[seed; 32]).unwrap();
    std::fs::write(
        dir.join(format!("{name}.key.pem")),
        sk.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes(),
    )
    .unwrap();
    let pk = p256::PublicKey::from(sk.verifying_key()).to_public_key_pem(LineEnding::LF).unwrap();
    std::fs::write(dir.join(format!("{name}.pub.pem")), pk).unwrap();
}

#[test]
fn bundle_then_show() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_key(d, "feed", 1);
    write_key(d, "other", 2);
    let payload = json!({ "v": 1, "issuer": "3388000000022334455", "seq": 4, "changes": [
        { "expire": { "id": "3388000000022334455.a" } },
        { "addMessage": { "id": "3388000000022334455.c", "message": { "header": "Hi" } } } ] });
    std::fs::write(d.join("u.json"), payload.to_string()).unwrap();
    let out = hcectl(
        &["passes", "bundle", "--feed-key", "feed.key.pem", "--in", "u.json", "--out", "u.cose"],
        d,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let show = ["passes", "show", "u.cose", "--issuer", "3388000000022334455", "--feed-key-pub"];
    let out = hcectl(&[&show[..], &["feed.pub.pem"]].concat(), d);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("sequence 4") && text.contains("2 changes"), "{text}");
    assert!(text.contains("expire 3388000000022334455.a"), "{text}");
    assert!(text.contains("addMessage 3388000000022334455.c"), "{text}");

    let out = hcectl(&[&show[..], &["other.pub.pem"]].concat(), d);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not pinned"));
}

#[test]
fn a_payload_the_wallet_would_refuse_is_not_signed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_key(d, "feed", 1);
    let foreign = json!({ "v": 1, "issuer": "3388000000022334455", "seq": 1,
        "changes": [{ "remove": { "id": "3388000000099999999.theirs" } }] });
    std::fs::write(d.join("u.json"), foreign.to_string()).unwrap();
    let out = hcectl(
        &["passes", "bundle", "--feed-key", "feed.key.pem", "--in", "u.json", "--out", "u.cose"],
        d,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("changes[0].remove.id"));
    assert!(!d.join("u.cose").exists());
}
