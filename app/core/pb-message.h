/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The preview of one message, from its headers. All strings are valid UTF-8
 * (decoded from RFC 2047 words, Japanese and other charsets, or raw 8-bit
 * bytes); absent headers are NULL, never invalid text. */
typedef struct
{
  char      *uidl;         /* may be NULL when the server has no UIDL */
  char      *from;         /* "Name <address>", or the address alone */
  char      *from_name;    /* the display name, or NULL */
  char      *from_address; /* addr-spec, or NULL */
  char      *subject;
  GDateTime *date;         /* NULL when missing or unparsable */
  char      *message_id;   /* without angle brackets */
} PbMessage;

#define PB_TYPE_MESSAGE (pb_message_get_type ())
GType      pb_message_get_type          (void) G_GNUC_CONST;

PbMessage *pb_message_new               (void);
/* Parses a header block (as returned by TOP n 0: headers, CRLF or LF line
 * ends, optionally followed by an empty line). Never fails. */
PbMessage *pb_message_new_from_headers  (const char      *uidl,
                                         const char      *data,
                                         gsize            len);
PbMessage *pb_message_copy              (const PbMessage *message);
void       pb_message_free              (PbMessage       *message);
/* The name if there is one, else the address, else "" — for titles. */
const char *pb_message_get_sender       (const PbMessage *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PbMessage, pb_message_free)

G_END_DECLS
