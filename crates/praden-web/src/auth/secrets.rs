//! The cryptography of accounts, kept out of the store: argon2 password hashes (PHC strings),
//! random secrets, and the SHA-256 digests under which sessions and API tokens are stored.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

/// What API tokens start with, so a leaked one is recognisable (e.g. by secret scanners).
pub const TOKEN_PREFIX: &str = "praden_";

/// The shortest password accepted for a person's account.
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("the password is too short: at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
}

/// `n` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], SecretError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| SecretError::Random(e.to_string()))?;
    Ok(buf)
}

/// 32 random bytes as 64 hex digits: session secrets and CSRF tokens.
pub fn random_secret() -> Result<String, SecretError> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// The SHA-256 of `secret`, in hex: how session secrets and API tokens are stored. A plain
/// digest is enough because the secrets are 256 random bits, not guessable passwords.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new API token and the hash to store: `(token, sha256_hex(token))`. The token is shown
/// once and kept nowhere.
pub fn new_api_token() -> Result<(String, String), SecretError> {
    let token = format!("{TOKEN_PREFIX}{}", random_secret()?);
    let hash = sha256_hex(&token);
    Ok((token, hash))
}

/// A random password for generated accounts (the first admin): 24 characters from an
/// alphabet without look-alikes, about 140 bits.
pub fn random_password() -> Result<String, SecretError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes = random_bytes::<24>()?;
    // 256 is not a multiple of the alphabet's size; the bias this leaves is far below
    // anything that matters for a 24-character password.
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

/// Checks a new password's length (in characters, so Thai passwords count fairly).
pub fn check_new_password(password: &str) -> Result<(), SecretError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(SecretError::TooShort);
    }
    Ok(())
}

/// The argon2id PHC string of `password` with a fresh random salt (argon2's default cost:
/// 19 MiB, 2 passes). Slow on purpose: call it off the async threads.
pub fn hash_password(password: &str) -> Result<String, SecretError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| SecretError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| SecretError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `hash`. A malformed hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a password nobody has, to verify against when the user does not exist: the
/// answer then takes as long as for a real user, so timing does not reveal user names.
pub(crate) fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    // Without randomness no login can succeed anyway (sessions need it too).
    DUMMY.get_or_init(|| hash_password("not a password anyone has").unwrap_or_default())
}

/// Compares two secrets in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("รหัสผ่านยาวพอ").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("รหัสผ่านยาวพอ", &hash));
        assert!(!verify_password("รหัสผ่านยาวพอ ", &hash));
        assert!(!verify_password("anything", "not a phc string"));
        assert_ne!(hash, hash_password("รหัสผ่านยาวพอ").unwrap(), "fresh salt");
        assert!(!verify_password("x", dummy_hash()));
    }

    #[test]
    fn tokens_are_random_prefixed_and_stored_as_their_digest() {
        let (token, hash) = new_api_token().unwrap();
        let (other, _) = new_api_token().unwrap();
        assert!(token.starts_with(TOKEN_PREFIX));
        assert_eq!(token.len(), TOKEN_PREFIX.len() + 64);
        assert_ne!(token, other);
        assert_eq!(hash, sha256_hex(&token));
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn short_passwords_are_refused_and_generated_ones_are_long() {
        assert!(check_new_password("สั้นไป").is_err());
        assert!(check_new_password("ยาวพอแล้วนะ").is_ok());
        let p = random_password().unwrap();
        assert_eq!(p.len(), 24);
        assert!(check_new_password(&p).is_ok());
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
