//! Who is calling, and may they: SigV4 verification (when a credentials file is given),
//! the account a request acts for, and the credentials file's allow lists.
//!
//! Without a credentials file every request is accepted, signed or not; the account is the
//! access key id when that is 12 digits, else [`DEFAULT_ACCOUNT`] (spec §3).

pub mod credentials;
pub mod sigv4;

use axum::http::HeaderMap;
use chrono::{DateTime, NaiveDateTime, Utc};

pub use credentials::{Allow, CredentialStore, Secret};

use crate::protocol::{ApiError, ErrorKind};

/// Account of requests that do not name one.
pub const DEFAULT_ACCOUNT: &str = "123456789012";
/// The service name a signature must be scoped to.
pub const SIGNING_SERVICE: &str = "partnercentral-selling";
/// Allowed distance between the signature time and the server clock.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// Why a request was not let in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    MissingToken,
    Incomplete(String),
    InvalidSignature(String),
    UnknownKey,
    Denied(String),
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::MissingToken => ApiError::new(
                ErrorKind::MissingAuthenticationToken,
                "Missing Authentication Token",
            ),
            AuthError::Incomplete(m) => ApiError::new(ErrorKind::IncompleteSignature, m),
            AuthError::InvalidSignature(m) => ApiError::new(ErrorKind::InvalidSignature, m),
            AuthError::UnknownKey => ApiError::new(
                ErrorKind::UnrecognizedClient,
                "The security token included in the request is invalid.",
            ),
            AuthError::Denied(m) => ApiError::new(ErrorKind::AccessDenied, m),
        }
    }
}

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: String,
    pub access_key_id: Option<String>,
    allow: Allow,
}

impl Caller {
    /// Checks the credentials file's allow lists for an action on a catalog.
    pub fn authorize(&self, action: &str, catalog: Option<&str>) -> Result<(), AuthError> {
        let key = self.access_key_id.as_deref().unwrap_or("anonymous");
        if !self.allow.permits_action(action) {
            return Err(AuthError::Denied(format!(
                "Access key {key} is not authorized to perform partnercentral:{action}."
            )));
        }
        if let Some(catalog) = catalog
            && !self.allow.permits_catalog(catalog)
        {
            return Err(AuthError::Denied(format!(
                "Access key {key} is not authorized to perform partnercentral:{action} on catalog {catalog}."
            )));
        }
        Ok(())
    }
}

/// The parts of a request the verifier reads.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Decides who a request comes from.
#[derive(Debug)]
pub enum Authenticator {
    /// Any request is accepted.
    Open,
    /// Signatures are verified against these credentials.
    Verify(CredentialStore),
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl Authenticator {
    pub fn authenticate(
        &self,
        req: &SignedRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<Caller, AuthError> {
        match self {
            Authenticator::Open => {
                let key = header(req.headers, "authorization").and_then(sigv4::access_key_of);
                let account = match key {
                    Some(k) if crate::domain::ids::is_account_id(k) => k.to_string(),
                    _ => DEFAULT_ACCOUNT.to_string(),
                };
                Ok(Caller {
                    account_id: account,
                    access_key_id: key.map(str::to_string),
                    allow: Allow::default(),
                })
            }
            Authenticator::Verify(store) => verify(store, req, now),
        }
    }
}

fn verify(
    store: &CredentialStore,
    req: &SignedRequest<'_>,
    now: DateTime<Utc>,
) -> Result<Caller, AuthError> {
    let value = header(req.headers, "authorization").ok_or(AuthError::MissingToken)?;
    let auth = sigv4::parse_authorization(value).map_err(AuthError::Incomplete)?;
    let amz_date = header(req.headers, "x-amz-date").ok_or_else(|| {
        AuthError::Incomplete("Authorization requires an 'X-Amz-Date' header.".to_string())
    })?;
    let signed_at = NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| {
            AuthError::Incomplete(format!(
                "X-Amz-Date '{amz_date}' is not in the ISO-8601 basic format YYYYMMDD'T'HHMMSS'Z'."
            ))
        })?
        .and_utc();
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(AuthError::Incomplete(
            "SignedHeaders must include 'host'.".to_string(),
        ));
    }
    if header(req.headers, "x-amz-security-token").is_some()
        && !auth
            .signed_headers
            .iter()
            .any(|h| h == "x-amz-security-token")
    {
        return Err(AuthError::Incomplete(
            "SignedHeaders must include 'x-amz-security-token' when the header is sent."
                .to_string(),
        ));
    }
    if auth.service != SIGNING_SERVICE {
        return Err(AuthError::InvalidSignature(format!(
            "Credential should be scoped to correct service: '{SIGNING_SERVICE}'; got '{}'.",
            auth.service
        )));
    }
    if auth.terminator != "aws4_request" {
        return Err(AuthError::InvalidSignature(
            "Credential should be scoped with a valid terminator: 'aws4_request'.".to_string(),
        ));
    }
    if !amz_date.starts_with(&auth.date) || auth.date.len() != 8 {
        return Err(AuthError::InvalidSignature(format!(
            "Date in Credential scope '{}' does not match the date of X-Amz-Date '{amz_date}'.",
            auth.date
        )));
    }
    let cred = store
        .get(&auth.access_key_id)
        .ok_or(AuthError::UnknownKey)?;
    let skew = (now - signed_at).num_seconds();
    if skew.abs() > MAX_SKEW_SECONDS {
        let fmt = "%Y%m%dT%H%M%SZ";
        return Err(AuthError::InvalidSignature(if skew > 0 {
            format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
                (now - chrono::Duration::seconds(MAX_SKEW_SECONDS)).format(fmt),
                now.format(fmt)
            )
        } else {
            format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
                (now + chrono::Duration::seconds(MAX_SKEW_SECONDS)).format(fmt),
                now.format(fmt)
            )
        }));
    }
    if let Some(expected) = &cred.session_token {
        let sent = header(req.headers, "x-amz-security-token").unwrap_or("");
        let same: bool =
            subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), expected.expose().as_bytes()).into();
        if !same {
            return Err(AuthError::UnknownKey);
        }
    }
    let canonical = sigv4::canonical_request(
        req.method,
        req.path,
        req.query,
        req.headers,
        &auth.signed_headers,
        &sigv4::sha256_hex(req.body),
    )
    .map_err(|name| {
        AuthError::Incomplete(format!(
            "SignedHeaders lists '{name}' but the request has no such header."
        ))
    })?;
    let sts = sigv4::string_to_sign(amz_date, &auth.scope(), &canonical);
    let key = store.keys.signing_key(
        cred.secret_access_key.expose(),
        &auth.date,
        &auth.region,
        &auth.service,
    );
    if !sigv4::signature_matches(&key, &sts, &auth.signature) {
        return Err(AuthError::InvalidSignature(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method."
                .to_string(),
        ));
    }
    Ok(Caller {
        account_id: cred.account_id.clone(),
        access_key_id: Some(cred.access_key_id.clone()),
        allow: cred.allow.clone(),
    })
}
