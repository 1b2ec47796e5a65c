#!/bin/sh
# Captures (pcap, pcapng): what the golden cases (testdata/golden/pcap-*) do not show alone.
# Run from the top of the source tree. Usage: pcap.sh BIN
#   - a pcapng, the other link types and IPv6 give the same frames as the pcap golden output
#   - the APDUs decoded from a capture are those of the same wrapped bytes decoded from hex
#   - HDLC over TCP split, reordered or with a segment lost: the frames sent come back (encode)
#   - stdin, --pcap on a pipe, --filter (and a bad one), --port, --any-port, fragments, a cut file
BIN=${1:?usage: pcap.sh BIN}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
G=testdata/golden
P=testdata/pcap
KEYS="--ek 00112233445566778899AABBCCDDEEFF --ak 00112233445566778899AABBCCDDEEFF"

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL pcap $1"; }

# run NAME WANT_RC ARGS...: dlmscope decode ARGS into $tmp/NAME.xml and .err, exit status checked
run() {
    name=$1; want=$2; shift 2
    # shellcheck disable=SC2086
    "$BIN" decode "$@" >"$tmp/$name.xml" 2>"$tmp/$name.err"
    got=$?
    if [ "$got" = "$want" ]; then ok; else bad "$name: exit $got, want $want"; sed 's/^/    /' "$tmp/$name.err" | head -5; fi
}
# same NAME FILE: $tmp/NAME.xml is FILE byte for byte
same() {
    if cmp -s "$tmp/$1.xml" "$2"; then ok; else bad "$1: output differs from $2"; diff "$2" "$tmp/$1.xml" | head -10; fi
}
# has NAME PATTERN FILE
has() {
    if grep -qF -- "$2" "$3"; then ok; else bad "$1: '$2' not in $(basename "$3")"; fi
}
# count NAME WANT PATTERN FILE: PATTERN (grep -F) on WANT lines
count() {
    got=$(grep -cF -- "$3" "$4")
    if [ "$got" = "$2" ]; then ok; else bad "$1: $got lines with '$3', want $2"; fi
}

# pcapng twins and other link types: the same output as the pcap golden case
run pcapng 0 $KEYS $P/wrapper-tcp.pcapng
same pcapng $G/pcap-wrapper-tcp.xml
run pcapng-reordered 0 $KEYS $P/wrapper-tcp-reordered.pcapng
same pcapng-reordered $G/pcap-wrapper-tcp-reordered.xml
run pcapng-hdlc 0 $P/hdlc-tcp.pcapng
same pcapng-hdlc $G/pcap-hdlc-tcp.xml
for v in split reordered dropped; do
    want=0
    [ $v = dropped ] && want=1
    run pcapng-hdlc-$v $want --diagnostics=json $P/hdlc-tcp-$v.pcapng
    same pcapng-hdlc-$v $G/pcap-hdlc-tcp-$v.xml
done
count pcapng-hdlc-dropped-gap 1 '"code": "tcp.gap", "severity": "error", "offset": 16,' "$tmp/pcapng-hdlc-dropped.err"
UDPKEYS=$(cat $G/pcap-wrapper-udp.args)
run pcapng-udp 0 $UDPKEYS $P/wrapper-udp.pcapng
same pcapng-udp $G/pcap-wrapper-udp.xml
run sll2 0 $KEYS $P/wrapper-tcp-sll2.pcap
same sll2 $G/pcap-wrapper-tcp.xml
run null 0 $KEYS $P/wrapper-tcp-null.pcap
same null $G/pcap-wrapper-tcp.xml
run ipv6-null 0 $KEYS $P/wrapper-tcp-ipv6-null.pcap
sed 's/\[2001:db8::1\]/10.0.0.1/g; s/\[2001:db8::2\]/10.0.0.2/g' "$tmp/ipv6-null.xml" >"$tmp/ipv6-as-v4.xml"
if cmp -s "$tmp/ipv6-as-v4.xml" $G/pcap-wrapper-tcp.xml; then ok; else bad "ipv6-null: differs beyond the addresses"; fi

# wrapper over UDP: the session in datagrams gives the frames of the TCP session; a pcapng of
# the reordered and repeated datagrams gives the pcap's output
run udp-session 0 $KEYS $G/pcap-wrapper-udp-session.in
sed 's/\[2001:db8::1\]/10.0.0.1/g; s/\[2001:db8::2\]/10.0.0.2/g' "$tmp/udp-session.xml" >"$tmp/udp-as-tcp.xml"
if cmp -s "$tmp/udp-as-tcp.xml" $G/pcap-wrapper-tcp.xml; then ok; else bad "udp-session: differs from the TCP session beyond the addresses"; fi
run pcapng-udp-reordered 0 --diagnostics=json $KEYS $P/wrapper-udp-reordered.pcapng
same pcapng-udp-reordered $G/pcap-wrapper-udp-reordered.xml
count pcapng-udp-replay 1 '"code": "cipher.ic-replay", "severity": "warning", "offset": 160,' "$tmp/pcapng-udp-reordered.err"

# a connection seen without its handshake and ended by an RST decodes the same
run midstream 0 $KEYS $P/wrapper-tcp-midstream.pcap
same midstream $G/pcap-wrapper-tcp.xml

# the capture path decodes the bytes sent: the same APDUs as the wrapped bytes given as hex
python3 - "$tmp/gosem.hex" <<'PY' || bad "hex: cannot write the wrapped stream"
import importlib.util, sys
spec = importlib.util.spec_from_file_location("mk", "testdata/pcap/make-pcaps.py")
mk = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mk)
with open(sys.argv[1], "w") as f:
    for i, name in enumerate(mk.GOSEM):
        f.write(mk.wrapped(name, i % 2).hex().upper() + "\n")
PY
run hex 0 $KEYS "$tmp/gosem.hex"
sed -E 's/ (Direction|Time|From|To)="[^"]*"//g' $G/pcap-wrapper-tcp.xml >"$tmp/stripped.xml"
same hex "$tmp/stripped.xml"

# and the bytes sent come back: the decoded frames encoded again are the streams the captures carry
grep '^CS-u9n-' $P/streams.txt | cut -d' ' -f2 >"$tmp/hdlc.want"
"$BIN" decode $G/pcap-hdlc-tcp.in | "$BIN" encode >"$tmp/hdlc.got" 2>"$tmp/hdlc.err"
if cmp -s "$tmp/hdlc.want" "$tmp/hdlc.got"; then ok; else bad "hdlc round trip: frames differ from streams.txt"; fi
# HDLC frames cut mid-frame, or reordered, repeated and overlapping: the frames sent, byte for byte
for v in split reordered; do
    "$BIN" decode $G/pcap-hdlc-tcp-$v.in | "$BIN" encode >"$tmp/hdlc-$v.got" 2>/dev/null
    if cmp -s "$tmp/hdlc.want" "$tmp/hdlc-$v.got"; then ok; else bad "hdlc $v round trip: frames differ from streams.txt"; fi
done
# a segment of the UA lost: the UA is cut, and every other frame is the one sent
"$BIN" decode $G/pcap-hdlc-tcp-dropped.in 2>/dev/null | "$BIN" encode 2>/dev/null | sed 2d >"$tmp/hdlc-dropped.got"
sed 2d "$tmp/hdlc.want" >"$tmp/hdlc-dropped.want"
if cmp -s "$tmp/hdlc-dropped.want" "$tmp/hdlc-dropped.got"; then ok; else bad "hdlc dropped: the frames around the lost segment differ from streams.txt"; fi
for v in reordered split; do
    "$BIN" decode $G/pcap-wrapper-tcp-$v.in | "$BIN" encode >"$tmp/$v.got" 2>/dev/null
done
if cmp -s "$tmp/gosem.hex" "$tmp/reordered.got" && cmp -s "$tmp/gosem.hex" "$tmp/split.got"; then ok; else
    bad "wrapper round trip: reordered or split segments do not give the frames sent"; fi

# standard input: sniffed when it can seek back; a pipe too, or --pcap
run stdin 0 $KEYS - <$G/pcap-wrapper-tcp.in
same stdin $G/pcap-wrapper-tcp.xml
cat $G/pcap-wrapper-tcp.in | "$BIN" decode --pcap $KEYS >"$tmp/pipe.xml" 2>"$tmp/pipe.err"
if [ $? = 0 ] && cmp -s "$tmp/pipe.xml" $G/pcap-wrapper-tcp.xml; then ok; else bad "pipe --pcap: output differs"; fi
# ... and without --pcap: a pipe's first bytes are read, found to be a capture's magic and given back
cat $G/pcap-wrapper-tcp.in | "$BIN" decode $KEYS >"$tmp/pipe-sniffed.xml" 2>"$tmp/pipe-sniffed.err"
if [ $? = 0 ] && cmp -s "$tmp/pipe-sniffed.xml" $G/pcap-wrapper-tcp.xml; then ok; else bad "pipe without --pcap: output differs"; fi
cat $P/hdlc-tcp.pcapng | "$BIN" decode >"$tmp/pipe-sniffed-hdlc.xml" 2>"$tmp/pipe-sniffed-hdlc.err"
if [ $? = 0 ] && cmp -s "$tmp/pipe-sniffed-hdlc.xml" $G/pcap-hdlc-tcp.xml; then ok; else bad "pipe without --pcap (pcapng): output differs"; fi
# a pipe too short to hold a magic, and hex on a pipe, still decode as text
printf 'C0' | "$BIN" decode >"$tmp/pipe-short.xml" 2>&1
if grep -qF 'C0' "$tmp/pipe-short.xml"; then ok; else bad "pipe of 2 characters: not decoded as text"; fi
run not-a-capture 1 --pcap testdata/corpus/CS-u9n-snrm.hex
has not-a-capture "not a capture that can be read" "$tmp/not-a-capture.err"

# --filter: only the connection on port 50002; a filter that does not compile is a usage error
run filter 0 --key-file $P/keys.txt --filter "tcp port 50002" $G/pcap-two-connections.in
count filter 3 'From="10.0.0.1:50002"' "$tmp/filter.xml"
count filter-answer 1 'To="10.0.0.1:50002"' "$tmp/filter.xml"
count filter-other 0 '10.0.0.1:50001' "$tmp/filter.xml"
run bad-filter 2 --filter "tcp port banana" $G/pcap-two-connections.in
has bad-filter "bad --filter 'tcp port banana'" "$tmp/bad-filter.err"
count bad-filter-nothing 0 '<WRAPPER' "$tmp/bad-filter.xml"

# ports: 5000 is not a DLMS port until named; a capture with no DLMS traffic says so, with the
# way out, and its exit status says so too (as input.no-data for text)
run port-default 1 $KEYS $P/wrapper-tcp-port5000.pcap
count port-default 0 '<WRAPPER' "$tmp/port-default.xml"
has port-default-said "error capture.no-dlms at offset 0: no packet to or from a DLMS port (4059-4069) in the capture: no DLMS data; 12 TCP/UDP packet(s) on other ports (the first from port 50001 to port 5000): name the meter's port with --port N, or try --any-port" "$tmp/port-default.err"
run filter-none 1 --filter "host 192.0.2.99" $P/wrapper-tcp.pcapng
has filter-none-said "error capture.no-dlms at offset 0: --filter took no packet of the capture: no DLMS data" "$tmp/filter-none.err"
run port-5000 0 $KEYS --port 5000 $P/wrapper-tcp-port5000.pcap
sed 's/:5000"/:4059"/' "$tmp/port-5000.xml" >"$tmp/port-as-4059.xml"
if cmp -s "$tmp/port-as-4059.xml" $G/pcap-wrapper-tcp.xml; then ok; else bad "port-5000: differs beyond the port"; fi
run any-port 0 $KEYS --any-port $P/wrapper-tcp-port5000.pcap
count any-port 6 '<WRAPPER' "$tmp/any-port.xml"
run bad-port 2 --port 70000 $P/wrapper-tcp-port5000.pcap

# an IP fragment is said (once per datagram) and not decoded
run fragments 1 --diagnostics=json $P/fragments.pcap
count fragments 1 '"code": "capture.fragment"' "$tmp/fragments.err"

# a file cut inside a record: what was read is decoded, the break is said
head -c 1000 $G/pcap-wrapper-tcp.in >"$tmp/cut.pcap"
run cut 1 --diagnostics=json $KEYS "$tmp/cut.pcap"
has cut '"code": "capture.read"' "$tmp/cut.err"
has cut-decoded '<AssociationRequest>' "$tmp/cut.xml"
if xmllint --noout "$tmp/cut.xml" 2>/dev/null; then ok; else bad "cut: not well-formed"; fi

# --json: each frame's line says the connection at the top (from, to), with the time and the
# direction, the same as the envelope's attributes of the reviewed XML golden
run json 0 $KEYS --json $G/pcap-wrapper-tcp.in
if python3 - "$tmp/json.xml" "$G/pcap-wrapper-tcp.xml" <<'PY'
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
xml = open(sys.argv[2]).read()
envs = re.findall(r'<WRAPPER len="[0-9A-F]+" Direction="([^"]*)" Time="([^"]*)" From="([^"]*)" To="([^"]*)"', xml)
facts = [(o.get("direction"), o.get("time"), o.get("from"), o.get("to")) for o in lines if "WRAPPER" in o]
sys.exit(0 if envs and facts == envs else 1)
PY
then ok; else bad "json: from/to/time/direction facts differ from the XML golden's envelopes"; fi

# libpcap is loaded when a capture is read, not linked: without it a capture gets a clear error
# (DLMSCOPE_LIBPCAP names the one library to try), and the other input still decodes
DLMSCOPE_LIBPCAP=/nonexistent/libpcap.so run no-libpcap 1 $G/pcap-wrapper-tcp.in
has no-libpcap "libpcap is needed to read captures and cannot be loaded (/nonexistent/libpcap.so: " "$tmp/no-libpcap.err"
DLMSCOPE_LIBPCAP=/nonexistent/libpcap.so run no-libpcap-hex 0 testdata/corpus/CS-u9n-snrm.hex
unset DLMSCOPE_LIBPCAP
has no-libpcap-hex "<Snrm>" "$tmp/no-libpcap-hex.xml"
if command -v ldd >/dev/null && ! ldd "$BIN" 2>/dev/null | grep -q libpcap; then ok; else bad "the binary is linked with libpcap"; fi

echo "pcap: $pass passed, $fail failed"
[ "$fail" = 0 ]
