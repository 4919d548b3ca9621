/* backup-async.c — IVssAsync: handles on vssd's asynchronous operations.
 *
 * Design note.  An async handle is vssd's OP_ID plus what the library has
 * learnt about it.  The outcome arrives as a MSG_ASYNC_DONE notification on
 * the session's connection, possibly while another call waits for its
 * reply; client.c keeps such completions in a table until the handle
 * claims them (async_sync).  The notification is authoritative: QueryStatus
 * reads what has arrived (without blocking) and reports PENDING otherwise,
 * so a finite Wait that expires leaves QueryStatus at VSS_S_ASYNC_PENDING
 * (vss-protocol §2).  Handles are listed on their object; freeing the object
 * detaches them (b = NULL) and they keep what they knew. */
#include "config.h"
#include <stdlib.h>
#include <vss/backup.h>
#include "common/error.h"
#include "libvss/backup-int.h"

vss_hr_t async_new(vss_backup_t *b, const char *call, uint32_t op_id,
		   vss_async_t **out)
{
	vss_async_t *a = calloc(1, sizeof(*a));

	if (!a)
		return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	a->b = b;
	a->call = call;
	a->op_id = op_id;
	a->status = VSS_S_ASYNC_PENDING;
	a->next = b->asyncs;
	b->asyncs = a;
	*out = a;
	return S_OK;
}

void async_detach_all(vss_backup_t *b)
{
	vss_async_t *a, *next;

	for (a = b->asyncs; a; a = next) {
		next = a->next;
		a->b = NULL;
		a->next = NULL;
	}
	b->asyncs = NULL;
}

/* Claims a recorded completion, if any. */
static void async_sync(vss_async_t *a)
{
	if (a->status == VSS_S_ASYNC_PENDING && a->b)
		client_done_take(&a->b->c, a->op_id, &a->status, &a->message);
}

/* The result of a Wait that saw the operation end. */
static vss_hr_t ended(vss_async_t *a, const char *call)
{
	if (VSS_FAILED(a->status))
		return vsserr_set(call, a->status, "%s failed: %s", a->call,
				  a->message ? a->message : vss_hr_message(a->status));
	return S_OK;
}

vss_hr_t vss_async_wait(vss_async_t *a, int timeout_ms)
{
	int r;

	if (!a)
		return VSSERR(E_INVALIDARG, "NULL async handle");
	async_sync(a);
	if (a->status != VSS_S_ASYNC_PENDING)
		return ended(a, __func__);
	if (!a->b)
		return VSSERR(VSS_E_BAD_STATE, "the backup object was released");
	if (timeout_ms < 0)
		timeout_ms = VSS_INFINITE;
	r = client_wait_done(&a->b->c, a->op_id, timeout_ms);
	if (r < 0)
		return VSSERR(VSS_E_UNEXPECTED, "connection to vssd lost while waiting for %s",
			      a->call);
	async_sync(a);
	if (a->status != VSS_S_ASYNC_PENDING)
		return ended(a, __func__);
	return S_OK;	/* timed out: still pending */
}

vss_hr_t vss_async_query_status(vss_async_t *a, vss_hr_t *status)
{
	if (!a || !status)
		return VSSERR(E_INVALIDARG, "NULL argument");
	async_sync(a);
	if (a->status == VSS_S_ASYNC_PENDING && a->b) {
		/* take in what has arrived meanwhile; a lost connection shows
		 * as a failed operation */
		if (client_poll(&a->b->c) < 0)
			a->status = VSS_E_UNEXPECTED;
		else
			async_sync(a);
	}
	*status = a->status;
	return S_OK;
}

vss_hr_t vss_async_query_progress(vss_async_t *a, uint64_t *done, uint64_t *total)
{
	struct client_reply r;
	struct wire_msg m;
	vss_hr_t hr;

	if (!a || !done || !total)
		return VSSERR(E_INVALIDARG, "NULL argument");
	*done = *total = 0;
	if (!a->b)
		return VSSERR(VSS_E_BAD_STATE, "the backup object was released");
	client_msg(&a->b->c, &m, MSG_ASYNC_STATUS);
	wire_put_u32(&m, ATTR_OP_ID, a->op_id);
	hr = client_call(&a->b->c, __func__, &m, &r);
	if (VSS_SUCCEEDED(hr)) {
		*done = wire_get_u64(r.payload, r.len, ATTR_PROGRESS_DONE, 0);
		*total = wire_get_u64(r.payload, r.len, ATTR_PROGRESS_TOTAL, 0);
	}
	client_reply_free(&r);
	return hr;
}

vss_hr_t vss_async_cancel(vss_async_t *a)
{
	struct client_reply r;
	struct wire_msg m;
	vss_hr_t hr;

	if (!a)
		return VSSERR(E_INVALIDARG, "NULL async handle");
	async_sync(a);
	if (a->status == VSS_S_ASYNC_FINISHED || a->status == VSS_S_ASYNC_CANCELLED)
		return a->status;
	if (VSS_FAILED(a->status))
		return ended(a, __func__);
	if (!a->b)
		return VSSERR(VSS_E_BAD_STATE, "the backup object was released");
	client_msg(&a->b->c, &m, MSG_ASYNC_CANCEL);
	wire_put_u32(&m, ATTR_OP_ID, a->op_id);
	hr = client_call(&a->b->c, __func__, &m, &r);
	client_reply_free(&r);
	return hr;
}

void vss_async_free(vss_async_t *a)
{
	if (!a)
		return;
	if (a->b) {
		vss_async_t **pp;

		for (pp = &a->b->asyncs; *pp; pp = &(*pp)->next)
			if (*pp == a) {
				*pp = a->next;
				break;
			}
		/* forget a completion that may still arrive unclaimed */
		async_sync(a);
	}
	free(a->message);
	free(a);
}

vss_hr_t vss_async_finish(vss_async_t *a)
{
	vss_hr_t hr, status = VSS_S_ASYNC_PENDING;

	if (!a)
		return VSSERR(E_INVALIDARG, "NULL async handle");
	hr = vss_async_wait(a, VSS_INFINITE);
	if (VSS_SUCCEEDED(hr))
		vss_async_query_status(a, &status);
	vss_async_free(a);
	if (VSS_FAILED(hr))
		return hr;
	if (status == VSS_S_ASYNC_FINISHED)
		return S_OK;
	return status;
}
