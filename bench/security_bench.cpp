// The cost of the security hub's primitives per call: verifying a JWT with
// each algorithm (and refusing one with a wrong signature), against the
// bare HMAC-SHA256 over the same bytes as the floor; and checking a
// password against a hash made with the default parameters (scrypt
// ln=15,r=8,p=1 and PBKDF2-SHA256 with 600000 iterations). And what the
// HTTP bridge's access gate does per tell (http_api/access_gate.cpp):
// authenticate the bearer token and check the route's permission, before
// and after the body names the message type; against the same steps for
// a loopback client in protected mode (bench/http_bench.sh's pair).

#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "runtime/error.hpp"
#include "runtime/security/authenticator.hpp"
#include "runtime/security/jwt_signer.hpp"
#include "runtime/security/jwt_verifier.hpp"
#include "runtime/security/password_hash.hpp"
#include "runtime/security/permission_template.hpp"

namespace {

using namespace bsm::security;

constexpr int64_t now = 1'700'000'000;
const std::string hmac_key = "bench-bench-bench-bench-bench-key!";

template <class T>
T value_of(caf::expected<T> result) {
  if (!result)
    throw std::runtime_error(bsm::render(result.error()));
  return std::move(*result);
}

/// A fresh key pair of `type` ("RSA" 2048 bits or "EC" P-256) as PEM.
struct pem_pair {
  std::string private_pem;
  std::string public_pem;
};

pem_pair generate(const char* type) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{
    std::string_view{type} == "RSA"
      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
    &EVP_PKEY_free};
  auto pem = [&](bool with_private) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new(BIO_s_mem()),
                                                  &BIO_free};
    auto ok = with_private ? PEM_write_bio_PrivateKey(
                bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)
                           : PEM_write_bio_PUBKEY(bio.get(), key.get());
    if (ok != 1)
      throw std::runtime_error("PEM export failed");
    char* data = nullptr;
    auto size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(size));
  };
  return {pem(true), pem(false)};
}

/// A verifier for `alg` and a token it accepts, as the HTTP bridge sees
/// them: issuer and audience checked, a few roles.
struct jwt_case {
  jwt_verifier verifier;
  std::string token;
};

jwt_case make_case(jwt_algorithm alg) {
  pem_pair pair;
  if (alg != jwt_algorithm::hs256)
    pair = generate(alg == jwt_algorithm::rs256 ? "RSA" : "EC");
  jwt_signer_options signing;
  signing.algorithm = alg;
  signing.key = alg == jwt_algorithm::hs256 ? hmac_key : pair.private_pem;
  signing.issuer = "bsm-node";
  signing.audiences = {"bsm"};
  auto signer = value_of(jwt_signer::make(signing));
  auto issued
    = value_of(signer.issue({"alice", {"operator", "viewer"}, {}}, now));
  jwt_verifier_options opts;
  opts.algorithms = {alg};
  opts.keys
    = {{alg, "", alg == jwt_algorithm::hs256 ? hmac_key : pair.public_pem}};
  opts.claims.issuer = "bsm-node";
  opts.claims.audiences = {"bsm"};
  return {value_of(jwt_verifier::make(opts)), issued.token};
}

void verify_loop(benchmark::State& state, jwt_algorithm alg) {
  auto c = make_case(alg);
  for (auto _ : state) {
    auto claims = c.verifier.verify(c.token, now);
    if (!claims)
      state.SkipWithError("token refused");
    benchmark::DoNotOptimize(claims);
  }
}

void BM_JwtVerifyHs256(benchmark::State& state) {
  verify_loop(state, jwt_algorithm::hs256);
}

void BM_JwtVerifyRs256(benchmark::State& state) {
  verify_loop(state, jwt_algorithm::rs256);
}

void BM_JwtVerifyEs256(benchmark::State& state) {
  verify_loop(state, jwt_algorithm::es256);
}

void BM_JwtRefuseHs256BadSignature(benchmark::State& state) {
  auto c = make_case(jwt_algorithm::hs256);
  auto at = c.token.rfind('.') + 5;
  c.token[at] = c.token[at] == 'A' ? 'B' : 'A';
  for (auto _ : state) {
    auto claims = c.verifier.verify(c.token, now);
    if (claims)
      state.SkipWithError("tampered token accepted");
    benchmark::DoNotOptimize(claims);
  }
}

/// The floor under HS256 verification: HMAC-SHA256 over the signed part.
void BM_RawHmacSha256(benchmark::State& state) {
  auto c = make_case(jwt_algorithm::hs256);
  auto signed_part = c.token.substr(0, c.token.rfind('.'));
  for (auto _ : state)
    benchmark::DoNotOptimize(hs256_sign(hmac_key, signed_part));
}

/// The access gate's work for one tell to memory (authenticate, then the
/// route's permission with and without the message type), as the node of
/// bench/http_bench.sh's tell_auth (with `token`) or tell (protected mode,
/// a loopback client) does it.
struct gate_case {
  authenticator auth;
  std::string authorization;
  bool loopback = false;
};

gate_case make_gate_case(bool with_token) {
  bsm::security_options opts;
  opts.roles
    = {{"bench_tell",
        {"actors:memory:inject:bsm.v1.MemoryPutRequest", "actors:read"}}};
  if (!with_token)
    return {value_of(authenticator::make(opts)), "", true};
  // The authenticator reads its key from a file, at make() only.
  auto key_file = std::filesystem::temp_directory_path()
                  / ("bsm-security-bench-" + std::to_string(getpid()));
  std::ofstream{key_file} << hmac_key << "\n";
  opts.jwt_hs256_key_file = key_file;
  auto made = authenticator::make(opts);
  std::filesystem::remove(key_file);
  jwt_signer_options signing;
  signing.key = hmac_key;
  auto signer = value_of(jwt_signer::make(signing));
  auto issued = value_of(signer.issue({"http-bench", {"bench_tell"}, {}}, now));
  return {value_of(std::move(made)), "Bearer " + issued.token, false};
}

void gate_loop(benchmark::State& state, bool with_token) {
  auto c = make_gate_case(with_token);
  auto route
    = value_of(permission_template::parse("actors:{name}:inject:<type>"));
  const std::vector<std::pair<std::string, std::string>> params{
    {"name", "memory"}};
  const std::map<std::string, std::string> late{
    {"type", "bsm.v1.MemoryPutRequest"}};
  for (auto _ : state) {
    auto who = c.auth.authenticate(c.authorization, {c.loopback, {}}, now);
    if (!who || !(*who)->permissions.allows(route.resolve(params))
        || !(*who)->permissions.allows(route.resolve(params, late)))
      state.SkipWithError("tell refused");
    benchmark::DoNotOptimize(who);
  }
}

void BM_GateTellBearerHs256(benchmark::State& state) {
  gate_loop(state, true);
}

void BM_GateTellProtectedMode(benchmark::State& state) {
  gate_loop(state, false);
}

void password_loop(benchmark::State& state, password_kdf kdf) {
  password_hash_params defaults;
  defaults.kdf = kdf;
  auto phc = value_of(hash_password("correct horse battery staple", defaults));
  for (auto _ : state) {
    auto ok = verify_password("correct horse battery staple", phc);
    if (!ok || !*ok)
      state.SkipWithError("password refused");
  }
}

void BM_VerifyPasswordScryptDefault(benchmark::State& state) {
  password_loop(state, password_kdf::scrypt);
}

void BM_VerifyPasswordPbkdf2Default(benchmark::State& state) {
  password_loop(state, password_kdf::pbkdf2_sha256);
}

} // namespace

BENCHMARK(BM_RawHmacSha256);
BENCHMARK(BM_JwtVerifyHs256);
BENCHMARK(BM_JwtRefuseHs256BadSignature);
BENCHMARK(BM_JwtVerifyRs256);
BENCHMARK(BM_JwtVerifyEs256);
BENCHMARK(BM_GateTellProtectedMode);
BENCHMARK(BM_GateTellBearerHs256);
BENCHMARK(BM_VerifyPasswordScryptDefault)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyPasswordPbkdf2Default)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
