#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seeds made from real tokens, headers, forms and keys
# (examples/seed.rs). Safe to rerun: it rewrites the same files.
set -euo pipefail
cd "$(dirname "$0")"
cargo run --quiet --example seed -- corpus
for dir in corpus/*/; do
    echo "$(basename "$dir"): $(find "$dir" -type f | wc -l) files"
done
