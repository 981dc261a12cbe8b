//! Signed links: personal survey links, unsubscribe links and follow-up tokens.
//!
//! A token is `base64url(payload ‖ mac)` where the payload names what it grants (purpose,
//! survey, respondent, a nonce, the channel) and the mac is the first 16 bytes of
//! HMAC-SHA256(server secret, payload). Nothing is stored to issue one; the nonce makes an
//! answer through a personal link unique (the store refuses a second answer with it).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cxmap_domain::survey::{AnswerId, Channel, RespondentId, SurveyId};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const VERSION: u8 = 1;
const MAC_LEN: usize = 16;
const PAYLOAD_LEN: usize = 1 + 1 + 16 + 16 + 16 + 1;

/// The server's signing key. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// A key from configuration (at least 16 bytes).
    pub fn from_config(value: &str) -> Result<Self, String> {
        if value.len() < 16 {
            return Err("the survey secret must be at least 16 characters".into());
        }
        Ok(Self(value.as_bytes().to_vec()))
    }

    /// A random key: links then stop working when the process restarts.
    pub fn random() -> Self {
        let mut bytes = vec![0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        Self(bytes)
    }

    fn mac(&self, payload: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.0, payload)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// HMAC-SHA256 (RFC 2104) over the workspace's sha2 crate.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// What a token grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// Answer `survey` once as `respondent` (nonce = the send id or a fresh id), recording
    /// `channel`.
    Answer {
        /// The survey.
        survey: SurveyId,
        /// Who answers.
        respondent: RespondentId,
        /// One answer per nonce.
        nonce: Uuid,
        /// The channel the link was sent by.
        channel: Channel,
    },
    /// Unsubscribe `respondent` from surveys.
    Unsubscribe {
        /// Who.
        respondent: RespondentId,
    },
    /// Add the follow-up text to `answer` of `survey`.
    FollowUp {
        /// The survey.
        survey: SurveyId,
        /// The answer.
        answer: AnswerId,
    },
}

impl Grant {
    fn encode(&self) -> [u8; PAYLOAD_LEN] {
        let (purpose, a, b, c, channel) = match *self {
            Grant::Answer {
                survey,
                respondent,
                nonce,
                channel,
            } => (1u8, survey.as_uuid(), respondent.as_uuid(), nonce, channel),
            Grant::Unsubscribe { respondent } => (
                2,
                Uuid::nil(),
                respondent.as_uuid(),
                Uuid::nil(),
                Channel::Email,
            ),
            Grant::FollowUp { survey, answer } => (
                3,
                survey.as_uuid(),
                Uuid::nil(),
                answer.as_uuid(),
                Channel::Web,
            ),
        };
        let mut out = [0u8; PAYLOAD_LEN];
        out[0] = VERSION;
        out[1] = purpose;
        out[2..18].copy_from_slice(a.as_bytes());
        out[18..34].copy_from_slice(b.as_bytes());
        out[34..50].copy_from_slice(c.as_bytes());
        out[50] = Channel::ALL.iter().position(|x| *x == channel).unwrap_or(0) as u8;
        out
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != PAYLOAD_LEN || bytes.first() != Some(&VERSION) {
            return None;
        }
        let uuid = |r: std::ops::Range<usize>| bytes.get(r).and_then(|b| Uuid::from_slice(b).ok());
        let (a, b, c) = (uuid(2..18)?, uuid(18..34)?, uuid(34..50)?);
        let channel = *Channel::ALL.get(usize::from(*bytes.get(50)?))?;
        match bytes.get(1)? {
            1 => Some(Grant::Answer {
                survey: SurveyId::from_uuid(a),
                respondent: RespondentId::from_uuid(b),
                nonce: c,
                channel,
            }),
            2 => Some(Grant::Unsubscribe {
                respondent: RespondentId::from_uuid(b),
            }),
            3 => Some(Grant::FollowUp {
                survey: SurveyId::from_uuid(a),
                answer: AnswerId::from_uuid(c),
            }),
            _ => None,
        }
    }

    /// The signed token for this grant.
    pub fn sign(&self, secret: &Secret) -> String {
        let payload = self.encode();
        let mac = secret.mac(&payload);
        let mut bytes = payload.to_vec();
        bytes.extend_from_slice(&mac[..MAC_LEN]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The grant of a token whose signature is valid; `None` for anything else.
    pub fn verify(token: &str, secret: &Secret) -> Option<Self> {
        if token.len() > 200 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        if bytes.len() != PAYLOAD_LEN + MAC_LEN {
            return None;
        }
        let (payload, mac) = bytes.split_at(PAYLOAD_LEN);
        let expected = secret.mac(payload);
        // Constant time: the comparison does not stop at the first differing byte.
        let diff = expected[..MAC_LEN]
            .iter()
            .zip(mac)
            .fold(0u8, |acc, (x, y)| acc | (x ^ y));
        if diff != 0 {
            return None;
        }
        Self::decode(payload)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Case 6: a key longer than the block is hashed first.
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex(&mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn tokens_round_trip_and_refuse_tampering() {
        let secret = Secret::from_config("0123456789abcdef-test").unwrap();
        let grant = Grant::Answer {
            survey: SurveyId::new(),
            respondent: RespondentId::new(),
            nonce: Uuid::now_v7(),
            channel: Channel::Sms,
        };
        let token = grant.sign(&secret);
        assert_eq!(Grant::verify(&token, &secret), Some(grant));
        let other = Secret::from_config("another-secret-of-16").unwrap();
        assert_eq!(Grant::verify(&token, &other), None);
        let mut chars: Vec<char> = token.chars().collect();
        chars[10] = if chars[10] == 'A' { 'B' } else { 'A' };
        assert_eq!(
            Grant::verify(&chars.into_iter().collect::<String>(), &secret),
            None
        );
        assert_eq!(Grant::verify("garbage", &secret), None);
        let unsub = Grant::Unsubscribe {
            respondent: RespondentId::new(),
        };
        assert_eq!(Grant::verify(&unsub.sign(&secret), &secret), Some(unsub));
        assert!(format!("{secret:?}").contains("***"));
    }
}
