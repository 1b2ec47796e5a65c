/* The text pass before libxml2 (see xml_prep.h). A small scanner that knows just enough XML
 * to tell where comments, processing instructions, CDATA sections, the DOCTYPE and tags
 * begin and end: markup inside a quoted attribute value or a CDATA section is not markup. */
#include "encode/xml_prep.h"

#include <errno.h>
#include <string.h>

/* The longest token looked for ("<!DOCTYPE"); the scanner keeps this many bytes ahead. */
#define LOOKAHEAD 9

enum {
    ST_PROLOG,  /* before the first element */
    ST_TEXT,    /* content */
    ST_TAG,     /* inside <...> of a start or end tag */
    ST_COMMENT,
    ST_PI,
    ST_CDATA,
    ST_DOCTYPE
};

static const char ROOT_OPEN[] = "<" DS_XML_PREP_ROOT ">";
static const char ROOT_CLOSE[] = "</" DS_XML_PREP_ROOT ">";
static const char ROOT_EMPTY[] = "<" DS_XML_PREP_ROOT "/>";

void ds_xml_prep_init(ds_xml_prep *p, ds_xml_source_fn source, void *user)
{
    memset(p, 0, sizeof *p);
    p->source = source;
    p->source_user = user;
    p->state = ST_PROLOG;
    p->line = 1;
}

/* Keeps at least LOOKAHEAD bytes ahead of start unless the input has ended. */
static void fill(ds_xml_prep *p)
{
    if (p->eof || p->end - p->start >= LOOKAHEAD) return;
    memmove(p->buf, p->buf + p->start, p->end - p->start);
    p->end -= p->start;
    p->start = 0;
    while (!p->eof && p->end - p->start < LOOKAHEAD) {
        long n = p->source(p->source_user, p->buf + p->end, sizeof p->buf - p->end);
        if (n < 0) {
            p->read_errno = errno;
            p->status = DS_PREP_READ_ERROR;
            p->status_line = p->line;
            p->eof = 1;
        } else if (n == 0) {
            p->eof = 1;
        } else {
            p->end += (size_t)n;
        }
    }
}

static int at(const ds_xml_prep *p, size_t i, const char *token)
{
    size_t n = strlen(token);
    return p->end - i >= n && memcmp(p->buf + i, token, n) == 0;
}

static void insert(ds_xml_prep *p, const char *text, size_t len)
{
    p->insert = text;
    p->insert_left = len;
}

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A comment opens: its end brings the scanner back to `back`. */
static size_t open_comment(ds_xml_prep *p, int back)
{
    p->after_comment = back;
    p->comment_depth = 1;
    p->state = ST_COMMENT;
    return 4;
}

/* Inside a comment: an inner "<!--" and its "-->" lose their hyphens, so that XML sees one
 * comment where Gurux nested two. */
static size_t comment_step(ds_xml_prep *p, size_t i)
{
    if (at(p, i, "<!--")) {
        p->comment_depth++;
        p->buf[i + 2] = p->buf[i + 3] = '=';
        return 4;
    }
    if (!at(p, i, "-->")) return 1;
    if (p->comment_depth > 1) {
        p->comment_depth--;
        p->buf[i] = p->buf[i + 1] = '=';
    } else {
        p->comment_depth = 0;
        p->state = p->after_comment;
    }
    return 3;
}

/* Markup that may appear before the first element and around it. */
static size_t markup_step(ds_xml_prep *p, size_t i, int here)
{
    if (at(p, i, "<!--")) return open_comment(p, here);
    if (at(p, i, "<?")) {
        p->after_comment = here;
        p->state = ST_PI;
        return 2;
    }
    return 0;
}

static size_t prolog_step(ds_xml_prep *p, size_t i)
{
    uint8_t c = p->buf[i];
    if (is_space(c)) return 1;
    if (c != '<') {
        p->status = DS_PREP_NOT_XML;
        p->status_line = p->line;
        return 0;
    }
    p->seen_markup = 1;
    size_t n = markup_step(p, i, ST_PROLOG);
    if (n) return n;
    if (at(p, i, "<!DOCTYPE")) {
        p->state = ST_DOCTYPE;
        return 9;
    }
    /* the first element: the synthetic root goes in front of it */
    insert(p, ROOT_OPEN, sizeof ROOT_OPEN - 1);
    p->root_open = 1;
    p->state = ST_TEXT;
    return 0;
}

static size_t doctype_step(ds_xml_prep *p, size_t i)
{
    uint8_t c = p->buf[i];
    if (p->quote) {
        if (c == (uint8_t)p->quote) p->quote = 0;
        return 1;
    }
    if (c == '"' || c == '\'') p->quote = (char)c;
    else if (c == '[') p->bracket++;
    else if (c == ']' && p->bracket) p->bracket--;
    else if (c == '>' && !p->bracket) p->state = ST_PROLOG;
    else if (p->bracket) {
        size_t n = markup_step(p, i, ST_DOCTYPE);
        if (n) return n;
    }
    return 1;
}

static size_t text_step(ds_xml_prep *p, size_t i)
{
    if (p->buf[i] != '<') return 1;
    size_t n = markup_step(p, i, ST_TEXT);
    if (n) return n;
    if (at(p, i, "<![CDATA[")) {
        p->state = ST_CDATA;
        return 9;
    }
    p->state = ST_TAG;
    p->end_tag = at(p, i, "</");
    p->tag_last = '<';
    return 1;
}

/* A tag ends: the depth in the file's elements follows it, and the end of a top-level element
 * or of a child of one (a unit) is where the text handed on stops for this time. */
static void count_start(ds_xml_prep *p)
{
    if (p->elem_depth == 0) {
        p->top_starts++;
        p->child_starts = p->child_ends = 0;
    } else if (p->elem_depth == 1) {
        p->child_starts++;
    }
}

static void count_end(ds_xml_prep *p)
{
    if (p->elem_depth == 0) p->top_ends++;
    else if (p->elem_depth == 1) p->child_ends++;
    if (p->elem_depth <= 1) p->unit_end = 1;
}

static void tag_ends(ds_xml_prep *p)
{
    if (p->end_tag) {
        if (p->elem_depth) p->elem_depth--;
        count_end(p);
        return;
    }
    count_start(p);
    if (p->tag_last == '/') count_end(p); /* <Name ... /> */
    else p->elem_depth++;
}

static size_t tag_step(ds_xml_prep *p, size_t i)
{
    uint8_t c = p->buf[i];
    if (p->quote) {
        if (c == (uint8_t)p->quote) p->quote = 0;
    } else if (c == '"' || c == '\'') {
        p->quote = (char)c;
    } else if (c == '>') {
        p->state = ST_TEXT;
        tag_ends(p);
    }
    if (!is_space(c)) p->tag_last = c;
    return 1;
}

/* Looks at the byte at i (changing bytes ahead of it where needed) and returns how many bytes
 * may be handed on; 0 when something is to be inserted first or the input is not XML. */
static size_t step(ds_xml_prep *p, size_t i)
{
    switch (p->state) {
    case ST_PROLOG: return prolog_step(p, i);
    case ST_TEXT: return text_step(p, i);
    case ST_TAG: return tag_step(p, i);
    case ST_COMMENT: return comment_step(p, i);
    case ST_PI:
        if (!at(p, i, "?>")) return 1;
        p->state = p->after_comment;
        return 2;
    case ST_CDATA:
        if (!at(p, i, "]]>")) return 1;
        p->state = ST_TEXT;
        return 3;
    case ST_DOCTYPE: return doctype_step(p, i);
    default: return 1;
    }
}

/* The first bytes: UTF-16 and UCS-4 (their byte order marks, or a zero byte among the first
 * two) are handed on unchanged; a UTF-8 byte order mark is handed on unscanned. */
static void look_at_start(ds_xml_prep *p)
{
    p->started = 1;
    size_t n = p->end - p->start;
    const uint8_t *b = p->buf + p->start;
    if (n >= 2 && ((b[0] == 0xFE && b[1] == 0xFF) || (b[0] == 0xFF && b[1] == 0xFE) || b[0] == 0 || b[1] == 0))
        p->passthrough = 1;
    else if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
        p->bom_left = 3;
}

/* No more input: close the synthetic root, or give libxml2 an empty one when there was no
 * element (the encoder then reports why, from p->status). */
static void finish(ds_xml_prep *p)
{
    p->done = 1;
    if (p->root_open) {
        insert(p, ROOT_CLOSE, sizeof ROOT_CLOSE - 1);
        return;
    }
    if (p->status == DS_PREP_OK) p->status = p->seen_markup ? DS_PREP_NO_ELEMENT : DS_PREP_EMPTY;
    if (!p->status_line) p->status_line = p->line;
    insert(p, ROOT_EMPTY, sizeof ROOT_EMPTY - 1);
}

static size_t take_insert(ds_xml_prep *p, char *out, size_t room)
{
    size_t n = p->insert_left < room ? p->insert_left : room;
    memcpy(out, p->insert, n);
    p->insert += n;
    p->insert_left -= n;
    return n;
}

/* Hands on n bytes from start (fewer when out is full), counting lines. */
static size_t pass_on(ds_xml_prep *p, size_t n, char *out, size_t room)
{
    size_t k = n < room ? n : room;
    const uint8_t *from = p->buf + p->start, *end = from + k;
    p->start += k;
    if (k < 32) { /* most runs are short: a library call costs more than the loop */
        for (size_t j = 0; j < k; j++) {
            out[j] = (char)from[j];
            p->line += from[j] == '\n';
        }
        return k;
    }
    memcpy(out, from, k);
    for (const uint8_t *nl = memchr(from, '\n', k); nl; nl = memchr(nl + 1, '\n', (size_t)(end - nl - 1)))
        p->line++;
    return k;
}

/* A tag remembers its last byte other than white space ("/" before ">" closes an empty element). */
static void note_tag_last(ds_xml_prep *p, size_t from, size_t to)
{
    for (size_t k = to; k > from; k--)
        if (!is_space(p->buf[k - 1])) {
            p->tag_last = p->buf[k - 1];
            return;
        }
}

/* How many bytes from i on are plain in the current state: bytes for which step() would hand
 * on one byte and change nothing. Handing such a run on at once keeps the pass from costing a
 * call per byte; only content, comments and tags (the bulk of a file) are sped up. */
static size_t plain_run(ds_xml_prep *p, size_t i, size_t limit)
{
    const uint8_t *b = p->buf;
    size_t j = i;
    switch (p->state) {
    case ST_TEXT: {
        const uint8_t *lt = memchr(b + i, '<', limit - i);
        j = lt ? (size_t)(lt - b) : limit;
        break;
    }
    case ST_COMMENT:
        while (j < limit && b[j] != '<' && b[j] != '-') j++;
        break;
    case ST_TAG:
        if (p->quote) {
            const uint8_t *q = memchr(b + i, p->quote, limit - i); /* values are long: hex strings */
            j = q ? (size_t)(q - b) : limit;
        } else {
            while (j < limit && b[j] != '"' && b[j] != '\'' && b[j] != '>') j++;
        }
        note_tag_last(p, i, j);
        break;
    default:
        break;
    }
    return j - i;
}

/* Scans what is buffered into out; stops early when a token might not fit. The bytes scanned
 * are handed on in one piece at the end (most runs between tokens are a few bytes: copying and
 * counting lines a run at a time cost more than the scan), and before a prolog step, which
 * needs the line count up to date for its message. */
static size_t scan(ds_xml_prep *p, char *out, size_t room, int first)
{
    size_t w = 0, i = p->start;
    size_t limit = p->eof ? p->end : p->end - LOOKAHEAD + 1;
    while (i < limit && w + (i - p->start) < room && !p->insert_left && p->status == DS_PREP_OK) {
        size_t taken = i - p->start; /* scanned, not yet handed on */
        if (p->passthrough || p->bom_left || p->state == ST_PROLOG) {
            w += pass_on(p, taken, out + w, room - w);
            i = p->start;
            if (p->passthrough || p->bom_left) {
                size_t n = p->passthrough ? p->end - p->start : p->bom_left;
                n = pass_on(p, n, out + w, room - w);
                if (p->bom_left) p->bom_left -= n;
                w += n;
                i = p->start;
                continue;
            }
            taken = 0;
        }
        size_t left = room - w - taken;
        if (left < LOOKAHEAD && (w + taken > 0 || !first)) break; /* a token is never split between two calls */
        size_t run = plain_run(p, i, limit);
        if (run > 0) {
            i += run < left ? run : left;
            continue;
        }
        size_t n = step(p, i);
        if (n == 0) break;
        if (n > p->end - i) n = p->end - i;
        i += n < left ? n : left;
        if (p->unit_end) break;
    }
    return w + pass_on(p, i - p->start, out + w, room - w);
}

int ds_xml_prep_read(void *ctx, char *out, int len)
{
    ds_xml_prep *p = ctx;
    size_t room = len > 0 ? (size_t)len : 0, w = 0;
    if (room > DS_XML_PREP_HANDOUT) room = DS_XML_PREP_HANDOUT;
    p->unit_end = 0;
    while (w < room && !p->unit_end) {
        if (p->insert_left) {
            w += take_insert(p, out + w, room - w);
            continue;
        }
        if (p->done) break;
        if (p->status != DS_PREP_OK) { /* not XML, or unreadable */
            finish(p);
            continue;
        }
        fill(p);
        if (p->start == p->end) {
            finish(p);
            continue;
        }
        if (!p->started) look_at_start(p);
        size_t n = scan(p, out + w, room - w, w == 0);
        if (n == 0 && !p->insert_left && p->status == DS_PREP_OK) break; /* out is (nearly) full */
        w += n;
    }
    return (int)w;
}

int ds_xml_prep_closed(const ds_xml_prep *p, int depth, uint64_t top_index, uint64_t child_index)
{
    if (depth == 0) return p->top_ends >= top_index;
    return p->top_starts > top_index || (p->top_starts == top_index && p->child_ends >= child_index);
}
