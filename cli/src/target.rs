//! Which instance to talk to and with which credential: flags first, then `AUTHCLOUD_*`
//! variables, then a key file.

use std::path::PathBuf;
use std::time::Duration;

use authcloud::{Client, SecretString};
use clap::Args;
use clap::parser::ValueSource;

/// Target and credential flags.
///
/// A flag on the command line beats the same setting from the environment, so an exported
/// `AUTHCLOUD_INSTANCE` does not get in the way of `--base-url` (and likewise for the
/// credential); two settings of equal rank are a usage error.
#[derive(Clone, Args)]
pub struct TargetArgs {
    /// Instance name: https://{instance}.mauth.nevis.cloud
    #[arg(long, env = "AUTHCLOUD_INSTANCE")]
    instance: Option<String>,
    /// Explicit base URL (https; http is allowed on loopback, e.g. an emulator).
    #[arg(long, env = "AUTHCLOUD_BASE_URL")]
    base_url: Option<String>,
    /// Access key (servers only). Prefer the environment or --access-key-file: a key on
    /// the command line is visible to other users in the process list.
    #[arg(long, env = "AUTHCLOUD_ACCESS_KEY", hide_env_values = true)]
    access_key: Option<String>,
    /// Read the access key from this file (surrounding whitespace ignored).
    #[arg(long, value_name = "FILE")]
    access_key_file: Option<PathBuf>,
    /// Intent token (devices), instead of an access key.
    #[arg(long, env = "AUTHCLOUD_INTENT_TOKEN", hide_env_values = true)]
    intent_token: Option<String>,
    /// Per-request timeout.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "30s")]
    request_timeout: Duration,
}

impl TargetArgs {
    /// Builds the client. `matches` tells where each setting came from.
    pub fn client(&self, matches: &clap::ArgMatches) -> Result<Client, String> {
        let from_cli = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
        let mut builder = Client::builder().request_timeout(self.request_timeout).user_agent_suffix("authcloud-cli");
        builder = match (&self.instance, &self.base_url) {
            (Some(instance), Some(_)) if from_cli("instance") && !from_cli("base_url") => builder.instance(instance),
            (Some(_), Some(url)) if from_cli("base_url") && !from_cli("instance") => builder.base_url(url),
            (Some(_), Some(_)) => return Err("set either --instance or --base-url, not both".into()),
            (Some(instance), None) => builder.instance(instance),
            (None, Some(url)) => builder.base_url(url),
            (None, None) => {
                return Err(
                    "no target: pass --instance or --base-url (or set AUTHCLOUD_INSTANCE / AUTHCLOUD_BASE_URL)".into(),
                );
            }
        };
        // Candidates for the credential, command-line ones first.
        let key_flag = self.access_key.is_some() && from_cli("access_key");
        let token_flag = self.intent_token.is_some() && from_cli("intent_token");
        let file_flag = self.access_key_file.is_some();
        let explicit = [key_flag, file_flag, token_flag].iter().filter(|set| **set).count();
        if explicit > 1 {
            return Err("give one credential: --access-key, --access-key-file or --intent-token".into());
        }
        if key_flag {
            eprintln!(
                "warning: an access key on the command line is visible to other users in the process list; \
                 use AUTHCLOUD_ACCESS_KEY or --access-key-file"
            );
        }
        let use_key = key_flag || (explicit == 0 && self.access_key.is_some());
        let use_token = token_flag || (explicit == 0 && self.access_key.is_none() && self.intent_token.is_some());
        if use_key {
            builder = builder.access_key(SecretString::new(self.access_key.as_deref().unwrap_or_default().trim()));
        } else if file_flag {
            builder = builder.access_key(self.key_from_file()?);
        } else if use_token {
            builder = builder.intent_token(SecretString::new(self.intent_token.as_deref().unwrap_or_default().trim()));
        }
        builder.build().map_err(|e| e.to_string())
    }

    fn key_from_file(&self) -> Result<SecretString, String> {
        let path = self.access_key_file.as_ref().ok_or("no access key file")?;
        std::fs::read_to_string(path)
            .map(|text| SecretString::new(text.trim()))
            .map_err(|e| format!("cannot read the access key file {}: {}", path.display(), e.kind()))
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
