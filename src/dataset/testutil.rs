//! Builders for the small dataset trees the tests load.

use std::path::Path;

use super::DatasetSpec;

/// Creates an empty file at `rel` under `root`, with its folders.
pub fn touch(root: &Path, rel: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, b"").unwrap();
}

/// A spec for `root` with every option left to detection.
pub fn spec(root: &Path) -> DatasetSpec {
    DatasetSpec { root: root.to_path_buf(), ..DatasetSpec::default() }
}
