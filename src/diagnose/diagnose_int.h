/* Inside the diagnoser: the state of one conversation and the way findings are made.
 *
 * diagnose.c  the diagnoser, the decoder hook, frames (link findings), the decoder's diagnostics
 * service.c   requests and their answers, the association, result codes in words
 * image.c     image transfer (class 18) reconstructed from the requests and answers
 * report.c    the summary and the finding writers (text, JSON)
 * security.c  security findings: the decoder's hls.*, cipher.*, sign.* under security.*, the
 *             invocation counters per sender, ciphered APDUs not read, keys that read as text
 *
 * Memory per conversation is fixed (a few KiB) plus an image transfer's block bitmap, itself
 * capped: nothing grows with the length of the trace. */
#ifndef DS_DIAGNOSE_INT_H
#define DS_DIAGNOSE_INT_H

#include <stdarg.h>
#include <stdint.h>
#include "dlmscope/cipher.h"
#include "dlmscope/decoder.h"
#include "dlmscope/diagnose.h"
#include "dlmscope/frame.h"
#include "dlmscope/input.h"
#include "dlmscope/value.h"

/* The codes the diagnoser makes (the table in diagnose.c lists them for ds_diagnose_code) */
#define DG_LINK_FCS "link.fcs"
#define DG_LINK_HCS "link.hcs"
#define DG_LINK_TRUNCATED "link.truncated"
#define DG_LINK_CHECKSUM "link.checksum"
#define DG_LINK_SEQUENCE "link.sequence"
#define DG_LINK_RETRANSMISSION "link.retransmission"
#define DG_LINK_ECHO "link.echo"
#define DG_LINK_FRMR "link.frmr"
#define DG_LINK_DM "link.dm"
#define DG_LINK_INFO_TOO_LONG "link.info-too-long"
#define DG_SERVICE_NO_ANSWER "service.no-answer"
#define DG_SERVICE_UNANSWERED "service.unanswered-response"
#define DG_SERVICE_INVOKE_ID "service.invoke-id-mismatch"
#define DG_SERVICE_LATE_ANSWER "service.late-answer"
#define DG_APP_DATA_ACCESS "app.data-access-result"
#define DG_APP_ACTION "app.action-result"
#define DG_APP_EXCEPTION "app.exception"
#define DG_APP_CSE "app.confirmed-service-error"
#define DG_APP_METHOD_PARAMETER "app.method-parameter"
#define DG_ASSOC_REJECTED "assoc.rejected"
#define DG_IMAGE_TRANSFER "image.transfer"
#define DG_IMAGE_BLOCK_SIZE_NOT_READ "image.block-size-not-read"
#define DG_IMAGE_BLOCK_TOO_LARGE "image.block-too-large"
#define DG_IMAGE_INITIATE_REPEATED "image.initiate-repeated"
#define DG_IMAGE_MISSING_BLOCK "image.missing-block"
#define DG_IMAGE_REPEATED_BLOCK "image.repeated-block"
#define DG_IMAGE_BLOCK_FAILED "image.block-failed"
#define DG_IMAGE_VERIFY "image.verify"
#define DG_IMAGE_ACTIVATE "image.activate"
#define DG_IMAGE_STATUS "image.status"
#define DG_IMAGE_BLOCKS_STATUS "image.blocks-status"
#define DG_INPUT_NO_FRAMES "input.no-frames"
#define DG_INPUT_CUT_SHORT "input.cut-short"
#define DG_SECURITY_HLS_MISMATCH "security.hls-mismatch"
#define DG_SECURITY_AUTH_TAG_MISMATCH "security.auth-tag-mismatch"
#define DG_SECURITY_IC_REPEATED "security.ic-repeated"
#define DG_SECURITY_IC_DECREASING "security.ic-decreasing"
#define DG_SECURITY_NO_KEY "security.no-key"
#define DG_SECURITY_KEY_LOOKS_ASCII "security.key-looks-ascii"
#define DG_SECURITY_NO_TITLE "security.no-title"
#define DG_SECURITY_TOO_SHORT "security.too-short"
#define DG_SECURITY_UNSUPPORTED "security.unsupported"
#define DG_SECURITY_KEY_UNWRAP "security.key-unwrap"
#define DG_SECURITY_KEY_AGREEMENT "security.key-agreement"
#define DG_SECURITY_SIGNATURE_MISMATCH "security.signature-mismatch"
#define DG_SECURITY_SIGNATURE_UNCHECKED "security.signature-unchecked"

#define DG_PENDING_MAX 8        /* open requests kept per conversation */
#define DG_IMAGE_BLOCKS_MAX (1u << 16) /* block numbers tracked per transfer (8 KiB per bitmap) */
#define DG_PBLOCK_MAX (1u << 20) /* bytes of an ACTION's joined pblocks (the decoder's limit too) */
#define DG_ID_MAX 64            /* bytes of an image identifier kept */
#define DG_IC_SENDERS_MAX 8     /* invocation counters kept per conversation (sender and key) */

/* One sender of HDLC I frames: its address, the N(S) it should send next, the last N(R) the
 * other side gave it (what of its frames is acknowledged), and its last I frame. */
typedef struct dg_seq {
    int used;
    uint64_t addr;
    int expect;        /* next N(S); -1 unknown */
    int acked;         /* the other side's last N(R) for it; -1 unknown */
    uint64_t last_hash;
    size_t last_len;
    int last_ns;
} dg_seq;

/* A request waiting for its answer */
typedef struct dg_request {
    uint8_t tag;       /* the plain request tag (C0, C1, C3, 60, 62, 05, ...) */
    int invoke;        /* 0..15, -1 unknown (ciphered without keys, ACSE) */
    int iip;           /* the whole invoke-id-and-priority byte (priority b7, service class b6), -1 unknown */
    /* given up (no answer before the next request): that request's frame and invoke-id, and
       whether it was this one sent again */
    uint64_t next_frame;
    int next_invoke;
    int sent_again;
    uint64_t frame, offset;
    int has_ref;
    uint16_t class_id;
    uint8_t obis[6];
    uint8_t id;        /* attribute or method */
    int image_block;   /* an image_block_transfer: its block number, else -1 */
    int param_bad;     /* a disconnect method's parameter that is not integer(0) */
} dg_request;

/* The invocation counter of one sender and key: the client's or the server's (service-specific
 * forms), or a system title's (the general forms carry their sender's title) */
typedef struct dg_ic_sender {
    int used;
    int sender;        /* 0 client, 1 server, 2 unknown */
    int dedicated;     /* the dedicated key's counter, else the global key's */
    int has_title;
    uint8_t title[8];
    ds_ic_counters counters; /* its slot 0: the highest IC seen */
    uint64_t repeated, decreased; /* counters not above the last; the first of each is a finding */
} dg_ic_sender;

typedef struct dg_image {
    int active;                 /* class 18 traffic was seen */
    uint8_t id[DG_ID_MAX];
    size_t id_len;
    int has_size;
    uint64_t size;
    int has_block_size;
    uint64_t block_size;
    uint64_t block_size_frame;  /* where the block size was read */
    int block_size_before_initiate;
    unsigned initiates;
    uint64_t initiate_frame;
    uint8_t *sent, *acked;      /* bitmaps of DG_IMAGE_BLOCKS_MAX bits, made on the first block */
    /* blocks the meter said it holds (attribute 3 or 4 read back): a resumed transfer does not
     * send them again; made with the other two */
    uint8_t *stored;
    uint64_t blocks_stored;
    uint64_t stored_before_first;  /* blocks_stored when the trace's first block was sent */
    uint64_t blocks_sent, blocks_acked, blocks_repeated, blocks_failed;
    int64_t max_block;          /* highest block number sent, -1 none */
    size_t max_block_len, max_block_apdu;
    uint64_t max_block_frames;  /* frames the largest block's APDU came in */
    int64_t failed_block;       /* the last block answered with an error, -1 none */
    uint32_t failed_result;
    int verify_result, activate_result; /* -1 not seen */
    int status;                 /* image_transfer_status read back, -1 not seen */
    int missing_reported;
    int too_large_reported;     /* image.block-too-large said once per transfer */
} dg_image;

typedef enum dg_end {
    DG_END_OPEN = 0,  /* the trace stops while the association or the link is up */
    DG_END_RELEASED,  /* RLRQ/RLRE */
    DG_END_DISC,      /* DISC answered */
    DG_END_DM,        /* DM */
    DG_END_REJECTED,  /* the AARE refused */
    DG_END_NOTHING    /* no association or link set up was seen */
} dg_end;

typedef struct dg_conv dg_conv;

/* A finding being made */
typedef struct dg_finding {
    ds_finding f;
    ds_finding_field fields[DS_FINDING_FIELDS_MAX];
    char values[DS_FINDING_FIELDS_MAX][80];
    char message[640];
    char hint[640];
    dg_conv *c;
} dg_finding;

struct ds_diagnoser {
    ds_finding_fn fn;
    void *user;
    uint64_t counts[3];
    dg_conv **convs;           /* every conversation, in order (their summaries) */
    size_t nconvs, cap;
    dg_conv *current;          /* the one whose frame is being decoded (diagnostics go there) */
    uint64_t input_bytes;
    int no_frames;             /* input.no-frames was said */
    const struct ds_keyring *keys; /* the keys given (borrowed from the options), NULL none */
    int keys_checked;          /* security.key-looks-ascii was looked for */
    int has_held;              /* held: a security mismatch waiting for its cause (security.c) */
    dg_finding held;
};

struct dg_conv {
    ds_diagnoser *g;
    unsigned number;
    ds_decoder *dec;
    int open;
    /* where we are */
    uint64_t frame, offset, line;
    char time[DS_TIMESTAMP_MAX];
    ds_direction dir;
    char endpoints[2][64];     /* a capture's two ends ("addr:port"), from the first frame */
    /* link */
    uint64_t frames, good_frames, bytes;
    uint64_t cut_short;        /* raw records whose APDU decodes whole with a few bytes added: DLMS, damaged */
    int raw_pending;           /* a raw record whose APDU has not come yet: valid only if it decodes */
    int raw_counted;           /* the current raw record was counted valid (an error after its APDU undoes it) */
    int raw_bad;               /* an error came on the current raw record: it is not valid (random bytes
                                  taken for an APDU with trailing bytes are not a frame) */
    uint64_t raw_error_offset; /* where the first error of the current raw record is (with raw_bad) */
    uint64_t raw_end;          /* the stream offset just after the current raw record */
    int raw_undecoded;         /* the current raw record's APDU is not DLMS: its APDUs are not services */
    uint64_t undecoded;        /* raw records whose APDU did not decode (not cut short): not in services[] */
    unsigned kinds;            /* 1 << ds_link_kind seen */
    int has_hdlc_addr;
    ds_hdlc_addr client, server;
    int client_known;
    uint16_t wrapper_client, wrapper_server;
    int has_wrapper;
    ds_hdlc_params snrm, ua;
    int has_snrm, has_ua;
    ds_direction snrm_dir;     /* the client's direction in the trace (SNRM), for equal addresses */
    int link_up;               /* between the UA that answered an SNRM and DISC/UA or DM */
    dg_seq seq[2];
    uint64_t last_wire_hash;
    size_t last_wire_len;
    ds_direction last_dir;
    int has_last_wire;
    int last_was_disc;
    uint64_t refusal_frame;    /* the last FRMR or DM (not after DISC), 0 none: a request before it was refused */
    const char *refusal;       /* "FRMR" or "DM" */
    uint64_t segments;         /* segmented frames of the APDU being gathered */
    uint64_t apdu_frames;      /* frames the APDU being handled came in */
    /* a ciphered APDU waiting to see whether its plaintext follows */
    int stash;
    uint8_t stash_tag;
    uint64_t stash_offset;
    /* association */
    unsigned associations;
    int has_aarq, has_aare;
    int context, mechanism;
    /* the xDLMS negotiation (conformance, max PDU sizes) as the decoder's session of this
     * conversation saw it, taken at each APDU: one reading of the InitiateRequest/Response for
     * decode and diagnose */
    ds_negotiated xdlms;
    int assoc_result, assoc_diag;
    const char *key_problem;   /* the code of the last hls.* or cipher.* diagnostic, NULL none */
    int sc_seen;
    uint8_t sc;                /* the security control byte of the last ciphered APDU */
    /* security (security.c) */
    dg_ic_sender ic[DG_IC_SENDERS_MAX];
    int ciph_known;            /* the header of the ciphered APDU at ciph_offset: */
    uint64_t ciph_offset;
    uint32_t ciph_ic;
    uint8_t ciph_sc;
    int ciph_sender;
    int ciph_has_title;
    uint8_t ciph_title[8];       /* when ciph_has_title */
    int has_sec_diag;          /* the offset of the APDU of the last security diagnostic */
    uint64_t sec_diag_offset;
    uint64_t ciphered_unread, unread_first_frame, unread_first_offset; /* ciphered APDUs not read without a diagnostic */
    uint64_t initiate_read_frame; /* the frame whose ciphered AARQ/AARE initiate was deciphered */
    int initiate_read;
    /* services */
    uint32_t services[256];    /* APDUs per tag */
    dg_request pending[DG_PENDING_MAX];
    size_t npending;
    /* requests given up (no answer before the next request) with a known invoke-id, oldest
     * first: an answer that comes later with one of their invoke-ids is a late answer */
    dg_request given_up[DG_PENDING_MAX];
    size_t ngiven_up;
    /* an ACTION request sent in parameter blocks (action-request-with-first-pblock, then
     * -with-pblock): the method of the first block, and the blocks' raw data joined (allocated
     * as blocks come, at most DG_PBLOCK_MAX bytes) */
    int pblock_has_ref;
    dg_request pblock_ref;
    int pblock_join_used;
    ds_block_join pblock_join;
    dg_end end;
    uint64_t end_frame;
    dg_image image;
};

/* A finding at the conversation's current frame */
void dg_begin(dg_finding *b, dg_conv *c, const char *code, ds_severity sev);
/* ... or at a request's frame */
void dg_at(dg_finding *b, uint64_t frame, uint64_t offset);
void dg_message(dg_finding *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dg_hint(dg_finding *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dg_hint_add(dg_finding *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dg_num(dg_finding *b, const char *key, uint64_t v);
void dg_str(dg_finding *b, const char *key, const char *v);
void dg_emit(dg_finding *b);
/* Counts a finding and gives it to the caller */
void dg_deliver(ds_diagnoser *g, const ds_finding *f);

/* ---- security (security.c) ---- */
/* A decoder diagnostic of the security family (hls.*, cipher.*, sign.* that security.* names):
 * made a finding, held or dropped; 1 when it was one, 0 for other codes */
int dg_security_diag(ds_diagnoser *g, dg_conv *c, const ds_diag *d);
/* Delivers the held mismatch: before anything else is said */
void dg_security_flush(ds_diagnoser *g);
/* A ciphered APDU from a frame: its header (IC per sender) */
void dg_security_ciphered(dg_conv *c, const ds_apdu_event *ev);
/* A new association (AARQ): it brings its own dedicated key, whose counter starts again */
void dg_security_association(dg_conv *c);
/* A ciphered APDU whose plaintext did not follow */
void dg_security_unread(dg_conv *c, uint64_t offset);
/* The ciphered xDLMS initiate of an AARQ or AARE (frame, offset) not deciphered with no key given */
void dg_security_unread_initiate(dg_conv *c, uint64_t frame, uint64_t offset);
void dg_security_end(dg_conv *c);
/* The keys given that read as text, once per diagnoser */
void dg_security_keys(ds_diagnoser *g, dg_conv *c);

/* ---- services (service.c) ---- */
void dg_service_apdu(dg_conv *c, const ds_apdu_event *ev);
void dg_service_flush_stash(dg_conv *c);
void dg_service_end(dg_conv *c);
/* Frees what the services keep (the pblocks being joined) */
void dg_service_free(dg_conv *c);
/* "get 1/0.0.44.0.0.255/2" of a request */
void dg_ref_text(const dg_request *r, char *out, size_t size);
const char *dg_data_access_name(uint32_t v);
const char *dg_action_result_name(uint32_t v);
const char *dg_result_hint(uint32_t v);

/* ---- image transfer (image.c) ---- */
/* A class-18 request (get/set/action) was sent: r is filled in by the caller, v is the APDU */
void dg_image_request(dg_conv *c, dg_request *r, const ds_value *apdu, size_t apdu_len);
/* Its answer: result 0 success, else the data-access or action result; v the response */
void dg_image_response(dg_conv *c, const dg_request *r, uint32_t result, const ds_value *apdu);
void dg_image_end(dg_conv *c);
/* Adds to an initiate's refusal (app.action-result) what the result means at that step */
void dg_image_initiate_cause(dg_finding *b, uint32_t result);
void dg_image_free(dg_image *im);
const char *dg_image_status_name(int v);

/* ---- report (report.c) ---- */
void dg_summary(const dg_conv *c, FILE *out);

#endif
