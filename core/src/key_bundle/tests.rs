use ciborium::value::Value;
use coset::{iana, CborSerializable, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::Signature;
use proptest::prelude::*;

use super::test_support::*;
use super::*;

fn sample() -> KeyBundle {
    bundle(7, vec![issuer(3265320111641956183, 20180608, &[1, 2]), issuer(42, 7, &[1])])
}

/// An envelope with a chosen protected header, signed by the test root.
fn envelope_with(header: coset::Header, payload: Vec<u8>) -> Vec<u8> {
    let root = signing_key(ROOT);
    CoseSign1Builder::new()
        .protected(header)
        .payload(payload)
        .create_signature(b"", |tbs| {
            let sig: Signature = root.sign(tbs);
            sig.to_bytes().to_vec()
        })
        .build()
        .to_tagged_vec()
        .unwrap()
}

fn good_header() -> HeaderBuilder {
    HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .content_type(CONTENT_TYPE.to_owned())
        .key_id(root_key_id(&public(ROOT)).to_vec())
}

fn payload_err(v: Value) -> BundleError {
    let mut bytes = Vec::new();
    ciborium::ser::into_writer(&v, &mut bytes).unwrap();
    decode_payload(&bytes, &Limits::default()).unwrap_err()
}

fn payload_err_bytes(bytes: &[u8]) -> BundleError {
    decode_payload(bytes, &Limits::default()).unwrap_err()
}

fn t(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn key_map(pk: Vec<u8>) -> Value {
    Value::Map(vec![
        (t("ver"), Value::from(1u32)),
        (t("pk"), Value::Bytes(pk)),
        (t("nbf"), Value::from(0)),
        (t("exp"), Value::from(10)),
    ])
}

fn payload_with_key(k: Value) -> Value {
    let collector =
        Value::Map(vec![(t("id"), Value::from(5u32)), (t("keys"), Value::Array(vec![k]))]);
    let issuer = Value::Map(vec![
        (t("id"), Value::from(9u64)),
        (t("collectors"), Value::Array(vec![collector])),
    ]);
    Value::Map(vec![
        (t("v"), Value::from(1)),
        (t("seq"), Value::from(1)),
        (t("iat"), Value::from(0)),
        (t("exp"), Value::from(10)),
        (t("issuers"), Value::Array(vec![issuer])),
    ])
}

fn uncompressed(label: &str) -> Vec<u8> {
    public(label).to_sec1_point(false).as_bytes().to_vec()
}

fn field_problem(e: BundleError) -> (String, Problem) {
    match e {
        BundleError::Field { path, problem } => (path, problem),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn sign_then_verify_returns_the_same_bundle() {
    let b = sample();
    let bytes = signed(&b);
    assert_eq!(bytes[0], 0xd2, "tagged COSE_Sign1");
    let v = verify(&bytes, &roots(), &Limits::default()).unwrap();
    assert_eq!(v.bundle(), &b);
    assert_eq!(v.root_key_id(), root_key_id(&public(ROOT)));
    assert_eq!(v.digest().as_slice(), Sha256::digest(&bytes).as_slice());
    assert_eq!(v.bundle().key_count(), 3);
}

#[test]
fn untagged_envelope_is_accepted() {
    let bytes = signed(&sample());
    let untagged = CoseSign1::from_tagged_slice(&bytes).unwrap().to_vec().unwrap();
    assert_ne!(untagged[0], 0xd2);
    assert_eq!(verify(&untagged, &roots(), &Limits::default()).unwrap().bundle(), &sample());
}

#[test]
fn any_pinned_root_verifies_during_rotation() {
    let both = PinnedRoots::new([public("old-root"), public(ROOT)]);
    let by_new = signed(&sample());
    let by_old = sign(&sample(), &signing_key("old-root")).unwrap();
    assert!(verify(&by_new, &both, &Limits::default()).is_ok());
    assert!(verify(&by_old, &both, &Limits::default()).is_ok());
    assert_eq!(both.key_ids().count(), 2);
}

#[test]
fn unknown_root_is_named_by_its_key_id() {
    let bytes = sign(&sample(), &signing_key("someone-else")).unwrap();
    let kid = hex_string(&root_key_id(&public("someone-else")));
    assert_eq!(verify(&bytes, &roots(), &Limits::default()), Err(BundleError::UnknownRoot { kid }));
}

#[test]
fn tampered_payload_or_signature_fails_verification() {
    let bytes = signed(&sample());
    let kid = hex_string(&root_key_id(&public(ROOT)));
    // The last byte belongs to the signature; one in the middle to the payload.
    for i in [bytes.len() - 1, bytes.len() / 2] {
        let mut bad = bytes.clone();
        bad[i] ^= 0x01;
        let err = verify(&bad, &roots(), &Limits::default()).unwrap_err();
        assert_eq!(err, BundleError::BadSignature { kid: kid.clone() }, "flip at {i}");
    }
}

#[test]
fn a_bundle_signed_with_a_key_id_it_does_not_own_fails() {
    // kid of the pinned root, signature by another key: must not verify.
    let other = signing_key("impostor");
    let bytes = CoseSign1Builder::new()
        .protected(good_header().build())
        .payload(encode_payload(&sample()).unwrap())
        .create_signature(b"", |tbs| {
            let sig: Signature = other.sign(tbs);
            sig.to_bytes().to_vec()
        })
        .build()
        .to_tagged_vec()
        .unwrap();
    assert!(matches!(
        verify(&bytes, &roots(), &Limits::default()),
        Err(BundleError::BadSignature { .. })
    ));
}

#[test]
fn header_rules() {
    let payload = encode_payload(&sample()).unwrap();
    let limits = Limits::default();
    let es384 = good_header().algorithm(iana::Algorithm::ES384).build();
    assert_eq!(
        verify(&envelope_with(es384, payload.clone()), &roots(), &limits),
        Err(BundleError::Algorithm)
    );
    let other_type = good_header().content_type("application/cwt".to_owned()).build();
    assert_eq!(
        verify(&envelope_with(other_type, payload.clone()), &roots(), &limits),
        Err(BundleError::ContentType)
    );
    let crit = good_header().add_critical(iana::HeaderParameter::Iv).build();
    assert_eq!(
        verify(&envelope_with(crit, payload.clone()), &roots(), &limits),
        Err(BundleError::CriticalHeader)
    );
    let no_kid = good_header().key_id(Vec::new()).build();
    assert_eq!(
        verify(&envelope_with(no_kid, payload), &roots(), &limits),
        Err(BundleError::MissingKeyId)
    );
}

#[test]
fn detached_payload_is_refused() {
    let root = signing_key(ROOT);
    let bytes = CoseSign1Builder::new()
        .protected(good_header().build())
        .create_detached_signature(b"x", b"", |tbs| {
            let sig: Signature = root.sign(tbs);
            sig.to_bytes().to_vec()
        })
        .build()
        .to_tagged_vec()
        .unwrap();
    assert_eq!(verify(&bytes, &roots(), &Limits::default()), Err(BundleError::NoPayload));
}

#[test]
fn size_cap_applies_before_parsing() {
    let bytes = signed(&sample());
    let limits = Limits { max_bytes: bytes.len() - 1, ..Limits::default() };
    assert_eq!(
        verify(&bytes, &roots(), &limits),
        Err(BundleError::TooLarge { len: bytes.len(), limit: bytes.len() - 1 })
    );
}

#[test]
fn garbage_and_truncation_are_envelope_errors() {
    let bytes = signed(&sample());
    for cut in [0, 1, 10, bytes.len() / 2, bytes.len() - 1] {
        let err = verify(&bytes[..cut], &roots(), &Limits::default()).unwrap_err();
        assert!(matches!(err, BundleError::Envelope(_)), "cut at {cut}: {err:?}");
    }
    let mut extra = bytes.clone();
    extra.push(0);
    assert!(matches!(verify(&extra, &roots(), &Limits::default()), Err(BundleError::Envelope(_))));
    assert!(matches!(inspect(b"{\"json\":1}", &Limits::default()), Err(BundleError::Envelope(_))));
}

#[test]
fn inspect_decodes_without_roots() {
    let bytes = sign(&sample(), &signing_key("unpinned")).unwrap();
    let (b, info) = inspect(&bytes, &Limits::default()).unwrap();
    assert_eq!(b, sample());
    assert_eq!(info.root_key_id, root_key_id(&public("unpinned")).to_vec());
}

#[test]
fn payload_golden_bytes() {
    // {"v":1,"seq":7,"iat":1000,"exp":2000,"issuers":[]}, written out by hand from RFC 8949.
    let empty = KeyBundle {
        sequence: 7,
        issued_at: Timestamp::from_secs(1000),
        expires_at: Timestamp::from_secs(2000),
        issuers: vec![],
    };
    let expected = "a5 6176 01 63736571 07 63696174 1903e8 63657870 1907d0 67697373756572 73 80";
    let expected = hex::decode(expected.replace(' ', "")).unwrap();
    assert_eq!(encode_payload(&empty).unwrap(), expected);
    assert_eq!(decode_payload(&expected, &Limits::default()).unwrap(), empty);
}

#[test]
fn payload_field_errors_name_the_field() {
    let ok = payload_with_key(key_map(uncompressed("k")));
    let mut bytes = Vec::new();
    ciborium::ser::into_writer(&ok, &mut bytes).unwrap();
    assert!(decode_payload(&bytes, &Limits::default()).is_ok());

    let compressed = public("k").to_sec1_point(true).as_bytes().to_vec();
    let (p, e) = field_problem(payload_err(payload_with_key(key_map(compressed))));
    assert_eq!((p.as_str(), e), ("issuers[0].collectors[0].keys[0].pk", Problem::KeyEncoding));

    let mut off_curve = uncompressed("k");
    off_curve[64] ^= 1;
    let (p, e) = field_problem(payload_err(payload_with_key(key_map(off_curve))));
    assert_eq!((p.as_str(), e), ("issuers[0].collectors[0].keys[0].pk", Problem::KeyNotOnCurve));

    let Value::Map(mut m) = key_map(uncompressed("k")) else { unreachable!() };
    m.push((t("extra"), Value::Null));
    let (p, e) = field_problem(payload_err(payload_with_key(Value::Map(m.clone()))));
    assert_eq!((p.as_str(), e), ("issuers[0].collectors[0].keys[0].extra", Problem::Unknown));

    m.pop();
    m.push((t("nbf"), Value::from(1)));
    let (p, e) = field_problem(payload_err(payload_with_key(Value::Map(m.clone()))));
    assert_eq!((p.as_str(), e), ("issuers[0].collectors[0].keys[0].nbf", Problem::Repeated));

    m.pop();
    m.remove(0);
    let (p, e) = field_problem(payload_err(payload_with_key(Value::Map(m.clone()))));
    assert_eq!((p.as_str(), e), ("issuers[0].collectors[0].keys[0].ver", Problem::Missing));

    m.insert(0, (t("ver"), Value::from(1u64 << 32)));
    let (p, e) = field_problem(payload_err(payload_with_key(Value::Map(m.clone()))));
    assert_eq!((p.as_str(), e), ("issuers[0].collectors[0].keys[0].ver", Problem::Range));

    m[0] = (t("ver"), Value::from(1));
    m[3] = (t("exp"), Value::from(0));
    let (p, e) = field_problem(payload_err(payload_with_key(Value::Map(m.clone()))));
    assert_eq!((p.as_str(), e), ("issuers[0].collectors[0].keys[0].exp", Problem::Window));

    m[3] = (t("exp"), t("tomorrow"));
    let (p, e) = field_problem(payload_err(payload_with_key(Value::Map(m))));
    assert_eq!(
        (p.as_str(), e),
        ("issuers[0].collectors[0].keys[0].exp", Problem::Type("integer seconds"))
    );

    let (p, e) = field_problem(payload_err(Value::Array(vec![])));
    assert_eq!((p.as_str(), e), ("payload", Problem::Type("map")));
    let (p, e) = field_problem(payload_err(Value::Map(vec![(Value::from(1), Value::from(1))])));
    assert_eq!((p.as_str(), e), ("payload", Problem::Type("text keys")));
}

#[test]
fn payload_top_level_errors() {
    let top = |v: i64, iat: i64, exp: i64| {
        Value::Map(vec![
            (t("v"), Value::from(v)),
            (t("seq"), Value::from(1)),
            (t("iat"), Value::from(iat)),
            (t("exp"), Value::from(exp)),
            (t("issuers"), Value::Array(vec![])),
        ])
    };
    assert_eq!(payload_err(top(2, 0, 1)), BundleError::Version(2));
    assert_eq!(field_problem(payload_err(top(1, 5, 5))), ("exp".to_owned(), Problem::Window));
    assert_eq!(field_problem(payload_err(top(-1, 0, 1))), ("v".to_owned(), Problem::Range));
    assert_eq!(field_problem(payload_err(top(1, 0, 1 << 41))), ("exp".to_owned(), Problem::Range));
    let mut bytes = Vec::new();
    ciborium::ser::into_writer(&top(1, 0, 1), &mut bytes).unwrap();
    bytes.push(0xf6);
    assert!(matches!(decode_payload(&bytes, &Limits::default()), Err(BundleError::Cbor(_))));
    assert!(matches!(decode_payload(&bytes[..5], &Limits::default()), Err(BundleError::Cbor(_))));
    // Nesting is never followed: the layout is read front to back, no recursion.
    let deep = [vec![0x81u8; 10_000], vec![0x00]].concat();
    assert_eq!(
        field_problem(payload_err_bytes(&deep)),
        ("payload".to_owned(), Problem::Type("map"))
    );
    // Items outside the subset, with their offset.
    let tagged = [vec![0xa1, 0x61, b'v', 0xc1], vec![0x01]].concat();
    assert_eq!(
        payload_err_bytes(&tagged),
        BundleError::Cbor("tags are not supported at byte 3".into())
    );
    let huge = [0xa1, 0x67, b'i', b's', b's', b'u', b'e', b'r', b's', 0x9a, 0xff, 0, 0, 0];
    assert_eq!(payload_err_bytes(&huge), BundleError::Cbor("truncated at byte 9".into()));
}

#[test]
fn duplicates_are_refused() {
    let limits = Limits::default();
    let dup_issuer = bundle(1, vec![issuer(1, 10, &[1]), issuer(1, 11, &[1])]);
    let e = decode_payload(&encode_payload(&dup_issuer).unwrap(), &limits).unwrap_err();
    assert_eq!(field_problem(e), ("issuers[1].id".to_owned(), Problem::DuplicateIssuer));

    let dup_collector = bundle(1, vec![issuer(1, 10, &[1]), issuer(2, 10, &[2])]);
    let e = decode_payload(&encode_payload(&dup_collector).unwrap(), &limits).unwrap_err();
    assert_eq!(
        field_problem(e),
        ("issuers[1].collectors[0].id".to_owned(), Problem::DuplicateCollector)
    );

    let dup_version = bundle(1, vec![issuer(1, 10, &[3, 3])]);
    let e = decode_payload(&encode_payload(&dup_version).unwrap(), &limits).unwrap_err();
    assert_eq!(
        field_problem(e),
        ("issuers[0].collectors[0].keys[1].ver".to_owned(), Problem::DuplicateVersion)
    );
}

#[test]
fn count_limits_apply() {
    let b = bundle(1, vec![issuer(1, 10, &[1, 2, 3]), issuer(2, 11, &[1])]);
    let bytes = encode_payload(&b).unwrap();
    let few_issuers = Limits { max_issuers: 1, ..Limits::default() };
    assert_eq!(
        decode_payload(&bytes, &few_issuers),
        Err(BundleError::Limit { path: "issuers".into(), count: 2, limit: 1 })
    );
    let few_keys = Limits { max_keys_per_collector: 2, ..Limits::default() };
    assert_eq!(
        decode_payload(&bytes, &few_keys),
        Err(BundleError::Limit {
            path: "issuers[0].collectors[0].keys".into(),
            count: 3,
            limit: 2
        })
    );
    let few_collectors = Limits { max_collectors_per_issuer: 0, ..Limits::default() };
    assert!(matches!(decode_payload(&bytes, &few_collectors), Err(BundleError::Limit { .. })));
}

#[test]
fn errors_never_contain_key_material() {
    let mut off_curve = uncompressed("k");
    off_curve[64] ^= 1;
    let msg = payload_err(payload_with_key(key_map(off_curve.clone()))).to_string();
    assert!(!msg.contains(&hex::encode(&off_curve[1..9])), "{msg}");
}

prop_compose! {
    fn arb_bundle()(
        seq in any::<u64>(),
        iat in -(1i64 << 39)..(1i64 << 39),
        span in 1i64..1_000_000,
        shape in prop::collection::vec(prop::collection::vec(1u8..4, 0..3), 0..5),
    ) -> KeyBundle {
        let mut next_collector = 1u32;
        let issuers = shape.iter().enumerate().map(|(i, collectors)| IssuerEntry {
            issuer_id: i as u64 * 1_000_003,
            collectors: collectors.iter().map(|&n| {
                next_collector += 1;
                let mut entry = issuer(0, next_collector, &(1..=u32::from(n)).collect::<Vec<_>>())
                    .collectors.remove(0);
                entry.keys[0].not_before = Timestamp::from_secs(iat);
                entry.keys[0].not_after = Timestamp::from_secs(iat + span);
                entry
            }).collect(),
        }).collect();
        KeyBundle {
            sequence: seq,
            issued_at: Timestamp::from_secs(iat),
            expires_at: Timestamp::from_secs(iat + span),
            issuers,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn payload_round_trips(b in arb_bundle()) {
        let bytes = encode_payload(&b).unwrap();
        prop_assert_eq!(decode_payload(&bytes, &Limits::default()).unwrap(), b);
    }

    #[test]
    fn decoders_never_panic_on_garbage(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_payload(&bytes, &Limits::default());
        let _ = verify(&bytes, &roots(), &Limits::default());
    }

    #[test]
    fn no_single_byte_change_verifies(i in any::<prop::sample::Index>(), x in 1u8..=255) {
        let mut bytes = signed(&sample());
        let i = i.index(bytes.len());
        bytes[i] ^= x;
        prop_assert!(verify(&bytes, &roots(), &Limits::default()).is_err());
    }
}
