#ifndef POSTLS_COPENSSL_SHIM_H
#define POSTLS_COPENSSL_SHIM_H
// OpenSSL macros are invisible to Swift; each gets a static inline wrapper named COpenSSL_<name>.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include <openssl/core_names.h>

static inline unsigned long COpenSSL_version_num(void) { return OpenSSL_version_num(); }
static inline const char *COpenSSL_version_text(void) { return OpenSSL_version(OPENSSL_VERSION); }

static inline long COpenSSL_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int v) { return SSL_CTX_set_min_proto_version(ctx, v); }
static inline long COpenSSL_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int v) { return SSL_CTX_set_max_proto_version(ctx, v); }
static inline long COpenSSL_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) { return SSL_CTX_set1_groups_list(ctx, list); }
static inline long COpenSSL_SSL_set_tlsext_host_name(SSL *ssl, const char *name) { return SSL_set_tlsext_host_name(ssl, name); }
static inline X509 *COpenSSL_SSL_get_peer_certificate(const SSL *ssl) { return SSL_get1_peer_certificate(ssl); }
static inline int COpenSSL_SSL_get_peer_tmp_key(SSL *ssl, EVP_PKEY **key) { return (int)SSL_get_peer_tmp_key(ssl, key); }
static inline int COpenSSL_SSL_get_negotiated_group(SSL *ssl) { return (int)SSL_get_negotiated_group(ssl); }
static inline long COpenSSL_SSL_CTX_set_options(SSL_CTX *ctx, uint64_t op) { return (long)SSL_CTX_set_options(ctx, op); }
static inline uint64_t COpenSSL_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }
static inline uint64_t COpenSSL_SSL_OP_IGNORE_UNEXPECTED_EOF(void) { return SSL_OP_IGNORE_UNEXPECTED_EOF; }
static inline uint64_t COpenSSL_SSL_OP_LEGACY_SERVER_CONNECT(void) { return SSL_OP_LEGACY_SERVER_CONNECT; }
static inline int COpenSSL_TLS1_VERSION(void) { return TLS1_VERSION; }
static inline int COpenSSL_TLS1_1_VERSION(void) { return TLS1_1_VERSION; }
static inline int COpenSSL_TLS1_2_VERSION(void) { return TLS1_2_VERSION; }
static inline int COpenSSL_TLS1_3_VERSION(void) { return TLS1_3_VERSION; }

// Stacks are typed macros in OpenSSL 3; these take the untyped stack.
static inline int COpenSSL_sk_X509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
static inline X509 *COpenSSL_sk_X509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
static inline STACK_OF(X509) *COpenSSL_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int COpenSSL_sk_X509_push(STACK_OF(X509) *sk, X509 *x) { return sk_X509_push(sk, x); }
static inline void COpenSSL_sk_X509_free(STACK_OF(X509) *sk) { sk_X509_free(sk); }
static inline void COpenSSL_sk_X509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }
static inline int COpenSSL_sk_GENERAL_NAME_num(const GENERAL_NAMES *sk) { return sk_GENERAL_NAME_num(sk); }
static inline GENERAL_NAME *COpenSSL_sk_GENERAL_NAME_value(const GENERAL_NAMES *sk, int i) { return sk_GENERAL_NAME_value(sk, i); }
static inline void COpenSSL_GENERAL_NAMES_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }
static inline void COpenSSL_sk_SSL_CIPHER_free(STACK_OF(SSL_CIPHER) *sk) { sk_SSL_CIPHER_free(sk); }
static inline int COpenSSL_sk_SSL_CIPHER_num(const STACK_OF(SSL_CIPHER) *sk) { return sk_SSL_CIPHER_num(sk); }
static inline const SSL_CIPHER *COpenSSL_sk_SSL_CIPHER_value(const STACK_OF(SSL_CIPHER) *sk, int i) { return sk_SSL_CIPHER_value(sk, i); }

// GENERAL_NAME is a union; read it here instead of in Swift.
static inline int COpenSSL_GENERAL_NAME_type(const GENERAL_NAME *n) { return n->type; }
static inline const ASN1_STRING *COpenSSL_GENERAL_NAME_dns(const GENERAL_NAME *n) { return n->type == GEN_DNS ? n->d.dNSName : NULL; }
static inline const ASN1_OCTET_STRING *COpenSSL_GENERAL_NAME_ip(const GENERAL_NAME *n) { return n->type == GEN_IPADD ? n->d.iPAddress : NULL; }
static inline int COpenSSL_GEN_DNS(void) { return GEN_DNS; }
static inline int COpenSSL_GEN_IPADD(void) { return GEN_IPADD; }

static inline long COpenSSL_BIO_get_mem_data(BIO *b, char **pp) { return BIO_get_mem_data(b, pp); }
static inline void COpenSSL_free(void *p) { OPENSSL_free(p); }
static inline int COpenSSL_ERR_GET_LIB(unsigned long e) { return ERR_GET_LIB(e); }
static inline int COpenSSL_ERR_GET_REASON(unsigned long e) { return ERR_GET_REASON(e); }
static inline int COpenSSL_XN_FLAG_RFC2253(void) { return (int)XN_FLAG_RFC2253; }
static inline unsigned long COpenSSL_XN_FLAG_ONELINE(void) { return XN_FLAG_ONELINE; }


// Key generation: EVP_RSA_gen/EVP_EC_gen are variadic macros.
static inline EVP_PKEY *COpenSSL_RSA_gen(unsigned int bits) { return EVP_RSA_gen(bits); }
static inline EVP_PKEY *COpenSSL_EC_gen(const char *curve) { return EVP_EC_gen(curve); }

// X509V3_CTX is a struct Swift should not lay out; build and add one extension here.
static inline int COpenSSL_X509_add_ext_conf(X509 *issuer, X509 *subject, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, subject, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL) return 0;
    int ok = X509_add_ext(subject, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}
static inline int COpenSSL_X509_REQ_add_san(X509_REQ *req, const char *value) {
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    if (exts == NULL) return 0;
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, value);
    if (ext == NULL) { sk_X509_EXTENSION_free(exts); return 0; }
    sk_X509_EXTENSION_push(exts, ext);
    int ok = X509_REQ_add_extensions(req, exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return ok;
}
static inline int COpenSSL_MBSTRING_UTF8(void) { return MBSTRING_UTF8; }

#endif
