/* xml-doc.c — parsing with limits, in-place normalisation, serialisation
 * and value helpers under the WMD/BCD models.  Design note: xml-doc.h. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlsave.h>
#include "common/error.h"
#include "libvss/xml-doc.h"
#include "libvss/xml-names.h"

int nvec_push(struct nvec *nv, void *n)
{
	if (nv->n == nv->cap) {
		size_t cap = nv->cap ? nv->cap * 2 : 8;
		void **v = realloc(nv->v, cap * sizeof(*v));

		if (!v)
			return -1;
		nv->v = v;
		nv->cap = cap;
	}
	nv->v[nv->n++] = n;
	return 0;
}

void nvec_free(struct nvec *nv)
{
	free(nv->v);
	nv->v = NULL;
	nv->n = nv->cap = 0;
}

/* ---- parsing ---- */

struct pstate {
	char *err;
	size_t errlen;
	bool have_err;
	bool doctype;
};

static void on_error(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxtPtr c = ctx;
	struct pstate *st = c->_private;
	size_t n;

	if (st->have_err || !e || e->level < XML_ERR_ERROR)
		return;
	st->have_err = true;
	snprintf(st->err, st->errlen, "line %d: %s", e->line,
		 e->message ? e->message : "error");
	n = strlen(st->err);
	while (n && (st->err[n - 1] == '\n' || st->err[n - 1] == ' '))
		st->err[--n] = '\0';
	while (n--)
		if (st->err[n] == '\n')
			st->err[n] = ' ';
}

/* DOCTYPE is refused before its internal subset is read, so no entity is
 * ever declared, let alone expanded or fetched. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext,
		       const xmlChar *sys)
{
	xmlParserCtxtPtr c = ctx;
	struct pstate *st = c->_private;

	st->doctype = true;
	xmlStopParser(c);
}

/* libxml2 reports encoding and I/O errors outside any parser context
 * through its (thread-local) generic handler; a library stays quiet. */
static __thread char gen_err[160];

__attribute__((format(printf, 2, 3)))
static void quiet(void *ctx, const char *msg, ...)
{
	size_t n = strlen(gen_err);
	va_list ap;

	if (n >= sizeof(gen_err) - 1 || strchr(gen_err, '\n'))
		return;		/* keep the first message only */
	va_start(ap, msg);
	vsnprintf(gen_err + n, sizeof(gen_err) - n, msg, ap);
	va_end(ap);
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

static bool is_ws(unsigned c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int check_tree(xmlNodePtr n, int depth, char *err, size_t errlen)
{
	for (; n; n = n->next) {
		xmlAttrPtr a;

		if (n->type == XML_DTD_NODE || n->type == XML_ENTITY_REF_NODE ||
		    n->type == XML_ENTITY_DECL) {
			snprintf(err, errlen, "entities and DTDs are not accepted");
			return -1;
		}
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (depth > VSS_XML_MAX_DEPTH) {
			snprintf(err, errlen, "element <%s> nested deeper than %d levels",
				 (const char *)n->name, VSS_XML_MAX_DEPTH);
			return -1;
		}
		for (a = n->properties; a; a = a->next) {
			size_t len = 0;
			xmlNodePtr t;

			for (t = a->children; t; t = t->next)
				if (t->content)
					len += strlen((const char *)t->content);
			if (len > VSS_XML_MAX_ATTRIBUTE) {
				snprintf(err, errlen,
					 "attribute '%s' of <%s> is %zu bytes (limit %u)",
					 (const char *)a->name, (const char *)n->name,
					 len, VSS_XML_MAX_ATTRIBUTE);
				return -1;
			}
		}
		if (check_tree(n->children, depth + 1, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* Non-ASCII text is written as UTF-8, not as character references, only
 * when the document says it is UTF-8 (libxml2's attribute serialiser). */
static void set_utf8(xmlDocPtr doc)
{
	xmlChar *e = xmlStrdup((const xmlChar *)"UTF-8");

	if (!e)
		return;
	xmlFree((xmlChar *)doc->encoding);
	doc->encoding = e;
}

int xdoc_parse(const void *buf, size_t len, xmlDocPtr *out, char *err,
	       size_t errlen)
{
	const uint8_t *p = buf;
	const char *enc = NULL;
	bool utf16 = false;
	xmlGenericErrorFunc old_fn;
	void *old_ctx;
	xmlParserCtxtPtr ctxt;
	struct pstate st = { err, errlen, false, false };
	xmlDocPtr doc;
	int opts = XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
		   XML_PARSE_NOWARNING;

	*out = NULL;
	pthread_once(&xml_once, xml_init);
	if (!p && len) {
		snprintf(err, errlen, "no buffer");
		return -1;
	}
	if (len > VSS_XML_MAX_DOCUMENT) {
		snprintf(err, errlen, "document is %zu bytes (limit %u)", len,
			 VSS_XML_MAX_DOCUMENT);
		return -1;
	}
	if (len >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
		p += 2;
		len -= 2;
		utf16 = true;
	} else if (len >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
		snprintf(err, errlen, "big-endian UTF-16 is not accepted");
		return -1;
	} else if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
		p += 3;
		len -= 3;
	} else if (len >= 2 && p[0] != 0 && p[1] == 0) {
		utf16 = true;
	}
	if (utf16) {
		if (len % 2) {
			snprintf(err, errlen, "truncated UTF-16: odd length %zu", len);
			return -1;
		}
		while (len >= 2 && p[len - 2] == 0 && p[len - 1] == 0)
			len -= 2;
		while (len >= 2 && p[1] == 0 && is_ws(p[0])) {
			p += 2;
			len -= 2;
		}
		enc = "UTF-16LE";
		opts |= XML_PARSE_IGNORE_ENC;
	} else {
		while (len && p[len - 1] == 0)
			len--;
		while (len && is_ws(p[0])) {
			p++;
			len--;
		}
	}
	if (!len) {
		snprintf(err, errlen, "empty document");
		return -1;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ctxt->_private = &st;
	ctxt->sax->internalSubset = on_doctype;
	ctxt->sax->serror = on_error;
	ctxt->sax->initialized = XML_SAX2_MAGIC;
	old_fn = xmlGenericError;
	old_ctx = xmlGenericErrorContext;
	gen_err[0] = '\0';
	xmlSetGenericErrorFunc(NULL, quiet);
	doc = xmlCtxtReadMemory(ctxt, (const char *)p, (int)len, NULL, enc, opts);
	xmlSetGenericErrorFunc(old_ctx, old_fn);
	if (st.doctype) {
		snprintf(err, errlen,
			 "document type declarations (DOCTYPE) are not accepted");
		goto fail;
	}
	if ((!doc || !ctxt->wellFormed) && gen_err[0]) {
		char *nl = strchr(gen_err, '\n');

		if (nl)
			*nl = '\0';
		snprintf(err, errlen, "invalid %s: %s", utf16 ? "UTF-16" : "encoding",
			 gen_err);
		goto fail;
	}
	if (!doc || !ctxt->wellFormed) {
		if (!st.have_err)
			snprintf(err, errlen, "not well-formed XML");
		goto fail;
	}
	if (!ctxt->nsWellFormed) {
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s", st.have_err ? err : "");
		snprintf(err, errlen, "namespace error: %s", tmp);
		goto fail;
	}
	if (doc->intSubset || doc->extSubset) {
		snprintf(err, errlen,
			 "document type declarations (DOCTYPE) are not accepted");
		goto fail;
	}
	if (!xmlDocGetRootElement(doc)) {
		snprintf(err, errlen, "no root element");
		goto fail;
	}
	if (check_tree(doc->children, 1, err, errlen) < 0)
		goto fail;
	xmlFreeParserCtxt(ctxt);
	set_utf8(doc);
	*out = doc;
	return 0;
fail:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return -1;
}

/* ---- element helpers ---- */

bool xis(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)n->name, name) == 0;
}

xmlNodePtr xfirst(xmlNodePtr n)
{
	xmlNodePtr c, next;

	for (c = n->children; c; c = next) {
		next = c->next;
		if (c->type == XML_TEXT_NODE) {
			const xmlChar *s = c->content;

			while (s && is_ws(*s))
				s++;
			if (!s || !*s) {
				xmlUnlinkNode(c);
				xmlFreeNode(c);
			}
		}
	}
	for (c = n->children; c && c->type != XML_ELEMENT_NODE; c = c->next)
		;
	return c;
}

xmlNodePtr xnext(xmlNodePtr n)
{
	for (n = n->next; n && n->type != XML_ELEMENT_NODE; n = n->next)
		;
	return n;
}

static xmlAttrPtr find_attr(const xmlNode *n, const char *name)
{
	xmlAttrPtr a;

	for (a = n->properties; a; a = a->next)	/* prefixed ones are not ours */
		if (!a->ns && strcmp((const char *)a->name, name) == 0)
			return a;
	return NULL;
}

/* Known attributes first in definition order, unknown ones after them in
 * their original order. */
static void order_attrs(xmlNodePtr n, const struct elem_def *d)
{
	const struct attr_def *ad;
	xmlAttrPtr last = NULL;

	for (ad = d->attrs; ad->name; ad++) {
		xmlAttrPtr a = find_attr(n, ad->name);

		if (!a)
			continue;
		/* unlink */
		if (a->prev)
			a->prev->next = a->next;
		else
			n->properties = a->next;
		if (a->next)
			a->next->prev = a->prev;
		/* insert after LAST */
		a->prev = last;
		a->next = last ? last->next : n->properties;
		if (a->next)
			a->next->prev = a;
		if (last)
			last->next = a;
		else
			n->properties = a;
		last = a;
	}
}

static const char *attr_value(xmlAttrPtr a)
{
	if (!a->children)
		return "";
	return a->children->content ? (const char *)a->children->content : "";
}

const char *xattr(const xmlNode *n, const char *name)
{
	xmlAttrPtr a = n ? find_attr(n, name) : NULL;

	return a ? attr_value(a) : NULL;
}

static int parse_bool(const char *s)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcmp(s, "1"))
		return 1;
	if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcmp(s, "0"))
		return 0;
	return -1;
}

static int parse_uint(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;

	while (is_ws((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;	/* decimal, or 0x hex; never octal */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!isxdigit((unsigned char)s[2]))
			return -1;
		x = strtoull(s + 2, &end, 16);
	} else {
		x = strtoull(s, &end, 10);
	}
	if (errno || x > UINT32_MAX)
		return -1;
	while (is_ws((unsigned char)*end))
		end++;
	if (*end)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* The token S names: exact, then case-insensitive, then numeric; NULL. */
static const struct token *find_token(const struct token *t, const char *s)
{
	const struct token *k;
	uint32_t v;

	for (k = t; k->name; k++)
		if (!strcmp(k->name, s))
			return k;
	for (k = t; k->name; k++)
		if (!strcasecmp(k->name, s))
			return k;
	if (parse_uint(s, &v) == 0)
		for (k = t; k->name; k++)
			if ((uint32_t)k->value == v)
				return k;
	return NULL;
}

/* Token value of S and its canonical spelling, or -1. */
static int parse_token(const struct token *t, const char *s, const char **canon)
{
	const struct token *k = find_token(t, s);

	if (!k)
		return -1;
	*canon = k->name;
	return k->value;
}

bool xattr_bool(const xmlNode *n, const char *name)
{
	const char *s = xattr(n, name);

	return s && parse_bool(s) == 1;
}

uint32_t xattr_uint(const xmlNode *n, const char *name, uint32_t dflt)
{
	const char *s = xattr(n, name);
	uint32_t v;

	return s && parse_uint(s, &v) == 0 ? v : dflt;
}

int xattr_token(const xmlNode *n, const char *name, const struct token *t)
{
	const char *s = xattr(n, name), *canon;
	int v;

	if (!s)
		return 0;
	v = parse_token(t, s, &canon);
	return v < 0 ? 0 : v;
}

bool xattr_guid(const xmlNode *n, const char *name, vss_id_t *id)
{
	const char *s = xattr(n, name);

	if (s && vss_id_parse(s, id) == 0)
		return true;
	*id = VSS_ID_NULL;
	return false;
}

const char *token_name(const struct token *t, int value)
{
	for (; t->name; t++)
		if (t->value == value)
			return t->name;
	return NULL;
}

char *guid_str(const vss_id_t *id, char buf[37])
{
	char tmp[VSS_ID_STRLEN];

	vss_id_format(id, tmp);
	memcpy(buf, tmp + 1, 36);
	buf[36] = '\0';
	return buf;
}

bool name_eq(const char *a, const char *b)
{
	return strcasecmp(a ? a : "", b ? b : "") == 0;
}

/* ---- normalisation ---- */

static int set_raw(xmlNodePtr n, const char *name, const char *value)
{
	return xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)value) ? 0 : -1;
}

int xdoc_norm(xmlNodePtr n, const struct elem_def *d, char *err,
	      size_t errlen)
{
	const struct attr_def *ad;
	const char *en = (const char *)n->name;

	for (ad = d->attrs; ad->name; ad++) {
		xmlAttrPtr a = find_attr(n, ad->name);
		const char *v, *canon = NULL;
		char buf[37];
		xmlChar *flat = NULL;
		vss_id_t id;
		uint32_t u;
		int b, rc = 0;

		if (!a) {
			if (ad->flags & AF_REQUIRED) {
				snprintf(err, errlen, "<%s> lacks attribute '%s'",
					 en, ad->name);
				return -1;
			}
			if ((ad->flags & AF_ALWAYS) && ad->dflt &&
			    set_raw(n, ad->name, ad->dflt) < 0)
				goto oom;
			continue;
		}
		if (a->children && (a->children->next ||
				    a->children->type != XML_TEXT_NODE)) {
			flat = xmlNodeListGetString(n->doc, a->children, 1);
			if (!flat || set_raw(n, ad->name, (char *)flat) < 0) {
				xmlFree(flat);
				goto oom;
			}
			xmlFree(flat);
			a = find_attr(n, ad->name);
		}
		v = attr_value(a);
		switch (ad->type) {
		case AT_STRING:
		case AT_OPAQUE:
			if (!*v && !(ad->flags & (AF_ALWAYS | AF_REQUIRED)))
				xmlRemoveProp(a);
			break;
		case AT_BOOL:
			b = parse_bool(v);
			if (b < 0)
				goto bad;
			rc = set_raw(n, ad->name, b ? "yes" : "no");
			break;
		case AT_GUID:
			if (vss_id_parse(v, &id) < 0)
				goto bad;
			rc = set_raw(n, ad->name, guid_str(&id, buf));
			break;
		case AT_UINT:
			if (parse_uint(v, &u) < 0)
				goto bad;
			snprintf(buf, sizeof(buf), "%u", u);
			rc = set_raw(n, ad->name, buf);
			break;
		case AT_TOKEN:
			if (parse_token(ad->tokens, v, &canon) >= 0 &&
			    strcmp(canon, v))
				rc = set_raw(n, ad->name, canon);
			break;
		}
		if (rc < 0)
			goto oom;
		continue;
bad:
		snprintf(err, errlen, "<%s> attribute '%s': invalid %s '%.60s'",
			 en, ad->name,
			 ad->type == AT_BOOL ? "boolean" :
			 ad->type == AT_GUID ? "GUID" : "number", v);
		return -1;
	}
	order_attrs(n, d);
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* ---- building and writing ---- */

xmlDocPtr xdoc_new(const char *name, const char *ns)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	xmlNsPtr nsp;

	pthread_once(&xml_once, xml_init);
	doc = xmlNewDoc((const xmlChar *)"1.0");
	if (!doc)
		return NULL;
	root = xmlNewDocNode(doc, NULL, (const xmlChar *)name, NULL);
	if (!root)
		goto fail;
	xmlDocSetRootElement(doc, root);
	nsp = xmlNewNs(root, (const xmlChar *)ns, NULL);
	if (!nsp)
		goto fail;
	xmlSetNs(root, nsp);
	set_utf8(doc);
	return doc;
fail:
	xmlFreeDoc(doc);
	return NULL;
}

xmlNodePtr xnew_child(xmlNodePtr parent, const char *name, xmlNodePtr before)
{
	xmlNodePtr n = xmlNewDocNode(parent->doc, parent->ns,
				     (const xmlChar *)name, NULL);

	if (!n)
		return NULL;
	if (before)
		xmlAddPrevSibling(before, n);
	else
		xmlAddChild(parent, n);
	return n;
}

int xdoc_check_windows(xmlNodePtr n, char *err, size_t errlen)
{
	for (; n; n = n->next) {
		const struct elem_def *d;
		const struct attr_def *ad;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		d = elem_lookup((const char *)n->name);
		if (!d)
			continue;	/* unknown content came from elsewhere */
		if (d->p) {
			snprintf(err, errlen, "<%s> has a provisional spelling",
				 (const char *)n->name);
			return -1;
		}
		for (ad = d->attrs; ad->name; ad++) {
			const char *v = xattr(n, ad->name);
			const struct token *tok;

			if (!v)
				continue;
			if (ad->flags & AF_P) {
				snprintf(err, errlen,
					 "attribute '%s' of <%s> has a provisional spelling",
					 ad->name, (const char *)n->name);
				return -1;
			}
			tok = ad->type == AT_TOKEN ? find_token(ad->tokens, v) : NULL;
			if (tok && tok->p) {
				snprintf(err, errlen,
					 "%s=\"%s\" of <%s> has a provisional spelling",
					 ad->name, tok->name, (const char *)n->name);
				return -1;
			}
		}
		if (xdoc_check_windows(n->children, err, errlen) < 0)
			return -1;
	}
	return 0;
}

vss_hr_t xdoc_save(xmlDocPtr doc, unsigned flags, char **xml, const char *call)
{
	xmlBufferPtr buf;
	xmlSaveCtxtPtr s;
	char err[256];
	char *out;

	*xml = NULL;
	if ((flags & VSS_XML_SAVE_WINDOWS) &&
	    xdoc_check_windows(xmlDocGetRootElement(doc), err, sizeof(err)) < 0)
		return vsserr_set(call, VSS_E_INVALID_XML_DOCUMENT,
				  "not for Windows: %s (spec/vss-xml.md §9)", err);
	buf = xmlBufferCreate();
	if (!buf)
		return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	s = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL);
	if (!s) {
		xmlBufferFree(buf);
		return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	}
	if (xmlSaveTree(s, xmlDocGetRootElement(doc)) < 0) {
		xmlSaveClose(s);
		xmlBufferFree(buf);
		return vsserr_set(call, E_OUTOFMEMORY, "serialisation failed");
	}
	xmlSaveClose(s);
	out = strdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	if (!out)
		return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	*xml = out;
	return S_OK;
}

int xset_str(xmlNodePtr n, const struct elem_def *d, const char *name,
	     const char *value)
{
	if (!value || !*value) {
		xmlAttrPtr a = find_attr(n, name);

		if (a)
			xmlRemoveProp(a);
		return 0;
	}
	if (set_raw(n, name, value) < 0)
		return -1;
	order_attrs(n, d);
	return 0;
}

int xset_bool(xmlNodePtr n, const struct elem_def *d, const char *name, bool v)
{
	return xset_str(n, d, name, v ? "yes" : "no");
}

int xset_uint(xmlNodePtr n, const struct elem_def *d, const char *name,
	      uint32_t v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	return xset_str(n, d, name, buf);
}

int xset_guid(xmlNodePtr n, const struct elem_def *d, const char *name,
	      const vss_id_t *id)
{
	char buf[37];

	return xset_str(n, d, name, guid_str(id, buf));
}

int xset_token(xmlNodePtr n, const struct elem_def *d, const char *name,
	       const struct token *t, int value)
{
	const char *s = token_name(t, value);
	char buf[16];

	if (!s) {
		snprintf(buf, sizeof(buf), "%d", value);
		s = buf;
	}
	return xset_str(n, d, name, s);
}

vss_hr_t xcheck_str(const char *call, const char *what, const char *s,
		   bool required)
{
	const unsigned char *p;

	if (!s || !*s) {
		if (required)
			return vsserr_set(call, E_INVALIDARG, "%s is required", what);
		return S_OK;
	}
	if (!xmlCheckUTF8((const xmlChar *)s))
		return vsserr_set(call, E_INVALIDARG, "%s is not valid UTF-8", what);
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 && !is_ws(*p))
			return vsserr_set(call, E_INVALIDARG,
					  "%s holds control character 0x%02x",
					  what, *p);
	return S_OK;
}

/* ---- base64 ---- */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *b64_encode(const uint8_t *p, size_t n)
{
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = b64[p[i + 2] & 63];
	}
	if (i < n) {
		*o++ = b64[p[i] >> 2];
		if (i + 1 < n) {
			*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			*o++ = b64[(p[i + 1] & 15) << 2];
		} else {
			*o++ = b64[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

int b64_decode(const char *s, uint8_t **out, size_t *len)
{
	size_t n = strlen(s), o = 0;
	uint8_t *buf = malloc(n / 4 * 3 + 3);
	uint32_t acc = 0;
	int bits = 0;

	if (!buf)
		return -1;
	for (; *s; s++) {
		const char *k;

		if (*s == '=' || is_ws((unsigned char)*s))
			continue;
		k = strchr(b64, *s);
		if (!k) {
			free(buf);
			return -1;
		}
		acc = (acc << 6) | (uint32_t)(k - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (uint8_t)(acc >> bits);
		}
	}
	*out = buf;
	*len = o;
	return 0;
}

vss_hr_t vss_xml_to_utf16le(const char *xml, void **out, size_t *len)
{
	const unsigned char *s = (const unsigned char *)xml;
	size_t n, o = 0;
	uint8_t *buf;

	if (!xml || !out || !len)
		return VSSERR(E_INVALIDARG, "NULL argument");
	*out = NULL;
	*len = 0;
	if (!xmlCheckUTF8(s))
		return VSSERR(E_INVALIDARG, "the document is not valid UTF-8");
	n = strlen(xml);
	buf = malloc(4 * n + 2);	/* each byte gives at most one unit */
	if (!buf)
		return VSSERR(E_OUTOFMEMORY, "out of memory");
	while (*s) {
		uint32_t cp;
		int k;

		if (*s < 0x80) {
			cp = *s;
			k = 0;
		} else if (*s < 0xE0) {
			cp = *s & 0x1F;
			k = 1;
		} else if (*s < 0xF0) {
			cp = *s & 0x0F;
			k = 2;
		} else {
			cp = *s & 0x07;
			k = 3;
		}
		s++;
		while (k--)
			cp = (cp << 6) | (*s++ & 0x3F);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			buf[o++] = (uint8_t)((0xD800 | (cp >> 10)) & 0xFF);
			buf[o++] = (uint8_t)((0xD800 | (cp >> 10)) >> 8);
			cp = 0xDC00 | (cp & 0x3FF);
		}
		buf[o++] = (uint8_t)(cp & 0xFF);
		buf[o++] = (uint8_t)(cp >> 8);
	}
	buf[o++] = 0;
	buf[o++] = 0;
	*out = buf;
	*len = o;
	return S_OK;
}
