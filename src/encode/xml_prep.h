/* A pass over the XML text before libxml2 reads it, for what Gurux writes and a strict
 * parser refuses (GURUX-XML.md §1, §10 #3, #4):
 *
 *   - several top-level elements without a root: everything after the prolog is put inside
 *     a synthetic root element, so that each top-level element becomes a child of it;
 *   - comments inside comments (a deciphered view with its own comments): the inner
 *     "<!--" and "-->" are turned into "<!==" and "==>", so that the outer comment is one.
 *
 * Only bytes are replaced or inserted, never a line break, so that libxml2's line numbers
 * stay those of the file. The pass also tells empty input and input that is not XML apart
 * before libxml2 sees them. Memory is one fixed buffer whatever the input size. */
#ifndef DS_ENCODE_XML_PREP_H
#define DS_ENCODE_XML_PREP_H

#include <stddef.h>
#include <stdint.h>

#define DS_XML_PREP_ROOT "dlmscope-root"
#define DS_XML_PREP_BUF 65536
/* libxml2's reader parses each read in one go when it is shorter than its 512-byte chunk, and
 * asks for more only when it needs the next node: handing it at most this much, and never past
 * the end of a unit, keeps an XML error after a unit from stopping the parser before the unit
 * is handed over (a valid unit before an error is still encoded). */
#define DS_XML_PREP_HANDOUT 511

/* Reads up to cap bytes; returns the count, 0 at the end, -1 on a read error. */
typedef long (*ds_xml_source_fn)(void *user, uint8_t *buf, size_t cap);

typedef enum {
    DS_PREP_OK = 0,
    DS_PREP_EMPTY,      /* nothing but white space */
    DS_PREP_NOT_XML,    /* text that does not begin with '<' */
    DS_PREP_NO_ELEMENT, /* markup, but no element */
    DS_PREP_READ_ERROR  /* the source failed (errno kept in read_errno) */
} ds_prep_status;

typedef struct ds_xml_prep {
    ds_xml_source_fn source;
    void *source_user;
    uint8_t buf[DS_XML_PREP_BUF];
    size_t start, end;  /* bytes not yet handed on */
    int eof;
    int state;          /* scanner state (xml_prep.c) */
    int after_comment;  /* state to return to when the comment ends */
    unsigned comment_depth;
    char quote;         /* open quote inside a tag or the DOCTYPE, 0 when none */
    unsigned bracket;   /* DOCTYPE internal subset nesting */
    unsigned elem_depth; /* elements of the file open (the synthetic root not counted) */
    int end_tag;        /* the tag being scanned is an end tag */
    uint8_t tag_last;   /* its last byte other than white space so far */
    int unit_end;       /* a unit just ended: hand on what there is */
    uint64_t top_starts, top_ends;     /* top-level elements begun and ended */
    uint64_t child_starts, child_ends; /* children of the current top-level element */
    int started;        /* the first bytes were looked at */
    int seen_markup;    /* something other than white space came before the end */
    size_t bom_left;    /* bytes of a UTF-8 byte order mark still to hand on */
    int done;           /* the input is finished with (the closing text may be pending) */
    int passthrough;    /* UTF-16 and the like: handed on unchanged */
    int root_open;      /* the synthetic root was inserted */
    const char *insert; /* text being inserted, and how much of it is left */
    size_t insert_left;
    long line;          /* line of the next byte scanned */
    long status_line;   /* where the status was decided */
    ds_prep_status status;
    int read_errno;
} ds_xml_prep;

void ds_xml_prep_init(ds_xml_prep *p, ds_xml_source_fn source, void *user);
/* libxml2's xmlInputReadCallback: the prepared text. Returns -1 once the input is known
 * not to be XML or could not be read (p->status says which). */
int ds_xml_prep_read(void *ctx, char *out, int len);

/* Whether the element that is the top_index-th top-level element (depth 0), or the
 * child_index-th child of it (depth 1), has ended in the text handed on so far (indexes from
 * 1). libxml2's reader gives up at an XML error before handing over an element that ended
 * just before it; its tree still holds the element, whole when this says so. */
int ds_xml_prep_closed(const ds_xml_prep *p, int depth, uint64_t top_index, uint64_t child_index);

#endif
