//! The credentials file (spec §4): access keys, their secrets, accounts and allow lists.
//! Secrets live in [`Secret`], which never prints its value.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;

/// A secret string: `Debug` and `Display` never show it.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret's bytes, for signing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// What a key may do; absent lists allow everything.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Allow {
    #[serde(default)]
    pub actions: Option<Vec<String>>,
    #[serde(default)]
    pub catalogs: Option<Vec<String>>,
}

impl Allow {
    fn permits(list: &Option<Vec<String>>, value: &str) -> bool {
        match list {
            None => true,
            Some(items) => items.iter().any(|i| i == "*" || i == value),
        }
    }

    pub fn permits_action(&self, action: &str) -> bool {
        Self::permits(&self.actions, action)
    }

    pub fn permits_catalog(&self, catalog: &str) -> bool {
        Self::permits(&self.catalogs, catalog)
    }
}

/// One entry of the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub account_id: String,
    #[serde(default)]
    pub session_token: Option<Secret>,
    #[serde(default)]
    pub allow: Allow,
}

#[derive(Deserialize)]
struct File {
    credentials: Vec<Credential>,
}

/// The loaded file, by access key id.
#[derive(Debug, Default)]
pub struct CredentialStore {
    by_key: HashMap<String, Credential>,
    /// Signing keys derived for these credentials.
    pub keys: super::sigv4::KeyCache,
}

impl CredentialStore {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read credentials file {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("credentials file {}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut by_key = HashMap::new();
        for c in file.credentials {
            if !crate::domain::ids::is_account_id(&c.account_id) {
                return Err(format!(
                    "accountId of access key {} must be 12 digits",
                    c.access_key_id
                ));
            }
            if by_key.insert(c.access_key_id.clone(), c).is_some() {
                return Err("an access key id appears twice".to_string());
            }
        }
        Ok(Self {
            by_key,
            keys: Default::default(),
        })
    }

    pub fn get(&self, access_key_id: &str) -> Option<&Credential> {
        self.by_key.get(access_key_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let store = CredentialStore::parse(
            r#"{"credentials":[{"accessKeyId":"AK","secretAccessKey":"TOPSECRET","accountId":"111111111111"}]}"#,
        )
        .unwrap();
        let text = format!("{store:?}");
        assert!(!text.contains("TOPSECRET"), "{text}");
    }

    #[test]
    fn account_must_be_twelve_digits() {
        let err = CredentialStore::parse(
            r#"{"credentials":[{"accessKeyId":"AK","secretAccessKey":"S","accountId":"12"}]}"#,
        )
        .unwrap_err();
        assert!(err.contains("12 digits"));
    }
}
