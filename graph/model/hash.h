// FNV-1a, 64 bits (Fowler-Noll-Vo): the one non-cryptographic hash quorum
// derives stable identifiers from. Pure, no state, the same on every
// platform and every run (it reads bytes, not machine words).
//
// StableHash64 is what the store uses: lead IDs ("lead-" + 16 hex digits of
// the request ID's hash), the fingerprints of idempotent requests and the
// filter fingerprint inside readiness page tokens. It is FNV-1a with the
// offset basis 1469598103934665603, which is one decimal digit short of the
// standard's 14695981039346656037: that is how those identifiers were first
// written, and stored lead IDs and request fingerprints must keep matching,
// so the basis stays. Fnv1a64 with its default basis is the standard
// function (its published test vectors pass, tests/graph/hash_test.cc).
#ifndef QUORUM_GRAPH_HASH_H_
#define QUORUM_GRAPH_HASH_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace quorum::graph {

// The 64-bit FNV prime, 2^40 + 2^8 + 0xb3.
inline constexpr uint64_t kFnv1a64Prime = 1099511628211ULL;
// The standard 64-bit offset basis (0xcbf29ce484222325).
inline constexpr uint64_t kFnv1a64OffsetBasis = 14695981039346656037ULL;
// The basis of StableHash64 (0x14650fb0739d0383); see the file comment.
inline constexpr uint64_t kStableHashBasis = 1469598103934665603ULL;

// FNV-1a of `bytes`, starting from `basis`: for each byte, xor then
// multiply by the prime (mod 2^64).
constexpr uint64_t Fnv1a64(absl::string_view bytes,
                           uint64_t basis = kFnv1a64OffsetBasis) {
  uint64_t hash = basis;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnv1a64Prime;
  }
  return hash;
}

// The hash of stored identifiers and fingerprints (see the file comment).
constexpr uint64_t StableHash64(absl::string_view bytes) {
  return Fnv1a64(bytes, kStableHashBasis);
}

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_HASH_H_
