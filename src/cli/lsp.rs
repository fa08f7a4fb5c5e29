//! `scorecard lsp`: the language server, on standard input and output.

use clap::Args;

use super::Exit;

#[derive(Debug, Args)]
pub struct LspArgs {
    /// Accepted for editors that pass it; standard input and output are the only transport.
    #[arg(long)]
    pub stdio: bool,
}

pub fn run(_args: &LspArgs) -> Exit {
    let input = std::io::BufReader::new(std::io::stdin());
    match crate::lsp::serve(input, std::io::stdout()) {
        0 => Exit::Clean,
        _ => Exit::Findings,
    }
}
