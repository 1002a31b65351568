//! The face detector's descriptor, `configs/detectors/ultraface.toml`, compiled into the binary: the one
//! place its sha256 and upstream source are written (`models verify` checks the file against it). The
//! file name is also `schema::DETECTOR_FILE`, which every loader uses; a unit test keeps the two equal.

use serde::Deserialize;

/// `configs/detectors/ultraface.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorDescriptor {
    pub file: String,
    pub sha256: String,
    pub url: String,
}

const TOML: &str = include_str!("../../configs/detectors/ultraface.toml");

/// The built-in detector descriptor.
pub fn builtin() -> anyhow::Result<DetectorDescriptor> {
    toml::from_str(TOML).map_err(|e| anyhow::anyhow!("the built-in configs/detectors/ultraface.toml: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_toml_is_read_and_names_the_file_every_loader_uses() {
        let d = super::builtin().unwrap();
        assert_eq!(d.file, crate::schema::DETECTOR_FILE);
        assert_eq!(d.sha256.len(), 64);
        assert!(d.url.starts_with("https://"));
    }
}
