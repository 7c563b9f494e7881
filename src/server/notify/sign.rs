//! Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64 part of `whsec_...`.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A new signing secret: what the caller is shown once (`whsec_` + base64 of 32 random
/// bytes), and what is stored to sign with (the base64 part).
pub(crate) fn new_secret() -> Result<(String, String), getrandom::Error> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key)?;
    let stored = STANDARD.encode(key);
    Ok((format!("whsec_{stored}"), stored))
}

/// Whether `shown` is the secret [`new_secret`] showed for `stored`, compared in time that
/// depends only on the lengths.
pub(crate) fn is_secret_for(shown: &str, stored: &str) -> bool {
    use subtle::ConstantTimeEq;
    shown
        .strip_prefix("whsec_")
        .is_some_and(|key| key.as_bytes().ct_eq(stored.as_bytes()).into())
}

/// The `webhook-signature` header value for `body` sent as `id` at `timestamp` (seconds).
pub(crate) fn signature(
    stored_key: &str,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, String> {
    let key = STANDARD
        .decode(stored_key)
        .map_err(|e| format!("the stored signing key is not base64: {e}"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification, so its verifiers accept ours.
    #[test]
    fn signs_as_the_standard_webhooks_example() {
        let sig = signature(
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Ok("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn secrets_are_fresh_and_carry_their_key() {
        let (shown, stored) = new_secret().expect("random bytes");
        assert_eq!(shown, format!("whsec_{stored}"));
        assert_eq!(STANDARD.decode(&stored).map(|k| k.len()), Ok(32));
        assert_ne!(new_secret().expect("random bytes").1, stored);
        assert!(is_secret_for(&shown, &stored));
        assert!(!is_secret_for(&stored, &stored), "the prefix is part of it");
        assert!(!is_secret_for(&format!("{shown}x"), &stored));
        assert!(!is_secret_for(
            &new_secret().expect("random bytes").0,
            &stored
        ));
    }
}
