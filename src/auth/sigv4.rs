//! AWS Signature Version 4, verified by hand.
//!
//! No crate verifies SigV4 on the server side: `aws-sigv4` signs requests with its own
//! choice of headers, while a verifier must rebuild the canonical request from the headers
//! each client chose to sign (botocore and the Rust SDK sign different sets). The recipe is
//! the public SigV4 specification; the tests check it against requests signed by
//! `aws-sigv4` itself.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use axum::http::HeaderMap;

type HmacSha256 = Hmac<Sha256>;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationHeader {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub terminator: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl AuthorizationHeader {
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.date, self.region, self.service, self.terminator
        )
    }
}

/// Parses the header; the error names what is missing.
pub fn parse_authorization(value: &str) -> Result<AuthorizationHeader, String> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .filter(|r| r.starts_with(' '))
        .ok_or_else(|| format!("Authorization header must use the {ALGORITHM} algorithm."))?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let missing = |name: &str| format!("Authorization header requires '{name}' parameter.");
    let credential = credential.ok_or_else(|| missing("Credential"))?;
    let signed = signed.ok_or_else(|| missing("SignedHeaders"))?;
    let signature = signature.ok_or_else(|| missing("Signature"))?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [key, date, region, service, terminator] = parts.as_slice() else {
        return Err(
            "Credential must have the form <AccessKeyId>/<YYYYMMDD>/<region>/<service>/aws4_request."
                .to_string(),
        );
    };
    if key.is_empty() || signed.is_empty() || signature.is_empty() {
        return Err(
            "Authorization header has an empty Credential, SignedHeaders or Signature.".into(),
        );
    }
    Ok(AuthorizationHeader {
        access_key_id: key.to_string(),
        date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        terminator: terminator.to_string(),
        signed_headers: signed.split(';').map(|h| h.to_ascii_lowercase()).collect(),
        signature: signature.to_string(),
    })
}

/// The access key id named by an Authorization header, read leniently (no verification).
pub fn access_key_of(value: &str) -> Option<&str> {
    let start = value.find("Credential=")? + "Credential=".len();
    value[start..].split('/').next().filter(|k| !k.is_empty())
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(&str, &str)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    pairs.sort_unstable();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn canonical_header_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    if values.is_empty() {
        None
    } else {
        Some(values.join(","))
    }
}

/// Builds the canonical request over the headers the client signed.
/// Returns `Err(name)` if a signed header is absent from the request.
pub fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    signed_headers: &[String],
    payload_sha256_hex: &str,
) -> Result<String, String> {
    let mut out = String::with_capacity(512);
    out.push_str(method);
    out.push('\n');
    out.push_str(if path.is_empty() { "/" } else { path });
    out.push('\n');
    out.push_str(&canonical_query(query));
    out.push('\n');
    for name in signed_headers {
        let value = canonical_header_value(headers, name).ok_or_else(|| name.clone())?;
        out.push_str(name);
        out.push(':');
        out.push_str(&value);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_sha256_hex);
    Ok(out)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The SigV4 signing key for a secret and scope.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// Derived signing keys, remembered per (secret, date, region, service): a client signs
/// every request of a day with the same key, and deriving it costs four HMACs.
///
/// Written by hand because it is a dozen lines: a handful of entries (one per credential and
/// region in use on a day), searched linearly under a mutex held for a few comparisons; when
/// full, the oldest entry goes. The secret is kept only as its SHA-256 digest.
#[derive(Debug, Default)]
pub struct KeyCache {
    entries: std::sync::Mutex<std::collections::VecDeque<CachedKey>>,
}

/// (SHA-256 of the secret, "date/region/service", signing key).
type CachedKey = ([u8; 32], String, [u8; 32]);

impl KeyCache {
    /// Entries kept; more distinct (secret, date, region) combinations in use evict the oldest.
    pub const CAPACITY: usize = 32;

    /// The signing key for a secret and scope, derived once and then remembered.
    pub fn signing_key(&self, secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
        let secret_digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let scope = format!("{date}/{region}/{service}");
        // A poisoned lock only means another request panicked mid-lookup; the entries are
        // whole values, so they stay usable.
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, key)) = entries
            .iter()
            .find(|(s, sc, _)| bool::from(s.ct_eq(&secret_digest)) && *sc == scope)
        {
            return *key;
        }
        drop(entries);
        let key = signing_key(secret, date, region, service);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= Self::CAPACITY {
            entries.pop_front();
        }
        entries.push_back((secret_digest, scope, key));
        key
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The string to sign for a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    )
}

/// Whether `provided` (hex) is the signature of `string_to_sign`, compared in constant time.
pub fn signature_matches(key: &[u8; 32], string_to_sign: &str, provided: &str) -> bool {
    let expected = hmac(key, string_to_sign.as_bytes());
    match hex::decode(provided) {
        Ok(bytes) => bytes.len() == expected.len() && bool::from(bytes.ct_eq(&expected)),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_keys_equal_derived_keys_and_the_cache_stays_bounded() {
        let cache = KeyCache::default();
        let derived = signing_key("s3cr3t", "20261127", "us-east-1", "partnercentral-selling");
        for _ in 0..3 {
            let cached =
                cache.signing_key("s3cr3t", "20261127", "us-east-1", "partnercentral-selling");
            assert_eq!(cached, derived);
        }
        assert_eq!(cache.len(), 1);
        // Another secret, date or region is another key, never the cached one.
        let other = cache.signing_key("other", "20261127", "us-east-1", "partnercentral-selling");
        assert_ne!(other, derived);
        let next_day =
            cache.signing_key("s3cr3t", "20261128", "us-east-1", "partnercentral-selling");
        assert_ne!(next_day, derived);
        for i in 0..100 {
            cache.signing_key(
                &format!("k{i}"),
                "20261127",
                "eu-west-1",
                "partnercentral-selling",
            );
        }
        assert_eq!(cache.len(), KeyCache::CAPACITY);
        assert_eq!(
            cache.signing_key("s3cr3t", "20261127", "us-east-1", "partnercentral-selling"),
            derived
        );
    }

    #[test]
    fn parses_botocore_and_rust_sdk_headers() {
        let h = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/partnercentral-selling/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=e748",
        )
        .unwrap();
        assert_eq!(h.access_key_id, "AKIDEXAMPLE");
        assert_eq!(
            h.scope(),
            "20261126/us-east-1/partnercentral-selling/aws4_request"
        );
        assert_eq!(
            h.signed_headers,
            ["content-type", "host", "x-amz-date", "x-amz-target"]
        );
        assert!(parse_authorization("AWS4-HMAC-SHA256 Credential=A/B/C/D/E, Signature=x").is_err());
        assert!(parse_authorization("Basic Zm9vOmJhcg==").is_err());
    }

    #[test]
    fn matches_the_published_canonical_request_of_a_captured_boto3_call() {
        // wire.md §1.4 records this canonical request from a real boto3 call.
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            "application/x-amz-json-1.0".parse().unwrap(),
        );
        headers.insert("host", "127.0.0.1:39859".parse().unwrap());
        headers.insert("x-amz-date", "20261126T093144Z".parse().unwrap());
        headers.insert(
            "x-amz-target",
            "AWSPartnerCentralSelling.GetAwsOpportunitySummary"
                .parse()
                .unwrap(),
        );
        let signed: Vec<String> = ["content-type", "host", "x-amz-date", "x-amz-target"]
            .map(String::from)
            .to_vec();
        let c = canonical_request("POST", "/", "", &headers, &signed, "abc").unwrap();
        assert_eq!(
            c,
            "POST\n/\n\ncontent-type:application/x-amz-json-1.0\nhost:127.0.0.1:39859\nx-amz-date:20261126T093144Z\nx-amz-target:AWSPartnerCentralSelling.GetAwsOpportunitySummary\n\ncontent-type;host;x-amz-date;x-amz-target\nabc"
        );
    }
}
