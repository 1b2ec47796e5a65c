/* Scripts run against a meter (`dlmscope run`): the settings of a client connection, a script
 * of requests in the Gurux XmlClient dialect, and the run itself through the link machine
 * (dlmscope/conn.h), a transport (dlmscope/transport.h) and the association machine
 * (dlmscope/assoc.h).
 *
 * A script is XML with any root. Its children are request elements as `dlmscope encode` reads
 * them (<GetRequest>, <SetRequest>, <ActionRequest>, <ReadRequest>, <WriteRequest> ...), an
 * optional <Settings> element (the settings below by name, each a child element with a Value
 * attribute), and the XmlClient's metadata (<Description>, <Sleep> ...). Association and link
 * requests in a script (<AssociationRequest>, <ReleaseRequest>, <Snrm>, <DisconnectRequest>)
 * are left out: the machines make their own from the settings. man dlmscope-script(5). */
#ifndef DLMSCOPE_RUN_H
#define DLMSCOPE_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dlmscope/keys.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DS_RUN_TEXT_MAX 512

typedef enum {
    DS_RUN_NO_TRANSPORT = 0,  /* only --dry-run: the APDUs unframed */
    DS_RUN_TCP,               /* TCP with the wrapper */
    DS_RUN_UDP,               /* UDP with the wrapper */
    DS_RUN_HDLC_TCP,          /* HDLC over TCP */
    DS_RUN_SERIAL             /* HDLC on a serial port */
} ds_run_transport;

typedef struct ds_run_settings {
    ds_run_transport transport;
    char target[DS_RUN_TEXT_MAX];     /* host:port, or DEVICE[:BAUD:DPS] */
    char host[256];                   /* Gurux's separate host and port (-h, -p) */
    unsigned port;
    int wrapper;                      /* host/port with the wrapper (Gurux -w); else HDLC */
    int iec;                          /* serial: the IEC 62056-21 mode E opening first (Gurux -i) */
    unsigned client_sap;              /* default 16 */
    unsigned server_logical, server_physical; /* default 1, none */
    int has_physical;
    int mechanism;                    /* 0..7 */
    uint8_t secret[64];               /* LLS password or HLS secret */
    size_t secret_len;
    ds_keyset keys;                   /* ek, ak, dk */
    uint8_t client_title[8];
    int has_client_title;
    ds_ec_key sign_key;               /* high-ecdsa: the client's own private signing key */
    ds_ec_key server_sign_key;        /* high-ecdsa: the meter's public signing key */
    int security_policy;              /* 0 none, 1 authenticated, 2 encrypted, 3 both; -1: 3 with ek */
    int security_suite;
    int dedicated, general_ciphering;
    int logical_names;                /* 1 LN (default), 0 SN */
    uint32_t ic;                      /* the first invocation counter */
    int has_ic;
    char ic_file[DS_RUN_TEXT_MAX];    /* read the IC from it before, write the next one after */
    int ic_from_meter;                /* read the meter's frame counter first, as the public client
                                         (16, no security): the run starts at its value + 1 */
    uint8_t ic_obis[6];               /* that frame counter object (class 1), default 0.0.43.1.0.255 */
    char transcript[DS_RUN_TEXT_MAX]; /* the conversation, as `decode` reads it */
    int dry_run;
    int decimal;                      /* the script's numbers: 1 decimal (default), 0 hex */
    int timeout_ms;                   /* every wait on the meter (default 5000) */
    unsigned max_pdu;                 /* proposed (default 65535) */
    uint32_t conformance;             /* proposed (default 0x007E1F) */
    unsigned max_info;                /* HDLC max info field (default 128) */
    unsigned window;                  /* HDLC window proposed, 1..7 (default 1) */
    int stats;                        /* at the end, the bytes, frames and round trips each way */
    int continue_on_error;            /* run the next step after a failed one (default: stop) */
    unsigned gbt_window;              /* general block transfer proposed with this receive window,
                                         1..63; 0 (default): not proposed */
} ds_run_settings;

void ds_run_settings_init(ds_run_settings *s);

/* One setting by name, as the command line (--tcp, --auth ...) and the <Settings> element say
 * it; names are compared without case, '-' and '_' (HdlcTcp = hdlc-tcp), and Gurux's names
 * are taken too (Authentication None/Low/High/HighMd5/HighSha1/HighGmac/HighSha256/HighEcdsa,
 * ClientAddress, ServerAddress, Password, BlockCipherKey, AuthenticationKey, SystemTitle,
 * InvocationCounter, Security, InterfaceType ...); SigningKey and ServerPublicKey (high-ecdsa)
 * take hex or the name of a hex or PEM file (keys.h ds_ec_key_load). 0, or -1 with a message in
 * err (keys and passwords are never repeated in it), or DS_RUN_SETTING_OLD_NAME: taken, but the
 * name is an old one (PrivateKey, now SigningKey: decode's --private-key is another key) and err
 * says which name to use; the caller shows it as a warning. */
#define DS_RUN_SETTING_OLD_NAME 1
int ds_run_setting(ds_run_settings *s, const char *name, const char *value, char *err, size_t errlen);

typedef struct ds_run_script ds_run_script;

/* Reads a script: its <Settings> go into s, each request is encoded (numbers as s->decimal
 * says unless the root has Numbers="decimal|hex"). NULL with a message (the XML or a unit that
 * does not encode, with its line). */
ds_run_script *ds_run_script_load(const char *path, ds_run_settings *s, char *err, size_t errlen);
size_t ds_run_script_steps(const ds_run_script *sc);
/* What the loader warns about (settings under an old name, with their lines), one warning a
 * line; "" when nothing. */
const char *ds_run_script_warnings(const ds_run_script *sc);
void ds_run_script_free(ds_run_script *sc);

/* Runs it: connects, associates, sends each request and writes each answer to out in the
 * decode format, the progress and problems to log; releases and disconnects. With dry_run,
 * writes the frames that would be sent (XML and hex) and connects to nothing. Returns 0 when
 * every step succeeded, 1 when an answer was an error (or did not fit its request), 2 when the
 * connection or the association could not be made or broke. */
int ds_run_script_execute(ds_run_script *sc, const ds_run_settings *s, FILE *out, FILE *log);

/* `dlmscope script-from`: the requests of a captured session as a script. Give the decoder
 * options to ds_script_from_options (it sets their decoder_hook) with the keys that decipher the
 * session, decode the capture with them (any input `decode` takes), then write the script. Each
 * request is the decode output of its plain APDU (deciphered when it was ciphered); requests for
 * the next block are left out (`run` makes them), as are the association and its release: the
 * captured AARQ's settings (client and server address, mechanism, the security policy of the
 * ciphered requests) go into <Settings>, never a secret or a key. What could not be deciphered
 * is said on log (when not NULL) with its offset, and left out. */
typedef struct ds_script_from ds_script_from;
ds_script_from *ds_script_from_new(int decimal, FILE *log);
struct ds_options;
void ds_script_from_options(ds_script_from *w, struct ds_options *opt);
/* The whole script to out: 0, or -1 on a write error. */
int ds_script_from_write(ds_script_from *w, FILE *out);
/* How many ciphered requests could not be deciphered (left out of the script). */
size_t ds_script_from_undeciphered(const ds_script_from *w);
void ds_script_from_free(ds_script_from *w);

#ifdef __cplusplus
}
#endif
#endif
