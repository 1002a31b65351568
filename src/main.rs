use std::process::ExitCode;

fn main() -> ExitCode {
    match liveness::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("liveness: error: {e:#}");
            ExitCode::from(1)
        }
    }
}
