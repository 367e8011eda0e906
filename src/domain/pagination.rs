//! Opaque page tokens. A token remembers where the previous page ended and a fingerprint
//! of the query it belongs to, so it cannot be replayed against another query.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Sort value of the last item returned.
    #[serde(rename = "v")]
    pub value: String,
    /// Tie-breaker (sequence number or offset) of the last item returned.
    #[serde(rename = "n")]
    pub number: i64,
}

#[derive(Serialize, Deserialize)]
struct Token {
    #[serde(rename = "q")]
    query: String,
    #[serde(rename = "p")]
    position: Position,
}

/// A fingerprint of a request without its paging members.
pub fn fingerprint(request: &Value) -> String {
    let mut v = request.clone();
    if let Some(obj) = v.as_object_mut() {
        obj.remove("NextToken");
        obj.remove("MaxResults");
    }
    hex::encode(&Sha256::digest(v.to_string().as_bytes())[..8])
}

pub fn encode(fingerprint: &str, position: Position) -> String {
    let t = Token {
        query: fingerprint.to_string(),
        position,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&t).unwrap_or_default())
}

/// The position a token names, if it is one of ours and belongs to this query.
pub fn decode(fingerprint: &str, token: &str) -> Option<Position> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let t: Token = serde_json::from_slice(&bytes).ok()?;
    (t.query == fingerprint).then_some(t.position)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokens_round_trip_only_for_their_query() {
        let q = fingerprint(&json!({"Catalog": "AWS", "MaxResults": 5, "NextToken": "x"}));
        assert_eq!(q, fingerprint(&json!({"Catalog": "AWS"})));
        let pos = Position {
            value: "2024".into(),
            number: 7,
        };
        let token = encode(&q, pos.clone());
        assert_eq!(decode(&q, &token), Some(pos));
        assert_eq!(
            decode(&fingerprint(&json!({"Catalog": "Sandbox"})), &token),
            None
        );
        assert_eq!(decode(&q, "garbage"), None);
    }
}
