//! Edges carried in the type: a handler whose one `Security<D>` parameter requires only scopes
//! names its edge `Edge<(Str<..>, ..)>`, the scopes spelled out in const generics, so handlers
//! requiring the same scopes share one type, and the compiler checks that type's
//! `FromRequestParts` once, not once per handler (what a marker type per handler costs).

use std::marker::PhantomData;

use super::tree::SecurityEdge;
use crate::scope::Scope;

/// A scope of at most 63 bytes carried in the type: four `u128`s, their little-endian bytes
/// one after the other, the first byte the scope's length. `#[requires_scopes]` writes it.
#[derive(Debug)]
pub enum Str<const A: u128, const B: u128, const C: u128, const D: u128> {}

/// The 64 bytes of `parts`, little-endian one after the other.
const fn bytes(parts: [u128; 4]) -> [u8; 64] {
    let mut out = [0; 64];
    let mut part = 0;
    while part < 4 {
        let le = parts[part].to_le_bytes();
        let mut byte = 0;
        while byte < 16 {
            out[part * 16 + byte] = le[byte];
            byte += 1;
        }
        part += 1;
    }
    out
}

/// One scope carried in a type.
pub trait OneScope {
    /// The scope.
    const SCOPE: Scope;
}

impl<const A: u128, const B: u128, const C: u128, const D: u128> Str<A, B, C, D> {
    const BYTES: [u8; 64] = bytes([A, B, C, D]);
}

impl<const A: u128, const B: u128, const C: u128, const D: u128> OneScope for Str<A, B, C, D> {
    const SCOPE: Scope = {
        let all: &'static [u8; 64] = &Self::BYTES;
        let (len, rest) = all.split_at(1);
        let (scope, _) = rest.split_at(len[0] as usize);
        match core::str::from_utf8(scope) {
            Ok(scope) => Scope::new(scope),
            Err(_) => panic!("`#[requires_scopes]` writes a scope's UTF-8 bytes"),
        }
    };
}

/// The scopes of an edge carried in a type: a tuple of [`Str`]s.
pub trait Scopes {
    /// The scopes, in order.
    const SCOPES: &'static [Scope];
}

macro_rules! scopes_of_tuples {
    ($($($one:ident)*;)*) => {$(
        impl<$($one: OneScope),*> Scopes for ($($one,)*) {
            const SCOPES: &'static [Scope] = &[$($one::SCOPE),*];
        }
    )*};
}

scopes_of_tuples! {
    ;
    S1;
    S1 S2;
    S1 S2 S3;
    S1 S2 S3 S4;
    S1 S2 S3 S4 S5;
    S1 S2 S3 S4 S5 S6;
    S1 S2 S3 S4 S5 S6 S7;
    S1 S2 S3 S4 S5 S6 S7 S8;
}

/// The edge of a handler's one `Security<D>` parameter that requires the scopes `L` and
/// nothing else (no `any(..)`/`all(..)`, no `#[security]` of its own): whether the tree
/// repeats a dependency is the dependency's own [`SecurityParam::REPEATS`](super::SecurityParam::REPEATS).
#[derive(Debug)]
pub struct Edge<L>(PhantomData<fn() -> L>);

impl<L: Scopes + 'static> SecurityEdge for Edge<L> {
    const SCOPES: &'static [Scope] = L::SCOPES;
    const DEPENDENCY_REPEATS: bool = true;
}
