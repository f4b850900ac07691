//! The one door to randomness: every secret and every id's random bits come from the operating
//! system's CSPRNG through [`fill`].

use crate::error::CoreError;

/// Fills `buf` from the OS CSPRNG.
pub fn fill(buf: &mut [u8]) -> Result<(), CoreError> {
    // The one call of the OS CSPRNG (clippy.toml bans it everywhere else).
    #[allow(clippy::disallowed_methods)]
    getrandom::fill(buf).map_err(|e| CoreError::Random(Box::new(e)))
}

/// `N` random bytes.
pub fn bytes<const N: usize>() -> Result<[u8; N], CoreError> {
    let mut buf = [0u8; N];
    fill(&mut buf)?;
    Ok(buf)
}
