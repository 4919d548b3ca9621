/* test-xml-hostile — a catalogue of hostile and broken documents: each is
 * refused with VSS_E_INVALID_XML_DOCUMENT and a message naming what is
 * wrong; no entity is expanded, no DTD or external resource fetched. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xml-check.h"
#include <vss/metadata.h>

#define IDENT "<IDENTIFICATION writerId=\"d61d61c8-d73a-4eee-8cdd-f6f9786b7124\" " \
	"instanceId=\"1bddd48e-5052-49db-9b07-b96f96727e6b\" friendlyName=\"F\"/>"

static void refused(const void *buf, size_t len, const char *why)
{
	vss_wmd_t *w = (vss_wmd_t *)1;

	ck_assert_int_eq(vss_wmd_load_xml(buf, len, &w), VSS_E_INVALID_XML_DOCUMENT);
	ck_assert_ptr_null(w);
	ck_assert_msg(strstr(vss_last_error(),
			     "vss_wmd_load_xml: VSS_E_INVALID_XML_DOCUMENT: ") ==
		      vss_last_error(), "message: %s", vss_last_error());
	ck_assert_msg(strstr(vss_last_error(), why), "wanted '%s' in: %s", why,
		      vss_last_error());
}

static void refused_str(const char *doc, const char *why)
{
	refused(doc, strlen(doc), why);
}

START_TEST(billion_laughs)
{
	refused_str("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
		"<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
		"<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
		"<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
		"<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
		"<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
		"<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
		"<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
		"<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
		"<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">"
		"]><WRITER_METADATA>" IDENT "<X a=\"&lol9;\">&lol9;</X></WRITER_METADATA>",
		"DOCTYPE");
}
END_TEST

START_TEST(external_entity)
{
	refused_str("<!DOCTYPE w [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
		    "<WRITER_METADATA>" IDENT "<X>&xxe;</X></WRITER_METADATA>", "DOCTYPE");
	refused_str("<!DOCTYPE w [<!ENTITY % p SYSTEM \"http://127.0.0.1:9/x.dtd\"> %p;]>"
		    "<WRITER_METADATA>" IDENT "</WRITER_METADATA>", "DOCTYPE");
	/* without a DTD an entity reference is simply undefined */
	refused_str("<WRITER_METADATA>" IDENT "<X>&xxe;</X></WRITER_METADATA>",
		    "Entity 'xxe' not defined");
}
END_TEST

START_TEST(dtd)
{
	refused_str("<!DOCTYPE WRITER_METADATA SYSTEM \"http://127.0.0.1:9/vss.dtd\">"
		    "<WRITER_METADATA>" IDENT "</WRITER_METADATA>", "DOCTYPE");
	refused_str("<!DOCTYPE WRITER_METADATA [<!ATTLIST IDENTIFICATION usage CDATA \"USER_DATA\">]>"
		    "<WRITER_METADATA>" IDENT "</WRITER_METADATA>", "DOCTYPE");
}
END_TEST

static char *nested(int depth)
{
	size_t n = strlen(IDENT) + 64 + (size_t)depth * 8;
	char *s = malloc(n), *p = s;
	int i;

	p += sprintf(p, "<WRITER_METADATA>%s", IDENT);
	for (i = 0; i < depth; i++)
		p += sprintf(p, "<a>");
	for (i = 0; i < depth; i++)
		p += sprintf(p, "</a>");
	sprintf(p, "</WRITER_METADATA>");
	return s;
}

START_TEST(deep_nesting)
{
	char *s = nested(VSS_XML_MAX_DEPTH + 5);
	vss_wmd_t *w;

	refused_str(s, "nested deeper than 32 levels");
	free(s);
	s = nested(100000);	/* stopped by the parser itself */
	refused_str(s, "line 1:");
	free(s);
	s = nested(VSS_XML_MAX_DEPTH - 2);	/* within the bound: kept */
	ck_assert_int_eq(vss_wmd_load_xml(s, strlen(s), &w), S_OK);
	vss_wmd_free(w);
	free(s);
}
END_TEST

START_TEST(huge_attribute)
{
	size_t n = VSS_XML_MAX_ATTRIBUTE + 1024;
	char *s = malloc(n + 256), *p = s;

	p += sprintf(p, "<WRITER_METADATA><IDENTIFICATION writerId=\"d61d61c8-d73a-4eee-8cdd-f6f9786b7124\" "
		     "instanceId=\"1bddd48e-5052-49db-9b07-b96f96727e6b\" friendlyName=\"");
	memset(p, 'A', n);
	p += n;
	sprintf(p, "\"/></WRITER_METADATA>");
	refused_str(s, "attribute 'friendlyName' of <IDENTIFICATION> is 4195328 bytes (limit 4194304)");
	free(s);
}
END_TEST

START_TEST(huge_document)
{
	size_t n = VSS_XML_MAX_DOCUMENT + 1;
	char *s = malloc(n);

	memset(s, ' ', n);
	memcpy(s, "<WRITER_METADATA>", 17);
	refused(s, n, "document is 33554433 bytes (limit 33554432)");
	free(s);
}
END_TEST

START_TEST(bad_encodings)
{
	static const char odd[] = "<\0W\0R\0>";	/* 7 bytes */
	static const char cut[] = "<\0W\0R\0I\0T\0E\0R\0_\0M\0";
	static const char lone[] = "<\0W\0 \0a\0=\0\"\0\x00\xd8\"\0/\0>\0";
	static const char be[] = "\xfe\xff\0<\0W\0/\0>";

	refused(odd, sizeof(odd) - 1, "truncated UTF-16: odd length");
	refused(cut, sizeof(cut) - 1, "line 1:");
	refused(lone, sizeof(lone) - 1, "invalid UTF-16: input conversion failed");
	refused(be, sizeof(be) - 1, "big-endian UTF-16");
	refused_str("<WRITER_METADATA a=\"\xc3\x28\">" IDENT "</WRITER_METADATA>",
		    "Input is not proper UTF-8, indicate encoding ! Bytes: 0xC3 0x28");
	refused("\0\0\0\0", 4, "empty document");
	refused_str("   ", "empty document");
}
END_TEST

START_TEST(wrong_root)
{
	vss_bcd_t *b;

	refused_str("<BACKUP_COMPONENTS/>", "root element is <BACKUP_COMPONENTS>, not <WRITER_METADATA>");
	refused_str("<Manifest><Writers Count='1'/></Manifest>", "root element is <Manifest>");
	refused_str("<WRITER_METADATA/>", "no <IDENTIFICATION> element");
	refused_str("hello", "line 1:");
	ck_assert_int_eq(vss_bcd_load_xml("<WRITER_METADATA/>", 18, &b),
			 VSS_E_INVALID_XML_DOCUMENT);
	ck_assert_ptr_nonnull(strstr(vss_last_error(),
		"vss_bcd_load_xml: VSS_E_INVALID_XML_DOCUMENT: root element is <WRITER_METADATA>, not <BACKUP_COMPONENTS>"));
}
END_TEST

START_TEST(wrong_namespace)
{
	vss_wmd_t *w;

	refused_str("<w:WRITER_METADATA>" IDENT "</w:WRITER_METADATA>", "namespace error");
	refused_str("<WRITER_METADATA xmlns:p=\"\">" IDENT "</WRITER_METADATA>", "namespace error");
	/* another namespace URI is fine: reading is namespace-blind (§1.2) */
	ck_assert_int_eq(vss_wmd_load_xml("<WRITER_METADATA xmlns=\"urn:x\">" IDENT
		"</WRITER_METADATA>", strlen(IDENT) + 49, &w), S_OK);
	vss_wmd_free(w);
}
END_TEST

START_TEST(bad_values)
{
	vss_bcd_t *b;

	refused_str("<WRITER_METADATA><IDENTIFICATION writerId=\"nope\" instanceId=\"x\"/></WRITER_METADATA>",
		    "<IDENTIFICATION> attribute 'writerId': invalid GUID 'nope'");
	refused_str("<WRITER_METADATA>" IDENT IDENT "</WRITER_METADATA>",
		    "more than one <IDENTIFICATION>");
	refused_str("<WRITER_METADATA backupSchema=\"-1\">" IDENT "</WRITER_METADATA>",
		    "attribute 'backupSchema': invalid number '-1'");
	refused_str("<WRITER_METADATA backupSchema=\"4294967296\">" IDENT "</WRITER_METADATA>",
		    "invalid number");
	refused_str("<WRITER_METADATA>" IDENT "<RESTORE_METHOD rebootRequired=\"maybe\"/></WRITER_METADATA>",
		    "<RESTORE_METHOD> attribute 'rebootRequired': invalid boolean 'maybe'");
	refused_str("<WRITER_METADATA>" IDENT "<BACKUP_LOCATIONS><FILE_GROUP/></BACKUP_LOCATIONS></WRITER_METADATA>",
		    "<FILE_GROUP> lacks attribute 'componentName'");
	ck_assert_int_eq(vss_bcd_load_xml("<BACKUP_COMPONENTS><WRITER_COMPONENTS/></BACKUP_COMPONENTS>",
			 59, &b), VSS_E_INVALID_XML_DOCUMENT);
	ck_assert_ptr_nonnull(strstr(vss_last_error(), "<WRITER_COMPONENTS> lacks attribute 'instanceId'"));
}
END_TEST

/* XInclude is never processed: the element is kept as unknown content. */
START_TEST(xinclude_inert)
{
	static const char doc[] = "<WRITER_METADATA>" IDENT
		"<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"/etc/passwd\" parse=\"text\"/>"
		"</WRITER_METADATA>";
	vss_wmd_t *w;
	char *xml;

	ck_assert_int_eq(vss_wmd_load_xml(doc, strlen(doc), &w), S_OK);
	ck_assert_int_eq(vss_wmd_save_xml(w, &xml), S_OK);
	ck_assert_ptr_nonnull(strstr(xml, "<xi:include "));
	ck_assert_ptr_null(strstr(xml, "root:"));
	free(xml);
	vss_wmd_free(w);
}
END_TEST

int main(void)
{
	RUN_TESTS("hostile", billion_laughs, external_entity, dtd, deep_nesting, huge_attribute, huge_document, bad_encodings, wrong_root, wrong_namespace, bad_values, xinclude_inert);
}
