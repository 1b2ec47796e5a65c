/* Frames with good checks, told at a glance: an HDLC frame with a good FCS, a wired M-Bus long
 * frame with a good checksum and stop byte, an IEC 62056-21 telegram with a good BCC. Used
 * where the question is only whether bytes hold real frames (the serial-settings inference,
 * the port probe); the framer reads frames in full. */
#ifndef DS_LINK_CHECKED_H
#define DS_LINK_CHECKED_H

#include <stddef.h>
#include <stdint.h>

/* The length of a checked frame starting at s (flags included for HDLC), or 0. */
size_t ds_checked_frame_at(const uint8_t *s, size_t avail);

/* Checked frames in p[0..n): how many, and how many bytes they hold. */
size_t ds_checked_frames(const uint8_t *p, size_t n, size_t *bytes);

#endif
