#!/usr/bin/env bash
# Nightly backup of the records (PostgreSQL) and the uploads (MEDIA_ROOT); run by biashara-backup.service.
# Redis is deliberately not backed up: it holds a cache and a job queue; PostgreSQL is the record.
#
# Env: DATABASE_URL (libpq URI), MEDIA_ROOT, BACKUP_DIR (default /var/backups/biashara),
#      BACKUP_KEEP_DAYS (35), BACKUP_KEEP_MONTHS (84), BACKUP_NOW (YYYYmmdd-HHMM; tests only).
# Writes db-YYYYmmdd-HHMM.dump (pg_dump custom format) and media-YYYYmmdd-HHMM.tar.gz.
# Retention, for each kind separately, by the date in the file name (not mtime, so copies keep working):
#   - every file of the last KEEP_DAYS days is kept;
#   - the first file of each calendar month is kept while that month is within KEEP_MONTHS;
#   - everything else is deleted.
# Files stay on this machine: copying them off it is a separate step (README, "Off-site copies").
set -euo pipefail
umask 077

: "${DATABASE_URL:?DATABASE_URL is not set}"
: "${MEDIA_ROOT:?MEDIA_ROOT is not set}"
BACKUP_DIR=${BACKUP_DIR:-/var/backups/biashara}
KEEP_DAYS=${BACKUP_KEEP_DAYS:-35}
KEEP_MONTHS=${BACKUP_KEEP_MONTHS:-84}
NOW=${BACKUP_NOW:-$(date +%Y%m%d-%H%M)}
TODAY=${NOW:0:8}
[[ $NOW =~ ^[0-9]{8}-[0-9]{4}$ ]] || { echo "backup.sh: bad BACKUP_NOW '$NOW'" >&2; exit 2; }

log() { echo "backup.sh: $*"; }
die() { echo "backup.sh: FAILED: $*" >&2; exit 1; }

mkdir -p "$BACKUP_DIR"
exec 9>"$BACKUP_DIR/.lock"
flock -n 9 || die "another backup is running"

db="$BACKUP_DIR/db-$NOW.dump"
media="$BACKUP_DIR/media-$NOW.tar.gz"
[[ -e $db || -e $media ]] && die "$db or $media already exists"
trap 'rm -f -- "$db.partial" "$media.partial"' EXIT

# --- database: dump, then prove the archive is readable before it counts as a backup --------------
pg_dump --format=custom --no-password --dbname="$DATABASE_URL" --file="$db.partial" || die "pg_dump exited $?"
listing=$(pg_restore --list "$db.partial") || die "pg_restore --list cannot read $db.partial"
tables=$(grep -c ' TABLE DATA ' <<<"$listing" || true)
[[ $tables -gt 0 ]] || die "pg_restore --list shows no TABLE DATA in $db.partial"
mv -- "$db.partial" "$db"
log "database: $db, $(du -h -- "$db" | cut -f1), $tables TABLE DATA entries"

# --- uploads -----------------------------------------------------------------------------------
[[ -d $MEDIA_ROOT ]] || die "MEDIA_ROOT=$MEDIA_ROOT is not a directory"
status=0
tar --create --gzip --file="$media.partial" \
    --directory="$(dirname -- "$MEDIA_ROOT")" "$(basename -- "$MEDIA_ROOT")" || status=$?
# GNU tar exits 1 when a file changed while it was read (an upload at 02:30): keep the archive, warn.
((status <= 1)) || die "tar of $MEDIA_ROOT exited $status"
((status == 0)) || log "WARNING: a file in $MEDIA_ROOT changed during tar; archive kept"
tar --list --gzip --file="$media.partial" >/dev/null || die "cannot list $media.partial"
mv -- "$media.partial" "$media"
log "media: $media, $(du -h -- "$media" | cut -f1)"

# --- retention -----------------------------------------------------------------------------------
day_cut=$(date -d "$TODAY -$KEEP_DAYS days" +%Y%m%d)
month_cut=$(date -d "${TODAY:0:6}01 -$KEEP_MONTHS months" +%Y%m)
gap_cut=$(date -d "$TODAY -$((2 * KEEP_DAYS)) days" +%Y%m%d)

prune() {  # prune PREFIX SUFFIX
    local prefix=$1 suffix=$2 files f name stamp month previous="" kept=0 removed=0
    local -A seen=()
    files=$(find "$BACKUP_DIR" -maxdepth 1 -type f -name "$prefix-*$suffix" | sort)
    # Guard against a wrong clock or a long outage: if the newest earlier backup is in the future or
    # older than 2*KEEP_DAYS, delete nothing and say so (prune by hand once the cause is understood).
    previous=$(grep -v -F -- "-$NOW$suffix" <<<"$files" | tail -n 1 || true)
    if [[ -n $previous ]]; then
        stamp=${previous##*/"$prefix"-}
        stamp=${stamp:0:8}
        if [[ $stamp > $TODAY || $stamp < $gap_cut ]]; then
            log "WARNING: previous $prefix backup is dated $stamp, today is $TODAY: nothing pruned"
            return 0
        fi
    fi
    while IFS= read -r f; do
        [[ -n $f ]] || continue
        name=${f##*/}
        stamp=${name#"$prefix"-}
        stamp=${stamp:0:8}
        [[ $stamp =~ ^[0-9]{8}$ ]] || { log "WARNING: not pruning unexpected file $name"; continue; }
        month=${stamp:0:6}
        # Files are sorted oldest first, so the first one seen in a month is that month's first.
        if [[ -z ${seen[$month]:-} ]]; then
            seen[$month]=1
            if [[ ! $month < $month_cut ]]; then kept=$((kept + 1)); continue; fi
        fi
        if [[ ! $stamp < $day_cut ]]; then kept=$((kept + 1)); continue; fi
        rm -f -- "$f"
        removed=$((removed + 1))
        log "pruned $name"
    done <<<"$files"
    log "$prefix: $kept kept, $removed pruned"
}

prune db .dump
prune media .tar.gz
