//! The `shopcredit` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;
use shopcredit_service::cli::{run, Cli};

#[actix_web::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("shopcredit: {err:#}");
            ExitCode::FAILURE
        }
    }
}
