/* esp.c: ESP encrypt/decrypt in place; see esp.h for the contract.
 *
 * Secrets: keys are copied into the OpenSSL contexts at esp_sa_new() and the
 * local copies wiped on every path out; nothing here logs key material. */
#include "gre/esp.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "gre/byteorder.h"

struct esp_slot {
	EVP_CIPHER_CTX *c;
	EVP_MAC_CTX *m; /* CBC only */
};

struct esp_sa {
	uint32_t spi;
	bool inbound, esn, aead;
	uint8_t iv_len, icv_len, block_len, salt_len;
	uint8_t salt[4];
	uint64_t seq_limit;
	_Atomic uint64_t seq_out;
	pthread_spinlock_t lock; /* inbound: guards rp */
	struct replay rp;
	struct esp_counters cnt;
	int nslots;
	struct esp_slot *slots;
	EVP_CIPHER *cipher;
	EVP_MAC *mac;
	uint64_t added_ms;
};

static uint64_t esp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void esp_sa_free(struct esp_sa *sa)
{
	if (!sa)
		return;
	for (int i = 0; i < sa->nslots && sa->slots; i++) {
		EVP_CIPHER_CTX_free(sa->slots[i].c); /* wipes the key schedule */
		EVP_MAC_CTX_free(sa->slots[i].m);
	}
	free(sa->slots);
	EVP_CIPHER_free(sa->cipher);
	EVP_MAC_free(sa->mac);
	pthread_spin_destroy(&sa->lock);
	OPENSSL_cleanse(sa->salt, sizeof(sa->salt));
	free(sa);
}

static int esp_check_cfg(const struct dp_sa_cfg *cfg)
{
	const struct suite *e = cfg->encr, *i = cfg->integ;
	if (!e || e->type != SUITE_ENCR)
		return -EINVAL;
	if (cfg->encr_key_len != e->key_len + e->salt_len ||
	    cfg->encr_key_len > sizeof(cfg->encr_key))
		return -EINVAL;
	if (e->aead) {
		if (e->salt_len != 4 || e->iv_len != 8 || e->icv_len != 16 || i)
			return -EINVAL;
	} else {
		if (!i || i->type != SUITE_INTEG || e->iv_len != 16 || e->block_len != 16)
			return -EINVAL;
		if (i->icv_len == 0 || i->icv_len > ESP_MAX_ICV || !i->ossl ||
		    cfg->integ_key_len != i->key_len || cfg->integ_key_len > sizeof(cfg->integ_key))
			return -EINVAL;
	}
	if (cfg->replay_window > REPLAY_WINDOW_MAX)
		return -EINVAL;
	return 0;
}

int esp_sa_new(const struct dp_sa_cfg *cfg, int slots, struct esp_sa **out)
{
	*out = NULL;
	int rc = esp_check_cfg(cfg);
	if (rc)
		return rc;
	if (slots < 1 || slots > 1024)
		return -EINVAL;
	const struct suite *e = cfg->encr;
	struct esp_sa *sa = calloc(1, sizeof(*sa));
	if (!sa)
		return -ENOMEM;
	pthread_spin_init(&sa->lock, PTHREAD_PROCESS_PRIVATE);
	sa->spi = cfg->spi;
	sa->inbound = cfg->inbound;
	sa->esn = cfg->esn;
	sa->aead = e->aead;
	sa->iv_len = e->iv_len;
	sa->icv_len = e->aead ? e->icv_len : cfg->integ->icv_len;
	sa->block_len = e->block_len < 4 ? 4 : e->block_len;
	sa->salt_len = e->salt_len;
	memcpy(sa->salt, cfg->encr_key + e->key_len, e->salt_len);
	sa->seq_limit = cfg->esn ? UINT64_MAX : UINT32_MAX;
	sa->added_ms = esp_now_ms();
	replay_init(&sa->rp, cfg->replay_window);
	sa->nslots = slots;
	sa->slots = calloc((size_t)slots, sizeof(*sa->slots));
	if (!sa->slots) {
		rc = -ENOMEM;
		goto fail;
	}
	/* the suite table names the cipher for OpenSSL (lib/suite.c) */
	sa->cipher = e->ossl ? EVP_CIPHER_fetch(NULL, e->ossl, NULL) : NULL;
	if (!sa->cipher || EVP_CIPHER_get_key_length(sa->cipher) != e->key_len) {
		rc = -ENOTSUP;
		goto fail;
	}
	OSSL_PARAM mparams[2];
	if (!sa->aead) {
		sa->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		if (!sa->mac) {
			rc = -ENOTSUP;
			goto fail;
		}
		mparams[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
							      (char *)cfg->integ->ossl, 0);
		mparams[1] = OSSL_PARAM_construct_end();
	}
	for (int s = 0; s < slots; s++) {
		struct esp_slot *sl = &sa->slots[s];
		sl->c = EVP_CIPHER_CTX_new();
		if (!sl->c) {
			rc = -ENOMEM;
			goto fail;
		}
		int ok = sa->inbound
			     ? EVP_DecryptInit_ex2(sl->c, sa->cipher, cfg->encr_key, NULL, NULL)
			     : EVP_EncryptInit_ex2(sl->c, sa->cipher, cfg->encr_key, NULL, NULL);
		if (!ok) {
			rc = -EIO;
			goto fail;
		}
		if (!sa->aead) {
			EVP_CIPHER_CTX_set_padding(sl->c, 0); /* ESP pads itself */
			sl->m = EVP_MAC_CTX_new(sa->mac);
			if (!sl->m ||
			    !EVP_MAC_init(sl->m, cfg->integ_key, cfg->integ_key_len, mparams)) {
				rc = -EIO;
				goto fail;
			}
		}
	}
	*out = sa;
	return 0;
fail:
	esp_sa_free(sa);
	return rc;
}

uint32_t esp_sa_spi(const struct esp_sa *sa)
{
	return sa->spi;
}

size_t esp_hdr_len(const struct esp_sa *sa)
{
	return ESP_HDR_LEN + sa->iv_len;
}

size_t esp_trailer_len(const struct esp_sa *sa, size_t plen)
{
	size_t padded = (plen + 2 + sa->block_len - 1) / sa->block_len * sa->block_len;
	return padded - plen + sa->icv_len;
}

size_t esp_max_overhead(const struct esp_sa *sa)
{
	return esp_hdr_len(sa) + (size_t)sa->block_len - 1 + 2 + sa->icv_len;
}

struct esp_counters *esp_sa_counters(struct esp_sa *sa)
{
	return &sa->cnt;
}

uint64_t esp_next_seq(struct esp_sa *sa)
{
	uint64_t s = atomic_fetch_add_explicit(&sa->seq_out, 1, memory_order_relaxed) + 1;
	if (s == 0 || s > sa->seq_limit) {
		/* keep the counter pinned at the limit so it never wraps to reuse */
		atomic_store_explicit(&sa->seq_out, sa->seq_limit, memory_order_relaxed);
		return 0;
	}
	return s;
}

uint64_t esp_last_seq(const struct esp_sa *sa)
{
	return atomic_load_explicit(&sa->seq_out, memory_order_relaxed);
}

void esp_sa_set_last_seq(struct esp_sa *sa, uint64_t last)
{
	atomic_store(&sa->seq_out, last);
	pthread_spin_lock(&sa->lock);
	replay_init(&sa->rp, sa->rp.window);
	if (last)
		replay_update(&sa->rp, last);
	pthread_spin_unlock(&sa->lock);
}

/* HMAC over SPI|seq|IV|ciphertext (+ seq_hi under ESN) into out (full digest). */
static int esp_mac(struct esp_sa *sa, struct esp_slot *sl, const uint8_t *esp, size_t authlen,
		   uint64_t seq, uint8_t *out)
{
	size_t olen = 0;
	if (!EVP_MAC_init(sl->m, NULL, 0, NULL) || !EVP_MAC_update(sl->m, esp, authlen))
		return -EIO;
	if (sa->esn) {
		uint8_t hi[4];
		wr32(hi, (uint32_t)(seq >> 32));
		if (!EVP_MAC_update(sl->m, hi, 4))
			return -EIO;
	}
	if (!EVP_MAC_final(sl->m, out, &olen, EVP_MAX_MD_SIZE) || olen < sa->icv_len)
		return -EIO;
	return 0;
}

static size_t esp_aad(const struct esp_sa *sa, const uint8_t *esp, uint64_t seq, uint8_t *aad)
{
	memcpy(aad, esp, 4);
	if (sa->esn) {
		wr32(aad + 4, (uint32_t)(seq >> 32));
		wr32(aad + 8, (uint32_t)seq);
		return 12;
	}
	wr32(aad + 4, (uint32_t)seq);
	return 8;
}

int esp_encrypt(struct esp_sa *sa, int slot, uint64_t seq, uint8_t *esp, size_t plen,
		uint8_t next_hdr, size_t cap)
{
	if (slot < 0 || slot >= sa->nslots)
		return -EINVAL;
	struct esp_slot *sl = &sa->slots[slot];
	size_t hdr = esp_hdr_len(sa), tr = esp_trailer_len(sa, plen);
	size_t total = hdr + plen + tr;
	if (total > cap || total > 65535)
		return -ENOSPC;
	wr32(esp, sa->spi);
	wr32(esp + 4, (uint32_t)seq);
	uint8_t *iv = esp + ESP_HDR_LEN, *pt = esp + hdr;
	size_t padlen = tr - sa->icv_len - 2;
	for (size_t i = 0; i < padlen; i++)
		pt[plen + i] = (uint8_t)(i + 1);
	pt[plen + padlen] = (uint8_t)padlen;
	pt[plen + padlen + 1] = next_hdr;
	size_t ctlen = plen + padlen + 2;
	uint8_t *icv = pt + ctlen;
	int outl = 0;

	if (sa->aead) {
		uint8_t nonce[12], aad[12];
		for (int i = 0; i < 8; i++)
			iv[i] = (uint8_t)(seq >> (56 - 8 * i));
		memcpy(nonce, sa->salt, 4);
		memcpy(nonce + 4, iv, 8);
		size_t aadlen = esp_aad(sa, esp, seq, aad);
		if (!EVP_EncryptInit_ex2(sl->c, NULL, NULL, nonce, NULL) ||
		    !EVP_EncryptUpdate(sl->c, NULL, &outl, aad, (int)aadlen) ||
		    !EVP_EncryptUpdate(sl->c, pt, &outl, pt, (int)ctlen) ||
		    !EVP_EncryptFinal_ex(sl->c, pt + outl, &outl) ||
		    !EVP_CIPHER_CTX_ctrl(sl->c, EVP_CTRL_AEAD_GET_TAG, sa->icv_len, icv))
			return -EIO;
	} else {
		uint8_t mac[EVP_MAX_MD_SIZE];
		if (RAND_bytes(iv, sa->iv_len) != 1)
			return -EIO;
		if (!EVP_EncryptInit_ex2(sl->c, NULL, NULL, iv, NULL) ||
		    !EVP_EncryptUpdate(sl->c, pt, &outl, pt, (int)ctlen) || (size_t)outl != ctlen)
			return -EIO;
		int rc = esp_mac(sa, sl, esp, hdr + ctlen, seq, mac);
		if (rc)
			return rc;
		memcpy(icv, mac, sa->icv_len);
	}
	atomic_fetch_add_explicit(&sa->cnt.packets, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&sa->cnt.bytes, plen, memory_order_relaxed);
	return (int)total;
}

int esp_decrypt(struct esp_sa *sa, int slot, uint8_t *esp, size_t len, struct esp_rx *rx)
{
	if (slot < 0 || slot >= sa->nslots)
		return -EINVAL;
	struct esp_slot *sl = &sa->slots[slot];
	size_t hdr = esp_hdr_len(sa);
	if (len < hdr + 2 + sa->icv_len) {
		atomic_fetch_add_explicit(&sa->cnt.malformed, 1, memory_order_relaxed);
		return -EMSGSIZE;
	}
	size_t ctlen = len - hdr - sa->icv_len;
	if (!sa->aead && (ctlen % sa->block_len)) {
		atomic_fetch_add_explicit(&sa->cnt.malformed, 1, memory_order_relaxed);
		return -EMSGSIZE;
	}
	uint32_t lo = rd32(esp + 4);
	uint64_t seq;
	enum replay_verdict v;
	pthread_spin_lock(&sa->lock);
	seq = sa->esn ? ((uint64_t)replay_infer_hi(&sa->rp, lo) << 32 | lo) : lo;
	v = replay_check(&sa->rp, seq);
	pthread_spin_unlock(&sa->lock);
	if (v != REPLAY_OK) {
		atomic_fetch_add_explicit(&sa->cnt.replay_fail, 1, memory_order_relaxed);
		return -EALREADY;
	}

	uint8_t *iv = esp + ESP_HDR_LEN, *ct = esp + hdr, *icv = ct + ctlen;
	int outl = 0;
	if (sa->aead) {
		uint8_t nonce[12], aad[12];
		memcpy(nonce, sa->salt, 4);
		memcpy(nonce + 4, iv, 8);
		size_t aadlen = esp_aad(sa, esp, seq, aad);
		if (!EVP_DecryptInit_ex2(sl->c, NULL, NULL, nonce, NULL) ||
		    !EVP_DecryptUpdate(sl->c, NULL, &outl, aad, (int)aadlen) ||
		    !EVP_DecryptUpdate(sl->c, ct, &outl, ct, (int)ctlen) ||
		    !EVP_CIPHER_CTX_ctrl(sl->c, EVP_CTRL_AEAD_SET_TAG, sa->icv_len, icv))
			return -EIO;
		if (EVP_DecryptFinal_ex(sl->c, ct + outl, &outl) <= 0) {
			/* the plaintext written in place is garbage: callers drop it */
			atomic_fetch_add_explicit(&sa->cnt.auth_fail, 1, memory_order_relaxed);
			return -EBADMSG;
		}
	} else {
		uint8_t mac[EVP_MAX_MD_SIZE];
		int rc = esp_mac(sa, sl, esp, hdr + ctlen, seq, mac);
		if (rc)
			return rc;
		if (CRYPTO_memcmp(mac, icv, sa->icv_len) != 0) {
			atomic_fetch_add_explicit(&sa->cnt.auth_fail, 1, memory_order_relaxed);
			return -EBADMSG;
		}
		if (!EVP_DecryptInit_ex2(sl->c, NULL, NULL, iv, NULL) ||
		    !EVP_DecryptUpdate(sl->c, ct, &outl, ct, (int)ctlen) || (size_t)outl != ctlen)
			return -EIO;
	}

	/* authentic: only now may the window move (another worker may have
	 * accepted the same number meanwhile, so check again under the lock) */
	pthread_spin_lock(&sa->lock);
	v = replay_check(&sa->rp, seq);
	if (v == REPLAY_OK)
		replay_update(&sa->rp, seq);
	pthread_spin_unlock(&sa->lock);
	if (v != REPLAY_OK) {
		atomic_fetch_add_explicit(&sa->cnt.replay_fail, 1, memory_order_relaxed);
		return -EALREADY;
	}

	uint8_t padlen = ct[ctlen - 2];
	if ((size_t)padlen + 2 > ctlen) {
		atomic_fetch_add_explicit(&sa->cnt.pad_fail, 1, memory_order_relaxed);
		return -EPROTO;
	}
	size_t plen = ctlen - 2 - padlen;
	for (size_t i = 0; i < padlen; i++) {
		if (ct[plen + i] != (uint8_t)(i + 1)) {
			atomic_fetch_add_explicit(&sa->cnt.pad_fail, 1, memory_order_relaxed);
			return -EPROTO;
		}
	}
	rx->off = hdr;
	rx->len = plen;
	rx->next_hdr = ct[ctlen - 1];
	rx->seq = seq;
	atomic_fetch_add_explicit(&sa->cnt.packets, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&sa->cnt.bytes, plen, memory_order_relaxed);
	return 0;
}

void esp_sa_stats(struct esp_sa *sa, struct dp_sa_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->packets = atomic_load(&sa->cnt.packets);
	out->bytes = atomic_load(&sa->cnt.bytes);
	out->replay_fail = atomic_load(&sa->cnt.replay_fail);
	out->auth_fail = atomic_load(&sa->cnt.auth_fail);
	out->pad_fail = atomic_load(&sa->cnt.pad_fail);
	out->added_ms = sa->added_ms;
	if (sa->inbound) {
		pthread_spin_lock(&sa->lock);
		out->seq = sa->rp.top;
		out->replay_window = sa->rp.window;
		replay_bitmap128(&sa->rp, out->bitmap);
		pthread_spin_unlock(&sa->lock);
	} else {
		out->seq = esp_last_seq(sa);
	}
}
