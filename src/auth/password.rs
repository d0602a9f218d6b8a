//! Argon2id password hashing, on a small pool of dedicated threads so that it never stalls
//! the async workers (one hash takes tens of milliseconds by design).

use std::cell::RefCell;
use std::sync::LazyLock;

use anyhow::Context;
use argon2::password_hash::{self, Output, ParamsString, PasswordHash, Salt, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// OWASP's recommended Argon2id parameters: 19 MiB, 2 iterations, 1 lane.
fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters")
}

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// A hash of a password nobody has, verified against when the account does not exist, so that
/// an unknown e-mail takes as long to refuse as a wrong password.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_blocking("not a real password, only for timing").expect("hashing works"));

thread_local! {
    /// The Argon2 working memory of this hashing thread, allocated once and reused: allocating
    /// and freeing 19 MiB per sign-in left the allocator holding ~19 MB more after each one.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Argon2 of `password` with the given parameters and salt, in the thread's reused memory.
fn compute<'a>(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: Salt<'a>,
) -> password_hash::Result<PasswordHash<'a>> {
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = BLOCKS.with_borrow_mut(|blocks| {
        if blocks.len() < params.block_count() {
            blocks.resize(params.block_count(), Block::default());
        }
        let memory = &mut blocks[..params.block_count()];
        Output::init_with(output_len, |out| {
            Ok(argon2.hash_password_into_with_memory(password, salt_bytes, out, &mut *memory)?)
        })
    })?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params)?,
        salt: Some(salt),
        hash: Some(output),
    })
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let params = params();
    compute(&hasher(), &params, password.as_bytes(), salt.as_salt())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    let Ok(stored) = PasswordHash::new(hash) else { return false };
    let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else { return false };
    // Only our own parameters' kind of hash is accepted (Argon2id, v19); its cost parameters
    // are read from the stored hash, so raising them later keeps old hashes valid.
    if stored.algorithm != Algorithm::Argon2id.ident() || stored.version != Some(Version::V0x13.into()) {
        return false;
    }
    let Ok(params) = Params::try_from(&stored) else { return false };
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    // `Output` compares in constant time.
    compute(&argon2, &params, password.as_bytes(), salt).is_ok_and(|computed| computed.hash == Some(expected))
}

/// Each hash holds 19 MiB for tens of milliseconds. On the shared blocking pool a flood of
/// sign-in attempts ran on ever more threads, and the allocator kept a 19 MiB arena for each
/// (measured: 660 MB resident after 60 concurrent failed logins). A fixed pool of one thread
/// per core bounds both the work in flight and the memory it keeps; the rest queue.
type Job = Box<dyn FnOnce() + Send>;

static HASHERS: LazyLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> = LazyLock::new(|| {
    let (sender, receiver) = std::sync::mpsc::channel::<Job>();
    let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    for i in 0..threads {
        let receiver = receiver.clone();
        let spawned = std::thread::Builder::new().name(format!("argon2-{i}")).spawn(move || {
            loop {
                let job = match receiver.lock() {
                    Ok(guard) => guard.recv(),
                    Err(_) => return,
                };
                match job {
                    Ok(job) => job(),
                    Err(_) => return,
                }
            }
        });
        // With no thread at all the receiver is gone and hashing answers an error (500),
        // never a panic in a request.
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start a password-hashing thread");
        }
    }
    std::sync::Mutex::new(sender)
});

async fn run_bounded<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    HASHERS
        .lock()
        .map_err(|_| anyhow::anyhow!("hashing pool poisoned"))?
        .send(job)
        .map_err(|_| anyhow::anyhow!("hashing pool stopped"))?;
    result.await.context("hashing job dropped")
}

pub async fn hash(password: String) -> anyhow::Result<String> {
    run_bounded(move || hash_blocking(&password)).await?
}

/// Verifies `password` against `hash`, or against a dummy hash when there is no account.
pub async fn verify(password: String, hash: Option<String>) -> anyhow::Result<bool> {
    run_bounded(move || match hash {
        Some(hash) => verify_blocking(&password, &hash),
        None => {
            verify_blocking(&password, &DUMMY_HASH);
            false
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash_blocking("correct horse battery").unwrap();
        let b = hash_blocking("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_blocking("correct horse battery", &a));
        assert!(!verify_blocking("wrong horse battery", &a));
        assert!(!verify_blocking("anything", "not a hash"));
        // A hash made by the library's own API verifies too (the format is standard PHC).
        use argon2::PasswordHasher;
        let standard =
            hasher().hash_password(b"correct horse battery", &SaltString::generate(&mut OsRng)).unwrap().to_string();
        assert!(verify_blocking("correct horse battery", &standard));
        assert!(!verify_blocking("correct horse batter", &standard));
    }
}
