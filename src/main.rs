use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    consumer_protection::cli::run().await
}
