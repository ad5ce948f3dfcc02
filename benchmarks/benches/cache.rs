//! How the verified-token cache was chosen: a hit in moka against one in `quick_cache`, with a
//! 32-byte key (the core's key was then a SHA-256 digest of the token) and an `Arc` value, in a
//! cache of 10,000 entries. Then how the core finds a token: SHA-256 of the whole token against
//! a keyed 64-bit hash of it (SipHash-1-3, foldhash) plus the constant-time comparison a hit
//! then makes with the cached bytes (`constant_time_eq`), at the sizes of the load script's
//! ES256 (423 bytes) and RS256 (about 800 bytes) tokens.
//!
//! Run: `cargo bench -p axum-scopes-benchmarks --bench cache`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

type Digest = [u8; 32];

fn key(i: u32) -> Digest {
    let mut key = [0u8; 32];
    key[..4].copy_from_slice(&i.to_le_bytes());
    key[28..].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_le_bytes());
    key
}

fn bench_cache(c: &mut Criterion) {
    const ENTRIES: u32 = 10_000;
    let mut group = c.benchmark_group("cache");
    let value = Arc::new(vec![0u8; 300]);

    let moka = moka::sync::Cache::<Digest, Arc<Vec<u8>>>::builder()
        .max_capacity(u64::from(ENTRIES) * 2)
        .build();
    let quick = quick_cache::sync::Cache::<Digest, Arc<Vec<u8>>>::new(ENTRIES as usize * 2);
    for i in 0..ENTRIES {
        moka.insert(key(i), Arc::clone(&value));
        quick.insert(key(i), Arc::clone(&value));
    }
    let probe = key(4_242);
    assert!(moka.get(&probe).is_some() && quick.get(&probe).is_some());
    group.bench_function("get_hit/moka", |b| {
        b.iter(|| black_box(moka.get(black_box(&probe))));
    });
    group.bench_function("get_hit/quick_cache", |b| {
        b.iter(|| black_box(quick.get(black_box(&probe))));
    });

    // The key candidates: SHA-256 of the whole token against a keyed 64-bit hash of it (the
    // entry then holds the token, compared in constant time on a hit), at the sizes of the
    // load script's ES256 (423 bytes) and RS256 (about 800 bytes) tokens.
    for len in [423, 800] {
        let token = vec![b'a'; len];
        group.bench_function(format!("sha256/{len}B"), |b| {
            use sha2::Digest as _;
            b.iter(|| black_box(sha2::Sha256::digest(black_box(&token))));
        });
        let sip = std::hash::RandomState::new();
        group.bench_function(format!("siphash13/{len}B"), |b| {
            use std::hash::BuildHasher as _;
            b.iter(|| black_box(sip.hash_one(black_box(&token[..]))));
        });
        let fold = foldhash::quality::RandomState::default();
        group.bench_function(format!("foldhash/{len}B"), |b| {
            use std::hash::BuildHasher as _;
            b.iter(|| black_box(fold.hash_one(black_box(&token[..]))));
        });
        let other = token.clone();
        group.bench_function(format!("constant_time_eq/{len}B"), |b| {
            b.iter(|| {
                black_box(constant_time_eq::constant_time_eq(
                    black_box(&token),
                    black_box(&other),
                ))
            });
        });
        // `subtle`'s `ct_eq` was measured here too (310 ns and 545 ns, benchmarks/README.md)
        // and is no longer a dependency: one constant-time crate serves the cache and the API
        // keys, and this one was about 30 times faster.
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_cache
}
criterion_main!(benches);
