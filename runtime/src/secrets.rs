//! Secrets by reference: `env:NAME` and `file:PATH`, resolved when used, never stored or printed.
//!
//! Values are held as [`SecretString`] (redacted `Debug`, zeroed on drop) from the moment they are
//! read. Files are re-read when their modification time or size changes, so rotating a mounted
//! secret (Kubernetes, Vault agent) takes effect without a restart. Messages name the reference
//! ("environment variable PETSTORE_KEY"), never the value.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

pub use secrecy::{ExposeSecret, SecretString};

use super::definition::SecretRef;

/// Reads environment variables (injected so tests need not touch the process environment).
pub type EnvReader = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Resolves [`SecretRef`]s; shared by every tool call.
pub struct Secrets {
    env: EnvReader,
    files: Mutex<HashMap<PathBuf, CachedFile>>,
}

struct CachedFile {
    modified: Option<SystemTime>,
    len: u64,
    value: SecretString,
}

impl SecretRef {
    /// Where the value comes from, for messages: never the value itself.
    pub fn describe(&self) -> String {
        match self {
            Self::Env(name) => format!("environment variable {name}"),
            Self::File(path) => format!("file {path}"),
            Self::Value(_) => "a value in the manifest".to_owned(),
        }
    }
}

impl Secrets {
    /// Secrets read from `env` and the file system.
    pub fn new(env: EnvReader) -> Self {
        Self { env, files: Mutex::new(HashMap::new()) }
    }

    /// Secrets from the process environment.
    pub fn from_process() -> Self {
        Self::new(Arc::new(|name| std::env::var(name).ok()))
    }

    /// Reads an environment variable that is not a secret (base URL overrides).
    pub fn env_var(&self, name: &str) -> Option<String> {
        (self.env)(name)
    }

    /// The current value of `reference`. An unset or empty variable, or a missing, unreadable or
    /// empty file, is an error naming the reference. One trailing line break of a file is dropped.
    pub fn resolve(&self, reference: &SecretRef) -> Result<SecretString, String> {
        match reference {
            SecretRef::Value(value) => Ok(SecretString::from(value.clone())),
            SecretRef::Env(name) => match (self.env)(name) {
                Some(value) if !value.is_empty() => Ok(SecretString::from(value)),
                Some(_) => Err(format!("environment variable {name} is empty")),
                None => Err(format!("environment variable {name} is not set")),
            },
            SecretRef::File(path) => self.read_file(PathBuf::from(path)),
        }
    }

    fn read_file(&self, path: PathBuf) -> Result<SecretString, String> {
        let shown = path.display().to_string();
        let metadata = std::fs::metadata(&path).map_err(|err| format!("file {shown} cannot be read ({err})"))?;
        let modified = metadata.modified().ok();
        let len = metadata.len();
        let mut files = self.files.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(cached) = files.get(&path)
            && cached.modified == modified
            && cached.len == len
            && modified.is_some()
        {
            return Ok(cached.value.clone());
        }
        let mut text = std::fs::read_to_string(&path).map_err(|err| format!("file {shown} cannot be read ({err})"))?;
        if text.ends_with('\n') {
            text.pop();
            if text.ends_with('\r') {
                text.pop();
            }
        }
        if text.is_empty() {
            return Err(format!("file {shown} is empty"));
        }
        let value = SecretString::from(text);
        files.insert(path, CachedFile { modified, len, value: value.clone() });
        Ok(value)
    }
}

/// Replaces every occurrence of each secret in `text` with `[redacted]` (for upstream error
/// bodies that echo what they were sent).
pub fn redact(text: &str, secrets: &[SecretString]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        let value = secret.expose_secret();
        // Very short values would redact ordinary words; those are not worth hiding anyway.
        if value.len() >= 4 {
            out = out.replace(value, "[redacted]");
        }
    }
    out
}
