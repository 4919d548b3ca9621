# tests/writer-functions.sh — helpers of the tests/test-writer-*.sh scripts,
# sourced after functions.sh (whose start_vssd, start_ready, wait_until,
# fail, ... they use).

# wait_log FILE REGEX: waits up to 10 s for a line matching REGEX.
wait_log() {
	wait_until 10 grep -Eq "$2" "$1"
}

# writer_events LOG NAME: the events writer NAME logged, on one line.
writer_events() {
	awk -v n="$2" '$1 == n { printf "%s%s", sep, $2; sep = " " } END { print "" }' "$1"
}

# provider_calls LOG: the calls the test provider logged, on one line.
provider_calls() {
	awk '{ printf "%s%s", sep, $1; sep = " " } END { print "" }' "$1"
}
