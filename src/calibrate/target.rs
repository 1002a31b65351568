//! What a threshold is calibrated for, written as a short text (`bpcer20`, `apcer@bpcer=0.01`, ...) so
//! that the same words appear on the command line, in a policy's `[calibration]` section and in reports.

pub use crate::schema::policy::{Bound, TARGET_SYNTAX, Target};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_form() {
        for (text, target, canonical) in [
            ("eer", Target::Eer, "eer"),
            ("bpcer20", Target::BpcerAtApcer(0.05), "bpcer@apcer=0.05"),
            ("bpcer100", Target::BpcerAtApcer(0.01), "bpcer@apcer=0.01"),
            ("bpcer@apcer=0.1", Target::BpcerAtApcer(0.1), "bpcer@apcer=0.1"),
            ("apcer@bpcer=0.02", Target::ApcerAtBpcer(0.02), "apcer@bpcer=0.02"),
            ("fixed=0.5", Target::Fixed(0.5), "fixed=0.5"),
            ("cost:apcer=10,bpcer=1", Target::Cost { apcer: 10.0, bpcer: 1.0 }, "cost:apcer=10,bpcer=1"),
        ] {
            assert_eq!(text.parse::<Target>(), Ok(target), "{text}");
            assert_eq!(target.to_string(), canonical);
            assert_eq!(canonical.parse::<Target>(), Ok(target));
        }
    }

    #[test]
    fn bad_targets_say_why() {
        assert!("bpcer0.5".parse::<Target>().unwrap_err().contains("unknown target"));
        assert!("apcer@bpcer=2".parse::<Target>().unwrap_err().contains("within 0..1"));
        assert!("cost:apcer=1".parse::<Target>().unwrap_err().contains("both costs"));
        assert!("cost:apcer=1,fee=2".parse::<Target>().unwrap_err().contains("unknown cost `fee`"));
        assert!("cost:apcer=0,bpcer=0".parse::<Target>().unwrap_err().contains("positive"));
        assert!("fixed=nan".parse::<Target>().is_err());
    }
}
