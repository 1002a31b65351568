use std::process::ExitCode;

fn main() -> ExitCode {
    match liveness::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("liveness: error: {e:#}");
            // An incomplete run is a usage error (exit 2): never mistaken for a fatal error or a result.
            ExitCode::from(if e.is::<liveness::run::coverage::Incomplete>() { 2 } else { 1 })
        }
    }
}
