//! Where bulk-job files live. The emulator cannot read S3, so a file gets a local home: the
//! control plane stores uploads (`PUT /_admin/files/{key}`) that an `s3://bucket/{key}` URI
//! resolves to, whatever the bucket; an `https://` URI is fetched (a server on this machine
//! without checking its certificate, any other one checking it against the web's roots).
//! Before a job reads its file it copies it into a job copy of its own, at most
//! [`MAX_FILE_BYTES`], so that a replaced upload or a restart changes nothing it reads.
//!
//! Everything lives under one directory: `files/` in the data directory, or a temporary
//! directory (removed when the server stops) for `--in-memory`. Upload keys are stored
//! hex-encoded, so that no key can name a path outside it.
//!
//! Servers sharing a PostgreSQL database share this directory too when they run bulk jobs
//! (README, "PostgreSQL"): an upload to one is seen by the others, and a job's copy is there
//! for whichever runner holds the job. So a copy appears whole or not at all (written aside,
//! then renamed), and only copies older than [`COPY_MIN_AGE`] are swept.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Largest file a job reads: AWS's documented limit for bulk files, 100 MB.
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;
/// Largest upload the control plane stores (a bigger file could only fail its job).
pub const MAX_UPLOAD_BYTES: u64 = 1024 * 1024 * 1024;
/// Longest upload key (S3's).
pub const MAX_KEY_BYTES: usize = 1024;
/// How long fetching an `https://` file may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(300);
/// A job copy younger than this is never swept: another server sharing the directory may have
/// just made it for a job this one did not see yet.
pub const COPY_MIN_AGE: Duration = Duration::from_secs(600);

/// The file store of one server.
#[derive(Debug)]
pub struct Files {
    root: PathBuf,
    /// Removed with everything in it when dropped (`--in-memory`).
    temporary: bool,
}

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{0}")]
    BadKey(String),
    #[error("the file is larger than {MAX_UPLOAD_BYTES} bytes, the most the emulator stores")]
    TooLarge,
    #[error("the file could not be read: {0}")]
    Unreadable(io::Error),
    #[error("the file could not be stored: {0}")]
    Store(io::Error),
}

/// A job's copy of its file.
#[derive(Debug)]
pub struct Copied {
    /// The last segment of the URI's path (what `FileName` shows).
    pub file_name: String,
}

impl Files {
    /// Files under `root` (created on first use), kept.
    pub fn at(root: PathBuf) -> Self {
        Self {
            root,
            temporary: false,
        }
    }

    /// Files in a new temporary directory, removed when the server stops.
    pub fn temporary() -> Self {
        let name = format!(
            "partnercentral-local-{}-{}",
            std::process::id(),
            crate::domain::ids::random_suffix(8)
        );
        Self {
            root: std::env::temp_dir().join(name),
            temporary: true,
        }
    }

    fn dir(&self, name: &str) -> io::Result<PathBuf> {
        let dir = self.root.join(name);
        fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    fn upload_path(&self, key: &str) -> io::Result<PathBuf> {
        Ok(self.dir("uploads")?.join(hex::encode(key.as_bytes())))
    }

    /// Where job `id` keeps its copy.
    pub fn copy_path(&self, id: &str) -> PathBuf {
        self.root.join("jobs").join(format!("{id}.csv"))
    }

    /// Removes job `id`'s copy (it finished, or is gone).
    pub fn discard(&self, id: &str) {
        let _ = fs::remove_file(self.copy_path(id));
    }

    /// Removes every job copy older than [`COPY_MIN_AGE`]: called when no job is unfinished,
    /// so none is needed (a job removed by a reset while it ran leaves its copy behind).
    pub fn sweep_copies(&self) {
        if let Ok(entries) = fs::read_dir(self.root.join("jobs")) {
            for entry in entries.flatten() {
                let old = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_none_or(|age| age >= COPY_MIN_AGE);
                if old {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
    }

    /// Stores `body` under `key`, replacing what was there only once all of it arrived.
    pub fn upload(&self, key: &str, body: impl Read) -> Result<u64, UploadError> {
        check_key(key)?;
        let path = self.upload_path(key).map_err(UploadError::Store)?;
        let partial = path.with_extension("partial");
        let written = copy_capped(body, &partial, MAX_UPLOAD_BYTES);
        match written {
            Ok(Some(n)) => {
                fs::rename(&partial, &path).map_err(UploadError::Store)?;
                Ok(n)
            }
            Ok(None) => {
                let _ = fs::remove_file(&partial);
                Err(UploadError::TooLarge)
            }
            Err(CopyError::Read(e)) => {
                let _ = fs::remove_file(&partial);
                Err(UploadError::Unreadable(e))
            }
            Err(CopyError::Write(e)) => {
                let _ = fs::remove_file(&partial);
                Err(UploadError::Store(e))
            }
        }
    }

    /// The stored uploads: key and size, by key.
    pub fn uploads(&self) -> io::Result<Vec<(String, u64)>> {
        let mut out = Vec::new();
        let dir = self.root.join("uploads");
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().to_string();
            let Some(key) = hex::decode(&name)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
            else {
                continue; // a `.partial` being written
            };
            out.push((key, entry.metadata()?.len()));
        }
        out.sort();
        Ok(out)
    }

    /// Removes an upload; whether there was one.
    pub fn delete(&self, key: &str) -> Result<bool, UploadError> {
        check_key(key)?;
        match fs::remove_file(self.upload_path(key).map_err(UploadError::Store)?) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(UploadError::Store(e)),
        }
    }

    /// Copies the file `uri` names into job `id`'s copy, or says why it cannot (the job's
    /// `FailureReason`).
    pub fn copy_for_job(&self, id: &str, uri: &str) -> Result<Copied, String> {
        let target = self
            .copy_path(id)
            .with_extension(format!("{}.partial", crate::domain::ids::random_suffix(8)));
        self.dir("jobs")
            .map_err(|e| format!("The emulator cannot store the file: {e}."))?;
        let (file_name, copied) = if let Some(rest) = uri.strip_prefix("s3://") {
            let key = s3_key(rest)?;
            let path = self.upload_path(&key).map_err(|e| e.to_string())?;
            let file = File::open(&path).map_err(|_| {
                format!(
                    "No file was uploaded under the key '{key}' (s3:// URIs name files uploaded \
                     to the emulator with PUT /_admin/files/{{key}} or `partnercentral-local aws upload`)."
                )
            })?;
            (
                last_segment(&key),
                copy_capped(file, &target, MAX_FILE_BYTES),
            )
        } else if uri.starts_with("https://") {
            let body = fetch(uri)?;
            (
                last_segment(uri.split(['?', '#']).next().unwrap_or(uri)),
                copy_capped(body, &target, MAX_FILE_BYTES),
            )
        } else {
            return Err("The file URI must start with s3:// or https://.".to_string());
        };
        if !matches!(copied, Ok(Some(_))) {
            let _ = fs::remove_file(&target);
        }
        match copied {
            Ok(Some(_)) => match fs::rename(&target, self.copy_path(id)) {
                Ok(()) => Ok(Copied { file_name }),
                Err(e) => {
                    let _ = fs::remove_file(&target);
                    Err(format!("The emulator cannot store the file: {e}."))
                }
            },
            Ok(None) => {
                self.discard(id);
                Err(format!(
                    "The file is larger than {} MB, the most a bulk job reads. Nothing was imported.",
                    MAX_FILE_BYTES / (1024 * 1024)
                ))
            }
            Err(CopyError::Read(e)) => {
                self.discard(id);
                Err(format!(
                    "The file could not be read: {e}. Nothing was imported."
                ))
            }
            Err(CopyError::Write(e)) => {
                self.discard(id);
                Err(format!("The emulator cannot store the file: {e}."))
            }
        }
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        if self.temporary {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

fn check_key(key: &str) -> Result<(), UploadError> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(UploadError::BadKey(format!(
            "the key must be 1 to {MAX_KEY_BYTES} bytes long"
        )));
    }
    if key.chars().any(char::is_control) {
        return Err(UploadError::BadKey(
            "the key must not contain control characters".to_string(),
        ));
    }
    Ok(())
}

/// A key as it appears in a URI path: every byte but unreserved characters and `/`
/// percent-encoded (so `?`, `#`, `%` and spaces in a key survive the trip).
pub fn encode_key(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The key a URI path names: `%XX` escapes decoded; a path that is not valid escaped UTF-8
/// is taken as it is.
fn decode_key(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%')
            .then(|| path.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| path.to_string())
}

/// The key of `bucket/key[?versionId=…]` (AWS allows only the `versionId` query).
fn s3_key(rest: &str) -> Result<String, String> {
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if let Some(q) = query
        && q.split('&').any(|p| !p.starts_with("versionId="))
    {
        return Err("An s3:// file URI may carry only the versionId query parameter.".to_string());
    }
    match path.split_once('/') {
        Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok(decode_key(key)),
        _ => Err("An s3:// file URI must name a bucket and a key: s3://bucket/key.".to_string()),
    }
}

fn last_segment(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let name = if name.is_empty() { path } else { name };
    name.chars().take(255).collect()
}

/// Whether an `https://` URI names this machine.
fn is_loopback(uri: &str) -> bool {
    let authority = uri
        .trim_start_matches("https://")
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn fetch(uri: &str) -> Result<Box<dyn Read + Send>, String> {
    let tls = ureq::tls::TlsConfig::builder()
        .disable_verification(is_loopback(uri))
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(FETCH_TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    let resp = agent
        .get(uri)
        .call()
        .map_err(|e| format!("The file could not be fetched: {e}."))?;
    if !resp.status().is_success() {
        return Err(format!(
            "Fetching the file answered HTTP {}.",
            resp.status().as_u16()
        ));
    }
    Ok(Box::new(resp.into_body().into_reader()))
}

enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

/// Copies `from` into a new file `to`; `None` when it holds more than `max` bytes.
fn copy_capped(mut from: impl Read, to: &Path, max: u64) -> Result<Option<u64>, CopyError> {
    let mut out = io::BufWriter::new(File::create(to).map_err(CopyError::Write)?);
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        total += n as u64;
        if total > max {
            return Ok(None);
        }
        out.write_all(&buf[..n]).map_err(CopyError::Write)?;
    }
    out.flush().map_err(CopyError::Write)?;
    Ok(Some(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris_name_a_key() {
        assert_eq!(s3_key("bucket/a/b.csv").as_deref(), Ok("a/b.csv"));
        assert_eq!(s3_key("bucket/a.csv?versionId=3").as_deref(), Ok("a.csv"));
        assert!(s3_key("bucket/a.csv?x=1").is_err());
        assert!(s3_key("bucket").is_err());
        assert!(s3_key("/key").is_err());
        assert_eq!(s3_key("b/a%3Fb%20c.csv").as_deref(), Ok("a?b c.csv"));
        assert_eq!(s3_key("b/100%.csv").as_deref(), Ok("100%.csv"));
        assert_eq!(encode_key("x/a?b c%.csv"), "x/a%3Fb%20c%25.csv");
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("https://localhost:8443/x.csv"));
        assert!(is_loopback("https://127.0.0.1/x"));
        assert!(is_loopback("https://[::1]:9/x"));
        assert!(!is_loopback("https://example.com/x"));
        assert!(!is_loopback("https://localhost.example.com/x"));
    }

    #[test]
    fn uploads_round_trip_and_cap() {
        let files = Files::temporary();
        assert_eq!(files.upload("a/b.csv", &b"x,y\n"[..]).ok(), Some(4));
        assert_eq!(files.uploads().ok(), Some(vec![("a/b.csv".to_string(), 4)]));
        let copied = files
            .copy_for_job("job1", "s3://any/a/b.csv")
            .expect("copied");
        assert_eq!(copied.file_name, "b.csv");
        assert!(files.copy_for_job("job2", "s3://any/missing.csv").is_err());
        assert!(matches!(files.delete("a/b.csv"), Ok(true)));
        assert!(matches!(
            files.upload("", &b""[..]),
            Err(UploadError::BadKey(_))
        ));
        let root = files.root.clone();
        drop(files);
        assert!(!root.exists());
    }
}
