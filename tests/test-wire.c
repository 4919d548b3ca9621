/* test-wire — unit tests of the frame codec (src/common/wire.c). */
#include "config.h"
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "common/proto.h"
#include "common/wire.h"

/* Builds a frame and returns a copy of its payload. */
static uint8_t *payload_of(struct wire_msg *m, size_t *len)
{
	uint8_t *p;

	ck_assert_int_eq(wire_msg_finish(m), 0);
	*len = m->len - WIRE_HDR_SIZE;
	p = malloc(*len + 1);
	memcpy(p, m->buf + WIRE_HDR_SIZE, *len);
	return p;
}

START_TEST(roundtrip_all_kinds)
{
	struct wire_msg m;
	vss_id_t id, got;
	size_t len;
	uint8_t *p;
	char *s;
	struct wire_attr a;
	struct wire_iter it;
	int n = 0;

	vss_id_generate(&id);
	wire_msg_init(&m, MSG_EVENT, 7);
	wire_put_u32(&m, ATTR_EVENT, EV_FREEZE);
	wire_put_u64(&m, ATTR_CREATION_TIMESTAMP, 0x0102030405060708ull);
	wire_put_id(&m, ATTR_SESSION_ID, &id);
	wire_put_str(&m, ATTR_VOLUME, "/dev/loop0 ü & <x>");
	wire_put_str(&m, ATTR_MESSAGE, NULL);	/* skipped */
	wire_put_blob(&m, ATTR_VALUE, "\0\1\2", 3);
	wire_nest_begin(&m, ATTR_WRITER);
	wire_put_u32(&m, ATTR_STATE, 5);
	wire_nest_begin(&m, ATTR_SNAPSHOT);
	wire_put_u32(&m, ATTR_COUNT, 9);
	wire_nest_end(&m);
	wire_nest_end(&m);
	p = payload_of(&m, &len);
	ck_assert_int_eq(wire_validate(p, len), 0);
	ck_assert_uint_eq(wire_get_u32(p, len, ATTR_EVENT, 0), EV_FREEZE);
	ck_assert(wire_get_u64(p, len, ATTR_CREATION_TIMESTAMP, 0) == 0x0102030405060708ull);
	ck_assert(wire_get_id(p, len, ATTR_SESSION_ID, &got));
	ck_assert(vss_id_equal(&id, &got));
	s = wire_get_str(p, len, ATTR_VOLUME);
	ck_assert_str_eq(s, "/dev/loop0 ü & <x>");
	free(s);
	ck_assert(!wire_find(p, len, ATTR_MESSAGE, &a));
	ck_assert_uint_eq(wire_get_u32(p, len, ATTR_HR, 1234), 1234);	/* default */
	ck_assert(wire_find(p, len, ATTR_WRITER, &a));
	wire_iter_nest(&it, &a);
	while (wire_next(&it, &a))
		n++;
	ck_assert_int_eq(n, 2);
	/* header */
	{
		struct wire_hdr h;

		ck_assert_int_eq(wire_parse_hdr(m.buf, &h), 0);
		ck_assert_uint_eq(h.type, MSG_EVENT);
		ck_assert_uint_eq(h.seq, 7);
		ck_assert_uint_eq(h.len, len);
	}
	free(p);
	wire_msg_free(&m);
}
END_TEST

static uint8_t *raw_attr(uint8_t *q, uint16_t tag, uint16_t kind, uint32_t len,
			 const void *val, size_t vlen)
{
	memcpy(q, &tag, 2);
	memcpy(q + 2, &kind, 2);
	memcpy(q + 4, &len, 4);
	memcpy(q + 8, val, vlen);
	return q + 8 + vlen;
}

static int validate_one(uint16_t kind, uint32_t len, const void *val, size_t vlen)
{
	uint8_t buf[256];
	uint8_t *end = raw_attr(buf, 1, kind, len, val, vlen);

	return wire_validate(buf, (size_t)(end - buf));
}

START_TEST(validate_rejects_bad_payloads)
{
	uint32_t v = 1;
	uint8_t nest[(WIRE_MAX_DEPTH + 2) * 8];

	ck_assert_int_eq(validate_one(WIRE_U32, 4, &v, 4), 0);
	ck_assert_int_eq(validate_one(WIRE_U32, 3, &v, 3), -EBADMSG);	/* wrong size */
	ck_assert_int_eq(validate_one(WIRE_U64, 4, &v, 4), -EBADMSG);
	ck_assert_int_eq(validate_one(WIRE_ID, 4, &v, 4), -EBADMSG);
	ck_assert_int_eq(validate_one(99, 4, &v, 4), -EBADMSG);	/* unknown kind */
	ck_assert_int_eq(validate_one(WIRE_U32, 100, &v, 4), -EBADMSG);	/* overruns */
	ck_assert_int_eq(validate_one(WIRE_STR, 3, "a\0b", 3), -EBADMSG);	/* NUL */
	ck_assert_int_eq(validate_one(WIRE_STR, 2, "\xc0\xaf", 2), -EBADMSG);	/* overlong */
	ck_assert_int_eq(validate_one(WIRE_STR, 3, "\xed\xa0\x80", 3), -EBADMSG); /* surrogate */
	ck_assert_int_eq(validate_one(WIRE_STR, 2, "\xe2\x82", 2), -EBADMSG);	/* truncated */
	ck_assert_int_eq(validate_one(WIRE_STR, 4, "\xf4\x90\x80\x80", 4), -EBADMSG); /* > 10FFFF */
	ck_assert_int_eq(validate_one(WIRE_STR, 3, "\xe2\x82\xac", 3), 0);	/* euro sign */
	ck_assert_int_eq(wire_validate((const uint8_t *)"\1\0\1", 3), -EBADMSG);	/* short */
	/* nesting deeper than WIRE_MAX_DEPTH */
	for (int i = 0; i <= WIRE_MAX_DEPTH + 1; i++) {
		uint16_t tag = 1, kind = WIRE_NEST;
		uint32_t len = (uint32_t)((WIRE_MAX_DEPTH + 1 - i) * 8);

		memcpy(nest + i * 8, &tag, 2);
		memcpy(nest + i * 8 + 2, &kind, 2);
		memcpy(nest + i * 8 + 4, &len, 4);
	}
	ck_assert_int_eq(wire_validate(nest, sizeof(nest)), -EBADMSG);
	ck_assert_int_eq(wire_validate(nest + 2 * 8, sizeof(nest) - 2 * 8), 0);
}
END_TEST

START_TEST(header_checks)
{
	uint8_t hdr[WIRE_HDR_SIZE] = { 0 };
	struct wire_hdr h;
	struct wire_msg m;

	ck_assert_int_eq(wire_parse_hdr(hdr, &h), -EPROTO);
	wire_msg_init(&m, MSG_HELLO, 1);
	ck_assert_int_eq(wire_msg_finish(&m), 0);
	memcpy(hdr, m.buf, WIRE_HDR_SIZE);
	hdr[4] = 2;				/* version 2 */
	ck_assert_int_eq(wire_parse_hdr(hdr, &h), -EPROTO);
	memcpy(hdr, m.buf, WIRE_HDR_SIZE);
	hdr[15] = 0x7f;				/* 2 GiB payload */
	ck_assert_int_eq(wire_parse_hdr(hdr, &h), -EMSGSIZE);
	wire_msg_free(&m);
}
END_TEST

START_TEST(rx_reassembles_split_frames)
{
	int sv[2];
	struct wire_msg m1, m2;
	struct wire_rx rx = { 0 };
	struct wire_hdr h;
	const uint8_t *p;
	char *s;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	wire_msg_init(&m1, MSG_SET_CONTEXT, 1);
	wire_put_u32(&m1, ATTR_CONTEXT, 9);
	ck_assert_int_eq(wire_msg_finish(&m1), 0);
	wire_msg_init(&m2, MSG_QUERY, 2);
	wire_put_str(&m2, ATTR_VOLUME, "v");
	ck_assert_int_eq(wire_msg_finish(&m2), 0);
	/* first frame in two pieces, then the second whole */
	ck_assert_int_eq(write(sv[0], m1.buf, 5), 5);
	ck_assert_int_eq(wire_rx_fill(sv[1], &rx), 5);
	ck_assert_int_eq(wire_rx_next(&rx, &h, &p), 0);
	ck_assert_int_eq(write(sv[0], m1.buf + 5, m1.len - 5), (ssize_t)(m1.len - 5));
	ck_assert_int_eq(write(sv[0], m2.buf, m2.len), (ssize_t)m2.len);
	ck_assert_int_eq(wire_recv(sv[1], &rx, 1000, &h, &p), 1);
	ck_assert_uint_eq(h.seq, 1);
	ck_assert_uint_eq(wire_get_u32(p, h.len, ATTR_CONTEXT, 0), 9);
	ck_assert_int_eq(wire_recv(sv[1], &rx, 1000, &h, &p), 1);
	ck_assert_uint_eq(h.seq, 2);
	s = wire_get_str(p, h.len, ATTR_VOLUME);
	ck_assert_str_eq(s, "v");
	free(s);
	ck_assert_int_eq(wire_recv(sv[1], &rx, 50, &h, &p), -ETIMEDOUT);
	close(sv[0]);
	ck_assert_int_eq(wire_recv(sv[1], &rx, 1000, &h, &p), -ECONNRESET);
	close(sv[1]);
	wire_rx_free(&rx);
	wire_msg_free(&m1);
	wire_msg_free(&m2);
}
END_TEST

START_TEST(rx_rejects_bad_payload)
{
	int sv[2];
	struct wire_rx rx = { 0 };
	struct wire_hdr h;
	const uint8_t *p;
	uint8_t frame[WIRE_HDR_SIZE + 8];
	struct wire_msg m;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	wire_msg_init(&m, MSG_QUERY, 3);
	ck_assert_int_eq(wire_msg_finish(&m), 0);
	memcpy(frame, m.buf, WIRE_HDR_SIZE);
	frame[12] = 8;	/* payload of 8 bytes: one attribute of an unknown kind */
	memcpy(frame + WIRE_HDR_SIZE, "\1\0\77\0\0\0\0\0", 8);
	ck_assert_int_eq(write(sv[0], frame, sizeof(frame)), (ssize_t)sizeof(frame));
	ck_assert_int_eq(wire_recv(sv[1], &rx, 1000, &h, &p), -EBADMSG);
	close(sv[0]);
	close(sv[1]);
	wire_rx_free(&rx);
	wire_msg_free(&m);
}
END_TEST

START_TEST(builder_limits)
{
	struct wire_msg m;
	char *big = malloc(WIRE_MAX_PAYLOAD + 1);

	memset(big, 'a', WIRE_MAX_PAYLOAD);
	big[WIRE_MAX_PAYLOAD] = '\0';
	wire_msg_init(&m, MSG_QUERY, 1);
	wire_put_str(&m, ATTR_VOLUME, big);
	ck_assert_int_eq(wire_msg_finish(&m), -EMSGSIZE);
	wire_msg_free(&m);
	wire_msg_init(&m, MSG_QUERY, 1);
	for (int i = 0; i <= WIRE_MAX_DEPTH; i++)
		wire_nest_begin(&m, ATTR_WRITER);
	ck_assert_int_ne(wire_msg_finish(&m), 0);
	wire_msg_free(&m);
	free(big);
}
END_TEST

START_TEST(snapshot_prop_roundtrip)
{
	vss_snapshot_prop_t in = { 0 }, out;
	struct wire_msg m;
	struct wire_attr a;
	size_t len;
	uint8_t *p;

	vss_id_generate(&in.snapshot_id);
	vss_id_generate(&in.snapshot_set_id);
	in.snapshots_count = 3;
	in.snapshot_device_object = "/dev/loop7";
	in.original_volume_name = "/dev/loop1";
	in.snapshot_attributes = VSS_CTX_APP_ROLLBACK;
	in.creation_timestamp = vss_timestamp_now();
	in.status = VSS_SS_CREATED;
	wire_msg_init(&m, MSG_QUERY, 1);
	proto_put_snapshot(&m, &in);
	p = payload_of(&m, &len);
	ck_assert(wire_find(p, len, ATTR_SNAPSHOT, &a));
	ck_assert_int_eq(proto_get_snapshot(&a, &out), 0);
	ck_assert(vss_id_equal(&in.snapshot_id, &out.snapshot_id));
	ck_assert(vss_id_equal(&in.snapshot_set_id, &out.snapshot_set_id));
	ck_assert_int_eq(out.snapshots_count, 3);
	ck_assert_str_eq(out.snapshot_device_object, "/dev/loop7");
	ck_assert_str_eq(out.original_volume_name, "/dev/loop1");
	ck_assert_ptr_null(out.exposed_name);
	ck_assert_int_eq(out.snapshot_attributes, VSS_CTX_APP_ROLLBACK);
	ck_assert(out.creation_timestamp == in.creation_timestamp);
	ck_assert_int_eq(out.status, VSS_SS_CREATED);
	vss_snapshot_prop_clear(&out);
	free(p);
	wire_msg_free(&m);
}
END_TEST

/* A snapshot or provider sent as a blob (unchecked inside) or holding a
 * string sent as a blob (unchecked UTF-8) is refused, not walked. */
START_TEST(prop_kinds_checked)
{
	static const uint8_t inner[8] = { 0x51, 0x00, 0x03, 0x00, 0, 0, 0, 0 };	/* an ID of length 0 */
	vss_snapshot_prop_t sp;
	vss_provider_prop_t pp;
	struct wire_msg m;
	struct wire_attr a;
	size_t len;
	uint8_t *p;
	char *str;

	wire_msg_init(&m, MSG_QUERY, 1);
	wire_put_blob(&m, ATTR_SNAPSHOT, inner, sizeof(inner));
	wire_put_blob(&m, ATTR_PROVIDER, inner, sizeof(inner));
	wire_put_blob(&m, ATTR_VOLUME, "\xff\xfe", 2);
	p = payload_of(&m, &len);
	ck_assert_int_eq(wire_validate(p, len), 0);
	ck_assert(wire_find(p, len, ATTR_SNAPSHOT, &a));
	ck_assert_int_eq(proto_get_snapshot(&a, &sp), -EBADMSG);
	ck_assert(wire_find(p, len, ATTR_PROVIDER, &a));
	ck_assert_int_eq(proto_get_provider(&a, &pp), -EBADMSG);
	ck_assert(wire_find(p, len, ATTR_VOLUME, &a));
	str = wire_attr_str(&a);
	ck_assert_ptr_null(str);
	free(p);
	wire_msg_free(&m);

	wire_msg_init(&m, MSG_QUERY, 2);
	wire_nest_begin(&m, ATTR_SNAPSHOT);
	wire_put_blob(&m, ATTR_ORIGINAL_VOLUME, "\xff\xfe", 2);
	wire_nest_end(&m);
	p = payload_of(&m, &len);
	ck_assert_int_eq(wire_validate(p, len), 0);
	ck_assert(wire_find(p, len, ATTR_SNAPSHOT, &a));
	ck_assert_int_eq(proto_get_snapshot(&a, &sp), -EBADMSG);
	free(p);
	wire_msg_free(&m);
}
END_TEST

START_TEST(id_and_names)
{
	vss_id_t id;
	char buf[VSS_ID_STRLEN];
	vss_hr_t hr;

	ck_assert_int_eq(vss_id_parse("{D61D61C8-D73A-4EEE-8CDD-F6F9786B7124}", &id), 0);
	ck_assert_str_eq(vss_id_format(&id, buf), "{d61d61c8-d73a-4eee-8cdd-f6f9786b7124}");
	ck_assert_int_eq(vss_id_parse("d61d61c8-d73a-4eee-8cdd-f6f9786b7124", &id), 0);
	ck_assert_int_eq(vss_id_parse("d61d61c8-d73a-4eee-8cdd", &id), -1);
	ck_assert_str_eq(vss_hr_name(VSS_E_BAD_STATE), "VSS_E_BAD_STATE");
	ck_assert_ptr_null(vss_hr_name(VSS_HR(0x80042305)));
	ck_assert_int_eq(vss_hr_parse("vss_e_hold_writes_timeout", &hr), 0);
	ck_assert_int_eq(hr, VSS_E_HOLD_WRITES_TIMEOUT);
	ck_assert_int_eq(vss_hr_parse("0x800423F2", &hr), 0);
	ck_assert_int_eq(hr, VSS_E_WRITERERROR_TIMEOUT);
	ck_assert_str_eq(vss_writer_state_name(VSS_WS_WAITING_FOR_BACKUP_COMPLETE),
			 "VSS_WS_WAITING_FOR_BACKUP_COMPLETE");
	ck_assert_str_eq(vss_writer_state_name(99), "UNKNOWN");
	ck_assert_str_eq(proto_event_name(EV_POST_SNAPSHOT), "PostSnapshot");
}
END_TEST

/* NULL arguments: a failure, false or nothing, never a crash; libvss(3). */
START_TEST(id_and_names_null)
{
	vss_id_t id;
	char buf[VSS_ID_STRLEN];
	vss_hr_t hr = S_FALSE;

	vss_id_generate(&id);
	ck_assert(vss_id_is_null(NULL));
	ck_assert(vss_id_equal(NULL, NULL));
	ck_assert(vss_id_equal(NULL, &VSS_ID_NULL));
	ck_assert(vss_id_equal(&VSS_ID_NULL, NULL));
	ck_assert(!vss_id_equal(&id, NULL));
	ck_assert(!vss_id_equal(NULL, &id));
	vss_id_generate(NULL);
	ck_assert_str_eq(vss_id_format(NULL, buf), "{00000000-0000-0000-0000-000000000000}");
	ck_assert_ptr_null(vss_id_format(&id, NULL));
	ck_assert_int_eq(vss_id_parse(NULL, &id), -1);
	ck_assert_int_eq(vss_id_parse("d61d61c8-d73a-4eee-8cdd-f6f9786b7124", NULL), -1);
	ck_assert_int_eq(vss_hr_parse("S_OK", NULL), -1);
	ck_assert_int_eq(vss_hr_parse("0x80042301", NULL), -1);
	ck_assert_int_eq(vss_hr_parse(NULL, &hr), -1);
	ck_assert_int_eq(vss_hr_parse("", &hr), -1);
	ck_assert_int_eq(vss_hr_parse("0x100000000", &hr), -1);
	ck_assert_int_eq(vss_hr_parse("-1", &hr), -1);
	ck_assert_int_eq(vss_hr_parse("-18446744073709551615", &hr), -1);
	ck_assert_int_eq(vss_hr_parse("VSS_E_NO_SUCH_CODE", &hr), -1);
	ck_assert_int_eq(hr, S_FALSE);	/* untouched by the failures */
	ck_assert_str_eq(vss_hr_message(VSS_HR(0x80042305)), "unknown failure");
	ck_assert_str_eq(vss_hr_message(VSS_HR(0x00042305)), "unknown success code");
	ck_assert_str_eq(vss_app_level_name(42), "UNKNOWN");
	ck_assert_str_eq(vss_provider_type_name(-1), "UNKNOWN");
	vss_provider_prop_clear(NULL);
	vss_snapshot_prop_clear(NULL);
	ck_assert_ptr_nonnull(vss_last_error());
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("codec");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, roundtrip_all_kinds);
	tcase_add_test(tc, validate_rejects_bad_payloads);
	tcase_add_test(tc, header_checks);
	tcase_add_test(tc, rx_reassembles_split_frames);
	tcase_add_test(tc, rx_rejects_bad_payload);
	tcase_add_test(tc, builder_limits);
	tcase_add_test(tc, snapshot_prop_roundtrip);
	tcase_add_test(tc, prop_kinds_checked);
	tcase_add_test(tc, id_and_names);
	tcase_add_test(tc, id_and_names_null);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
