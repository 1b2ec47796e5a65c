/* Internals of the association machine (assoc.c: shared parts and ciphering; assoc_client.c and
 * assoc_server.c: the two roles). */
#ifndef DS_CONN_ASSOC_INT_H
#define DS_CONN_ASSOC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "dlmscope/assoc.h"
#include "dlmscope/cipher.h"
#include "dlmscope/hls.h"

/* The largest Data reassembled from blocks or split into blocks. */
#define AS_DATA_MAX (1024u * 1024u)
/* The largest APDU either side handles (a max PDU size is 16 bits) plus ciphering overhead... */
#define AS_APDU_BASE (65535u + 512u)
/* ...and once general block transfer is negotiated, which joins (or splits) a whole APDU around
 * Data of AS_DATA_MAX bytes, with its header and the ciphering around it. */
#define AS_APDU_MAX (AS_DATA_MAX + 1024u)
#define AS_CHALLENGE_MAX 64u
#define AS_ERROR_MAX 256u
/* Bytes a data block APDU needs around its raw data: tag, choice, invoke id, last-block, block
 * number, result choice, a 3-byte length, the attribute of a first SET block; and the ciphering around it (tag, 3-byte length, SC,
 * IC, authentication tag; general forms a title). */
#define AS_BLOCK_OVERHEAD 24u
#define AS_CIPHER_OVERHEAD 32u

/* The association's state, both roles. */
typedef enum {
    AS_IDLE = 0,       /* nothing asked yet */
    AS_AARQ_SENT,      /* client: waiting for the AARE */
    AS_HLS_PENDING,    /* the AARE accepted with authentication-required: the HLS pass is due */
    AS_OPEN,           /* associated */
    AS_RELEASING,      /* client: RLRQ sent */
    AS_CLOSED          /* released or refused */
} as_state;

/* What the client waits for. */
typedef enum {
    AS_WAIT_NONE = 0,
    AS_WAIT_AARE,
    AS_WAIT_HLS,       /* the answer to reply_to_HLS_authentication */
    AS_WAIT_SERVICE,   /* the answer to a GET/SET/ACTION/read/write */
    AS_WAIT_RLRE
} as_wait;

struct ds_assoc {
    ds_assoc_settings s;                 /* pointers below point into this structure */
    uint8_t secret[DS_HLS_SECRET_MAX];
    uint8_t own_title[DS_HLS_TITLE_LEN];
    int has_own_title;
    uint8_t peer_title[DS_HLS_TITLE_LEN];
    int has_peer_title;
    ds_keyset keys;
    int has_keys;
    uint8_t ecdsa_priv[64], peer_pub[128];
    ds_assoc_output_fn out;
    void *out_user;
    ds_assoc_trace_fn trace;
    void *trace_user;
    ds_value_arena *arena;
    ds_ic_counters ic;
    as_state state;
    int ciphered;                        /* the association uses ciphering (keys and a policy) */
    uint16_t peer_max_pdu;               /* what the peer receives at most */
    uint32_t conformance;
    uint8_t ctos[AS_CHALLENGE_MAX], stoc[AS_CHALLENGE_MAX];
    size_t ctos_len, stoc_len;
    uint8_t own_challenge[AS_CHALLENGE_MAX];
    size_t own_challenge_len;            /* 0: drawn from the system */
    ds_cipher_form reply_form;           /* the form the peer's last APDU came in; 0 plain */
    uint8_t reply_sc;                    /* and its security control (the server answers alike) */
    uint8_t kept_title[DS_HLS_TITLE_LEN], kept_auth[AS_CHALLENGE_MAX]; /* as_read_association's copies */
    uint8_t *tx, *ctx, *rx;              /* plain out, ciphered out, deciphered in (apdu_cap) */
    size_t apdu_cap;                     /* AS_APDU_BASE; AS_APDU_MAX once GBT is negotiated */
    char error[AS_ERROR_MAX];

    /* client */
    as_wait wait;
    uint8_t request_tag;                 /* plain tag of the pending request */
    size_t request_list;                 /* a get-request-with-list's count of descriptors; else 0 */
    uint8_t invoke_id;                   /* the pending request's invoke id (low 4 bits) */
    uint8_t iip;                         /* its invoke-id-and-priority byte */
    uint8_t next_invoke;
    ds_assoc_result result;
    uint8_t *answer;                     /* result.answer points here (apdu_cap) */
    uint8_t *data;                       /* blocks joined (client GET) or to split (AS_DATA_MAX) */
    size_t data_len;
    ds_block_join join;
    int joining;
    /* blocks we send (client SET, server GET): the split is redone and block `block_next` taken */
    ds_cosem_ref block_ref;
    size_t block_size;
    uint32_t block_next;                 /* the number of the next block to send (from 1) */
    uint32_t block_count;
    int long_action;                     /* the blocks sent are an ACTION's pblocks (else a SET's) */

    /* server */
    const ds_server_objects *objects;
    int client_sap;
    uint8_t get_iip;
    int get_running;                     /* a long GET is being answered block by block */
    int set_running;                     /* a long SET is being received */
    int action_running;                  /* a long ACTION's return is being answered in pblocks */

    /* general block transfer, both roles (assoc_gbt.c) */
    int gbt;                             /* negotiated: both conformances have it, gbt_window set */
    uint8_t gbt_peer_window;             /* the window in the peer's last GBT (1 until one came) */
    uint16_t gbt_own_bn;                 /* the number of the last GBT APDU sent in the exchange */
    uint16_t gbt_peer_bn;                /* the peer's last GBT APDU taken in order */
    int gbt_answer_in_gbt;               /* server: the request came in GBT, so does the answer */
    int gbt_joined;                      /* the APDU being handled was joined from GBT blocks */
    uint8_t *gbt_out;                    /* the APDU being sent in blocks (AS_APDU_MAX) */
    size_t gbt_out_len, gbt_block;
    uint16_t gbt_first, gbt_last;        /* the block numbers it goes in */
    int gbt_sending;
    int gbt_receiving;                   /* a stream of the peer's is unfinished: its last block not taken */
    unsigned gbt_quiet_acks;             /* acknowledgements sent again since the peer's last block came */
    uint8_t *gbt_in;                     /* the peer's blocks joined (AS_APDU_MAX) */
    size_t gbt_in_len;
    uint8_t *gbt_blk;                    /* one block APDU being built */
};

/* The bytes before the results in a get-response-with-list with this invoke-id-and-priority, built
 * into buf: their count, 0 when the builder cannot (assoc_server.c; the client uses it too). */
size_t as_with_list_header(uint8_t iip, uint8_t *buf, size_t cap);

/* shared (assoc.c) */
int as_fail(ds_assoc *as, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sends one plain APDU, ciphered when the association says so and the tag has a ciphered form. */
int as_send(ds_assoc *as, const uint8_t *plain, size_t n, int may_cipher);
/* The plain form of an APDU from the peer: deciphered into as->rx when ciphered (reply_form set).
 * 0, or -1 with the error set (*why: the exception-response service error it deserves). */
int as_unwrap(ds_assoc *as, const uint8_t *apdu, size_t n, const uint8_t **plain, size_t *plain_len, int *why);
/* The SC bits a request must carry in this (server's) association; 0 when it is not ciphered. */
uint8_t as_required_request_bits(const ds_assoc *as);
/* Decodes an APDU into the (reset) arena: the tree, or NULL with the error set. */
ds_value *as_decode(ds_assoc *as, const uint8_t *apdu, size_t n);
/* The HLS inputs of this association (the challenges and titles as they stand). */
void as_hls_inputs(const ds_assoc *as, ds_hls_inputs *in);
/* Fills buf with this side's challenge (the one set, or drawn from the system). */
int as_challenge(ds_assoc *as, uint8_t *buf, size_t *len);
/* Takes settings into the machine (copies secrets, keys and titles). */
void as_take_settings(ds_assoc *as, const ds_assoc_settings *s);
/* Encodes a built APDU tree into as->tx; its length, or 0 with the error set. */
size_t as_encode(ds_assoc *as, const ds_value *apdu);
/* The xDLMS InitiateRequest/-Response as bytes into out (ciphered glo when the association is),
 * from the fields of ds_association. */
int as_initiate_bytes(ds_assoc *as, const ds_association *a, int request, uint8_t *out, size_t cap, size_t *len);
/* Reads an AARQ/AARE tree into a ds_association (pointers into the tree); the user-information's
 * xDLMS APDU is deciphered when it is ciphered (into as->rx) and its fields read. */
int as_read_acse(ds_assoc *as, const ds_value *apdu, ds_association *a, int request);
int as_read_initiate(ds_assoc *as, ds_association *a, int request);
int as_read_association(ds_assoc *as, const ds_value *apdu, ds_association *a, int request);
/* The 16-bit-safe block size for the peer's max PDU. */
size_t as_block_size(const ds_assoc *as);
/* Chooses alternative tag of the CHOICE at path below node. */
ds_value *as_choose(ds_assoc *as, ds_value *node, const char *path, uint8_t tag);
/* Sets a number field; -1 when it is not there. */
int as_set_u(ds_value *node, const char *path, uint64_t u);

/* Block `want` (from 1) of a split (ds_split_get_response, ds_split_set_request ...), caught from
 * the splitter: the machines send one block at a time, each when the peer asks for it. */
typedef struct as_pick {
    uint32_t want, seen;
    uint8_t *out;
    size_t len;
    size_t cap;       /* out's size */
} as_pick;

/* A ds_block_fn: copies block `want` into out and stops the split (1); -1 if it does not fit. */
int as_pick_block(void *user, const uint8_t *apdu, size_t len);

/* general block transfer (assoc_gbt.c) */
/* Hands a whole APDU (as it goes on the wire, ciphered or not) to the output, in GBT blocks when
 * it is longer than the peer's max PDU and GBT is negotiated, or when the server answers a GBT
 * request. */
int as_output(ds_assoc *as, const uint8_t *wire, size_t n);
/* A GBT APDU from the peer: its blocks joined, its acknowledgement taken, lost blocks asked for
 * again; a whole APDU joined is handed to the role's receive. */
int as_gbt_receive(ds_assoc *as, const uint8_t *apdu, size_t n);
/* A new exchange starts (client: a new request; server: a request not in GBT): counters reset. */
void as_gbt_reset(ds_assoc *as);
/* After the AARE: is GBT negotiated? */
void as_gbt_negotiated(ds_assoc *as);

/* roles */
int as_client_receive(ds_assoc *as, const uint8_t *apdu, size_t n);
int as_server_receive(ds_assoc *as, const uint8_t *apdu, size_t n);

#endif
