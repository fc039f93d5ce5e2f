//! Files only the console's user may read: the generated keys, a new SQLite database, emails
//! written to the outbox folder (their links open accounts).

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to a file only its owner may read and write (0600 on Unix): a new one, or, with
/// `replace`, over one that exists.
pub fn write_private(path: &Path, bytes: &[u8], replace: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

/// Creates `dir` (and its parents) for its owner alone (0700 on Unix) where it does not exist.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn private_files_and_folders_are_for_their_owner_alone() {
        let root = std::env::temp_dir().join(format!("private-files-{}", std::process::id()));
        let dir = root.join("outbox");
        private_dir(&dir).unwrap();
        write_private(&dir.join("1.eml"), b"one", false).unwrap();
        assert!(
            write_private(&dir.join("1.eml"), b"two", false).is_err(),
            "new only"
        );
        write_private(&dir.join("1.eml"), b"two", true).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join("1.eml")), 0o600);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(std::fs::read(dir.join("1.eml")).unwrap(), b"two");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
