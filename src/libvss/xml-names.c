/* xml-names.c — attribute tables (Windows serializer order) and token
 * tables.  Marks as in xml-names.h; spec/vss-xml.md §2, §3, §6. */
#include "config.h"
#include <stddef.h>
#include <string.h>
#include "libvss/xml-names.h"

#define END { NULL, AT_STRING, 0, NULL, NULL }

const struct token TOK_USAGE[] = {
	{ "BOOTABLE_SYSTEM_STATE", VSS_UT_BOOTABLESYSTEMSTATE },	/* R */
	{ "SYSTEM_SERVICE", VSS_UT_SYSTEMSERVICE },			/* R */
	{ "USER_DATA", VSS_UT_USERDATA },				/* R */
	{ "UNDEFINED", VSS_UT_UNDEFINED, true },				/* P */
	{ "OTHER", VSS_UT_OTHER, true },					/* P */
	{ NULL, 0 }
};

const struct token TOK_SOURCE[] = {
	{ "TRANSACTION_DB", VSS_ST_TRANSACTEDDB },			/* R */
	{ "OTHER", VSS_ST_OTHER },					/* R */
	{ "UNDEFINED", VSS_ST_UNDEFINED, true },				/* P */
	{ "NONTRANSACTION_DB", VSS_ST_NONTRANSACTEDDB, true },		/* P */
	{ NULL, 0 }
};

const struct token TOK_METHOD[] = {
	{ "RESTORE_IF_CAN_BE_REPLACED", VSS_RME_RESTORE_IF_CAN_REPLACE },	/* R */
	{ "REPLACE_AT_REBOOT", VSS_RME_RESTORE_AT_REBOOT },			/* R */
	{ "REPLACE_AT_REBOOT_IF_CANNOT_REPLACE",
	  VSS_RME_RESTORE_AT_REBOOT_IF_CANNOT_REPLACE },			/* R */
	{ "UNDEFINED", VSS_RME_UNDEFINED, true },					/* P */
	{ "RESTORE_IF_NOT_THERE", VSS_RME_RESTORE_IF_NOT_THERE, true },		/* P */
	{ "STOP_RESTORE_START", VSS_RME_STOP_RESTORE_START, true },			/* P */
	{ "RESTORE_TO_ALTERNATE_LOCATION",
	  VSS_RME_RESTORE_TO_ALTERNATE_LOCATION, true },			/* P */
	{ "CUSTOM", VSS_RME_CUSTOM, true },						/* P */
	{ "RESTORE_STOP_START", VSS_RME_RESTORE_STOP_START, true },			/* P */
	{ NULL, 0 }
};

const struct token TOK_WRITER_RESTORE[] = {
	{ "never", VSS_WRE_NEVER },				/* R */
	{ "always", VSS_WRE_ALWAYS },				/* R */
	{ "undefined", VSS_WRE_UNDEFINED, true },			/* P */
	{ "ifReplaceFails", VSS_WRE_IF_REPLACE_FAILS, true },		/* P */
	{ NULL, 0 }
};

const struct token TOK_BACKUP_TYPE[] = {
	{ "full", VSS_BT_FULL },			/* R */
	{ "undefined", VSS_BT_UNDEFINED, true },		/* P */
	{ "incremental", VSS_BT_INCREMENTAL, true },		/* P */
	{ "differential", VSS_BT_DIFFERENTIAL, true },	/* P */
	{ "log", VSS_BT_LOG, true },				/* P */
	{ "copy", VSS_BT_COPY, true },			/* P */
	{ "other", VSS_BT_OTHER, true },			/* P */
	{ NULL, 0 }
};

const struct token TOK_COMPONENT_TYPE[] = {
	{ "filegroup", VSS_CT_FILEGROUP },		/* R */
	{ "database", VSS_CT_DATABASE, true },		/* P */
	{ "undefined", VSS_CT_UNDEFINED, true },		/* P */
	{ NULL, 0 }
};

const struct token TOK_RESTORE_TARGET[] = {	/* all P */
	{ "undefined", VSS_RT_UNDEFINED, true },
	{ "original", VSS_RT_ORIGINAL, true },
	{ "alternate", VSS_RT_ALTERNATE, true },
	{ "directed", VSS_RT_DIRECTED, true },
	{ "originalLocation", VSS_RT_ORIGINAL_LOCATION, true },
	{ NULL, 0 }
};

const struct token TOK_FILE_RESTORE_STATUS[] = {	/* all P */
	{ "undefined", VSS_RS_UNDEFINED, true },
	{ "none", VSS_RS_NONE, true },
	{ "all", VSS_RS_ALL, true },
	{ "failed", VSS_RS_FAILED, true },
	{ NULL, 0 }
};

const struct token TOK_RESTORE_TYPE[] = {	/* all P */
	{ "undefined", VSS_RTYPE_UNDEFINED, true },
	{ "byCopy", VSS_RTYPE_BY_COPY, true },
	{ "import", VSS_RTYPE_IMPORT, true },
	{ "other", VSS_RTYPE_OTHER, true },
	{ NULL, 0 }
};

const struct token TOK_ROLL_FORWARD[] = {	/* all P */
	{ "undefined", VSS_RF_UNDEFINED, true },
	{ "none", VSS_RF_NONE, true },
	{ "all", VSS_RF_ALL, true },
	{ "partial", VSS_RF_PARTIAL, true },
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
	{ A_SERVICE, AT_STRING, AF_P, NULL, NULL },
	{ A_USER_PROCEDURE, AT_STRING, AF_P, NULL, NULL },
	{ A_WRITER_RESTORE, AT_TOKEN, AF_ALWAYS, "undefined", TOK_WRITER_RESTORE },
	{ A_REBOOT_REQUIRED, AT_BOOL, AF_ALWAYS, "no", NULL },
	END
};

static const struct attr_def a_alt_mapping[] = {
	{ A_PATH, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_FILESPEC, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_RECURSIVE, AT_BOOL, AF_ALWAYS, "no", NULL },
	{ A_ALTERNATE_PATH, AT_STRING, AF_P, NULL, NULL },
	END
};

static const struct attr_def a_component_wm[] = {
	{ A_LOGICAL_PATH, AT_STRING, 0, NULL, NULL },
	{ A_COMPONENT_NAME, AT_STRING, AF_REQUIRED, NULL, NULL },
	{ A_CAPTION, AT_STRING, 0, NULL, NULL },
	{ A_ICON, AT_OPAQUE, AF_P, NULL, NULL },
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
	{ A_ALTERNATE_PATH, AT_STRING, AF_P, NULL, NULL },
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
	{ A_RESTORE_TYPE, AT_TOKEN, AF_P, NULL, TOK_RESTORE_TYPE },
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
	{ A_PREVIOUS_STAMP, AT_OPAQUE, AF_P, NULL, NULL },
	{ A_BACKUP_SUCCEEDED, AT_BOOL, AF_P, NULL, NULL },
	{ A_BACKUP_OPTIONS, AT_OPAQUE, AF_P, NULL, NULL },
	{ A_RESTORE_OPTIONS, AT_OPAQUE, AF_P, NULL, NULL },
	{ A_SELECTED_RESTORE, AT_BOOL, AF_P, NULL, NULL },
	{ A_ADDITIONAL_RESTORES, AT_BOOL, AF_P, NULL, NULL },
	{ A_RESTORE_TARGET, AT_TOKEN, AF_P, NULL, TOK_RESTORE_TARGET },
	{ A_FILE_RESTORE_STATUS, AT_TOKEN, AF_P, NULL, TOK_FILE_RESTORE_STATUS },
	{ A_PREPARE_FAILURE, AT_OPAQUE, AF_P, NULL, NULL },
	{ A_POSTSNAP_FAILURE, AT_OPAQUE, AF_P, NULL, NULL },
	{ A_PRERESTORE_FAILURE, AT_OPAQUE, AF_P, NULL, NULL },
	{ A_POSTRESTORE_FAILURE, AT_OPAQUE, AF_P, NULL, NULL },
	{ A_FAILURE_HR, AT_UINT, AF_P, NULL, NULL },
	{ A_FAILURE_APP_HR, AT_UINT, AF_P, NULL, NULL },
	{ A_FAILURE_MSG, AT_OPAQUE, AF_P, NULL, NULL },
	{ A_AUTHORITATIVE, AT_BOOL, AF_P, NULL, NULL },
	{ A_ROLL_FORWARD_TYPE, AT_TOKEN, AF_P, NULL, TOK_ROLL_FORWARD },
	{ A_ROLL_FORWARD_POINT, AT_OPAQUE, AF_P, NULL, NULL },
	{ A_RESTORE_NAME, AT_STRING, AF_P, NULL, NULL },
	END
};

/* Record elements below COMPONENT: the element itself is P. */
static const struct attr_def a_partial_file[] = {
	{ A_PATH, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_FILENAME, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_RANGES, AT_OPAQUE, 0, NULL, NULL },
	{ A_METADATA, AT_OPAQUE, 0, NULL, NULL },
	END
};

static const struct attr_def a_differenced_files[] = {
	{ A_PATH, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_FILESPEC, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_RECURSIVE, AT_BOOL, AF_ALWAYS, "no", NULL },
	{ A_LSN, AT_OPAQUE, 0, NULL, NULL },
	{ A_LAST_MODIFY_TIME, AT_STRING, 0, NULL, NULL },
	END
};

static const struct attr_def a_directed_target[] = {
	{ A_SOURCE_PATH, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_SOURCE_FILENAME, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_SOURCE_RANGES, AT_OPAQUE, 0, NULL, NULL },
	{ A_DEST_PATH, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_DEST_FILENAME, AT_STRING, AF_ALWAYS, "", NULL },
	{ A_DEST_RANGES, AT_OPAQUE, 0, NULL, NULL },
	END
};

static const struct attr_def a_restore_subcomponent[] = {
	{ A_LOGICAL_PATH, AT_STRING, 0, NULL, NULL },
	{ A_COMPONENT_NAME, AT_STRING, AF_REQUIRED, NULL, NULL },
	{ A_REPAIR, AT_BOOL, AF_ALWAYS, "no", NULL },
	END
};

static const struct attr_def a_metadata[] = {
	{ A_METADATA, AT_OPAQUE, AF_ALWAYS, "", NULL },
	END
};

static const struct attr_def a_none[] = { END };

const struct elem_def ED_WRITER_METADATA = { E_WRITER_METADATA, a_writer_metadata, false };
const struct elem_def ED_IDENTIFICATION = { E_IDENTIFICATION, a_identification, false };
const struct elem_def ED_RESTORE_METHOD = { E_RESTORE_METHOD, a_restore_method, false };
const struct elem_def ED_ALT_MAPPING = { E_ALT_MAPPING, a_alt_mapping, true };
const struct elem_def ED_COMPONENT_WM = { E_FILE_GROUP, a_component_wm, false };
const struct elem_def ED_FILE_LIST = { E_FILE_LIST, a_file_list, false };
const struct elem_def ED_DATABASE_FILES = { E_DATABASE_FILES, a_database_files, false };
const struct elem_def ED_DEPENDENCY = { E_DEPENDENCY, a_dependency, true };
const struct elem_def ED_EXCLUDE = { E_EXCLUDE_FILES, a_exclude, false };
const struct elem_def ED_BACKUP_COMPONENTS = { E_BACKUP_COMPONENTS, a_backup_components, false };
const struct elem_def ED_WRITER_COMPONENTS = { E_WRITER_COMPONENTS, a_writer_components, false };
const struct elem_def ED_COMPONENT = { E_COMPONENT, a_component, false };
const struct elem_def ED_METADATA = { E_BACKUP_METADATA, a_metadata, false };
const struct elem_def ED_RESTORE_METADATA = { E_RESTORE_METADATA, a_metadata, true };
const struct elem_def ED_NEW_TARGET = { E_NEW_TARGET, a_alt_mapping, true };
const struct elem_def ED_PARTIAL_FILE = { E_PARTIAL_FILE, a_partial_file, true };
const struct elem_def ED_DIFFERENCED_FILES = { E_DIFFERENCED_FILES, a_differenced_files, true };
const struct elem_def ED_DIRECTED_TARGET = { E_DIRECTED_TARGET, a_directed_target, true };
const struct elem_def ED_RESTORE_SUBCOMPONENT = {
	E_RESTORE_SUBCOMPONENT, a_restore_subcomponent, true
};

static const struct {
	const char *name;
	const struct elem_def *d;
} elems[] = {
	{ E_WRITER_METADATA, &ED_WRITER_METADATA },
	{ E_IDENTIFICATION, &ED_IDENTIFICATION },
	{ E_RESTORE_METHOD, &ED_RESTORE_METHOD },
	{ E_ALT_MAPPING, &ED_ALT_MAPPING },
	{ E_BACKUP_LOCATIONS, NULL },
	{ E_FILE_GROUP, &ED_COMPONENT_WM },
	{ E_DATABASE, &ED_COMPONENT_WM },
	{ E_FILE_LIST, &ED_FILE_LIST },
	{ E_DATABASE_FILES, &ED_DATABASE_FILES },
	{ E_DATABASE_LOGFILES, &ED_DATABASE_FILES },
	{ E_DEPENDENCY, &ED_DEPENDENCY },
	{ E_EXCLUDE_FILES, &ED_EXCLUDE },
	{ E_EXCLUDE_SNAPSHOT, &ED_EXCLUDE },
	{ E_BACKUP_COMPONENTS, &ED_BACKUP_COMPONENTS },
	{ E_WRITER_COMPONENTS, &ED_WRITER_COMPONENTS },
	{ E_COMPONENT, &ED_COMPONENT },
	{ E_BACKUP_METADATA, &ED_METADATA },
	{ E_RESTORE_METADATA, &ED_RESTORE_METADATA },
	{ E_NEW_TARGET, &ED_NEW_TARGET },
	{ E_PARTIAL_FILE, &ED_PARTIAL_FILE },
	{ E_DIFFERENCED_FILES, &ED_DIFFERENCED_FILES },
	{ E_DIRECTED_TARGET, &ED_DIRECTED_TARGET },
	{ E_RESTORE_SUBCOMPONENT, &ED_RESTORE_SUBCOMPONENT },
};

static const struct elem_def ED_BACKUP_LOCATIONS = { E_BACKUP_LOCATIONS, a_none, false };

const struct elem_def *elem_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(elems) / sizeof(elems[0]); i++)
		if (!strcmp(elems[i].name, name))
			return elems[i].d ? elems[i].d : &ED_BACKUP_LOCATIONS;
	return NULL;
}
