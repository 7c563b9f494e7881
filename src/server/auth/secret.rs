//! Secrets: making them, hashing them, comparing them. Tokens and keys are random
//! (256 bits), so SHA-256 of the whole value is a safe stored form; passwords are chosen by
//! people, so they get argon2id. Every comparison of secret material is constant-time.

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::server::error::{AppError, AppResult};

/// Random bytes from the operating system.
fn random_bytes<const N: usize>() -> AppResult<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)
        .map_err(|e| AppError::internal(format!("no randomness from the system: {e}")))?;
    Ok(buf)
}

/// SHA-256 of `value`, as lower-case hex: how tokens, keys and session ids are stored.
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Whether two strings are equal, in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// What a credential is for; its prefix says so (`clb_...` board, `cla_...` agent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Board,
    Agent,
}

impl TokenKind {
    fn tag(self) -> &'static str {
        match self {
            Self::Board => "clb",
            Self::Agent => "cla",
        }
    }
}

/// A new token: shown once as `value`, stored as `prefix` and `hash`.
pub struct IssuedToken {
    /// `clb_` or `cla_` and 12 hex digits: public, unique, how the token is found and shown.
    pub prefix: String,
    /// The whole token: the prefix, `_`, and 64 hex digits (256 random bits).
    pub value: String,
    /// SHA-256 of the whole token.
    pub hash: String,
}

pub fn issue_token(kind: TokenKind) -> AppResult<IssuedToken> {
    let prefix = format!("{}_{}", kind.tag(), hex::encode(random_bytes::<6>()?));
    let value = format!("{prefix}_{}", hex::encode(random_bytes::<32>()?));
    let hash = sha256_hex(&value);
    Ok(IssuedToken {
        prefix,
        value,
        hash,
    })
}

/// The kind and prefix of a presented token, if it has the shape of one of ours.
pub fn parse_token(value: &str) -> Option<(TokenKind, &str)> {
    let (prefix, secret) = value.rsplit_once('_')?;
    let kind = match prefix.split_once('_')? {
        ("clb", _) => TokenKind::Board,
        ("cla", _) => TokenKind::Agent,
        _ => return None,
    };
    let well_formed =
        prefix.len() == 16 && secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then_some((kind, prefix))
}

/// A new session id for a cookie (256 random bits, hex).
pub fn new_session_id() -> AppResult<String> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// An argon2id PHC string (default parameters: 19 MiB, 2 passes) with a random salt.
pub fn hash_password(password: &str) -> AppResult<String> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| AppError::internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("password hashing failed: {e}")))
}

/// An argon2id hash, with the default parameters, that no password is known to match.
const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$\
                     fB8s1Ah2WEcE1aVcb6lMkT1wI4sG2g3u6yqU0G9+Jk4";

/// Whether `password` matches the stored PHC string. With no stored hash (unknown user) it
/// still does the work, against a fixed hash, so timing does not tell who exists.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    let Ok(parsed) = PasswordHash::new(stored.unwrap_or(DECOY)) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_the_documented_shape() {
        let t = issue_token(TokenKind::Agent).expect("randomness");
        assert!(t.prefix.starts_with("cla_") && t.prefix.len() == 16);
        assert!(t.value.starts_with(&format!("{}_", t.prefix)));
        assert_eq!(t.value.len(), 16 + 1 + 64, "256 bits of secret");
        assert_eq!(t.hash, sha256_hex(&t.value));
        assert_eq!(
            parse_token(&t.value),
            Some((TokenKind::Agent, t.prefix.as_str()))
        );
        let b = issue_token(TokenKind::Board).expect("randomness");
        assert_eq!(
            parse_token(&b.value),
            Some((TokenKind::Board, b.prefix.as_str()))
        );
        assert_ne!(
            t.value,
            issue_token(TokenKind::Agent).expect("randomness").value
        );
    }

    #[test]
    fn malformed_tokens_are_not_parsed() {
        for bad in [
            "",
            "cla_",
            "nope_0123456789ab_00",
            "cla_0123456789ab_short",
            "cla_0123456789ab_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
            "xyz_0123456789ab_0000000000000000000000000000000000000000000000000000000000000000",
        ] {
            assert_eq!(parse_token(bad), None, "{bad}");
        }
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("correct horse"));
        assert!(verify_password("correct horse battery", Some(&hash)));
        assert!(!verify_password("correct horse batterY", Some(&hash)));
        assert!(
            !verify_password("anything", None),
            "unknown users never match"
        );
        assert!(
            PasswordHash::new(DECOY).is_ok(),
            "the decoy costs a real check"
        );
    }

    #[test]
    fn comparison_is_exact() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
