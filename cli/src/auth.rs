//! Which credential the client uses: `--token` / `GRAPH_TOKEN`, else (built with the
//! `azure-identity` feature) the Azure CLI's signed-in account.

use std::sync::Arc;

use graph_security_copilot::auth::{StaticToken, TokenProvider};

use crate::exit::Failure;

/// The credential for `token` (from `--token` or `GRAPH_TOKEN`), or the Azure CLI's account.
pub fn credential(token: Option<&str>) -> Result<Arc<dyn TokenProvider>, Failure> {
    match token.map(str::trim) {
        Some("") => Err(Failure::Usage("--token / GRAPH_TOKEN is empty".to_string())),
        Some(token) => Ok(Arc::new(StaticToken::new(token))),
        None => azure_cli(),
    }
}

#[cfg(feature = "azure-identity")]
fn azure_cli() -> Result<Arc<dyn TokenProvider>, Failure> {
    use graph_security_copilot::auth::AzureIdentityCredential;
    let cli = azure_identity::AzureCliCredential::new(None)
        .map_err(|e| Failure::Credential(format!("Azure CLI credential: {e}")))?;
    Ok(Arc::new(AzureIdentityCredential::new(cli)))
}

#[cfg(not(feature = "azure-identity"))]
fn azure_cli() -> Result<Arc<dyn TokenProvider>, Failure> {
    Err(Failure::Credential(
        "no token: set GRAPH_TOKEN or pass --token (a gsc built with the azure-identity \
         feature uses the Azure CLI's signed-in account instead)"
            .to_string(),
    ))
}
