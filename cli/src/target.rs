//! Which instance to talk to and with which credential: flags first, then `AUTHCLOUD_*`
//! variables, then a key file.

use std::path::PathBuf;
use std::time::Duration;

use authcloud::{Client, SecretString};
use clap::Args;
use clap::parser::ValueSource;

/// Target and credential flags.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Instance name: https://{instance}.mauth.nevis.cloud
    #[arg(long, env = "AUTHCLOUD_INSTANCE", conflicts_with = "base_url")]
    instance: Option<String>,
    /// Explicit base URL (https; http is allowed on loopback, e.g. an emulator).
    #[arg(long, env = "AUTHCLOUD_BASE_URL")]
    base_url: Option<String>,
    /// Access key (servers only). Prefer the environment or --access-key-file: a key on
    /// the command line is visible to other users in the process list.
    #[arg(long, env = "AUTHCLOUD_ACCESS_KEY", hide_env_values = true, conflicts_with = "access_key_file")]
    access_key: Option<String>,
    /// Read the access key from this file (surrounding whitespace ignored).
    #[arg(long, value_name = "FILE")]
    access_key_file: Option<PathBuf>,
    /// Intent token (devices), instead of an access key.
    #[arg(long, env = "AUTHCLOUD_INTENT_TOKEN", hide_env_values = true, conflicts_with_all = ["access_key", "access_key_file"])]
    intent_token: Option<String>,
    /// Per-request timeout.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "30s")]
    request_timeout: Duration,
}

impl TargetArgs {
    /// Builds the client. `matches` tells whether the key came from the command line.
    pub fn client(&self, matches: &clap::ArgMatches) -> Result<Client, String> {
        let mut builder = Client::builder().request_timeout(self.request_timeout).user_agent_suffix("authcloud-cli");
        builder = match (&self.instance, &self.base_url) {
            (Some(instance), _) => builder.instance(instance),
            (None, Some(url)) => builder.base_url(url),
            (None, None) => {
                return Err(
                    "no target: pass --instance or --base-url (or set AUTHCLOUD_INSTANCE / AUTHCLOUD_BASE_URL)".into(),
                );
            }
        };
        if let Some(key) = self.access_key()? {
            if matches.value_source("access_key") == Some(ValueSource::CommandLine) {
                eprintln!(
                    "warning: an access key on the command line is visible to other users in the process list; \
                     use AUTHCLOUD_ACCESS_KEY or --access-key-file"
                );
            }
            builder = builder.access_key(key);
        } else if let Some(token) = &self.intent_token {
            builder = builder.intent_token(token.trim());
        }
        builder.build().map_err(|e| e.to_string())
    }

    fn access_key(&self) -> Result<Option<SecretString>, String> {
        if let Some(key) = &self.access_key {
            return Ok(Some(SecretString::new(key.trim())));
        }
        match &self.access_key_file {
            Some(path) => std::fs::read_to_string(path)
                .map(|text| Some(SecretString::new(text.trim())))
                .map_err(|e| format!("cannot read the access key file {}: {}", path.display(), e.kind())),
            None => Ok(None),
        }
    }
}

/// A token given on the command line, or `-` to read it from stdin (keeps it out of the
/// process list and shell history).
pub fn read_token(arg: &str) -> Result<SecretString, String> {
    if arg != "-" {
        return Ok(SecretString::new(arg.trim()));
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|e| format!("cannot read the token from stdin: {}", e.kind()))?;
    let token = line.trim();
    if token.is_empty() {
        return Err("no token on stdin".into());
    }
    Ok(SecretString::new(token))
}
