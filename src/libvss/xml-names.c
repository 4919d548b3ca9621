/* xml-names.c — attribute tables (Windows serializer order) and token
 * tables.  Marks as in xml-names.h; spec/vss-xml.md §2, §3, §6. */
#include "config.h"
#include <stddef.h>
#include "libvss/xml-names.h"

#define END { NULL, AT_STRING, 0, NULL, NULL }

const struct token TOK_USAGE[] = {
	{ "BOOTABLE_SYSTEM_STATE", VSS_UT_BOOTABLESYSTEMSTATE },	/* R */
	{ "SYSTEM_SERVICE", VSS_UT_SYSTEMSERVICE },			/* R */
	{ "USER_DATA", VSS_UT_USERDATA },				/* R */
	{ "UNDEFINED", VSS_UT_UNDEFINED },				/* P */
	{ "OTHER", VSS_UT_OTHER },					/* P */
	{ NULL, 0 }
};

const struct token TOK_SOURCE[] = {
	{ "TRANSACTION_DB", VSS_ST_TRANSACTEDDB },			/* R */
	{ "OTHER", VSS_ST_OTHER },					/* R */
	{ "UNDEFINED", VSS_ST_UNDEFINED },				/* P */
	{ "NONTRANSACTION_DB", VSS_ST_NONTRANSACTEDDB },		/* P */
	{ NULL, 0 }
};

const struct token TOK_METHOD[] = {
	{ "RESTORE_IF_CAN_BE_REPLACED", VSS_RME_RESTORE_IF_CAN_REPLACE },	/* R */
	{ "REPLACE_AT_REBOOT", VSS_RME_RESTORE_AT_REBOOT },			/* R */
	{ "REPLACE_AT_REBOOT_IF_CANNOT_REPLACE",
	  VSS_RME_RESTORE_AT_REBOOT_IF_CANNOT_REPLACE },			/* R */
	{ "UNDEFINED", VSS_RME_UNDEFINED },					/* P */
	{ "RESTORE_IF_NOT_THERE", VSS_RME_RESTORE_IF_NOT_THERE },		/* P */
	{ "STOP_RESTORE_START", VSS_RME_STOP_RESTORE_START },			/* P */
	{ "RESTORE_TO_ALTERNATE_LOCATION",
	  VSS_RME_RESTORE_TO_ALTERNATE_LOCATION },				/* P */
	{ "CUSTOM", VSS_RME_CUSTOM },						/* P */
	{ "RESTORE_STOP_START", VSS_RME_RESTORE_STOP_START },			/* P */
	{ NULL, 0 }
};

const struct token TOK_WRITER_RESTORE[] = {
	{ "never", VSS_WRE_NEVER },				/* R */
	{ "always", VSS_WRE_ALWAYS },				/* R */
	{ "undefined", VSS_WRE_UNDEFINED },			/* P */
	{ "ifReplaceFails", VSS_WRE_IF_REPLACE_FAILS },		/* P */
	{ NULL, 0 }
};

const struct token TOK_BACKUP_TYPE[] = {
	{ "full", VSS_BT_FULL },			/* R */
	{ "undefined", VSS_BT_UNDEFINED },		/* P */
	{ "incremental", VSS_BT_INCREMENTAL },		/* P */
	{ "differential", VSS_BT_DIFFERENTIAL },	/* P */
	{ "log", VSS_BT_LOG },				/* P */
	{ "copy", VSS_BT_COPY },			/* P */
	{ "other", VSS_BT_OTHER },			/* P */
	{ NULL, 0 }
};

const struct token TOK_COMPONENT_TYPE[] = {
	{ "filegroup", VSS_CT_FILEGROUP },		/* R */
	{ "database", VSS_CT_DATABASE },		/* P */
	{ "undefined", VSS_CT_UNDEFINED },		/* P */
	{ NULL, 0 }
};

const struct token TOK_RESTORE_TARGET[] = {	/* all P */
	{ "undefined", VSS_RT_UNDEFINED },
	{ "original", VSS_RT_ORIGINAL },
	{ "alternate", VSS_RT_ALTERNATE },
	{ "directed", VSS_RT_DIRECTED },
	{ "originalLocation", VSS_RT_ORIGINAL_LOCATION },
	{ NULL, 0 }
};

const struct token TOK_FILE_RESTORE_STATUS[] = {	/* all P */
	{ "undefined", VSS_RS_UNDEFINED },
	{ "none", VSS_RS_NONE },
	{ "all", VSS_RS_ALL },
	{ "failed", VSS_RS_FAILED },
	{ NULL, 0 }
};

const struct token TOK_RESTORE_TYPE[] = {	/* all P */
	{ "undefined", VSS_RTYPE_UNDEFINED },
	{ "byCopy", VSS_RTYPE_BY_COPY },
	{ "import", VSS_RTYPE_IMPORT },
	{ "other", VSS_RTYPE_OTHER },
	{ NULL, 0 }
};

static const struct attr_def a_writer_metadata[] = {
	{ A_VERSION, AT_STRING, AF_ALWAYS, DOC_VERSION, NULL },
	{ A_BACKUP_SCHEMA, AT_UINT, 0, NULL, NULL },
	END
};

static const struct attr_def a_identification[] = {
	{ A_WRITER_ID, AT_GUID, AF_REQUIRED, NULL, NULL },
	{ A_INSTANCE_ID, AT_GUID, AF_REQUIRED, NULL, NULL },
	{ A_INSTANCE_NAME, AT_STRING, 0, NULL, NULL },
	{ A_FRIENDLY_NAME, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_USAGE, AT_TOKEN, AF_ALWAYS, "UNDEFINED", TOK_USAGE },
	{ A_DATA_SOURCE, AT_TOKEN, AF_ALWAYS, "UNDEFINED", TOK_SOURCE },
	{ A_MAJOR_VERSION, AT_UINT, AF_ALWAYS, "0", NULL },
	{ A_MINOR_VERSION, AT_UINT, AF_ALWAYS, "0", NULL },
	END
};

static const struct attr_def a_restore_method[] = {
	{ A_METHOD, AT_TOKEN, AF_ALWAYS, "UNDEFINED", TOK_METHOD },
	{ A_SERVICE, AT_STRING, 0, NULL, NULL },
	{ A_USER_PROCEDURE, AT_STRING, 0, NULL, NULL },
	{ A_WRITER_RESTORE, AT_TOKEN, AF_ALWAYS, "undefined", TOK_WRITER_RESTORE },
	{ A_REBOOT_REQUIRED, AT_BOOL, AF_ALWAYS, "no", NULL },
	END
};

static const struct attr_def a_alt_mapping[] = {
	{ A_PATH, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_FILESPEC, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_RECURSIVE, AT_BOOL, AF_ALWAYS, "no", NULL },
	{ A_ALTERNATE_PATH, AT_STRING, 0, NULL, NULL },
	END
};

static const struct attr_def a_component_wm[] = {
	{ A_LOGICAL_PATH, AT_STRING, 0, NULL, NULL },
	{ A_COMPONENT_NAME, AT_STRING, AF_REQUIRED, NULL, NULL },
	{ A_CAPTION, AT_STRING, 0, NULL, NULL },
	{ A_ICON, AT_OPAQUE, 0, NULL, NULL },
	{ A_RESTORE_METADATA, AT_BOOL, AF_ALWAYS, "no", NULL },
	{ A_NOTIFY, AT_BOOL, AF_ALWAYS, "no", NULL },
	{ A_SELECTABLE, AT_BOOL, AF_ALWAYS, "no", NULL },
	{ A_SELECTABLE_RESTORE, AT_BOOL, AF_ALWAYS, "no", NULL },
	{ A_COMPONENT_FLAGS, AT_UINT, AF_ALWAYS, "0", NULL },
	END
};

/* recursive is optional on FILE_LIST (R: almost always absent). */
static const struct attr_def a_file_list[] = {
	{ A_PATH, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_FILESPEC, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_RECURSIVE, AT_BOOL, 0, NULL, NULL },
	{ A_ALTERNATE_PATH, AT_STRING, 0, NULL, NULL },
	{ A_FILESPEC_BACKUP_TYPE, AT_UINT, AF_ALWAYS, "3855", NULL },
	END
};

static const struct attr_def a_database_files[] = {
	{ A_PATH, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_FILESPEC, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_FILESPEC_BACKUP_TYPE, AT_UINT, AF_ALWAYS, "3855", NULL },
	END
};

static const struct attr_def a_dependency[] = {
	{ A_WRITER_ID, AT_GUID, AF_REQUIRED, NULL, NULL },
	{ A_LOGICAL_PATH, AT_STRING, 0, NULL, NULL },
	{ A_COMPONENT_NAME, AT_STRING, AF_REQUIRED, NULL, NULL },
	END
};

static const struct attr_def a_exclude[] = {
	{ A_PATH, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_FILESPEC, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_RECURSIVE, AT_BOOL, AF_ALWAYS, "no", NULL },
	END
};

static const struct attr_def a_backup_components[] = {
	{ A_VERSION, AT_STRING, AF_ALWAYS, DOC_VERSION, NULL },
	{ A_BOOTABLE, AT_BOOL, AF_ALWAYS, "no", NULL },
	{ A_SELECT_COMPONENTS, AT_BOOL, AF_ALWAYS, "no", NULL },
	{ A_BACKUP_TYPE, AT_TOKEN, AF_ALWAYS, "full", TOK_BACKUP_TYPE },
	{ A_PARTIAL_FILE, AT_BOOL, AF_ALWAYS, "no", NULL },
	{ A_SNAPSHOT_SET_ID, AT_GUID, 0, NULL, NULL },
	{ A_RESTORE_TYPE, AT_TOKEN, 0, NULL, TOK_RESTORE_TYPE },
	END
};

static const struct attr_def a_writer_components[] = {
	{ A_INSTANCE_ID, AT_GUID, AF_REQUIRED, NULL, NULL },
	{ A_WRITER_ID, AT_GUID, AF_REQUIRED, NULL, NULL },
	{ A_INSTANCE_NAME, AT_STRING, 0, NULL, NULL },
	{ A_BACKUP_SCHEMA, AT_UINT, AF_ALWAYS, "0", NULL },
	END
};

static const struct attr_def a_component[] = {
	{ A_LOGICAL_PATH, AT_STRING, 0, NULL, NULL },
	{ A_COMPONENT_NAME, AT_STRING, AF_REQUIRED, NULL, NULL },
	{ A_COMPONENT_TYPE, AT_TOKEN, AF_ALWAYS, "filegroup", TOK_COMPONENT_TYPE },
	{ A_BACKUP_STAMP, AT_OPAQUE, 0, NULL, NULL },
	{ A_PREVIOUS_STAMP, AT_OPAQUE, 0, NULL, NULL },
	{ A_BACKUP_SUCCEEDED, AT_BOOL, 0, NULL, NULL },
	{ A_BACKUP_OPTIONS, AT_OPAQUE, 0, NULL, NULL },
	{ A_RESTORE_OPTIONS, AT_OPAQUE, 0, NULL, NULL },
	{ A_SELECTED_RESTORE, AT_BOOL, 0, NULL, NULL },
	{ A_ADDITIONAL_RESTORES, AT_BOOL, 0, NULL, NULL },
	{ A_RESTORE_TARGET, AT_TOKEN, 0, NULL, TOK_RESTORE_TARGET },
	{ A_FILE_RESTORE_STATUS, AT_TOKEN, 0, NULL, TOK_FILE_RESTORE_STATUS },
	{ A_PREPARE_FAILURE, AT_OPAQUE, 0, NULL, NULL },
	{ A_POSTSNAP_FAILURE, AT_OPAQUE, 0, NULL, NULL },
	{ A_PRERESTORE_FAILURE, AT_OPAQUE, 0, NULL, NULL },
	{ A_POSTRESTORE_FAILURE, AT_OPAQUE, 0, NULL, NULL },
	{ A_FAILURE_HR, AT_UINT, 0, NULL, NULL },
	{ A_FAILURE_APP_HR, AT_UINT, 0, NULL, NULL },
	{ A_FAILURE_MSG, AT_OPAQUE, 0, NULL, NULL },
	END
};

static const struct attr_def a_metadata[] = {
	{ A_METADATA, AT_OPAQUE, AF_ALWAYS, "", NULL },
	END
};

static const struct attr_def a_none[] = { END };

const struct elem_def ED_WRITER_METADATA = { E_WRITER_METADATA, a_writer_metadata };
const struct elem_def ED_IDENTIFICATION = { E_IDENTIFICATION, a_identification };
const struct elem_def ED_RESTORE_METHOD = { E_RESTORE_METHOD, a_restore_method };
const struct elem_def ED_ALT_MAPPING = { E_ALT_MAPPING, a_alt_mapping };
const struct elem_def ED_COMPONENT_WM = { E_FILE_GROUP, a_component_wm };
const struct elem_def ED_FILE_LIST = { E_FILE_LIST, a_file_list };
const struct elem_def ED_DATABASE_FILES = { E_DATABASE_FILES, a_database_files };
const struct elem_def ED_DEPENDENCY = { E_DEPENDENCY, a_dependency };
const struct elem_def ED_EXCLUDE = { E_EXCLUDE_FILES, a_exclude };
const struct elem_def ED_BACKUP_COMPONENTS = { E_BACKUP_COMPONENTS, a_backup_components };
const struct elem_def ED_WRITER_COMPONENTS = { E_WRITER_COMPONENTS, a_writer_components };
const struct elem_def ED_COMPONENT = { E_COMPONENT, a_component };
const struct elem_def ED_METADATA = { E_BACKUP_METADATA, a_metadata };
const struct elem_def ED_NEW_TARGET = { E_NEW_TARGET, a_alt_mapping };
const struct elem_def ED_PLAIN = { "", a_none };
