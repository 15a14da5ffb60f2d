//! The claims of a Google Wallet "save to wallet" JWT (RFC 7519 compact form:
//! `base64url(header).base64url(claims).base64url(signature)`).
//!
//! This module only decodes; the signature and claims are checked by
//! [`super::save_link`] (RS256 against the issuer's pinned JWKS) before a wallet stores
//! anything. Decoding alone serves tests and tools ([`super::import_jwt`]). The base64url decoder (RFC 4648 §5, padding
//! optional) is written here because the workspace has no base64 crate and the decoder
//! is twenty lines with exhaustive tests.
// Reads untrusted input (issuer JSON, terminal PUSH DATA): no panics, no unchecked maths.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use zeroize::Zeroizing;

use super::google_wallet::ImportError;
use super::json_reader::MAX_INPUT_BYTES;

/// Decodes the claims segment of a compact JWT. The bytes may hold redemption values, so
/// they come back in a zeroizing buffer.
pub(crate) fn claims(token: &str) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let token = token.trim();
    if token.len() > MAX_INPUT_BYTES * 4 / 3 + 4096 {
        return Err(ImportError::TooLarge {
            len: token.len(),
            max: MAX_INPUT_BYTES * 4 / 3 + 4096,
        });
    }
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ImportError::Jwt("not three dot-separated segments"));
    };
    if header.is_empty() || claims.is_empty() {
        return Err(ImportError::Jwt("empty header or claims segment"));
    }
    base64url_decode(header).ok_or(ImportError::Jwt("header is not base64url"))?;
    base64url_decode(signature).ok_or(ImportError::Jwt("signature is not base64url"))?;
    base64url_decode(claims).map(Zeroizing::new).ok_or(ImportError::Jwt("claims are not base64url"))
}

fn sextet(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c.wrapping_sub(b'A'),
        b'a'..=b'z' => c.wrapping_sub(b'a' - 26),
        b'0'..=b'9' => c.wrapping_add(52 - b'0'),
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    }))
}

/// RFC 4648 §5 base64url; trailing `=` padding tolerated; non-canonical trailing bits
/// rejected.
pub(crate) fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=').as_bytes();
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len());
    for chunk in s.chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = (acc << 6) | sextet(c)?;
        }
        match chunk.len() {
            4 => out.extend_from_slice(&acc.to_be_bytes()[1..]),
            3 => {
                if acc & 0b11 != 0 {
                    return None;
                }
                out.extend_from_slice(&(acc >> 2).to_be_bytes()[2..]);
            }
            2 => {
                if acc & 0b1111 != 0 {
                    return None;
                }
                out.push((acc >> 4) as u8);
            }
            _ => {}
        }
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4648_vectors() {
        for (enc, dec) in [
            ("", ""),
            ("Zg", "f"),
            ("Zm8", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg", "foob"),
            ("Zm9vYmE", "fooba"),
            ("Zm9vYmFy", "foobar"),
            ("Zm9vYg==", "foob"),
        ] {
            assert_eq!(base64url_decode(enc).unwrap(), dec.as_bytes(), "{enc}");
        }
        assert_eq!(base64url_decode("-_8").unwrap(), [0xfb, 0xff]);
    }

    #[test]
    fn rejects_bad_base64url() {
        for bad in ["Z", "Zm9v+", "Zm9v/", "Zh", "Zm9", "Zm 9v", "Zm9vY"] {
            assert!(base64url_decode(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn claims_needs_three_segments() {
        assert!(claims("a.b").is_err());
        assert!(claims("a.b.c.d").is_err());
        assert!(claims(".e30.").is_err());
        assert_eq!(&claims("eyJhbGciOiJub25lIn0.e30.").unwrap()[..], b"{}");
    }
}
