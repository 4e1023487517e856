// Bearer tokens: the token file, token creation and the in-memory registry
// quorumd checks calls against.
//
// The token file (`--token-file`) is the text format of quorum.v1.TokenFile:
// one entry per token with its name, scopes, the lower-case hex SHA-256 of
// the token and when it was created. The token itself is never stored; it is
// printed once when created. Tokens look like `qrm_` followed by 43 URL-safe
// base64 characters (256 random bits from OpenSSL).
#ifndef QUORUM_SERVER_TOKENS_H_
#define QUORUM_SERVER_TOKENS_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "quorum/v1/access.pb.h"

namespace quorum::server {

// The prefix of every token quorumd makes.
inline constexpr absl::string_view kTokenPrefix = "qrm_";

// Whether a caller holding `granted` may call an RPC that needs `needed`
// (ADMIN includes WRITE includes READ; PUBLIC needs nothing; UNSPECIFIED is
// never allowed).
bool ScopeAllows(const std::vector<v1::Scope>& granted, v1::Scope needed);

// "read", "write", "admin", "public" (lower case, as in flags and docs).
std::string ScopeName(v1::Scope scope);
// Parses "read,write" (case-insensitive; spaces allowed); at least one of
// read, write, admin. INVALID_ARGUMENT naming `flag` otherwise.
absl::StatusOr<std::vector<v1::Scope>> ParseScopes(absl::string_view text,
                                                   absl::string_view flag);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

// Reads and checks a token file: every entry has a unique name of letters,
// digits and ".-_@", at least one scope among read/write/admin, and a
// 64-character hex SHA-256. A missing file is NOT_FOUND; a bad one is
// INVALID_ARGUMENT naming the entry.
absl::StatusOr<v1::TokenFile> ReadTokenFile(const std::string& path);
// Writes `file` atomically (temporary file, then rename), mode 0600.
absl::Status WriteTokenFile(const std::string& path, const v1::TokenFile& file);

// Makes a new token for `name` with `scopes`, appends its entry to the token
// file at `path` (created when missing) and returns the token, which is
// shown once and never stored. ALREADY_EXISTS when the name is taken.
// CreateToken and RevokeToken hold `path`.lock (flock) while they read and
// rewrite the file, so concurrent commands lose no entry.
absl::StatusOr<std::string> CreateToken(const std::string& path,
                                        const std::string& name,
                                        const std::vector<v1::Scope>& scopes,
                                        absl::Time now);
// Removes the entry named `name`; NOT_FOUND when there is none.
absl::Status RevokeToken(const std::string& path, const std::string& name);

// The tokens quorumd accepts, loaded from the token file and replaced as a
// whole on Reload(). Thread-safe: lookups read an immutable snapshot.
class TokenRegistry {
 public:
  struct Holder {
    std::string name;
    std::vector<v1::Scope> scopes;
  };

  // Loads `path`; fails when the file is missing or broken.
  static absl::StatusOr<std::unique_ptr<TokenRegistry>> Load(std::string path);

  // Re-reads the file. On error the tokens loaded before stay in force and
  // the error says why; on success returns how many tokens are loaded.
  absl::StatusOr<int> Reload();

  // The holder of `token`, or nullopt. The token's SHA-256 is compared with
  // every entry in constant time (CRYPTO_memcmp), whatever matches.
  std::optional<Holder> Find(absl::string_view token) const;

  const std::string& path() const { return path_; }

 private:
  struct Entry {
    Holder holder;
    std::string digest;  // 32 raw bytes.
  };
  using Snapshot = std::vector<Entry>;

  explicit TokenRegistry(std::string path) : path_(std::move(path)) {}

  const std::string path_;
  mutable std::mutex mu_;  // Guards snapshot_ (the pointer, not its content).
  std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_TOKENS_H_
