/* The encoding pipeline: XML in, frames out.
 *
 * Reads our own decode output, the Gurux simple-XML dialect (GXDLMSDirector,
 * translator, XmlClient scripts) and writes the bytes. The XML is read as a
 * stream, one top-level element at a time, so memory stays bounded whatever
 * the document size. Each top-level element is one unit: an envelope
 * (<HDLC>, <WRAPPER>, <WiredMBus>) gives one frame, a bare APDU gives one
 * APDU (or the frames that carry it, per the framing options). A unit that
 * cannot be encoded is reported with its XML line and nothing is written for
 * it; the next unit is encoded as usual. The JSON Lines of `decode --json`
 * are read back the same way, each line's elements being the units. */
#ifndef DLMSCOPE_ENCODER_H
#define DLMSCOPE_ENCODER_H

#include <stddef.h>
#include <stdint.h>
#include "dlmscope/frame.h"
#include "dlmscope/keys.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ds_encode_options {
    int decimal;              /* numbers are decimal (XmlClient scripts); a root attribute
                                 Numbers="decimal" or Numbers="hex" takes precedence */
    int hex;                  /* numbers are hex (Gurux's translator default). With neither
                                 option nor a Numbers attribute, each unit's notation is
                                 inferred from its numbers, and a unit that could be either
                                 (with different bytes) is refused */
    ds_link_kind frame;       /* framing of bare APDUs: DS_LINK_RAW (none, default), DS_LINK_HDLC, DS_LINK_WRAPPER */
    unsigned client_sap;      /* HDLC client address (default 16) */
    unsigned server_logical;  /* HDLC server upper address (default 1) */
    unsigned server_physical; /* HDLC server lower address, when server_size is 2 or 4 */
    int server_size;          /* HDLC server address bytes: 1, 2 or 4; 0 = 1 without physical, 2 with */
    int has_physical;         /* a physical address was given */
    size_t max_info;          /* HDLC information field limit for segmentation (default 128) */
    unsigned wport_client;    /* wrapper port of the client (default 16) */
    unsigned wport_server;    /* wrapper port of the server (default 1) */
    /* Enciphering (dlmscope/cipher.h). With keys, a ciphered APDU followed by its deciphered view
     * (<Decrypted>, as decode writes it) is enciphered again from the view's APDU: same form,
     * header, security control, IC and title, unless sc or ic below say otherwise. */
    const ds_keyring *keys;   /* borrowed; NULL: nothing is enciphered */
    int cipher_form;          /* DS_CIPHER_*: bare plain APDUs are enciphered in this form, with
                                 the client's title for requests, the server's otherwise; 0: not */
    int has_ic;               /* ic is the IC of the first APDU enciphered, +1 for each next */
    uint32_t ic;
    int has_sc;               /* sc replaces the security control (default: the APDU's; 30 for cipher_form) */
    uint8_t sc;
    int json;                 /* the input is decode --json's JSON Lines; without it, input whose
                                 first character (after white space) is '{' is read as JSON */
} ds_encode_options;

void ds_encode_options_init(ds_encode_options *o);

/* One frame (or one unframed APDU, or raw bytes kept as <Undecoded>). */
typedef void (*ds_encode_out_fn)(void *user, const uint8_t *p, size_t n);
/* A unit that was not encoded, or an XML syntax error. line is 0 when unknown. */
typedef void (*ds_encode_error_fn)(void *user, long line, const char *message);

typedef struct ds_encode_stats {
    uint64_t units;      /* top-level elements seen */
    uint64_t encoded;    /* of which encoded */
    uint64_t failed;     /* of which not encoded */
    uint64_t frames;     /* frames (or unframed APDUs) written */
    uint64_t bytes;      /* bytes written */
    int xml_error;       /* the document is not well-formed (encoding stopped there) */
} ds_encode_stats;

/* Reads XML from the file descriptor until its end. Returns 0 when every unit was encoded,
 * 1 when some were not (a unit that does not fit in memory included) or the XML was malformed
 * or could not be read to its end, -1 when the XML reader could not be set up. */
int ds_encode_fd(int fd, const char *name, const ds_encode_options *o, ds_encode_out_fn out, void *out_user,
                 ds_encode_error_fn err, void *err_user, ds_encode_stats *stats);
/* The same for a document in memory. */
int ds_encode_memory(const char *xml, size_t len, const ds_encode_options *o, ds_encode_out_fn out, void *out_user,
                     ds_encode_error_fn err, void *err_user, ds_encode_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
