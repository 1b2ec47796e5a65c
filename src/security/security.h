/* The security layer as the decoder sees it: per-conversation state (system titles,
 * dedicated key, invocation counters, HLS challenges) learned from the traffic, and the
 * deciphered view that follows each ciphered APDU in the output. */
#ifndef DS_SECURITY_SECURITY_H
#define DS_SECURITY_SECURITY_H

#include <stddef.h>
#include <stdint.h>

#include "dlmscope/cipher.h"
#include "dlmscope/decoder.h"
#include "dlmscope/frame.h"
#include "dlmscope/keys.h"
#include "event/emit.h"
#include "security/blocks.h"
#include "security/hls.h"

#define DS_SESSIONS 16
#define DS_CHALLENGE_MAX DS_HLS_CHALLENGE_MAX

/* A conversation, the same for both directions: the link kind and the addresses of its two
 * ends, the smaller first (an end without address is 0). Numbers rather than bytes, so that
 * finding the session of a frame takes a few compares. */
typedef struct ds_conversation {
    int kind;                        /* ds_link_kind */
    ds_link_addr low, high;
} ds_conversation;

/* What is learned of one conversation. A capture holds thousands of connections at once, each
 * with a few conversations, so what only some conversations learn (a dedicated key, the HLS
 * challenges, block transfers) is allocated when learned, at its size: most hold none of it. */
typedef struct ds_session {
    int active;
    ds_conversation id;
    uint64_t last_use;
    int has_client_title, has_server_title;
    uint8_t client_title[DS_TITLE_LEN], server_title[DS_TITLE_LEN];
    ds_key *dedicated;               /* learned from a deciphered InitiateRequest; NULL: none */
    ds_ic_counters ic;               /* the last IC seen per sender and key (dlmscope/cipher.h) */
    int mechanism;                   /* authentication mechanism of the AARQ, -1 unknown */
    uint8_t *ctos, *stoc;            /* the challenges, ctos_len and stoc_len bytes; NULL: none */
    size_t ctos_len, stoc_len;
    int hls_pending;                 /* a reply_to_HLS_authentication awaits its answer */
    ds_blocks blocks;                /* GBT and datablock reassembly */
    ds_negotiated negotiated;        /* max PDU sizes, conformance, HDLC parameters */
} ds_session;

typedef struct ds_security {
    const ds_keyring *keys;          /* borrowed; NULL: nothing is deciphered */
    int verify;                      /* check tags (off with --no-verify) */
    int show_keys;                   /* write key values found in deciphered APDUs */
    ds_session *sessions[DS_SESSIONS]; /* allocated as conversations appear (most captures
                                        * hold one per connection): NULL until then */
    ds_session *current;
    uint64_t clock;
    int depth;                       /* nesting of deciphered views */
    uint8_t hls_secret[DS_HLS_SECRET_MAX]; /* HLS mechanisms 2, 3, 4, 6 */
    size_t hls_secret_len;
    int has_hls_secret;              /* 0: none given (an empty secret is a secret) */
    int hls2_method;                 /* DS_HLS_MECH2_*: how mechanism 2 is checked */
    const uint8_t *client_pub, *server_pub; /* HLS mechanism 7 public keys (borrowed) */
    size_t client_pub_len, server_pub_len;
    ds_link_addr sender;             /* link address of the current frame's sender, 0: none */
} ds_security;

void ds_security_init(ds_security *s, const ds_keyring *keys, int verify, int show_keys);
/* Selects (or starts) the session of a conversation, a frame at a time; sender: the link
 * address of this frame's sender (0: none). */
void ds_security_select(ds_security *s, const ds_conversation *c, ds_link_addr sender);
void ds_security_free(ds_security *s);
/* Gives back what no conversation needs between frames: block streams with nothing in progress
 * or remembered, and the sessions that have learned nothing (one is made again, the same, when
 * its conversation goes on). For many decoders open at once; call between frames only. */
void ds_security_trim(ds_security *s);
/* The input ended: what the sessions still hold unfinished and must say now is said (a GBT gap
 * held for a copy that never came). */
void ds_security_end(ds_security *s, ds_emit *e);
/* Learns the HDLC parameters of the current session from a frame (SNRM, and the UA that answers
 * it); call after ds_security_select. Frames that failed their checks are passed over. */
void ds_security_on_frame(ds_security *s, const ds_frame *f);
void ds_security_set_hls_secret(ds_security *s, const uint8_t *secret, size_t n);
/* The user's choice for HLS mechanism 2; a value outside ds_hls2_method counts as DS_HLS2_NONE. */
void ds_security_set_hls2_method(ds_security *s, ds_hls2_method m);
/* Installs the hooks into an emit context. */
void ds_security_attach(ds_security *s, ds_emit *e);

#endif
