// SHA-256 for model provenance, computed by OpenSSL's libcrypto.
#include "core/sha256.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

namespace dli {
namespace {

// One running SHA-256 digest. EVP failures only come from allocation or a
// libcrypto without SHA-256, neither of which a user can act on differently,
// so they are reported as one runtime_error.
class Sha256 {
 public:
  Sha256() : context_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (!context_ || EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("OpenSSL cannot start a SHA-256 digest");
  }

  void Update(const void* data, size_t size) {
    if (EVP_DigestUpdate(context_.get(), data, size) != 1)
      throw std::runtime_error("OpenSSL SHA-256 update failed");
  }

  std::string HexDigest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(context_.get(), digest, &size) != 1)
      throw std::runtime_error("OpenSSL SHA-256 final failed");
    std::string hex(2 * size, '\0');
    for (unsigned int i = 0; i < size; ++i) std::snprintf(&hex[2 * i], 3, "%02x", digest[i]);
    return hex;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context_;
};

}  // namespace

std::string Sha256Hex(const std::string& bytes) {
  Sha256 h;
  h.Update(bytes.data(), bytes.size());
  return h.HexDigest();
}

std::string Sha256File(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  Sha256 h;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.Update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  return h.HexDigest();
}

std::string Sha256Path(const std::string& path) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(path)) return Sha256File(path);
  std::vector<std::string> lines;
  for (const auto& e : fs::recursive_directory_iterator(path))
    if (e.is_regular_file())
      lines.push_back(fs::relative(e.path(), path).generic_string() + "\t" +
                      Sha256File(e.path().string()) + "\n");
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (const std::string& l : lines) all += l;
  return Sha256Hex(all);
}

}  // namespace dli
