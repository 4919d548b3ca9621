/* xml-names.h — every XML spelling of the WMD and BCD, in one place.
 *
 * Marks follow spec/vss-xml.md §0.1: R seen in a real Windows document,
 * D Microsoft documentation example, T third-party parser of real output,
 * P provisional (our derivation from the API name; never confirmed by a
 * Windows capture).  When a capture confirms or corrects a P spelling,
 * change it here and nowhere else (spec §9).  The attribute tables of each
 * element (order = Windows serializer order) are in xml-names.c. */
#ifndef VSS_XML_NAMES_H
#define VSS_XML_NAMES_H

#include "libvss/xml-doc.h"

/* Namespaces and version (R). */
#define NS_WMD			"x-schema:#VssWriterMetadataInfo"
#define NS_BCD			"x-schema:#VssComponentMetadata"
#define DOC_VERSION		"1.2"

/* WMD elements. */
#define E_WRITER_METADATA	"WRITER_METADATA"		/* R */
#define E_IDENTIFICATION	"IDENTIFICATION"		/* R */
#define E_RESTORE_METHOD	"RESTORE_METHOD"		/* R */
#define E_ALT_MAPPING		"ALTERNATE_LOCATION_MAPPING"	/* P */
#define E_BACKUP_LOCATIONS	"BACKUP_LOCATIONS"		/* R */
#define E_FILE_GROUP		"FILE_GROUP"			/* R */
#define E_DATABASE		"DATABASE"			/* D */
#define E_FILE_LIST		"FILE_LIST"			/* R */
#define E_DATABASE_FILES	"DATABASE_FILES"		/* D */
#define E_DATABASE_LOGFILES	"DATABASE_LOGFILES"		/* D */
#define E_DEPENDENCY		"DEPENDENCY"			/* P */
#define E_EXCLUDE_FILES		"EXCLUDE_FILES"			/* R */
#define E_EXCLUDE_SNAPSHOT	"EXCLUDE_FILES_FROM_SNAPSHOT"	/* R */

/* BCD elements. */
#define E_BACKUP_COMPONENTS	"BACKUP_COMPONENTS"		/* R */
#define E_WRITER_COMPONENTS	"WRITER_COMPONENTS"		/* R */
#define E_COMPONENT		"COMPONENT"			/* R */
#define E_BACKUP_METADATA	"BACKUP_METADATA"		/* R */
#define E_RESTORE_METADATA	"RESTORE_METADATA"		/* P */
#define E_NEW_TARGET		"NEW_TARGET"			/* P */
#define E_PARTIAL_FILE		"PARTIAL_FILE"			/* P */
#define E_DIFFERENCED_FILES	"DIFFERENCED_FILES"		/* P */
#define E_DIRECTED_TARGET	"DIRECTED_TARGET"		/* P */
#define E_RESTORE_SUBCOMPONENT	"RESTORE_SUBCOMPONENT"		/* P */

/* Attributes shared by several elements. */
#define A_VERSION		"version"			/* R */
#define A_BACKUP_SCHEMA		"backupSchema"			/* R */
#define A_WRITER_ID		"writerId"			/* R */
#define A_INSTANCE_ID		"instanceId"			/* R */
#define A_INSTANCE_NAME		"instanceName"			/* R */
#define A_LOGICAL_PATH		"logicalPath"			/* R */
#define A_COMPONENT_NAME	"componentName"			/* R */
#define A_PATH			"path"				/* R */
#define A_FILESPEC		"filespec"			/* R */
#define A_RECURSIVE		"recursive"			/* R */
#define A_ALTERNATE_PATH	"alternatePath"			/* P */
#define A_METADATA		"metadata"			/* R */

/* IDENTIFICATION (R). */
#define A_FRIENDLY_NAME		"friendlyName"
#define A_USAGE			"usage"
#define A_DATA_SOURCE		"dataSource"
#define A_MAJOR_VERSION		"majorVersion"
#define A_MINOR_VERSION		"minorVersion"

/* RESTORE_METHOD. */
#define A_METHOD		"method"			/* R */
#define A_SERVICE		"service"			/* P */
#define A_USER_PROCEDURE	"userProcedure"			/* P */
#define A_WRITER_RESTORE	"writerRestore"			/* R */
#define A_REBOOT_REQUIRED	"rebootRequired"		/* R */

/* FILE_GROUP / DATABASE. */
#define A_CAPTION		"caption"			/* R */
#define A_ICON			"icon"				/* P, base64 */
#define A_RESTORE_METADATA	"restoreMetadata"		/* R */
#define A_NOTIFY		"notifyOnBackupComplete"	/* R */
#define A_SELECTABLE		"selectable"			/* R */
#define A_SELECTABLE_RESTORE	"selectableForRestore"		/* R */
#define A_COMPONENT_FLAGS	"componentFlags"		/* R */
#define A_FILESPEC_BACKUP_TYPE	"filespecBackupType"		/* R */

/* BACKUP_COMPONENTS. */
#define A_BOOTABLE		"bootableSystemStateBackup"	/* R */
#define A_SELECT_COMPONENTS	"selectComponents"		/* R */
#define A_BACKUP_TYPE		"backupType"			/* R */
#define A_PARTIAL_FILE		"partialFileSupport"		/* R */
#define A_SNAPSHOT_SET_ID	"snapshotSetId"			/* R */
#define A_RESTORE_TYPE		"restoreType"			/* P */

/* COMPONENT. */
#define A_COMPONENT_TYPE	"componentType"			/* R */
#define A_BACKUP_STAMP		"backupStamp"			/* R */
#define A_PREVIOUS_STAMP	"previousBackupStamp"		/* P */
#define A_BACKUP_SUCCEEDED	"backupSucceeded"		/* P */
#define A_BACKUP_OPTIONS	"backupOptions"			/* P */
#define A_RESTORE_OPTIONS	"restoreOptions"		/* P */
#define A_SELECTED_RESTORE	"selectedForRestore"		/* P */
#define A_ADDITIONAL_RESTORES	"additionalRestores"		/* P */
#define A_RESTORE_TARGET	"restoreTarget"			/* P */
#define A_FILE_RESTORE_STATUS	"fileRestoreStatus"		/* P */
#define A_PREPARE_FAILURE	"prepareForBackupFailureMsg"	/* P */
#define A_POSTSNAP_FAILURE	"postSnapshotFailureMsg"	/* P */
#define A_PRERESTORE_FAILURE	"preRestoreFailureMsg"		/* P */
#define A_POSTRESTORE_FAILURE	"postRestoreFailureMsg"		/* P */
#define A_FAILURE_HR		"failureHr"			/* P */
#define A_FAILURE_APP_HR	"failureApplicationHr"		/* P */
#define A_FAILURE_MSG		"failureMsg"			/* P */
#define A_AUTHORITATIVE		"authoritativeRestore"		/* P */
#define A_ROLL_FORWARD_TYPE	"rollForwardType"		/* P */
#define A_ROLL_FORWARD_POINT	"rollForwardPoint"		/* P */
#define A_RESTORE_NAME		"restoreName"			/* P */

/* Per-component file-level records (§3.6, all P). */
#define A_FILENAME		"filename"
#define A_RANGES		"ranges"
#define A_LAST_MODIFY_TIME	"lastModifyTime"
#define A_LSN			"lsnString"
#define A_SOURCE_PATH		"sourcePath"
#define A_SOURCE_FILENAME	"sourceFilename"
#define A_SOURCE_RANGES		"sourceRangeList"
#define A_DEST_PATH		"destinationPath"
#define A_DEST_FILENAME		"destinationFilename"
#define A_DEST_RANGES		"destinationRangeList"
#define A_REPAIR		"repair"

/* Element definitions (xml-names.c). */
extern const struct elem_def ED_WRITER_METADATA, ED_IDENTIFICATION,
	ED_RESTORE_METHOD, ED_ALT_MAPPING, ED_COMPONENT_WM, ED_FILE_LIST,
	ED_DATABASE_FILES, ED_DEPENDENCY, ED_EXCLUDE, ED_BACKUP_COMPONENTS,
	ED_WRITER_COMPONENTS, ED_COMPONENT, ED_METADATA, ED_RESTORE_METADATA,
	ED_NEW_TARGET, ED_PARTIAL_FILE, ED_DIFFERENCED_FILES, ED_DIRECTED_TARGET,
	ED_RESTORE_SUBCOMPONENT;

/* Token tables (xml-names.c), terminated by a NULL name. */
extern const struct token TOK_USAGE[], TOK_SOURCE[], TOK_METHOD[],
	TOK_WRITER_RESTORE[], TOK_BACKUP_TYPE[], TOK_COMPONENT_TYPE[],
	TOK_RESTORE_TARGET[], TOK_FILE_RESTORE_STATUS[], TOK_RESTORE_TYPE[],
	TOK_ROLL_FORWARD[];

#endif
