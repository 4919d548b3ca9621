/* xml-doc.h — the layer under the WMD and BCD models (internal).
 *
 * Design: a loaded or built document IS a libxml2 tree.  The models
 * (xml-wmd.c, xml-bcd.c) keep arrays of pointers to the element nodes they
 * understand and read every value from the tree on demand, so whatever we
 * do not understand — unknown attributes, unknown elements, their position,
 * namespace redeclarations — stays in the tree and is saved again untouched
 * (spec §1.5).  Reading is lenient and writing exact because loading
 * normalises every known attribute in place (xdoc_norm): values are
 * rewritten in their canonical spelling (yes/no, lower-case GUIDs, decimal,
 * table tokens), empty optional strings removed, always-present attributes
 * added with their defaults, and known attributes put in Windows order.
 * Setters write canonical values through the same element definitions, so
 * saving is plain serialisation.  Attribute values are kept as a single
 * text node, so getters can return pointers into the tree. */
#ifndef VSS_XML_DOC_H
#define VSS_XML_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libxml/tree.h>
#include <vss/metadata.h>

enum attr_type {
	AT_STRING,	/* text; "" is the same as absent */
	AT_OPAQUE,	/* writer-private text, verbatim; "" same as absent */
	AT_BOOL,	/* yes/no */
	AT_GUID,	/* lower case, no braces */
	AT_UINT,	/* decimal uint32 */
	AT_TOKEN,	/* one of a token table; unknown spellings kept raw */
};

#define AF_ALWAYS	1u	/* written even when it holds the default */
#define AF_REQUIRED	2u	/* a document without it is refused */
#define AF_P		4u	/* provisional spelling (spec §0.1 mark P) */

struct token {
	const char *name;
	int value;
	bool p;				/* provisional spelling */
};

struct attr_def {
	const char *name;
	enum attr_type type;
	unsigned flags;
	const char *dflt;		/* for AF_ALWAYS */
	const struct token *tokens;	/* for AT_TOKEN */
};

struct elem_def {
	const char *name;
	const struct attr_def *attrs;	/* terminated by a NULL name */
	bool p;				/* provisional element name */
};

/* The definition of a known element NAME, or NULL (xml-names.c). */
const struct elem_def *elem_lookup(const char *name);
/* Refuses (-1 + message) a tree holding a provisional spelling, which
 * must not be sent to Windows (spec §5 writing rule 2). */
int xdoc_check_windows(xmlNodePtr n, char *err, size_t errlen);

/* A growable array of element pointers. */
struct nvec {
	void **v;
	size_t n, cap;
};
int nvec_push(struct nvec *nv, void *p);
void nvec_free(struct nvec *nv);

/* Parses BUF (UTF-16LE ±BOM ±trailing NULs, UTF-8 ±BOM ±declaration) with
 * every limit of metadata.h applied.  0, or -1 with a message in ERR. */
int xdoc_parse(const void *buf, size_t len, xmlDocPtr *out, char *err,
		size_t errlen);
/* Normalises the known attributes of N (see above); 0 or -1 + message. */
int xdoc_norm(xmlNodePtr n, const struct elem_def *d, char *err,
		size_t errlen);
/* Element children only; drops whitespace-only text children of N. */
xmlNodePtr xfirst(xmlNodePtr n);
xmlNodePtr xnext(xmlNodePtr n);
bool xis(const xmlNode *n, const char *name);

/* Serialises the whole document as UTF-8 without declaration. */
vss_hr_t xdoc_save(xmlDocPtr doc, unsigned flags, char **xml, const char *call);

/* A new document whose root is NAME in default namespace NS. */
xmlDocPtr xdoc_new(const char *name, const char *ns);
/* A new child element of PARENT (same namespace) inserted before BEFORE
 * (NULL: appended). */
xmlNodePtr xnew_child(xmlNodePtr parent, const char *name, xmlNodePtr before);

/* Reading values.  xattr returns the value or NULL when absent. */
const char *xattr(const xmlNode *n, const char *name);
bool xattr_bool(const xmlNode *n, const char *name);
uint32_t xattr_uint(const xmlNode *n, const char *name, uint32_t dflt);
int xattr_token(const xmlNode *n, const char *name, const struct token *t);
bool xattr_guid(const xmlNode *n, const char *name, vss_id_t *id);

/* Writing values through the element definition D (keeps Windows order).
 * A NULL or "" string removes the attribute.  0 or -1 on allocation. */
int xset_str(xmlNodePtr n, const struct elem_def *d, const char *name,
		const char *value);
int xset_bool(xmlNodePtr n, const struct elem_def *d, const char *name, bool v);
int xset_uint(xmlNodePtr n, const struct elem_def *d, const char *name,
		uint32_t v);
int xset_guid(xmlNodePtr n, const struct elem_def *d, const char *name,
		const vss_id_t *id);
int xset_token(xmlNodePtr n, const struct elem_def *d, const char *name,
		const struct token *t, int value);

/* Token spelling of VALUE, or NULL. */
const char *token_name(const struct token *t, int value);
/* "d61d61c8-…" (lower case, no braces) into BUF[37]. */
char *guid_str(const vss_id_t *id, char buf[37]);
/* Case-insensitive string equality treating NULL as "". */
bool name_eq(const char *a, const char *b);

/* Checks a string argument of public call CALL: valid UTF-8 without
 * control characters other than TAB CR LF; REQUIRED refuses NULL and "". */
vss_hr_t xcheck_str(const char *call, const char *what, const char *s,
		bool required);

/* Base64 for binary attributes (the component icon). */
char *b64_encode(const uint8_t *p, size_t n);
int b64_decode(const char *s, uint8_t **out, size_t *len);

/* Build a model over a parsed document (which they take over; freed on
 * failure).  0, or -1 with a message in ERR[256]. */
int wmd_from_doc(xmlDocPtr doc, vss_wmd_t **out, char *err);
int bcd_from_doc(xmlDocPtr doc, vss_bcd_t **out, char *err);

#endif
