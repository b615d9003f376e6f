//! Signed links: the token in a booking e-mail's link that lets whoever
//! holds it manage that one booking until it expires, without a login.
//!
//! A token is `SITE.CODE.EXPIRES.MAC`: the site, the booking code, the
//! expiry (Unix milliseconds) and the first 128 bits of HMAC-SHA256 of the
//! three under a key every instance shares (`server_secrets`), in
//! hexadecimal. It carries no personal data; a token changed in any
//! character, or past its time, is refused.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The key that signs and checks the links.
#[derive(Clone)]
pub struct LinkKey(Vec<u8>);

/// What a valid token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTarget {
    pub site: String,
    pub code: String,
    pub expires_ms: i64,
}

impl LinkKey {
    pub fn new(key: Vec<u8>) -> LinkKey {
        LinkKey(key)
    }

    fn mac(&self, payload: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(b"varco booking link\0");
        mac.update(payload.as_bytes());
        mac.finalize().into_bytes()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The token for booking `code` of `site`, valid until `expires_ms`.
    pub fn sign(&self, site: &str, code: &str, expires_ms: i64) -> String {
        let payload = format!("{site}.{code}.{expires_ms}");
        let mac = self.mac(&payload);
        format!("{payload}.{mac}")
    }

    /// What `token` names, if this key signed it and it has not expired at
    /// `now_ms`.
    pub fn check(&self, token: &str, now_ms: i64) -> Option<LinkTarget> {
        if token.len() > 200 {
            return None;
        }
        let (payload, mac) = token.rsplit_once('.')?;
        let expected = self.mac(payload);
        // Constant time: the comparison does not tell how much matched.
        if mac.len() != expected.len()
            || mac
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                != 0
        {
            return None;
        }
        let mut parts = payload.split('.');
        let (site, code, expires) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let expires_ms: i64 = expires.parse().ok()?;
        (now_ms < expires_ms).then(|| LinkTarget {
            site: site.to_owned(),
            code: code.to_owned(),
            expires_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_its_booking_until_it_expires() {
        let key = LinkKey::new(vec![7; 32]);
        let token = key.sign("milomb", "K7QX-4M2P", 2_000);
        let target = key.check(&token, 1_999).unwrap();
        assert_eq!(target.site, "milomb");
        assert_eq!(target.code, "K7QX-4M2P");
        assert_eq!(key.check(&token, 2_000), None, "expired");
    }

    #[test]
    fn a_changed_or_foreign_token_is_refused() {
        let key = LinkKey::new(vec![7; 32]);
        let token = key.sign("milomb", "K7QX-4M2P", 2_000);
        // Another booking's code, a later expiry, another key.
        assert_eq!(key.check(&token.replace("K7QX", "K7QY"), 0), None);
        assert_eq!(key.check(&token.replace(".2000.", ".9000."), 0), None);
        assert_eq!(LinkKey::new(vec![8; 32]).check(&token, 0), None);
        for junk in ["", ".", "a.b.c.d.e", "milomb.X.1", &"x".repeat(500)] {
            assert_eq!(key.check(junk, 0), None, "{junk:?}");
        }
    }
}
