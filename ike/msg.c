/* msg.c: IKEv2 codec (see msg.h for the contract).
 *
 * Nothing here knows about SAs.  Untrusted bytes are read only through
 * struct ike_cur; every structure's own length field is checked against the
 * window it sits in before the structure is entered. */
#include "ike/msg.h"

#include <errno.h>
#include <string.h>

/* ---- read cursor ---- */
void ike_cur_init(struct ike_cur *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->off = 0;
	c->err = false;
}

size_t ike_cur_left(const struct ike_cur *c)
{
	return c->err ? 0 : c->len - c->off;
}

const uint8_t *ike_cur_bytes(struct ike_cur *c, size_t n)
{
	if (c->err || c->len - c->off < n) {
		c->err = true;
		return NULL;
	}
	const uint8_t *p = c->p + c->off;
	c->off += n;
	return p;
}

uint8_t ike_cur_u8(struct ike_cur *c)
{
	const uint8_t *p = ike_cur_bytes(c, 1);
	return p ? p[0] : 0;
}

uint16_t ike_cur_u16(struct ike_cur *c)
{
	const uint8_t *p = ike_cur_bytes(c, 2);
	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

uint32_t ike_cur_u32(struct ike_cur *c)
{
	const uint8_t *p = ike_cur_bytes(c, 4);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

struct ike_cur ike_cur_sub(struct ike_cur *c, size_t n)
{
	struct ike_cur s;
	const uint8_t *p = ike_cur_bytes(c, n);
	ike_cur_init(&s, p, p ? n : 0);
	s.err = p == NULL;
	return s;
}

/* ---- header and chain ---- */
static const char *const dec_err_str[IKE_DEC_MAX] = {
    [IKE_DEC_OK] = "ok",
    [IKE_DEC_SHORT] = "truncated message",
    [IKE_DEC_VERSION] = "unsupported major version",
    [IKE_DEC_BAD_LENGTH] = "bad payload length",
    [IKE_DEC_TOO_MANY] = "too many payloads",
    [IKE_DEC_CRITICAL] = "unsupported critical payload",
    [IKE_DEC_SK_NOT_LAST] = "encrypted payload not last",
};

const char *ike_decode_err_str(enum ike_decode_err e)
{
	return e < IKE_DEC_MAX ? dec_err_str[e] : "?";
}

bool ike_payload_known(uint8_t t)
{
	return (t >= IKEV2_PL_SA && t <= IKEV2_PL_EAP) || t == IKEV2_PL_SKF;
}

int ike_hdr_decode(const uint8_t *buf, size_t len, struct ike_hdr *h)
{
	struct ike_cur c;
	ike_cur_init(&c, buf, len);
	const uint8_t *si = ike_cur_bytes(&c, 8), *sr = ike_cur_bytes(&c, 8);
	h->next = ike_cur_u8(&c);
	h->version = ike_cur_u8(&c);
	h->exch = ike_cur_u8(&c);
	h->flags = ike_cur_u8(&c);
	h->msgid = ike_cur_u32(&c);
	h->len = ike_cur_u32(&c);
	if (c.err)
		return -EBADMSG;
	memcpy(h->spi_i, si, 8);
	memcpy(h->spi_r, sr, 8);
	return 0;
}

/* Walks a payload chain starting with type `first` over p[0..len). */
static int decode_chain(struct ike_msg *m, uint8_t first, const uint8_t *p, size_t len,
			bool encrypted, enum ike_decode_err *why)
{
	struct ike_cur c;
	uint8_t type = first;
	ike_cur_init(&c, p, len);
	while (type != IKEV2_PL_NONE) {
		size_t off = (size_t)(p - m->raw) + c.off;
		uint8_t next = ike_cur_u8(&c);
		uint8_t flags = ike_cur_u8(&c);
		uint16_t plen = ike_cur_u16(&c);
		if (c.err || plen < IKEV2_GEN_HDR_LEN) {
			*why = IKE_DEC_BAD_LENGTH;
			return -EBADMSG;
		}
		const uint8_t *body = ike_cur_bytes(&c, plen - IKEV2_GEN_HDR_LEN);
		if (!body) {
			*why = IKE_DEC_BAD_LENGTH;
			return -EBADMSG;
		}
		bool critical = flags & 0x80;
		if (!ike_payload_known(type)) {
			if (critical) {
				m->unsupported_critical = type;
				*why = IKE_DEC_CRITICAL;
				return -EBADMSG;
			}
			type = next; /* RFC 7296 2.5: skip a non-critical unknown */
			continue;
		}
		if (m->n == IKE_MSG_MAX_PL) {
			*why = IKE_DEC_TOO_MANY;
			return -EBADMSG;
		}
		struct ike_pl *pl = &m->pl[m->n++];
		pl->type = type;
		pl->critical = critical;
		pl->encrypted = encrypted;
		pl->body = body;
		pl->len = plen - IKEV2_GEN_HDR_LEN;
		pl->off = off;
		if (type == IKEV2_PL_SK || type == IKEV2_PL_SKF) {
			/* Its Next Payload names the first inner payload; the
			 * encrypted body runs to the end of the message. */
			if (encrypted || ike_cur_left(&c) != 0) {
				*why = IKE_DEC_SK_NOT_LAST;
				return -EBADMSG;
			}
			m->sk = (int)(m->n - 1);
			m->sk_first = next;
			return 0;
		}
		type = next;
	}
	if (ike_cur_left(&c) != 0) { /* trailing bytes after the last payload */
		*why = IKE_DEC_BAD_LENGTH;
		return -EBADMSG;
	}
	return 0;
}

int ike_msg_decode(const uint8_t *buf, size_t len, struct ike_msg *m, enum ike_decode_err *why)
{
	enum ike_decode_err dummy;
	if (!why)
		why = &dummy;
	*why = IKE_DEC_OK;
	memset(m, 0, sizeof(m->hdr));
	m->n = 0;
	m->sk = -1;
	m->sk_first = 0;
	m->unsupported_critical = 0;
	m->raw = buf;
	m->raw_len = len;
	if (len < IKEV2_HDR_LEN || ike_hdr_decode(buf, len, &m->hdr) < 0) {
		*why = IKE_DEC_SHORT;
		return -EBADMSG;
	}
	if ((m->hdr.version >> 4) != 2) {
		*why = IKE_DEC_VERSION;
		return -EBADMSG;
	}
	if (m->hdr.len < IKEV2_HDR_LEN || m->hdr.len > len) {
		*why = IKE_DEC_SHORT;
		return -EBADMSG;
	}
	/* Bytes past the header's length (UDP padding) are ignored. */
	m->raw_len = m->hdr.len;
	return decode_chain(m, m->hdr.next, buf + IKEV2_HDR_LEN, m->hdr.len - IKEV2_HDR_LEN, false,
			    why);
}

int ike_msg_decode_inner(struct ike_msg *m, uint8_t first, const uint8_t *p, size_t len,
			 enum ike_decode_err *why)
{
	enum ike_decode_err dummy;
	if (!why)
		why = &dummy;
	*why = IKE_DEC_OK;
	return decode_chain(m, first, p, len, true, why);
}

const struct ike_pl *ike_msg_find(const struct ike_msg *m, uint8_t type, size_t nth)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->pl[i].type == type && nth-- == 0)
			return &m->pl[i];
	return NULL;
}

size_t ike_msg_count(const struct ike_msg *m, uint8_t type)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n; i++)
		n += m->pl[i].type == type;
	return n;
}

/* ---- payload bodies ---- */
static int decode_xform(struct ike_cur *c, bool last_expected, struct ike_xform *x)
{
	uint8_t last = ike_cur_u8(c);
	ike_cur_u8(c);
	uint16_t tlen = ike_cur_u16(c);
	if (c->err || tlen < 8)
		return -EBADMSG;
	struct ike_cur t = ike_cur_sub(c, tlen - 4);
	x->type = ike_cur_u8(&t);
	ike_cur_u8(&t);
	x->id = ike_cur_u16(&t);
	x->key_bits = 0;
	x->unknown_attr = false;
	while (!t.err && ike_cur_left(&t) > 0) {
		uint16_t at = ike_cur_u16(&t);
		uint16_t av = ike_cur_u16(&t);
		if (at & IKEV2_ATTR_TV) {
			if ((at & 0x7fff) == IKEV2_ATTR_KEY_LENGTH)
				x->key_bits = av;
			else
				x->unknown_attr = true;
		} else {
			ike_cur_bytes(&t, av); /* TLV: we know none, skip its value */
			x->unknown_attr = true;
		}
	}
	if (t.err)
		return -EBADMSG;
	/* "Last Substruc" is 0 for the last transform, 3 for more. */
	if (last != (last_expected ? 0 : 3))
		return -EBADMSG;
	return 0;
}

int ike_sa_pl_decode(const uint8_t *p, size_t len, struct ike_sa_pl *sa)
{
	struct ike_cur c;
	ike_cur_init(&c, p, len);
	sa->n_prop = 0;
	while (ike_cur_left(&c) > 0) {
		uint8_t last = ike_cur_u8(&c);
		ike_cur_u8(&c);
		uint16_t plen = ike_cur_u16(&c);
		if (c.err || plen < 8 || (last != 0 && last != 2))
			return -EBADMSG;
		struct ike_cur pc = ike_cur_sub(&c, plen - 4);
		if (pc.err)
			return -EBADMSG;
		/* Proposals and transforms beyond our capacity are parsed (so
		 * the structure is still checked) but not kept. */
		struct ike_prop scratch;
		bool keep = sa->n_prop < sizeof(sa->prop) / sizeof(sa->prop[0]);
		struct ike_prop *pr = keep ? &sa->prop[sa->n_prop] : &scratch;
		pr->num = ike_cur_u8(&pc);
		pr->proto = ike_cur_u8(&pc);
		pr->spi_size = ike_cur_u8(&pc);
		uint8_t n_x = ike_cur_u8(&pc);
		if (pr->spi_size > IKE_MAX_SPI)
			return -EBADMSG;
		const uint8_t *spi = ike_cur_bytes(&pc, pr->spi_size);
		if (pc.err)
			return -EBADMSG;
		if (pr->spi_size)
			memcpy(pr->spi, spi, pr->spi_size);
		pr->n_x = 0;
		for (uint8_t i = 0; i < n_x; i++) {
			struct ike_xform extra;
			bool room = pr->n_x < sizeof(pr->x) / sizeof(pr->x[0]);
			if (decode_xform(&pc, i + 1 == n_x, room ? &pr->x[pr->n_x] : &extra) < 0)
				return -EBADMSG;
			pr->n_x += room;
		}
		if (pc.err || ike_cur_left(&pc) != 0)
			return -EBADMSG;
		sa->n_prop += keep;
		if (last == 0 && ike_cur_left(&c) != 0)
			return -EBADMSG;
		if (last == 2 && ike_cur_left(&c) == 0)
			return -EBADMSG;
	}
	return sa->n_prop ? 0 : -EBADMSG;
}

int ike_ke_pl_decode(const uint8_t *p, size_t len, struct ike_ke_pl *ke)
{
	struct ike_cur c;
	ike_cur_init(&c, p, len);
	ke->group = ike_cur_u16(&c);
	ike_cur_u16(&c);
	if (c.err)
		return -EBADMSG;
	ke->len = ike_cur_left(&c);
	ke->data = ike_cur_bytes(&c, ke->len);
	return ke->len ? 0 : -EBADMSG;
}

int ike_id_pl_decode(const uint8_t *p, size_t len, struct ike_id_pl *id)
{
	struct ike_cur c;
	ike_cur_init(&c, p, len);
	id->type = ike_cur_u8(&c);
	ike_cur_bytes(&c, 3);
	if (c.err)
		return -EBADMSG;
	id->len = ike_cur_left(&c);
	id->data = ike_cur_bytes(&c, id->len);
	return id->len ? 0 : -EBADMSG;
}

int ike_auth_pl_decode(const uint8_t *p, size_t len, struct ike_auth_pl *a)
{
	struct ike_cur c;
	ike_cur_init(&c, p, len);
	a->method = ike_cur_u8(&c);
	ike_cur_bytes(&c, 3);
	if (c.err)
		return -EBADMSG;
	a->len = ike_cur_left(&c);
	a->data = ike_cur_bytes(&c, a->len);
	return a->len ? 0 : -EBADMSG;
}

int ike_notify_pl_decode(const uint8_t *p, size_t len, struct ike_notify_pl *n)
{
	struct ike_cur c;
	ike_cur_init(&c, p, len);
	n->proto = ike_cur_u8(&c);
	n->spi_size = ike_cur_u8(&c);
	n->type = ike_cur_u16(&c);
	if (c.err || n->spi_size > IKE_MAX_SPI)
		return -EBADMSG;
	const uint8_t *spi = ike_cur_bytes(&c, n->spi_size);
	if (c.err)
		return -EBADMSG;
	if (n->spi_size)
		memcpy(n->spi, spi, n->spi_size);
	n->len = ike_cur_left(&c);
	n->data = n->len ? ike_cur_bytes(&c, n->len) : NULL;
	return 0;
}

int ike_delete_pl_decode(const uint8_t *p, size_t len, struct ike_delete_pl *d)
{
	struct ike_cur c;
	ike_cur_init(&c, p, len);
	d->proto = ike_cur_u8(&c);
	d->spi_size = ike_cur_u8(&c);
	d->n_spi = ike_cur_u16(&c);
	if (c.err)
		return -EBADMSG;
	if (d->proto == IKEV2_PROTO_IKE) {
		if (d->spi_size != 0 || d->n_spi != 0)
			return -EBADMSG;
		d->spis = NULL;
		return 0;
	}
	if (d->spi_size != 4 || (d->proto != IKEV2_PROTO_ESP && d->proto != IKEV2_PROTO_AH))
		return -EBADMSG;
	d->spis = ike_cur_bytes(&c, (size_t)d->n_spi * 4);
	if (c.err || ike_cur_left(&c) != 0)
		return -EBADMSG;
	return 0;
}

int ike_ts_pl_decode(const uint8_t *p, size_t len, struct ike_ts_pl *ts)
{
	struct ike_cur c;
	ike_cur_init(&c, p, len);
	uint8_t n = ike_cur_u8(&c);
	ike_cur_bytes(&c, 3);
	if (c.err || n == 0)
		return -EBADMSG;
	ts->n = 0;
	ts->n_skipped = 0;
	for (uint8_t i = 0; i < n; i++) {
		uint8_t type = ike_cur_u8(&c);
		uint8_t proto = ike_cur_u8(&c);
		uint16_t slen = ike_cur_u16(&c);
		if (c.err || slen < 8)
			return -EBADMSG;
		struct ike_cur s = ike_cur_sub(&c, slen - 4);
		if (s.err)
			return -EBADMSG;
		if (type != IKEV2_TS_IPV4_ADDR_RANGE) {
			ts->n_skipped++;
			continue;
		}
		if (slen != 16)
			return -EBADMSG;
		if (ts->n == sizeof(ts->ts) / sizeof(ts->ts[0]))
			return -E2BIG;
		struct ike_ts *t = &ts->ts[ts->n++];
		t->proto = proto;
		t->port_lo = ike_cur_u16(&s);
		t->port_hi = ike_cur_u16(&s);
		t->addr_lo = ike_cur_u32(&s);
		t->addr_hi = ike_cur_u32(&s);
		if (s.err)
			return -EBADMSG;
	}
	return ike_cur_left(&c) == 0 ? 0 : -EBADMSG;
}

int ike_skf_pl_decode(const uint8_t *p, size_t len, struct ike_skf_pl *f)
{
	struct ike_cur c;
	ike_cur_init(&c, p, len);
	f->num = ike_cur_u16(&c);
	f->total = ike_cur_u16(&c);
	if (c.err || f->num == 0 || f->total == 0 || f->num > f->total)
		return -EBADMSG;
	return 0;
}

/* ---- encoder ---- */
void ike_w_init(struct ike_wbuf *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->np_off = 0;
	w->err = false;
}

size_t ike_w_skip(struct ike_wbuf *w, size_t n)
{
	size_t off = w->len;
	if (w->err || w->cap - w->len < n) {
		w->err = true;
		return off;
	}
	memset(w->buf + w->len, 0, n);
	w->len += n;
	return off;
}

void ike_w_bytes(struct ike_wbuf *w, const void *p, size_t n)
{
	size_t off = ike_w_skip(w, n);
	if (!w->err && n)
		memcpy(w->buf + off, p, n);
}

void ike_w_u8(struct ike_wbuf *w, uint8_t v)
{
	ike_w_bytes(w, &v, 1);
}

void ike_w_u16(struct ike_wbuf *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	ike_w_bytes(w, b, 2);
}

void ike_w_u32(struct ike_wbuf *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	ike_w_bytes(w, b, 4);
}

void ike_w_put16(struct ike_wbuf *w, size_t off, uint16_t v)
{
	if (w->err || off + 2 > w->len)
		return;
	w->buf[off] = (uint8_t)(v >> 8);
	w->buf[off + 1] = (uint8_t)v;
}

void ike_w_put32(struct ike_wbuf *w, size_t off, uint32_t v)
{
	if (w->err || off + 4 > w->len)
		return;
	w->buf[off] = (uint8_t)(v >> 24);
	w->buf[off + 1] = (uint8_t)(v >> 16);
	w->buf[off + 2] = (uint8_t)(v >> 8);
	w->buf[off + 3] = (uint8_t)v;
}

void ike_w_hdr(struct ike_wbuf *w, const uint8_t spi_i[8], const uint8_t spi_r[8], uint8_t exch,
	       uint8_t flags, uint32_t msgid)
{
	ike_w_bytes(w, spi_i, 8);
	ike_w_bytes(w, spi_r, 8);
	w->np_off = w->len;
	ike_w_u8(w, 0);
	ike_w_u8(w, IKEV2_VERSION);
	ike_w_u8(w, exch);
	ike_w_u8(w, flags);
	ike_w_u32(w, msgid);
	ike_w_u32(w, 0);
}

size_t ike_w_begin(struct ike_wbuf *w, uint8_t type)
{
	if (!w->err && w->np_off < w->len)
		w->buf[w->np_off] = type;
	size_t start = w->len;
	w->np_off = w->len;
	ike_w_u8(w, 0);
	ike_w_u8(w, 0);
	ike_w_u16(w, 0);
	return start;
}

void ike_w_end(struct ike_wbuf *w, size_t start)
{
	if (w->len - start > 0xffff)
		w->err = true;
	ike_w_put16(w, start + 2, (uint16_t)(w->len - start));
}

void ike_w_finish(struct ike_wbuf *w)
{
	ike_w_put32(w, 24, (uint32_t)w->len);
}

void ike_w_notify(struct ike_wbuf *w, uint8_t proto, const uint8_t *spi, uint8_t spi_size,
		  uint16_t type, const void *data, size_t len)
{
	size_t s = ike_w_begin(w, IKEV2_PL_NOTIFY);
	ike_w_u8(w, proto);
	ike_w_u8(w, spi_size);
	ike_w_u16(w, type);
	ike_w_bytes(w, spi, spi_size);
	ike_w_bytes(w, data, len);
	ike_w_end(w, s);
}

void ike_w_nonce(struct ike_wbuf *w, const uint8_t *n, size_t len)
{
	size_t s = ike_w_begin(w, IKEV2_PL_NONCE);
	ike_w_bytes(w, n, len);
	ike_w_end(w, s);
}

void ike_w_ke(struct ike_wbuf *w, uint16_t group, const uint8_t *pub, size_t len)
{
	size_t s = ike_w_begin(w, IKEV2_PL_KE);
	ike_w_u16(w, group);
	ike_w_u16(w, 0);
	ike_w_bytes(w, pub, len);
	ike_w_end(w, s);
}

void ike_w_id(struct ike_wbuf *w, uint8_t pl_type, uint8_t id_type, const uint8_t *data, size_t len)
{
	size_t s = ike_w_begin(w, pl_type);
	ike_w_u8(w, id_type);
	ike_w_skip(w, 3);
	ike_w_bytes(w, data, len);
	ike_w_end(w, s);
}

void ike_w_auth(struct ike_wbuf *w, uint8_t method, const uint8_t *data, size_t len)
{
	size_t s = ike_w_begin(w, IKEV2_PL_AUTH);
	ike_w_u8(w, method);
	ike_w_skip(w, 3);
	ike_w_bytes(w, data, len);
	ike_w_end(w, s);
}

void ike_w_ts(struct ike_wbuf *w, uint8_t pl_type, const struct ike_ts *ts, size_t n)
{
	size_t s = ike_w_begin(w, pl_type);
	ike_w_u8(w, (uint8_t)n);
	ike_w_skip(w, 3);
	for (size_t i = 0; i < n; i++) {
		ike_w_u8(w, IKEV2_TS_IPV4_ADDR_RANGE);
		ike_w_u8(w, ts[i].proto);
		ike_w_u16(w, 16);
		ike_w_u16(w, ts[i].port_lo);
		ike_w_u16(w, ts[i].port_hi);
		ike_w_u32(w, ts[i].addr_lo);
		ike_w_u32(w, ts[i].addr_hi);
	}
	ike_w_end(w, s);
}

void ike_w_delete(struct ike_wbuf *w, uint8_t proto, uint8_t spi_size, const uint8_t *spis,
		  uint16_t n)
{
	size_t s = ike_w_begin(w, IKEV2_PL_DELETE);
	ike_w_u8(w, proto);
	ike_w_u8(w, spi_size);
	ike_w_u16(w, n);
	ike_w_bytes(w, spis, (size_t)spi_size * n);
	ike_w_end(w, s);
}

void ike_w_sa(struct ike_wbuf *w, const struct ike_prop *props, size_t n)
{
	size_t s = ike_w_begin(w, IKEV2_PL_SA);
	for (size_t i = 0; i < n; i++) {
		const struct ike_prop *p = &props[i];
		size_t ps = w->len;
		ike_w_u8(w, i + 1 == n ? 0 : 2);
		ike_w_u8(w, 0);
		ike_w_u16(w, 0);
		ike_w_u8(w, p->num);
		ike_w_u8(w, p->proto);
		ike_w_u8(w, p->spi_size);
		ike_w_u8(w, p->n_x);
		ike_w_bytes(w, p->spi, p->spi_size);
		for (uint8_t j = 0; j < p->n_x; j++) {
			const struct ike_xform *x = &p->x[j];
			ike_w_u8(w, j + 1 == p->n_x ? 0 : 3);
			ike_w_u8(w, 0);
			ike_w_u16(w, x->key_bits ? 12 : 8);
			ike_w_u8(w, x->type);
			ike_w_u8(w, 0);
			ike_w_u16(w, x->id);
			if (x->key_bits) {
				ike_w_u16(w, IKEV2_ATTR_TV | IKEV2_ATTR_KEY_LENGTH);
				ike_w_u16(w, x->key_bits);
			}
		}
		ike_w_put16(w, ps + 2, (uint16_t)(w->len - ps));
	}
	ike_w_end(w, s);
}
