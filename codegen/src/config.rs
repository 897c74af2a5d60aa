//! What a spec directory generates: its namespace, files and crate title, read from
//! `generator.json` beside the fragment. The generator has no other source for them, so the
//! same code serves any Graph namespace.
//!
//! ```json
//! {
//!   "namespace": "microsoft.graph.security.securityCopilot",
//!   "fragment": "securityCopilot.csdl.xml",
//!   "title": "Security Copilot",
//!   "version": "beta"
//! }
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file name of the configuration inside a spec directory.
pub const CONFIG_FILE: &str = "generator.json";

/// The overlay's file name when the configuration does not name one.
pub const DEFAULT_OVERLAY: &str = "overlay.xml";

/// The largest configuration file read, in bytes (it is a few lines).
pub const MAX_CONFIG_BYTES: u64 = 64 * 1024;

/// The configuration of one spec directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecConfig {
    /// The OData namespace the crate is about (its types are `models::*`; others live in
    /// modules named after their namespace).
    pub namespace: String,
    /// Microsoft's fragment (the slice of `$metadata`), relative to the spec directory.
    pub fragment: String,
    /// The overlay (what is exposed, and corrections), relative to the spec directory.
    #[serde(default = "default_overlay")]
    pub overlay: String,
    /// The API's human name, e.g. `Security Copilot` (docs, OpenAPI title).
    pub title: String,
    /// The Graph version the namespace is served from: `beta` or `v1.0`.
    #[serde(default = "default_version")]
    pub version: String,
}

fn default_overlay() -> String {
    DEFAULT_OVERLAY.to_string()
}

fn default_version() -> String {
    "beta".to_string()
}

/// Why a configuration could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_CONFIG_BYTES`].
    #[error("{path} is larger than {MAX_CONFIG_BYTES} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The file is not valid configuration.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

impl SpecConfig {
    /// A configuration for `namespace` with a fragment named after its last segment
    /// (`microsoft.graph.externalConnectors` → `externalConnectors.csdl.xml`).
    pub fn for_namespace(namespace: &str, title: &str, version: &str) -> SpecConfig {
        let last = namespace.rsplit('.').next().unwrap_or(namespace);
        SpecConfig {
            namespace: namespace.to_string(),
            fragment: format!("{last}.csdl.xml"),
            overlay: default_overlay(),
            title: title.to_string(),
            version: version.to_string(),
        }
    }

    /// Reads `spec_dir/generator.json`.
    pub fn read(spec_dir: &Path) -> Result<SpecConfig, ConfigError> {
        let path = spec_dir.join(CONFIG_FILE);
        let io = |source| ConfigError::Io {
            path: path.clone(),
            source,
        };
        let size = std::fs::metadata(&path).map_err(io)?.len();
        if size > MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLarge { path });
        }
        let text = std::fs::read_to_string(&path).map_err(io)?;
        let config: SpecConfig = serde_json::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.clone(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        config.check().map_err(|message| ConfigError::Invalid {
            path,
            line: 1,
            column: 1,
            message,
        })?;
        Ok(config)
    }

    /// The configuration as written to `generator.json` (pretty, with a final newline).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    fn check(&self) -> Result<(), String> {
        let plain_file = |name: &str| {
            !name.is_empty()
                && !name.contains(['/', '\\'])
                && name != "."
                && name != ".."
                && name != CONFIG_FILE
        };
        if self.namespace.is_empty() || self.namespace.split('.').any(str::is_empty) {
            return Err(format!(
                "namespace {:?} is not a qualified name",
                self.namespace
            ));
        }
        for (what, name) in [("fragment", &self.fragment), ("overlay", &self.overlay)] {
            if !plain_file(name) {
                return Err(format!(
                    "{what} {name:?} must be a file name inside the spec directory"
                ));
            }
        }
        if self.fragment == self.overlay {
            return Err("fragment and overlay must be different files".to_string());
        }
        if !matches!(self.version.as_str(), "beta" | "v1.0") {
            return Err(format!(
                "version {:?} is not a Graph version (beta or v1.0)",
                self.version
            ));
        }
        Ok(())
    }

    /// The spec files in merge order: the fragment, then the overlay.
    pub fn files(&self, spec_dir: &Path) -> Vec<PathBuf> {
        vec![spec_dir.join(&self.fragment), spec_dir.join(&self.overlay)]
    }

    /// The Graph endpoint of [`SpecConfig::version`].
    pub fn base_url(&self) -> String {
        format!("https://graph.microsoft.com/{}", self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_configurations_name_the_file_and_position() {
        let dir = std::env::temp_dir().join(format!("graph-spec-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(CONFIG_FILE), "{\n  \"namespace\": 3\n}").unwrap();
        let error = SpecConfig::read(&dir).unwrap_err().to_string();
        assert!(error.contains("generator.json:2:"), "{error}");
        std::fs::write(
            dir.join(CONFIG_FILE),
            r#"{"namespace":"a.b","fragment":"../x.xml","title":"X"}"#,
        )
        .unwrap();
        let error = SpecConfig::read(&dir).unwrap_err().to_string();
        assert!(error.contains("inside the spec directory"), "{error}");
        let good = SpecConfig::for_namespace("microsoft.graph.externalConnectors", "X", "v1.0");
        std::fs::write(dir.join(CONFIG_FILE), good.to_json()).unwrap();
        assert_eq!(SpecConfig::read(&dir).unwrap(), good);
        assert_eq!(good.fragment, "externalConnectors.csdl.xml");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
