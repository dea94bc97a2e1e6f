#!/bin/sh
# Builds tests/data/jrnl/export1.json and export2.json with the real jrnl package.
# Usage: sh make_export.sh OUTDIR   (needs /tmp/jrnlvenv/bin/jrnl: python3 -m venv /tmp/jrnlvenv && /tmp/jrnlvenv/bin/pip install jrnl)
set -eu
OUT=$(cd "$1" && pwd)
W=$(mktemp -d)
export HOME="$W/home" XDG_CONFIG_HOME="$W/home/.config" XDG_DATA_HOME="$W/home/.local/share" TZ=UTC
mkdir -p "$HOME"
cat > "$W/jrnl.yaml" <<EOF
colors: {body: none, date: none, tags: none, title: none}
default_hour: 9
default_minute: 0
editor: 'sh $W/edit.sh'
encrypt: false
highlight: false
indent_character: '|'
journals:
  default:
    journal: $W/journal.txt
linewrap: 79
tagsymbols: '#@'
template: false
timeformat: '%Y-%m-%d %H:%M'
version: v4.6
EOF
J="/tmp/jrnlvenv/bin/jrnl --config-file $W/jrnl.yaml"
$J "2025-03-01 09:15: Coffee with @Sam at the canal #friends. We talked about his new job at Halden Labs and the move to Leith. He seems happier than in January."
$J "2025-03-02 21:40: Ran 10k along the Water of Leith. Legs heavy after the first 5k, but kept going. #running"
$J "2025-03-04 07:05 *: Got the offer from the Edinburgh Library project!"
$J "2025-03-04 18:30: Told @Priya and @Sam about the offer #work #news."
printf '%s\n' "2025-03-09 16:20: Long Sunday walk up Arthur's Seat with @Priya. #walking" "" \
  "The wind was brutal at the top. We sat behind the trig point and shared a flask of tea." "" \
  "- saw two ravens" "- Priya found a lost dog's lead and hung it on the gate" "" \
  "Evening: pasta and an early night." | $J
$J "2025-03-11 12:00 *: Mum's birthday lunch at the café on Broughton Street #family"
$J "2025-03-12 23:10: Couldn't sleep."
$J --export json > "$OUT/export1.json"
cp "$W/journal.txt" "$OUT/journal1.txt"
# Edit entries in jrnl: jrnl runs the configured editor (sh edit.sh FILE) on a temp file
# holding the selected entries, then saves the journal.
printf '%s\n' 'sed -i -e "s/flask/thermos/" -e "s/an early night\./an early night. @Sam rang at ten./" "$1"' > "$W/edit.sh"
$J -on 2025-03-09 --edit
printf '%s\n' 'sed -i -e "s/Couldn.t sleep\./Couldn'"'"'t sleep. Read until two, then the rain helped./" "$1"' > "$W/edit.sh"
$J -on 2025-03-12 --edit
$J --export json > "$OUT/export2.json"
cp "$W/journal.txt" "$OUT/journal2.txt"
rm -rf "$W"
