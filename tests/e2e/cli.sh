#!/bin/sh
# Command-line behaviour: options, exit statuses, stdin/stdout, files. Usage: cli.sh BIN
BIN=${1:?usage: cli.sh BIN}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check NAME WANT_RC CMD...: runs CMD, compares its exit status
check() {
    name=$1; want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" = "$want" ]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL cli $name: exit $got, want $want"; sed 's/^/    /' "$tmp/err" | head -5
    fi
}
# expect NAME PATTERN FILE: FILE must contain PATTERN (grep -F)
expect() {
    if grep -qF -- "$2" "$3"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL cli $1: '$2' not in $(basename "$3")"; fi
}

SNRM=testdata/corpus/CS-u9n-snrm.hex
check version 0 "$BIN" --version
expect version "dlmscope " "$tmp/out"
check help 0 "$BIN" --help
expect help "decode" "$tmp/out"
check decode-help 0 "$BIN" decode --help
expect decode-help "--diagnostics" "$tmp/out"
check help-cmd 0 "$BIN" help decode
# --private-key is decode's key-agreement key; run's signing key is --signing-key, and run's
# --private-key is said to be its old name
expect decode-help "--private-key HEX    the recipient's key-agreement private key" "$tmp/out"
expect decode-help "signing key (run's --signing-key, ECDSA, for HLS mechanism 7)" "$tmp/out"
check run-help 0 "$BIN" run --help
expect run-help "--signing-key KEY      high-ecdsa: the client's private ECDSA signing key" "$tmp/out"
expect run-help "(old name: --private-key," "$tmp/out"
check diagnose-help 0 "$BIN" diagnose --help
expect diagnose-help "--private-key (the" "$tmp/out"
expect diagnose-help "key-agreement key, not run's --signing-key)" "$tmp/out"
check no-command 2 "$BIN"
check unknown-command 2 "$BIN" frobnicate
check unknown-option 2 "$BIN" decode --frobnicate
check bad-format 2 "$BIN" decode --format=x25 "$SNRM"
check bad-diagnostics 2 "$BIN" decode --diagnostics=yaml "$SNRM"
check bad-hls2 2 "$BIN" decode --hls2 bogus "$SNRM"
expect bad-hls2 "unknown --hls2 'bogus' (aes-ecb, none)" "$tmp/err"
check hls2-aes-ecb 0 "$BIN" decode --hls2 aes-ecb "$SNRM"
check hls2-none 0 "$BIN" decode --hls2=none "$SNRM"
check hls2-missing-value 2 "$BIN" decode --hls2
check missing-value 2 "$BIN" decode --format
check missing-file 1 "$BIN" decode "$tmp/does-not-exist"
expect missing-file "does-not-exist" "$tmp/err"
check stdin 0 sh -c "\"$BIN\" decode < $SNRM"
expect stdin '<FrameType Value="93" />' "$tmp/out"
check stdin-dash 0 sh -c "\"$BIN\" decode - < $SNRM"
expect stdin-dash '<Snrm>' "$tmp/out"
check output-file 0 "$BIN" decode -o "$tmp/o.xml" "$SNRM"
expect output-file '<Snrm>' "$tmp/o.xml"
check two-files 0 "$BIN" decode "$SNRM" testdata/corpus/CS-u9n-ua.hex
expect two-files '<!--file: testdata/corpus/CS-u9n-ua.hex-->' "$tmp/out"
if [ "$(grep -c '<Messages>' "$tmp/out")" = 1 ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL cli two-files: not one document"; fi
check undecodable 1 "$BIN" decode --diagnostics=none testdata/corpus/BRK-gurux-bad-fcs-4byte.hex
if [ ! -s "$tmp/err" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL cli diagnostics=none wrote to stderr"; fi
check diag-text 1 "$BIN" decode testdata/corpus/BRK-gurux-bad-fcs-4byte.hex
expect diag-text "error frame.fcs at offset" "$tmp/err"
check write-error 1 "$BIN" decode -o /dev/full "$SNRM"

# A pipe is read as it fills (read(2), not whole blocks): the same bytes trickling in through
# small writes must give exactly the output of the file, text and binary alike.
cat testdata/corpus/*.hex >"$tmp/all.hex"
"$BIN" decode "$tmp/all.hex" >"$tmp/from-file.xml" 2>/dev/null
check pipe-trickle-text 1 sh -c "dd if=\"$tmp/all.hex\" bs=13 status=none | \"$BIN\" decode > \"$tmp/from-pipe.xml\""
if cmp -s "$tmp/from-file.xml" "$tmp/from-pipe.xml"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL cli pipe-trickle-text: output differs from the file's"; fi
"$BIN" encode --binary <<EOX >"$tmp/han.bin" 2>/dev/null
$("$BIN" decode testdata/corpus/HAN-NO-kaifa-list1-0x7E.hex 2>/dev/null)
EOX
cat "$tmp/han.bin" "$tmp/han.bin" "$tmp/han.bin" >"$tmp/han3.bin"
"$BIN" decode "$tmp/han3.bin" >"$tmp/bin-file.xml" 2>/dev/null
check pipe-trickle-binary 0 sh -c "dd if=\"$tmp/han3.bin\" bs=7 status=none | \"$BIN\" decode > \"$tmp/bin-pipe.xml\""
if [ -s "$tmp/han.bin" ] && grep -q '<HDLC' "$tmp/bin-file.xml" && cmp -s "$tmp/bin-file.xml" "$tmp/bin-pipe.xml"; then
    pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL cli pipe-trickle-binary: output differs from the file's"; fi
check forced-binary 1 "$BIN" decode --binary "$SNRM"

# Diagnostic messages say what happened (the golden cases check code and offset only; these texts
# were written by hand from the inputs).
check gbt-restarted-same-bytes 0 "$BIN" decode testdata/golden/gbt-restarted-same-bytes.in
expect gbt-restarted-same-bytes "general block transfer block 1 again, with the same bytes, after block 2: a new transfer; the 4 byte(s) of the unfinished one are dropped" "$tmp/err"
check gbt-out-of-order 1 "$BIN" decode testdata/golden/gbt-out-of-order.in
expect gbt-out-of-order "warning gbt.out-of-order at offset 18, frame 3, line 5: general block transfer block 2 after block 3, with no block 1 between: out of order, ignored" "$tmp/err"
check data-too-deep 1 "$BIN" decode testdata/golden/data-too-deep.in
expect data-too-deep "error apdu.too-deep at offset 128, frame 1, line 1: elements nested deeper than 64 levels, counted from the outermost (the envelope's and the APDU's own included); the rest is not decoded" "$tmp/err"

# One parser of the key options (cmd_keys.c) for decode, encode and listen: the same option gets the
# same words from each (texts from the key rules of dlmscope(1): 16 or 32 bytes; an EK of ASCII hex digits).
check key-decode-dk 2 "$BIN" decode --dedicated-key 00 "$SNRM"
expect key-decode-dk "dlmscope decode: --dedicated-key: the dedicated key is 1 bytes: a key is 16 bytes" "$tmp/err"
check key-encode-dk 2 "$BIN" encode --dedicated-key 00 /dev/null
expect key-encode-dk "dlmscope encode: --dedicated-key: the dedicated key is 1 bytes: a key is 16 bytes" "$tmp/err"
check key-listen-dk 2 "$BIN" listen --dedicated-key 00 /dev/null
expect key-listen-dk "dlmscope listen: --dedicated-key: the dedicated key is 1 bytes: a key is 16 bytes" "$tmp/err"
check key-listen-title 2 "$BIN" listen --client-title 00 /dev/null
expect key-listen-title "dlmscope listen: a system title is 8 bytes written as 16 hex digits" "$tmp/err"
echo "4D4D4D0000BC614E ek=30313233343536373839414243444546" >"$tmp/ascii.keys"
check key-file-warning-encode 1 "$BIN" encode --key-file "$tmp/ascii.keys" /dev/null
expect key-file-warning-encode "dlmscope encode: warning: $tmp/ascii.keys:1: the EK's 16 bytes are all ASCII codes of hex digits" "$tmp/err"

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
