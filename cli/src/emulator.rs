//! `gsc emulator`: the Security Copilot emulator on a loopback port, for local trials.

use graph_security_copilot_emulator::Emulator;

use crate::args::EmulatorArgs;
use crate::exit::Failure;

/// Serves the emulator until Ctrl-C.
pub async fn run(args: &EmulatorArgs) -> Result<(), Failure> {
    let emulator = Emulator::builder()
        .port(args.port)
        .page_size(args.page_size)
        .request_log(0)
        .start()
        .await
        .map_err(|e| Failure::Io(std::io::Error::other(e.to_string())))?;
    let base_url = emulator.base_url().to_string();
    println!("Security Copilot emulator listening on {base_url} (Ctrl-C stops it)");
    println!("  try: gsc --base-url {base_url} --token test ask \"Who am I\"");
    let stopped = tokio::signal::ctrl_c().await;
    emulator.shutdown().await;
    stopped.map_err(Failure::Io)
}
