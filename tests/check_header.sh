#!/bin/bash
# tests/check_header.sh [HEADER] - the header's map is true (run by `make test`):
#   1. the table of contents' part-6 entries (6A, 6A.1, ...) are the banner titles of part 6, word
#      for word and in the same order;
#   2. the ops' "--- NAME" formula banners follow LS_OP_LIST's order, every op has one, all of them
#      sit inside part 6C, and the contents' list of op names (6C.2) is the same list;
#   3. every op's ls__name_forward and ls__name_backward are defined under its own banner, so an
#      op's formula, forward, backward and constructor are read together.
# Exit 0 when all hold; otherwise each broken rule is named on stderr and the exit is 1.
set -u
H=${1:-longseq.h}
[ -r "$H" ] || { echo "check_header: cannot read '$H'" >&2; exit 2; }
fail=0
bad() { echo "check_header: $H: $*" >&2; fail=1; }

# 1. contents entries against banner titles (a banner is a /* ==== or /* ---- line, its title the
#    next line)
contents=$(awk '/TABLE OF CONTENTS/{on=1; next} on && /^ *7\. /{exit}
                on && /^ +6[A-E](\.[0-9]+)? /{sub(/^ +/, ""); print}' "$H")
banners=$(awk 'prev ~ /^\/\* [=-][=-][=-][=-][=-]/ && /^ +6[A-E](\.[0-9]+)? /{sub(/^ +/, ""); print}
               {prev = $0}' "$H")
[ -n "$contents" ] || bad "no part-6 entries found in the table of contents"
if [ "$contents" != "$banners" ]; then
    bad "the table of contents and the part-6 banners differ (< contents, > banners):"
    diff <(echo "$contents") <(echo "$banners") | grep '^[<>]' >&2
fi

# 2. op order: LS_OP_LIST's names, the "--- NAME" banners' names, the contents' 6C.2 names
ops=$(awk '/^#define LS_OP_LIST\(X\)/{on=1; next} on && /X\([A-Z0-9_]+,/{
               s = $0; sub(/^[^X]*X\(/, "", s); sub(/,.*/, "", s); print s}
           on && !/\\$/{exit}' "$H")
[ -n "$ops" ] || bad "LS_OP_LIST not found"
# a banner names one op, or several joined by ", " and " and ": its leading upper-case words
split_names() { grep -oE '^[A-Z][A-Z0-9_]*((, | and )[A-Z][A-Z0-9_]*)*' | sed 's/ and /, /g' |
                tr ',' '\n' | sed -E 's/^ +//'; }
# op banners: "/* --- NAME..." whose first word is an op (the header has other "--- " banners)
is_op() { grep -qxF "$1" <<< "$ops"; }
opban=$(grep -E '^/\* --- [A-Z]' "$H" | sed -E 's|^/\* --- ||' | split_names |
        while read -r w; do is_op "$w" && echo "$w"; done)
if [ "$ops" != "$opban" ]; then
    bad "the ops' '--- NAME' banners are not LS_OP_LIST, in order (< op list, > banners):"
    diff <(echo "$ops") <(echo "$opban") | grep '^[<>]' >&2
fi
toc_ops=$(awk '/^ +6C\.2 /{on=1; next} on && /^ +6[A-E]/{exit} on{sub(/^ +/, ""); print}' "$H" |
          tr '\n' ' ' | split_names)
if [ "$ops" != "$toc_ops" ]; then
    bad "the contents' list under 6C.2 is not LS_OP_LIST, in order (< op list, > contents):"
    diff <(echo "$ops") <(echo "$toc_ops") | grep '^[<>]' >&2
fi

# 2 and 3: where each op's banner, forward and backward are (line numbers)
c_line=$(grep -n -E '^ +6C\. ' "$H" | sed -n 2p | cut -d: -f1)
d_line=$(grep -n -E '^ +6D\. ' "$H" | sed -n 2p | cut -d: -f1)
[ -n "$c_line" ] && [ -n "$d_line" ] || bad "the banners of parts 6C and 6D were not found"
awk -v c="${c_line:-0}" -v d="${d_line:-0}" -v H="$H" '
    /^\/\* --- [A-Z]/ { w = $0; sub(/^\/\* --- /, "", w); sub(/[^A-Z0-9_].*/, "", w)
                       if (w in isop) { ban++; start[ban] = NR; text[ban] = $0 } }
    /^static void ls__[a-z0-9_]+_(forward|backward)\(ls_ctx/ {
        s = $0; sub(/^static void ls__/, "", s); sub(/\(.*/, "", s); fn[s] = NR }
    /^#define LS_OP_LIST\(X\)/ { on = 1; next }
    on && /X\([A-Z0-9_]+, [a-z0-9_]+\)/ {
        s = $0; sub(/^[^X]*X\([A-Z0-9_]+, /, "", s); sub(/\).*/, "", s); nops++; low[nops] = s
        up = $0; sub(/^[^X]*X\(/, "", up); sub(/,.*/, "", up); upn[nops] = up; isop[up] = 1 }
    on && !/\\$/ { on = 0 }
    END {
        bad = 0
        for (b = 1; b <= ban; b++)
            if (start[b] < c || start[b] > d) {
                printf "check_header: %s:%d: op banner outside part 6C: %s\n", H, start[b], text[b] > "/dev/stderr"; bad = 1 }
        for (i = 1; i <= nops; i++) {
            # the banner that names this op: the last banner at or above its forward
            for (w = 0; w < 2; w++) {
                k = low[i] (w ? "_backward" : "_forward")
                if (!(k in fn)) { printf "check_header: %s: ls__%s not defined\n", H, k > "/dev/stderr"; bad = 1; continue }
                b = 0
                for (j = 1; j <= ban; j++) if (start[j] <= fn[k]) b = j
                names = text[b]; sub(/^\/\* --- /, "", names)
                if (match(names, /^[A-Z][A-Z0-9_]*((, | and )[A-Z][A-Z0-9_]*)*/))
                    names = substr(names, 1, RLENGTH)
                gsub(/ and /, ",", names); gsub(/ /, "", names)
                if (b == 0 || index("," names ",", "," upn[i] ",") == 0) {
                    printf "check_header: %s:%d: ls__%s is not under the --- %s banner\n", H, fn[k], k, upn[i] > "/dev/stderr"; bad = 1 }
            }
        }
        exit bad
    }' "$H" || fail=1

[ $fail = 0 ] && echo "test: the header's contents list and op banners ok ($(echo "$ops" | wc -l) ops)"
exit $fail
