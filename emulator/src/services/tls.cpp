// tls: TLS in front of any TCP service (RFC 8446, and TLS 1.2 for older
// clients), with OpenSSL working on memory buffers: the ciphertext crosses the
// emulated link like any other bytes, so latency, loss, faults and the trace
// apply to the handshake too.
//
// Certificates: the scenario's own (`tls: {cert: FILE, key: FILE}`), or one
// issued for the virtual host's name and address by the run's CA. That CA is an
// Ed25519 key derived from the seed, so one seed gives the same CA certificate,
// the same server certificates and, Ed25519 signatures being deterministic,
// handshakes of the same sizes every run: replay stays exact. A device script
// that verifies (ussl.wrap_socket(..., ca=...)) needs that CA: Device.tls_ca()
// and `qpysim run --tls-ca FILE` hand it out. The CA key is derivable from the
// seed by design; it is trusted by nothing but the scripts a run gives it to.
//
// Deliberate simplifications: no session tickets or resumption, no client
// certificates asked for, validity 2020-2099 (clients check it against the
// PC's clock, not the module's RTC).
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstring>

#include "kinds.hpp"
#include "qpysim/faults.hpp"
#include "qpysim/modem.hpp"

namespace qpysim {

namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const noexcept { Free(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using SslCtx = std::shared_ptr<SSL_CTX>;

// The oldest error OpenSSL queued on this thread, as text; the queue is emptied.
std::string openssl_error(const char* what) {
    std::string text = what;
    const unsigned long e = ERR_get_error();
    if (e != 0) {
        std::array<char, 256> buf{};
        ERR_error_string_n(e, buf.data(), buf.size());
        text += std::string(": ") + buf.data();
    }
    ERR_clear_error();
    return text;
}

[[noreturn]] void fail(const char* what) {
    throw UsageError(openssl_error(what));
}

// 32 bytes from the seed and a label: an Ed25519 private key.
PKey derived_key(std::uint64_t seed, std::uint64_t label) {
    std::array<unsigned char, 32> raw{};
    std::uint64_t x = mix64(seed ^ 0x746c'735f'6b65'79ULL) ^ label;
    for (std::size_t i = 0; i < raw.size(); i += 8) {
        x = mix64(x);
        for (std::size_t b = 0; b < 8; ++b)
            raw[i + b] = static_cast<unsigned char>(x >> (8 * b));
    }
    PKey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()));
    if (!key) fail("cannot make an Ed25519 key");
    return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) fail("cannot make a certificate extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

Cert make_cert(EVP_PKEY* key, const std::string& cn, std::uint64_t serial, X509* issuer,
               EVP_PKEY* issuer_key, const std::vector<std::pair<int, std::string>>& exts) {
    Cert cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial);
    ASN1_TIME_set_string_X509(X509_getm_notBefore(cert.get()), "20200101000000Z");
    ASN1_TIME_set_string_X509(X509_getm_notAfter(cert.get()), "20991231235959Z");
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("qpysim"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(cert.get(), key);
    X509* signer = issuer ? issuer : cert.get();
    for (const auto& [nid, value] : exts)
        add_ext(cert.get(), signer, nid, value);
    if (X509_sign(cert.get(), issuer_key, nullptr) <= 0) fail("cannot sign a certificate");
    return cert;
}

std::string cert_pem(X509* cert) {
    Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), cert);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string key_pem(EVP_PKEY* key) {
    Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

// A server context with one certificate and key (PEM). Throws UsageError.
SslCtx server_context(const std::string& cert, const std::string& key) {
    ERR_clear_error();
    SslCtx ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
    if (!ctx) fail("cannot make a TLS context");
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_num_tickets(ctx.get(), 0);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
    Bio cbio(BIO_new_mem_buf(cert.data(), static_cast<int>(cert.size())));
    Cert leaf(PEM_read_bio_X509(cbio.get(), nullptr, nullptr, nullptr));
    if (!leaf) fail("the certificate is not a PEM certificate");
    if (SSL_CTX_use_certificate(ctx.get(), leaf.get()) != 1) fail("cannot use the certificate");
    // The rest of the file: the chain up to (not including) the root.
    while (X509* extra = PEM_read_bio_X509(cbio.get(), nullptr, nullptr, nullptr)) {
        if (SSL_CTX_add_extra_chain_cert(ctx.get(), extra) != 1) {
            X509_free(extra);
            fail("cannot use a chain certificate");
        }
    }
    ERR_clear_error();  // the end of the file
    Bio kbio(BIO_new_mem_buf(key.data(), static_cast<int>(key.size())));
    PKey pkey(PEM_read_bio_PrivateKey(kbio.get(), nullptr, nullptr, nullptr));
    if (!pkey) fail("the key is not a PEM private key (an encrypted key cannot be used)");
    if (SSL_CTX_use_PrivateKey(ctx.get(), pkey.get()) != 1) fail("cannot use the key");
    if (SSL_CTX_check_private_key(ctx.get()) != 1) fail("the key does not match the certificate");
    return ctx;
}

// The TLS server of one connection: ciphertext from the device in, plaintext
// to the inner session; the inner session's plaintext out, ciphertext on.
class TlsLayer final : public Session, public Stream {
  public:
    TlsLayer(Modem& modem, SslCtx ctx, std::shared_ptr<Session> inner, std::string at)
        : modem_(modem), ctx_(std::move(ctx)), inner_(std::move(inner)), at_(std::move(at)) {
        ssl_ = SSL_new(ctx_.get());
        BIO* rbio = BIO_new(BIO_s_mem());
        BIO* wbio = BIO_new(BIO_s_mem());
        wbio_ = wbio;
        SSL_set_bio(ssl_, rbio, wbio);  // the SSL owns both now
        rbio_ = rbio;
        SSL_set_accept_state(ssl_);
        inner_->attach(this);
    }
    ~TlsLayer() override {
        inner_->detach();
        SSL_free(ssl_);
    }

    // ---- Session: the connection's side
    void on_data(std::string_view cipher) override {
        BIO_write(rbio_, cipher.data(), static_cast<int>(cipher.size()));
        pump();
    }
    void on_eof() override {
        if (done_) return;
        if (!ready_) {
            close();  // the client gave up during the handshake
            return;
        }
        // A FIN without close_notify: the data was not cut short on purpose
        // as far as the inner session can tell; it hears the end all the same.
        done_ = true;
        inner_->on_eof();
    }
    void on_closed() override {
        closed_ = true;
        inner_->on_closed();
    }

    // ---- Stream: the inner session's side
    void send(std::string_view plain) override {
        if (!ready_ || closed_ || plain.empty()) return;
        ERR_clear_error();
        std::size_t written = 0;
        if (SSL_write_ex(ssl_, plain.data(), plain.size(), &written) != 1) {
            fail_connection("write");
            return;
        }
        flush();
    }
    void close() override {
        if (closed_) return;
        if (ready_ && !shut_) {
            shut_ = true;
            ERR_clear_error();
            SSL_shutdown(ssl_);  // close_notify
            flush();
        }
        Session::close();
    }
    void reset() override { Session::reset(); }
    bool open() const noexcept override { return ready_ && !closed_ && is_open(); }
    Endpoint remote() const override { return Session::remote(); }

  private:
    void pump() {
        auto self = shared_from_this();  // the inner session may end the connection
        ERR_clear_error();
        if (!ready_) {
            const int r = SSL_do_handshake(ssl_);
            flush();
            if (r != 1) {
                const int e = SSL_get_error(ssl_, r);
                if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                    fail_connection("handshake");
                }
                return;
            }
            ready_ = true;
            modem_.trace_event(TraceEvent(modem_.sched().now(), "tls")
                                   .str("at", at_)
                                   .str("event", "handshake")
                                   .str("version", SSL_get_version(ssl_))
                                   .str("cipher", SSL_get_cipher_name(ssl_)));
            inner_->on_open();
        }
        std::array<char, 16 * 1024> buf{};
        while (!closed_ && !done_) {
            std::size_t n = 0;
            const int r = SSL_read_ex(ssl_, buf.data(), buf.size(), &n);
            if (r == 1) {
                inner_->on_data(std::string_view(buf.data(), n));
                continue;
            }
            const int e = SSL_get_error(ssl_, 0);
            if (e == SSL_ERROR_ZERO_RETURN) {
                done_ = true;  // close_notify: the device is done sending
                flush();
                inner_->on_eof();
            } else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                fail_connection("read");
            }
            break;
        }
        flush();
    }

    // Send what OpenSSL has for the wire.
    void flush() {
        std::array<char, 16 * 1024> buf{};
        while (BIO_ctrl_pending(wbio_) > 0) {
            const int n = BIO_read(wbio_, buf.data(), static_cast<int>(buf.size()));
            if (n <= 0) break;
            Session::send(std::string_view(buf.data(), static_cast<std::size_t>(n)));
        }
    }

    void fail_connection(const char* stage) {
        flush();  // an alert, if OpenSSL made one
        modem_.trace_event(TraceEvent(modem_.sched().now(), "tls")
                               .str("at", at_)
                               .str("event", std::string(stage) + " failed")
                               .str("error", openssl_error("TLS")));
        closed_ = true;
        Session::close();
    }

    Modem& modem_;
    SslCtx ctx_;
    std::shared_ptr<Session> inner_;
    std::string at_;
    SSL* ssl_ = nullptr;
    BIO* rbio_ = nullptr;
    BIO* wbio_ = nullptr;
    bool ready_ = false;   // handshake done
    bool done_ = false;    // the device's side has ended
    bool shut_ = false;    // our close_notify went out
    bool closed_ = false;  // the connection is gone, or failed
};

class TlsService final : public Service {
  public:
    TlsService(ServiceContext ctx, std::shared_ptr<Service> inner, SslCtx ssl)
        : Service(std::move(ctx)), inner_(std::move(inner)), ssl_(std::move(ssl)) {}

    std::shared_ptr<Session> open_session() override {
        auto inner = inner_->open_session();
        if (!inner) return nullptr;
        return std::make_shared<TlsLayer>(modem(), ssl_, std::move(inner),
                                          context().at.to_string());
    }
    void on_fault(const Fault& f) override { inner_->on_fault(f); }
    mqtt::BrokerAccess* broker_access() noexcept override { return inner_->broker_access(); }

  private:
    std::shared_ptr<Service> inner_;
    SslCtx ssl_;
};

}  // namespace

// ---------------------------------------------------------------- TlsAuthority

struct TlsAuthority::Impl {
    PKey key;
    Cert cert;
};

TlsAuthority::TlsAuthority(std::uint64_t seed) : impl_(std::make_unique<Impl>()), seed_(seed) {
    impl_->key = derived_key(seed, 1);
    char cn[64];
    std::snprintf(cn, sizeof cn, "qpysim CA (seed %llu)", static_cast<unsigned long long>(seed));
    impl_->cert = make_cert(impl_->key.get(), cn, 1, nullptr, impl_->key.get(),
                            {{NID_basic_constraints, "critical,CA:TRUE"},
                             {NID_key_usage, "critical,keyCertSign,cRLSign"},
                             {NID_subject_key_identifier, "hash"},
                             {NID_authority_key_identifier, "keyid:always"}});
    ca_pem_ = cert_pem(impl_->cert.get());
}

TlsAuthority::~TlsAuthority() = default;

std::pair<std::string, std::string> TlsAuthority::issue(const std::string& name,
                                                        const IpAddress& ip) {
    const std::uint64_t serial = serial_++;
    // FNV-1a of the name and address: the same key for the same host every run.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : name + "|" + ip.to_string())
        h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    PKey key = derived_key(seed_, mix64(serial) ^ h);
    std::string san = "IP:" + ip.to_string();
    if (!name.empty()) san = "DNS:" + name + "," + san;
    Cert cert = make_cert(key.get(), name.empty() ? ip.to_string() : name, serial,
                          impl_->cert.get(), impl_->key.get(),
                          {{NID_basic_constraints, "critical,CA:FALSE"},
                           {NID_key_usage, "critical,digitalSignature"},
                           {NID_ext_key_usage, "serverAuth"},
                           {NID_subject_alt_name, san},
                           {NID_subject_key_identifier, "hash"},
                           {NID_authority_key_identifier, "keyid:always"}});
    return {cert_pem(cert.get()), key_pem(key.get())};
}

// ---------------------------------------------------------------- the service

std::optional<std::string> check_ca_certificates(const std::string& pem) {
    ERR_clear_error();
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    std::vector<Cert> certs;
    while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
        certs.emplace_back(c);
    ERR_clear_error();
    if (certs.empty()) return std::string("no certificate in the CA data");
    std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>> store(X509_STORE_new());
    for (const auto& c : certs)
        X509_STORE_add_cert(store.get(), c.get());
    std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>> ctx(
        X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), certs.front().get(), nullptr);
    const bool ok = X509_verify_cert(ctx.get()) == 1;
    const int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    if (ok || err == X509_V_ERR_CERT_NOT_YET_VALID) return std::nullopt;
    return std::string(X509_verify_cert_error_string(err));
}

std::optional<std::string> check_key_pair(const std::string& cert, const std::string& key) {
    ERR_clear_error();
    Bio kbio(BIO_new_mem_buf(key.data(), static_cast<int>(key.size())));
    PKey pkey(PEM_read_bio_PrivateKey(kbio.get(), nullptr, nullptr, nullptr));
    Bio cbio(BIO_new_mem_buf(cert.data(), static_cast<int>(cert.size())));
    Cert leaf(PEM_read_bio_X509(cbio.get(), nullptr, nullptr, nullptr));
    std::optional<std::string> problem;
    if (!pkey) {
        problem = "key";
    } else if (!leaf) {
        problem = "cert";
    } else if (X509_check_private_key(leaf.get(), pkey.get()) != 1) {
        problem = "mismatch";
    }
    ERR_clear_error();
    return problem;
}

void check_tls_config(const TlsConfig& tls) {
    server_context(tls.cert_pem, tls.key_pem);
}

std::shared_ptr<Service> make_tls_service(std::shared_ptr<Service> inner, const TlsConfig& tls,
                                          ServiceContext ctx) {
    std::string cert = tls.cert_pem;
    std::string key = tls.key_pem;
    if (cert.empty()) {
        std::tie(cert, key) = ctx.modem->tls_authority().issue(ctx.host, ctx.at.ip);
    }
    auto ssl = server_context(cert, key);
    return std::make_shared<TlsService>(std::move(ctx), std::move(inner), std::move(ssl));
}

}  // namespace qpysim
