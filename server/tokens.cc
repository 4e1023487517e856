#include "server/tokens.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/time_util.h"

namespace quorum::server {
namespace {

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_' ||
           c == '@';
  });
}

bool ValidDigest(absl::string_view hex) {
  return hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
           return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

absl::Status CheckTokenFile(const v1::TokenFile& file) {
  std::set<std::string> names;
  for (int i = 0; i < file.tokens_size(); ++i) {
    const v1::TokenEntry& e = file.tokens(i);
    std::string at = absl::StrCat("tokens[", i, "]");
    if (!ValidName(e.name())) {
      return absl::InvalidArgumentError(absl::StrCat(
          at, ".name: '", e.name(),
          "' must be 1-128 letters, digits or '.', '-', '_', '@'"));
    }
    at = absl::StrCat(at, " (", e.name(), ")");
    if (!names.insert(e.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".name: the name is used twice"));
    }
    if (e.scopes().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".scopes: at least one of read, write, admin"));
    }
    for (int s : e.scopes()) {
      if (s != v1::SCOPE_READ && s != v1::SCOPE_WRITE && s != v1::SCOPE_ADMIN) {
        return absl::InvalidArgumentError(absl::StrCat(
            at, ".scopes: ", s, " is not one of read, write, admin"));
      }
    }
    if (!ValidDigest(e.sha256())) {
      return absl::InvalidArgumentError(absl::StrCat(
          at,
          ".sha256: must be 64 lower-case hex digits (the token's SHA-256)"));
    }
  }
  return absl::OkStatus();
}

// Holds an exclusive lock on `path`.lock for a read-modify-write of the
// token file, so that token commands run at the same time lose nothing.
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    lock_path_ = path + ".lock";
    fd_ = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // Releases the lock.
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  absl::Status status() const {
    if (fd_ >= 0) return absl::OkStatus();
    return absl::PermissionDeniedError(
        absl::StrCat("cannot lock ", lock_path_, ": ", std::strerror(errno)));
  }

 private:
  std::string lock_path_;
  int fd_ = -1;
};

}  // namespace

bool ScopeAllows(const std::vector<v1::Scope>& granted, v1::Scope needed) {
  if (needed == v1::SCOPE_PUBLIC) return true;
  if (needed != v1::SCOPE_READ && needed != v1::SCOPE_WRITE &&
      needed != v1::SCOPE_ADMIN) {
    return false;  // UNSPECIFIED or unknown: fail closed.
  }
  // The enum's order is the inclusion order: ADMIN > WRITE > READ.
  return std::any_of(granted.begin(), granted.end(), [&](v1::Scope g) {
    return (g == v1::SCOPE_READ || g == v1::SCOPE_WRITE ||
            g == v1::SCOPE_ADMIN) &&
           g >= needed;
  });
}

std::string ScopeName(v1::Scope scope) {
  switch (scope) {
    case v1::SCOPE_PUBLIC:
      return "public";
    case v1::SCOPE_READ:
      return "read";
    case v1::SCOPE_WRITE:
      return "write";
    case v1::SCOPE_ADMIN:
      return "admin";
    default:
      return "none";
  }
}

absl::StatusOr<std::vector<v1::Scope>> ParseScopes(absl::string_view text,
                                                   absl::string_view flag) {
  std::vector<v1::Scope> scopes;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::string word = absl::AsciiStrToLower(absl::StripAsciiWhitespace(part));
    v1::Scope scope;
    if (word == "read") {
      scope = v1::SCOPE_READ;
    } else if (word == "write") {
      scope = v1::SCOPE_WRITE;
    } else if (word == "admin") {
      scope = v1::SCOPE_ADMIN;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": '", word,
                       "' is not a scope; use read, write and/or admin, "
                       "e.g. read,write"));
    }
    if (std::find(scopes.begin(), scopes.end(), scope) == scopes.end()) {
      scopes.push_back(scope);
    }
  }
  return scopes;
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<v1::TokenFile> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read token file ", path,
                     "; create it with: quorumd token create --token-file ",
                     path, " --name NAME --scopes read"));
  }
  std::stringstream text;
  text << in.rdbuf();
  v1::TokenFile file;
  struct Collector : google::protobuf::io::ErrorCollector {
    std::string error;
    void AddError(int line, int column, const std::string& message) override {
      if (error.empty()) {
        error = absl::StrCat("line ", line + 1, " column ", column + 1, ": ",
                             message);
      }
    }
  } errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text.str(), &file)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, " is not a text-format quorum.v1.TokenFile: ", errors.error));
  }
  absl::Status checked = CheckTokenFile(file);
  if (!checked.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", checked.message()));
  }
  return file;
}

absl::Status WriteTokenFile(const std::string& path,
                            const v1::TokenFile& file) {
  std::string text =
      "# quorumd token file: names, scopes and SHA-256 hashes of tokens (never "
      "the tokens).\n# Manage with `quorumd token create|list|revoke`; send "
      "quorumd SIGHUP to reload.\n";
  std::string body;
  google::protobuf::TextFormat::PrintToString(file, &body);
  text += body;
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return absl::InternalError(
          absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
    }
    done += n;
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path,
                                            ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CreateToken(const std::string& path,
                                        const std::string& name,
                                        const std::vector<v1::Scope>& scopes,
                                        absl::Time now) {
  FileLock lock(path);
  if (!lock.status().ok()) return lock.status();
  v1::TokenFile file;
  auto existing = ReadTokenFile(path);
  if (existing.ok()) {
    file = *std::move(existing);
  } else if (!absl::IsNotFound(existing.status())) {
    return existing.status();
  }
  if (!ValidName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--name: '", name,
                     "' must be 1-128 letters, digits or '.', '-', '_', '@'"));
  }
  if (scopes.empty()) {
    return absl::InvalidArgumentError(
        "--scopes: at least one of read, write, admin");
  }
  for (const auto& e : file.tokens()) {
    if (e.name() == name) {
      return absl::AlreadyExistsError(
          absl::StrCat("a token named '", name, "' exists in ", path,
                       "; revoke it first or pick another name"));
    }
  }
  unsigned char random[32];
  if (RAND_bytes(random, sizeof(random)) != 1) {
    return absl::InternalError("OpenSSL RAND_bytes failed");
  }
  std::string token =
      absl::StrCat(kTokenPrefix,
                   absl::WebSafeBase64Escape(absl::string_view(
                       reinterpret_cast<const char*>(random), sizeof(random))));
  OPENSSL_cleanse(random, sizeof(random));
  v1::TokenEntry* entry = file.add_tokens();
  entry->set_name(name);
  for (v1::Scope s : scopes) entry->add_scopes(s);
  entry->set_sha256(Sha256Hex(token));
  *entry->mutable_create_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
          absl::ToUnixNanos(now));
  absl::Status written = WriteTokenFile(path, file);
  if (!written.ok()) return written;
  return token;
}

absl::Status RevokeToken(const std::string& path, const std::string& name) {
  FileLock lock(path);
  if (!lock.status().ok()) return lock.status();
  auto file = ReadTokenFile(path);
  if (!file.ok()) return file.status();
  auto* tokens = file->mutable_tokens();
  auto it =
      std::find_if(tokens->begin(), tokens->end(),
                   [&](const v1::TokenEntry& e) { return e.name() == name; });
  if (it == tokens->end()) {
    return absl::NotFoundError(
        absl::StrCat("no token named '", name, "' in ", path));
  }
  tokens->erase(it);
  return WriteTokenFile(path, *file);
}

absl::StatusOr<std::unique_ptr<TokenRegistry>> TokenRegistry::Load(
    std::string path) {
  std::unique_ptr<TokenRegistry> registry(new TokenRegistry(std::move(path)));
  auto loaded = registry->Reload();
  if (!loaded.ok()) return loaded.status();
  return registry;
}

absl::StatusOr<int> TokenRegistry::Reload() {
  auto file = ReadTokenFile(path_);
  if (!file.ok()) return file.status();
  auto snapshot = std::make_shared<Snapshot>();
  for (const auto& e : file->tokens()) {
    Entry entry;
    entry.holder.name = e.name();
    for (int s : e.scopes()) {
      entry.holder.scopes.push_back(static_cast<v1::Scope>(s));
    }
    entry.digest = absl::HexStringToBytes(e.sha256());
    snapshot->push_back(std::move(entry));
  }
  int count = static_cast<int>(snapshot->size());
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_ = std::move(snapshot);
  return count;
}

std::optional<TokenRegistry::Holder> TokenRegistry::Find(
    absl::string_view token) const {
  std::shared_ptr<const Snapshot> snapshot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot = snapshot_;
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         digest);
  const Entry* found = nullptr;
  // Every entry is compared, in constant time, whether or not one matched.
  for (const Entry& e : *snapshot) {
    if (e.digest.size() == sizeof(digest) &&
        CRYPTO_memcmp(e.digest.data(), digest, sizeof(digest)) == 0) {
      found = &e;
    }
  }
  if (found == nullptr) return std::nullopt;
  return found->holder;
}

}  // namespace quorum::server
