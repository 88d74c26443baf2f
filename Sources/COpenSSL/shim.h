// OpenSSL 3. Control macros (SSL_CTX_set_mode, DTLSv1_get_timeout, ...), SSL_OP_* constants of
// 64-bit macro form, and the variadic EVP_EC_gen are restated as inline functions.
#pragma once
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/x509.h>
#include <openssl/bio.h>
#include <openssl/rand.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>

static inline uint64_t kiosk_SSL_OP_NO_QUERY_MTU(void) { return SSL_OP_NO_QUERY_MTU; }
static inline uint64_t kiosk_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }
static inline long kiosk_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long kiosk_SSL_CTX_set_read_ahead(SSL_CTX *ctx, int yes) { SSL_CTX_set_read_ahead(ctx, yes); return 1; }
static inline long kiosk_DTLS_set_link_mtu(SSL *ssl, long mtu) { return DTLS_set_link_mtu(ssl, mtu); }
static inline long kiosk_SSL_set_mtu(SSL *ssl, long mtu) { return SSL_set_mtu(ssl, mtu); }
static inline long kiosk_DTLSv1_get_timeout(SSL *ssl, struct timeval *tv) { return DTLSv1_get_timeout(ssl, tv); }
static inline long kiosk_DTLSv1_handle_timeout(SSL *ssl) { return DTLSv1_handle_timeout(ssl); }
static inline long kiosk_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) { return SSL_CTX_set1_groups_list(ctx, list); }
static inline long kiosk_BIO_get_mem_data(BIO *b, char **pp) { return BIO_get_mem_data(b, pp); }
static inline EVP_PKEY *kiosk_EVP_EC_gen_P256(void) { return EVP_EC_gen("P-256"); }
static inline long kiosk_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int v) { return SSL_CTX_set_min_proto_version(ctx, v); }
static inline long kiosk_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int v) { return SSL_CTX_set_max_proto_version(ctx, v); }
static inline int kiosk_DTLS1_2_VERSION(void) { return DTLS1_2_VERSION; }
static inline int kiosk_BIO_CTRL_FLUSH(void) { return BIO_CTRL_FLUSH; }
static inline int kiosk_BIO_CTRL_DGRAM_QUERY_MTU(void) { return BIO_CTRL_DGRAM_QUERY_MTU; }
static inline int kiosk_BIO_CTRL_WPENDING(void) { return BIO_CTRL_WPENDING; }
static inline int kiosk_BIO_CTRL_PENDING(void) { return BIO_CTRL_PENDING; }
static inline void kiosk_BIO_set_retry_read(BIO *b) { BIO_set_retry_read(b); }
static inline void kiosk_BIO_clear_retry_flags(BIO *b) { BIO_clear_retry_flags(b); }
static inline long kiosk_SSL_set_tlsext_host_name(SSL *ssl, const char *name) { return SSL_set_tlsext_host_name(ssl, name); }
