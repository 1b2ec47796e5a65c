/* libdlmscope: DLMS/COSEM frame translator and protocol analyzer. */
#ifndef DLMSCOPE_H
#define DLMSCOPE_H

#define DLMSCOPE_VERSION "0.1.0"

#include "dlmscope/diag.h"
#include "dlmscope/input.h"
#include "dlmscope/frame.h"
#include "dlmscope/sink.h"
#include "dlmscope/decoder.h"
#include "dlmscope/encoder.h"
#include "dlmscope/keys.h"
#include "dlmscope/value.h"
#include "dlmscope/cipher.h"
#include "dlmscope/hls.h"
#include "dlmscope/capture.h"
#include "dlmscope/serial.h"
#include "dlmscope/diagnose.h"
#include "dlmscope/serial_infer.h"
#include "dlmscope/conn.h"
#include "dlmscope/transport.h"
#include "dlmscope/assoc.h"
#include "dlmscope/run.h"
#include "dlmscope/meter.h"

const char *ds_version(void);

#endif
