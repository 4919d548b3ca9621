/* metadata-fixture.h — the Writer Metadata Document and the Backup
 * Components Document values of the end-to-end metadata test, shared by
 * test-metadata-writer (which sets them) and test-metadata-requester (which
 * checks that every one arrived).  Strings carry non-ASCII characters,
 * spaces, '&', '<' and '"' on purpose: each must cross the writer library,
 * vssd and the requester library unchanged. */
#ifndef TESTS_METADATA_FIXTURE_H
#define TESTS_METADATA_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <vss/metadata.h>
#include <vss/vss.h>

#define FX_CLASS_ID	"{5e1f7c2a-93b4-4d0e-a6c1-0b8d2f4e6a71}"
#define FX_NAME		"Écrivain «métadonnées» & Co"
#define FX_INSTANCE	"Instance n°2 <ß>"
#define FX_MAJOR	7
#define FX_MINOR	42
#define FX_USAGE	VSS_UT_USERDATA
#define FX_SOURCE	VSS_ST_TRANSACTEDDB
#define FX_LEVEL	VSS_APP_BACK_END
#define FX_SCHEMA	(VSS_BS_DIFFERENTIAL | VSS_BS_INCREMENTAL | VSS_BS_LOG | \
			 VSS_BS_COPY | VSS_BS_TIMESTAMPED | VSS_BS_WRITER_SUPPORTS_NEW_TARGET)

/* Restore method. */
#define FX_RM_METHOD	VSS_RME_RESTORE_TO_ALTERNATE_LOCATION
#define FX_RM_SERVICE	"données-svc & <co>"
#define FX_RM_USERPROC	"Stop \"it\" & restore: Ünïcode"
#define FX_RM_WRE	VSS_WRE_IF_REPLACE_FAILS
#define FX_RM_REBOOT	true

struct fx_file {
	const char *path, *spec;
	bool recursive;
	const char *alt;	/* alternate location / destination; NULL: none */
	uint32_t mask;
};

static const struct fx_file fx_mappings[] = {
	{ "/srv/Données & Co/", "*.db", true, "/restore/Données & Co/", 0 },
	{ "/srv/log dir/", "journal *.log", false, "/restore/log dir/", 0 },
};

static const struct fx_file fx_excludes[] = {
	{ "/srv/Données & Co/tmp/", "*.tmp", true, NULL, 0 },
	{ "/srv/cache ö/", "*", false, NULL, 0 },
};

static const struct fx_file fx_snap_excludes[] = {
	{ "/srv/Données & Co/swap/", "páge & file.sys", false, NULL, 0 },
};

/* Component 0: a FILE_GROUP; component 1: a DATABASE. */
#define FX_FG_LP	"Données & Co\\ö"
#define FX_FG_NAME	"Fichiers <groupe> & \"plus\""
#define FX_FG_CAPTION	"Les fichiers de l'écrivain"
#define FX_FG_FLAGS	(VSS_CF_BACKUP_RECOVERY | VSS_CF_APP_ROLLBACK_RECOVERY)
static const uint8_t fx_fg_icon[] = { 0x89, 'P', 'N', 'G', 0x00, 0xff, 0x10, '&', '<' };

static const struct fx_file fx_fg_files[] = {
	{ "/srv/Données & Co/data/", "*.dat", true, "/alt/Données & Co/data/",
	  VSS_FSBT_FULL_BACKUP_REQUIRED | VSS_FSBT_FULL_SNAPSHOT_REQUIRED },
	{ "/srv/with space/", "file & name ü.txt", false, NULL,
	  VSS_FSBT_DEFAULT },
	{ "/srv/created/", "new-*.bin", false, NULL,
	  VSS_FSBT_ALL_BACKUP_REQUIRED | VSS_FSBT_CREATED_DURING_BACKUP },
};

#define FX_DB_LP	"Bases\\Société & fils"
#define FX_DB_NAME	"Base principale ä"
#define FX_DB_CAPTION	"Base <transactionnelle>"
#define FX_DB_FLAGS	VSS_CF_NOT_SYSTEM_STATE

static const struct fx_file fx_db_files[] = {
	{ "/var/lib/base ä/", "main & co.db", false, NULL, VSS_FSBT_DEFAULT },
	{ "/var/lib/base ä/", "index.db", false, NULL,
	  VSS_FSBT_FULL_BACKUP_REQUIRED | VSS_FSBT_FULL_SNAPSHOT_REQUIRED },
};

static const struct fx_file fx_db_logs[] = {
	{ "/var/log/base ä/", "*.log", false, NULL,
	  VSS_FSBT_LOG_BACKUP_REQUIRED | VSS_FSBT_LOG_SNAPSHOT_REQUIRED },
};

/* The database depends on the file group, and on a component of another
 * writer class. */
#define FX_DEP2_WRITER	"{0bada55e-0000-4000-8000-00000000cafe}"
#define FX_DEP2_LP	"Autre écrivain\\x & y"
#define FX_DEP2_NAME	"Journal «commun»"

/* What the requester sets in the Backup Components Document. */
#define FX_FG_OPTIONS	"opts=Données & <rien> \"tout\""
#define FX_FG_PREV	"prev-stamp Ö & <1>"
#define FX_DB_OPTIONS	"mode=différentiel & compressé"
#define FX_DB_PREV	"prev-stamp ß <2>"

/* What the writer writes into it: at PrepareForBackup ... */
#define FX_FG_META	"méta <préparation> & \"fichiers\" ☃"
#define FX_DB_STAMP	"stamp-préparation <LSN 42> & co"
/* ... and at PostSnapshot. */
#define FX_FG_STAMP	"stamp-après <snapshot> & Ω"
#define FX_DB_META	"méta <post-snapshot> & base ✓"

/* The component a rogue writer tries to add at PostSnapshot. */
#define FX_ROGUE_NAME	"Intrus"

#define FX_N(a) (sizeof(a) / sizeof((a)[0]))

#endif
