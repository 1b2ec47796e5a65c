/* libFuzzer target: <ImageTransfer>'s handling of the meter's answers (src/client/image.c):
 * attributes 2 to 7 (block size, bitmap, first missing block, enabled, status, the images to
 * activate) and the results of initiate, the blocks, verify and activate, in any order and shape.
 *
 * Byte 0 picks the script's options: bit 0 Verify, bit 1 Activate, bit 2 Resume, bit 3
 * Reconnect, bit 4 Signature="A1B2C3", bit 5 a reconnection that works. The rest is the
 * meter's answers, one per request the transfer makes, each a status byte (0: the answer is
 * success, else an error answer with that result), a 2-byte big-endian length and the plain
 * answer APDU; when they run out the link is taken as broken. The image is a 1000-byte file.
 * Nothing the meter answers may crash, hang, leak or read out of bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct feed {
    const uint8_t *p;
    size_t left;
    int reconnect_works;
    ds_assoc_result res;
} feed;

static int call(void *user, const uint8_t *apdu, size_t len, const ds_assoc_result **res)
{
    feed *f = user;
    (void)apdu;
    (void)len;
    if (f->left < 3) return 2;
    uint8_t status = f->p[0];
    size_t n = (size_t)f->p[1] << 8 | f->p[2];
    f->p += 3;
    f->left -= 3;
    if (n > f->left) n = f->left;
    memset(&f->res, 0, sizeof f->res);
    f->res.done = 1;
    f->res.status = status ? DS_ASSOC_ERROR_ANSWER : DS_ASSOC_OK;
    f->res.result = status;
    f->res.answer = f->p;
    f->res.answer_len = n;
    f->p += n;
    f->left -= n;
    *res = &f->res;
    return 0;
}

static void pause_ms(void *user, unsigned ms)
{
    (void)user;
    (void)ms;
}

static void say(void *user, const char *line)
{
    (void)user;
    (void)line;
}

static int reconnect(void *user)
{
    feed *f = user;
    return f->reconnect_works ? 0 : 2;
}

static char PATH[64];

static void remove_file(void) { unlink(PATH); }

static void image_file(void)
{
    if (PATH[0]) return;
    snprintf(PATH, sizeof PATH, "/tmp/fuzz_image.%ld.bin", (long)getpid());
    atexit(remove_file);
    FILE *out = fopen(PATH, "wb");
    if (!out) return;
    for (int i = 0; i < 1000; i++) fputc((i * 7) % 251, out);
    fclose(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    image_file();
    ds_run_image im;
    memset(&im, 0, sizeof im);
    snprintf(im.file, sizeof im.file, "%s", PATH);
    memcpy(im.identifier, "fw-2.0", 6);
    im.identifier_len = 6;
    const uint8_t ln[6] = {0, 0, 44, 0, 0, 255};
    memcpy(im.obis, ln, 6);
    im.verify = data[0] & 1;
    im.activate = (data[0] >> 1) & 1;
    im.resume = (data[0] >> 2) & 1;
    im.reconnect = (data[0] >> 3) & 1;
    if (data[0] & 0x10) {
        im.has_signature = 1;
        memcpy(im.signature, "\xA1\xB2\xC3", 3);
        im.signature_len = 3;
    }
    feed f = {data + 1, size - 1, (data[0] >> 5) & 1, {0}};
    image_io io = {&f, call, pause_ms, say, 1024, NULL, 0, 3, 20, 0, reconnect};
    image_transfer(&io, &im);
    return 0;
}
