//! The `[calibration]` section of a policy (the record itself is a contract: [`crate::schema::Calibration`]),
//! and how a measured rate becomes one of its figures.

use crate::metrics::Rate;
pub use crate::schema::policy::{Calibration, Figure, ModelFile, Reached};

impl From<&Rate> for Figure {
    fn from(r: &Rate) -> Figure {
        Figure { value: r.value, k: r.k, n: r.n, upper95: r.ci95.upper, species: r.species.clone() }
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::Policy;

    const FIGURE: &str = "value = 0.0\nk = 0\nn = 10\nupper95 = 0.31\n";

    fn policy(calibration: &str) -> String {
        let base = include_str!("../../configs/policies/default.toml");
        let figures: String = ["bpcer", "apcer_max", "apcer_pooled", "pass_apcer_max", "retry_bpcer"]
            .iter()
            .map(|f| format!("[calibration.reached.{f}]\n{FIGURE}"))
            .collect();
        format!(
            "{base}\n[calibration]\n{calibration}model = \"silentface\"\nscores = \"s.csv\"\n\
             dataset_fingerprint = \"ab\"\npresentations = 20\ndate = \"d\"\ntool = \"t\"\n\
             pass_apcer = 0.01\nretry_bpcer = 0.01\nmodel_files = []\n{figures}"
        )
    }

    #[test]
    fn calibration_section_round_trips_and_rejects_unknown_keys_and_targets() {
        let p = Policy::parse(&policy("target = \"bpcer20\"\nbound = \"upper\"\n"), "p.toml").unwrap();
        let c = p.calibration.as_ref().unwrap();
        assert_eq!(c.target.to_string(), "bpcer@apcer=0.05");
        assert_eq!(c.reached.bpcer.n, 10);
        let again = Policy::parse(&toml::to_string(&p).unwrap(), "again").unwrap();
        assert_eq!(again.calibration, p.calibration);
        let e = format!(
            "{:#}",
            Policy::parse(&policy("target = \"eer\"\nbound = \"point\"\nseed = 1\n"), "p.toml").unwrap_err()
        );
        assert!(e.contains("unknown field `seed`"), "{e}");
        let e =
            format!("{:#}", Policy::parse(&policy("target = \"best\"\nbound = \"point\"\n"), "p.toml").unwrap_err());
        assert!(e.contains("unknown target `best`"), "{e}");
        let e = format!("{:#}", Policy::parse(&policy("bound = \"point\"\n"), "p.toml").unwrap_err());
        assert!(e.contains("missing field `target`"), "{e}");
    }
}
