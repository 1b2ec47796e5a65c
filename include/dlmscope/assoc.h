/* The application association and its services without I/O, both roles.
 *
 * A ds_assoc sits above a link (dlmscope/conn.h) and below a script runner or a meter: it takes
 * whole APDUs in and gives whole APDUs out. It builds every APDU with the builders of
 * dlmscope/value.h, reads every APDU with the value model, enciphers and deciphers with
 * dlmscope/cipher.h, and computes and checks HLS with dlmscope/hls.h, so that the client and the
 * server are one code in two roles.
 *
 * Client role: ds_assoc_request() turns one service (AARQ, GET/SET/ACTION, RLRQ) into the APDU(s)
 * to send; each answer given to ds_assoc_receive() is checked (invoke id, the answer the tag facts
 * give for the request), blocks are asked for (get-request-next) or sent (set/action with
 * datablocks) until the service completes, and the result comes back as a ds_assoc_result.
 *
 * Server role: each request given to ds_assoc_receive() is checked against the association
 * (accepted? ciphered as the policy says? HLS pass done?), the object operations are asked of the
 * ds_server_objects callbacks, and the answers (split into blocks when longer than the client's
 * max PDU) come out through the output callback.
 *
 * General block transfer (both roles, when both conformances have it and gbt_window is set): an
 * APDU (ciphered first, when the association is) longer than the peer's max PDU goes out in GBT
 * blocks, streamed up to the window the peer gave, each window acknowledged and its lost blocks
 * sent again; blocks from the peer are joined and the whole APDU taken as if it came at once.
 *
 * Every APDU from the peer is untrusted; values are built in an arena of bounded size. */
#ifndef DLMSCOPE_ASSOC_H
#define DLMSCOPE_ASSOC_H

#include <stddef.h>
#include <stdint.h>

#include "dlmscope/keys.h"
#include "dlmscope/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { DS_ASSOC_CLIENT = 0, DS_ASSOC_SERVER = 1 } ds_assoc_role;

/* The bits of a security policy (version 1, as in the security setup object, class 64): which
 * messages must be authenticated or encrypted. The values 1, 2 and 3 are read as version 0
 * (authenticated, encrypted, both, for both directions). */
#define DS_POLICY_AUTH_REQUESTS 0x04u
#define DS_POLICY_ENC_REQUESTS 0x08u
#define DS_POLICY_AUTH_RESPONSES 0x10u
#define DS_POLICY_ENC_RESPONSES 0x20u
/* both directions */
#define DS_POLICY_AUTHENTICATED (DS_POLICY_AUTH_REQUESTS | DS_POLICY_AUTH_RESPONSES)
#define DS_POLICY_ENCRYPTED (DS_POLICY_ENC_REQUESTS | DS_POLICY_ENC_RESPONSES)

/* Authentication (mechanism id): 0 none, 1 LOW, 2 HIGH, 3 MD5, 4 SHA-1, 5 GMAC, 6 SHA-256,
 * 7 ECDSA. */
typedef struct ds_assoc_settings {
    ds_assoc_role role;
    int logical_names;            /* 1 LN referencing, 0 SN */
    int mechanism;                /* 0..7 */
    const uint8_t *secret; size_t secret_len; /* LLS password or HLS secret (2, 3, 4, 6) */
    const ds_keyset *keys;        /* ek, ak, (dk) for ciphering and mechanism 5; NULL: none */
    int security_suite;           /* 0, 1, 2 */
    uint8_t security_policy;      /* 0 none; bits DS_POLICY_* (the version 1 policy as in the
                                     security setup object); 0 with keys = plain */
    int dedicated;                /* 1: use the dedicated key (ded-xxx) after the association */
    int general_ciphering;        /* 1: general-glo/-ded forms instead of glo/ded */
    const uint8_t *own_title;     /* 8 bytes (client title / server title); NULL: none */
    uint32_t conformance;         /* proposed (client) or offered (server) conformance bits */
    uint16_t max_pdu;             /* proposed (client) or the server's max receive PDU size */
    uint32_t first_ic;            /* the first invocation counter to send */
    const uint8_t *ecdsa_priv; size_t ecdsa_priv_len; /* mechanism 7: own signing key */
    const uint8_t *peer_pub; size_t peer_pub_len;     /* mechanism 7: peer's public key */
    size_t max_values;            /* arena bound for one APDU's values; 0 = a sensible default */
    /* server role: the highest invocation counter this client used in earlier associations (a
     * meter keeps it, as its security setup does): a ciphered request at or below it is a replay */
    int has_peer_ic_floor;
    uint32_t peer_ic_floor;
    uint8_t gbt_window;           /* general block transfer: 0 not proposed (client) / offered (server);
                                     1..63 proposed/offered, and the blocks this side takes in one stream */
} ds_assoc_settings;

/* Server role: the meter's objects. Each returns a data-access-result (GET/SET) or an
 * action-result (ACTION): 0 success. Values come and go through the arena a. access: the
 * selective access descriptor (a ds_value structure: selector and parameters) or NULL. */
typedef struct ds_server_objects {
    void *user;
    /* the association a client asks for (client SAP known to the caller): 0 to accept, or an
       AARE acse-service-user diagnostic; fills *out with the association's settings */
    int (*accept)(void *user, int client_sap, const ds_association *aarq, ds_assoc_settings *out);
    int (*get)(void *user, int client_sap, const ds_cosem_ref *ref, const ds_value *access, ds_value_arena *a,
               ds_value **out);
    int (*set)(void *user, int client_sap, const ds_cosem_ref *ref, const ds_value *access, const ds_value *data);
    int (*action)(void *user, int client_sap, const ds_cosem_ref *ref, const ds_value *params, ds_value_arena *a,
                  ds_value **ret);
} ds_server_objects;

typedef struct ds_assoc ds_assoc;

/* One APDU to send (client: a request; server: an answer). Non-zero stops. */
typedef int (*ds_assoc_output_fn)(void *user, const uint8_t *apdu, size_t len);

ds_assoc *ds_assoc_new(const ds_assoc_settings *s, ds_assoc_output_fn out, void *user);
void ds_assoc_free(ds_assoc *as);

/* Server role: the objects and the client SAP of this link. */
void ds_assoc_serve(ds_assoc *as, const ds_server_objects *objects, int client_sap);

/* Whole APDUs from the peer (after link reassembly). 0, or -1 with a diagnostic (see
 * ds_assoc_error). */
int ds_assoc_receive(ds_assoc *as, const uint8_t *apdu, size_t len);

const char *ds_assoc_error(const ds_assoc *as);   /* the last problem in plain words, or "" */
int ds_assoc_is_open(const ds_assoc *as);         /* AARE accepted (and HLS pass done) */
uint16_t ds_assoc_peer_max_pdu(const ds_assoc *as);
uint32_t ds_assoc_negotiated_conformance(const ds_assoc *as);


/* ---- client role ---- */

/* The outcome of the last service the client asked for. */
typedef struct ds_assoc_result {
    int done;               /* 1: the service is complete (its last answer is in) */
    int status;             /* DS_ASSOC_OK, DS_ASSOC_ERROR_ANSWER or DS_ASSOC_MISMATCH */
    uint8_t request_tag;    /* the plain tag of the request (AARQ 60, get-request C0, ...) */
    uint32_t result;        /* the data-access-result / action-result / AARE diagnostic / exception
                               service error of an error answer; 0 otherwise */
    const uint8_t *answer;  /* the plain answer APDU; after a block transfer of GET the whole
                               Data in one get-response-normal (valid until the next call) */
    size_t answer_len;
} ds_assoc_result;

enum {
    DS_ASSOC_OK = 0,            /* every answer said success */
    DS_ASSOC_ERROR_ANSWER = 1,  /* an answer carried an error (a result, a rejection, an exception) */
    DS_ASSOC_MISMATCH = 2       /* an answer did not fit the request (wrong invoke id, an answer of
                                   another service, undecipherable, a block out of order) */
};

/* Client: sends the AARQ (ciphered InitiateRequest when the settings have keys and a policy);
 * the AARE and, for HLS, the reply_to_HLS_authentication pass follow from ds_assoc_receive. */
int ds_assoc_open(ds_assoc *as);
/* Client: one plain xDLMS request (GET/SET/ACTION of any form, read/write) as bytes, as the
 * encoder made it: its invoke id is replaced by a fresh one, it is ciphered by the policy and
 * sent, split into blocks when longer than the server's max PDU (set with datablocks). */
int ds_assoc_request(ds_assoc *as, const uint8_t *apdu, size_t len);
/* Client: RLRQ. */
int ds_assoc_release(ds_assoc *as);
/* Client: 1 while a service waits for an answer. */
int ds_assoc_busy(const ds_assoc *as);
/* Client: the last service's outcome. */
const ds_assoc_result *ds_assoc_last_result(const ds_assoc *as);
/* Client: gives up the service that waits (its answer did not come in time); a late answer to
 * it is then refused as unasked. */
void ds_assoc_abandon(ds_assoc *as);
/* Client: a pre-established association (no AARQ): services may be asked at once, the server
 * taking APDUs of at most peer_max_pdu bytes. */
void ds_assoc_assume_open(ds_assoc *as, uint16_t peer_max_pdu);
/* Both roles: the invocation counter the next ciphered APDU will carry (to store after a run). */
uint32_t ds_assoc_next_ic(const ds_assoc *as);
/* Both roles: 1 with the highest invocation counter seen from the peer under the global key, 0
 * when none was seen (a server keeps it for the client's next association). */
int ds_assoc_peer_last_ic(const ds_assoc *as, uint32_t *ic);

/* Both roles, general block transfer: a stream of the peer's blocks is unfinished (blocks came,
 * its last block not yet). The caller keeps the time: when no APDU came from the peer for a
 * while (the client: a quarter of its answer timeout) it calls ds_assoc_gbt_quiet, which sends
 * the acknowledgement of the last block taken in order again, so that the peer sends the rest
 * again (a lost last block, or a lost acknowledgement, has nothing else to set this off). 0;
 * -1 with the error set once DS_ASSOC_GBT_RETRIES such acknowledgements in a row brought no
 * block: the stream is given up (a client's service still waits: ds_assoc_abandon ends it). */
#define DS_ASSOC_GBT_RETRIES 3
int ds_assoc_gbt_receiving(const ds_assoc *as);
int ds_assoc_gbt_quiet(ds_assoc *as);

/* Both roles: each plain APDU as it is sent (sent = 1, before ciphering) or received (sent = 0,
 * after deciphering), for printing. */
typedef void (*ds_assoc_trace_fn)(void *user, int sent, const uint8_t *plain, size_t len);
void ds_assoc_set_trace(ds_assoc *as, ds_assoc_trace_fn fn, void *user);
/* Both roles: this side's HLS challenge (CtoS / StoC), 8..64 bytes, instead of one drawn from
 * the system's random source (tests use it for repeatable runs). */
int ds_assoc_set_challenge(ds_assoc *as, const uint8_t *challenge, size_t len);

#ifdef __cplusplus
}
#endif

#endif
