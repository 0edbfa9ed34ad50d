/*
 * AES-256-GCM for wire format v1, with one OpenSSL cipher context per derived key.
 *
 * Node's createCipheriv builds a new cipher context for every payload: the key schedule and the GHASH tables are
 * computed again each time, which costs several times the encryption itself for payloads of a few kilobytes. Here a
 * context is set up once per derived key and each payload only sets its nonce. The cryptography is OpenSSL's, the
 * same library (and, linked against Node's own symbols, the same build) that node:crypto uses; this file only does
 * the framing of wire format v1:
 *
 *   salt (32) || commitment (32) || nonce (12) || ciphertext || tag (16)
 *
 * Every length is checked here again, whatever the caller checked: a bad argument throws a TypeError or RangeError,
 * a failed authentication returns false after wiping the output. Nothing here logs or keeps plaintext.
 */
#include <limits.h>
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>

#define KEY_BYTES 32
#define NONCE_OFFSET 64
#define HEADER_BYTES 76
#define NONCE_BYTES 12
#define TAG_BYTES 16
/* EVP takes int lengths; larger inputs go through in chunks of this size. */
#define CHUNK_BYTES (1 << 30)

typedef struct {
  EVP_CIPHER_CTX *ctx;
} AeadKey;

/*
 * What one keyed context holds outside the JavaScript heap (the context, the key schedule and the GHASH table),
 * rounded up. Reported to V8 so that handles left to the garbage collector are collected under memory pressure.
 */
#define CONTEXT_BYTES 1024

/* Marks the externals this module created, so a foreign external is refused rather than misread. */
static const napi_type_tag AEAD_KEY_TAG = {0x7476633161656164ULL, 0x6165732d67636d31ULL};

static void free_key(AeadKey *key) {
  if (key->ctx != NULL) {
    /* Frees the cipher's state; OpenSSL cleanses the key schedule before releasing it. */
    EVP_CIPHER_CTX_free(key->ctx);
    key->ctx = NULL;
  }
}

static void finalize_key(napi_env env, void *data, void *hint) {
  (void)hint;
  int64_t adjusted;
  free_key((AeadKey *)data);
  free(data);
  napi_adjust_external_memory(env, -CONTEXT_BYTES, &adjusted);
}

static napi_value fail(napi_env env, const char *code, const char *message, bool range) {
  if (range) napi_throw_range_error(env, code, message);
  else napi_throw_type_error(env, code, message);
  return NULL;
}

static bool get_bytes(napi_env env, napi_value value, unsigned char **data, size_t *length) {
  bool is_typed_array = false;
  if (napi_is_typedarray(env, value, &is_typed_array) != napi_ok || !is_typed_array) return false;
  napi_typedarray_type type;
  void *pointer = NULL;
  if (napi_get_typedarray_info(env, value, &type, length, &pointer, NULL, NULL) != napi_ok) return false;
  if (type != napi_uint8_array) return false;
  /* A zero-length view may have no backing store; give OpenSSL a valid pointer for it. */
  static unsigned char empty[1];
  *data = pointer != NULL ? (unsigned char *)pointer : empty;
  return true;
}

static bool get_key(napi_env env, napi_value value, AeadKey **key) {
  bool tagged = false;
  if (napi_check_object_type_tag(env, value, &AEAD_KEY_TAG, &tagged) != napi_ok || !tagged) return false;
  return napi_get_value_external(env, value, (void **)key) == napi_ok;
}

/* Reads exactly `count` arguments, the first a key handle of this module. */
static bool get_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv, AeadKey **key) {
  size_t argc = count;
  return napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == count &&
         get_key(env, argv[0], key);
}

/* Feeds `length` bytes through the cipher, in chunks EVP accepts; `out` may equal `in`. */
static bool update(EVP_CIPHER_CTX *ctx, unsigned char *out, const unsigned char *in, size_t length) {
  while (length > 0) {
    int chunk = length > CHUNK_BYTES ? CHUNK_BYTES : (int)length;
    int written = 0;
    if (EVP_CipherUpdate(ctx, out, &written, in, chunk) != 1 || written != chunk) return false;
    out += chunk;
    in += chunk;
    length -= (size_t)chunk;
  }
  return true;
}

/* Whether two byte ranges share memory; the cipher's input and output must be the same bytes or disjoint. */
static bool overlap(const unsigned char *a, size_t a_length, const unsigned char *b, size_t b_length) {
  return a_length > 0 && b_length > 0 && a < b + b_length && b < a + a_length;
}

static bool add_aad(EVP_CIPHER_CTX *ctx, const unsigned char *aad, size_t length) {
  if (length > INT_MAX) return false;
  int written = 0;
  return length == 0 || EVP_CipherUpdate(ctx, NULL, &written, aad, (int)length) == 1;
}

/* createKey(key: Uint8Array(32)): an opaque handle holding an AES-256-GCM context keyed once. */
static napi_value create_key(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) {
    return fail(env, "ERR_INVALID_ARG", "createKey(key) takes one argument", false);
  }
  unsigned char *bytes;
  size_t length;
  if (!get_bytes(env, argv[0], &bytes, &length)) return fail(env, "ERR_INVALID_ARG", "key must be a Uint8Array", false);
  if (length != KEY_BYTES) return fail(env, "ERR_INVALID_ARG", "key must be 32 bytes", true);

  AeadKey *key = calloc(1, sizeof(AeadKey));
  if (key == NULL) return fail(env, "ERR_NATIVE_AEAD", "out of memory", false);
  key->ctx = EVP_CIPHER_CTX_new();
  if (key->ctx == NULL || EVP_CipherInit_ex(key->ctx, EVP_aes_256_gcm(), NULL, bytes, NULL, 1) != 1 ||
      EVP_CIPHER_CTX_ctrl(key->ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_BYTES, NULL) != 1) {
    free_key(key);
    free(key);
    return fail(env, "ERR_NATIVE_AEAD", "cannot initialize AES-256-GCM", false);
  }
  napi_value handle;
  if (napi_create_external(env, key, finalize_key, NULL, &handle) != napi_ok) {
    free_key(key);
    free(key);
    return fail(env, "ERR_NATIVE_AEAD", "cannot create key handle", false);
  }
  int64_t adjusted;
  napi_adjust_external_memory(env, CONTEXT_BYTES, &adjusted);
  if (napi_type_tag_object(env, handle, &AEAD_KEY_TAG) != napi_ok) {
    return fail(env, "ERR_NATIVE_AEAD", "cannot tag key handle", false);
  }
  return handle;
}

/* disposeKey(handle): frees the context now instead of at garbage collection. Idempotent. */
static napi_value dispose_key(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  AeadKey *key;
  if (!get_args(env, info, 1, argv, &key)) {
    return fail(env, "ERR_INVALID_ARG", "disposeKey(handle) takes a key handle", false);
  }
  free_key(key);
  return NULL;
}

/*
 * seal(handle, out, headLength, body, aad): `out` holds the nonce at offset 64 and `headLength` plaintext bytes at
 * offset 76; the head is encrypted in place, `body` is encrypted after it, and the tag fills the last 16 bytes.
 */
static napi_value seal(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  AeadKey *key;
  unsigned char *out, *body, *aad;
  size_t out_length, body_length, aad_length;
  double head_number;
  if (!get_args(env, info, 5, argv, &key) || !get_bytes(env, argv[1], &out, &out_length) ||
      napi_get_value_double(env, argv[2], &head_number) != napi_ok || !get_bytes(env, argv[3], &body, &body_length) ||
      !get_bytes(env, argv[4], &aad, &aad_length)) {
    return fail(env, "ERR_INVALID_ARG", "seal(handle, out, headLength, body, aad): bad argument", false);
  }
  if (key->ctx == NULL) return fail(env, "ERR_NATIVE_AEAD_DISPOSED", "key handle was disposed", false);
  /* Also false for NaN. */
  if (!(head_number >= 0 && head_number <= (double)out_length && head_number == (double)(size_t)head_number)) {
    return fail(env, "ERR_INVALID_ARG", "seal: headLength must be an integer within the output buffer", true);
  }
  size_t head_length = (size_t)head_number;
  if (out_length < HEADER_BYTES + TAG_BYTES || out_length - HEADER_BYTES - TAG_BYTES < head_length ||
      out_length - HEADER_BYTES - TAG_BYTES - head_length != body_length) {
    return fail(env, "ERR_INVALID_ARG", "seal: output buffer has the wrong length", true);
  }
  if (overlap(out, out_length, body, body_length) || overlap(out, out_length, aad, aad_length)) {
    return fail(env, "ERR_INVALID_ARG", "seal: body and aad must not share memory with the output", false);
  }
  unsigned char *head = out + HEADER_BYTES;
  int written = 0;
  bool ok = EVP_CipherInit_ex(key->ctx, NULL, NULL, NULL, out + NONCE_OFFSET, 1) == 1 &&
            add_aad(key->ctx, aad, aad_length) && update(key->ctx, head, head, head_length) &&
            update(key->ctx, head + head_length, body, body_length) &&
            EVP_CipherFinal_ex(key->ctx, head + head_length + body_length, &written) == 1 && written == 0 &&
            EVP_CIPHER_CTX_ctrl(key->ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, out + out_length - TAG_BYTES) == 1;
  if (!ok) {
    OPENSSL_cleanse(out, out_length);
    return fail(env, "ERR_NATIVE_AEAD", "AES-256-GCM encryption failed", false);
  }
  return NULL;
}

/*
 * open(handle, data, aad, out): decrypts and authenticates sealed `data` into `out` (data.length - 92 bytes).
 * Returns true, or false with `out` wiped when authentication fails. The commitment is checked by the caller.
 */
static napi_value open_sealed(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  AeadKey *key;
  unsigned char *data, *aad, *out;
  size_t data_length, aad_length, out_length;
  if (!get_args(env, info, 4, argv, &key) || !get_bytes(env, argv[1], &data, &data_length) ||
      !get_bytes(env, argv[2], &aad, &aad_length) || !get_bytes(env, argv[3], &out, &out_length)) {
    return fail(env, "ERR_INVALID_ARG", "open(handle, data, aad, out): bad argument", false);
  }
  if (key->ctx == NULL) return fail(env, "ERR_NATIVE_AEAD_DISPOSED", "key handle was disposed", false);
  if (data_length < HEADER_BYTES + TAG_BYTES || out_length != data_length - HEADER_BYTES - TAG_BYTES) {
    return fail(env, "ERR_INVALID_ARG", "open: output buffer has the wrong length", true);
  }
  if (overlap(out, out_length, data, data_length) || overlap(out, out_length, aad, aad_length)) {
    return fail(env, "ERR_INVALID_ARG", "open: the output must not share memory with data or aad", false);
  }
  unsigned char tag[TAG_BYTES];
  for (int i = 0; i < TAG_BYTES; i++) tag[i] = data[data_length - TAG_BYTES + i];
  int written = 0;
  bool ok = EVP_CipherInit_ex(key->ctx, NULL, NULL, NULL, data + NONCE_OFFSET, 0) == 1 &&
            add_aad(key->ctx, aad, aad_length) && update(key->ctx, out, data + HEADER_BYTES, out_length) &&
            EVP_CIPHER_CTX_ctrl(key->ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag) == 1 &&
            EVP_CipherFinal_ex(key->ctx, out + out_length, &written) == 1 && written == 0;
  /* Unauthenticated plaintext never reaches the caller. */
  if (!ok) OPENSSL_cleanse(out, out_length);
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

static bool export_function(napi_env env, napi_value exports, const char *name, napi_callback callback) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

NAPI_MODULE_INIT() {
  if (!export_function(env, exports, "createKey", create_key) ||
      !export_function(env, exports, "disposeKey", dispose_key) || !export_function(env, exports, "seal", seal) ||
      !export_function(env, exports, "open", open_sealed)) {
    return NULL;
  }
  napi_value layout;
  if (napi_create_uint32(env, HEADER_BYTES, &layout) != napi_ok ||
      napi_set_named_property(env, exports, "headerBytes", layout) != napi_ok) {
    return NULL;
  }
  return exports;
}
