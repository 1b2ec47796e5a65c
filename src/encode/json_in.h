/* JSON in: the JSON Lines that `decode --json` writes, read back into the element tree that
 * the encoder walks (the same tree the XML reader gives it), one frame's elements at a time.
 *
 * The input is untrusted: one JSON value may be at most DS_JSON_MAX_VALUE bytes and nest at
 * most DS_JSON_MAX_DEPTH levels; errors say line and column, and reading goes on at the next
 * line. The mapping back (see json_sink.c and man dlmscope, JSON OUTPUT):
 *   keys of a line without an upper-case letter (facts, diagnostics) and "#Name" annotations
 *   are skipped;
 *   "Name": null / number / string  ->  <Name />, <Name Value="text" />
 *   "Name": {"@A": v, "Child": ...}  ->  <Name A="v"> <Child .../> </Name>
 *   "Name": [{"@A": v}, {"Child": ...}, ...] -> the same, Qty="number of children" unless given
 *   "InstanceId": "a.b.c.d.e.f"      ->  <InstanceId Value="hex of the six numbers" /> */
#ifndef DS_ENCODE_JSON_IN_H
#define DS_ENCODE_JSON_IN_H

#include <libxml/tree.h>
#include <stddef.h>
#include <stdint.h>

#define DS_JSON_MAX_VALUE (64u << 20) /* bytes of one top-level value (one frame's line) */
#define DS_JSON_MAX_DEPTH 256         /* nesting of arrays and objects */

/* Reads up to cap bytes; returns the count, 0 at the end, < 0 on a read error. */
typedef long (*ds_json_source_fn)(void *user, uint8_t *buf, size_t cap);

typedef struct ds_json_callbacks {
    void (*unit)(void *user, xmlNode *unit);                  /* one top-level element; freed after */
    void (*error)(void *user, long line, const char *message); /* "column C: ..." */
    void *user;
} ds_json_callbacks;

/* Reads the bytes pre[0..pre_len) and then the source to its end. Returns 0, or -1 when out of
 * memory (said through error as well). */
int ds_json_read(const uint8_t *pre, size_t pre_len, ds_json_source_fn source, void *source_user,
                 const ds_json_callbacks *cb);

/* The same for text in memory (tests, fuzzing). */
int ds_json_read_memory(const char *text, size_t len, const ds_json_callbacks *cb);

#endif
