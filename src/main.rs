use std::process::ExitCode;

fn main() -> ExitCode {
    match liveness::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("liveness: error: {}", liveness::escape::terminal_lines(&format!("{e:#}")));
            // An incomplete run, a model the score file holds no scores of, or an API run asked wrongly is a
            // usage error (exit 2): never mistaken for a fatal error or a result.
            let usage = e.is::<liveness::run::coverage::Incomplete>()
                || e.is::<liveness::scorefile::UnknownModel>()
                || e.is::<liveness::api::Misconfigured>();
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}
