/* json.h: a small JSON (RFC 8259) writer and parser, used to export and
 * import conversations. The writer builds text in memory; the parser builds
 * a read-only tree of values. Both work on UTF-8. */
#ifndef TERNCHAT_JSON_H
#define TERNCHAT_JSON_H

#include <stddef.h>
#include <stdint.h>

/* ---- writer ---- */

typedef struct json_writer json_writer;

/* pretty: nonzero for newlines and two-space indentation. */
json_writer *json_writer_new(int pretty);
void json_writer_free(json_writer *w);
/* Containers. Inside an object, each value is preceded by json_key. */
void json_begin_object(json_writer *w);
void json_end_object(json_writer *w);
void json_begin_array(json_writer *w);
void json_end_array(json_writer *w);
void json_key(json_writer *w, const char *key);
/* Values. Strings are UTF-8; bytes that are not valid UTF-8 are written as
 * U+FFFD, control characters (C0 and C1) as escapes. A non-finite double is
 * null. */
void json_string(json_writer *w, const char *s);
void json_string_n(json_writer *w, const char *s, size_t n);
void json_int(json_writer *w, int64_t v);
void json_double(json_writer *w, double v);
void json_bool(json_writer *w, int v);
void json_null(json_writer *w);
/* The text so far (NUL-terminated; valid until the next call). */
const char *json_writer_text(const json_writer *w, size_t *len);
/* Take the text (caller frees) and free the writer. */
char *json_writer_finish(json_writer *w, size_t *len);

/* ---- parser ---- */

typedef enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_type;

typedef struct json_value json_value;

/* Parse exactly one JSON value (surrounding whitespace allowed). Returns
 * NULL with "line L, column C: problem" in err on invalid input, nesting
 * deeper than 200 or memory exhaustion. */
json_value *json_parse(const char *text, size_t len, char *err, size_t errsz);
void json_free(json_value *v);

json_type json_typeof(const json_value *v);
/* Name of a type ("string", "object", ...), for messages. */
const char *json_type_name(json_type t);
/* Elements of an array or members of an object (0 for other types). */
size_t json_len(const json_value *v);
/* The i-th element of an array or value of an object member (NULL when
 * out of range or not a container). */
const json_value *json_at(const json_value *v, size_t i);
/* The i-th member name of an object (NULL otherwise). */
const char *json_key_at(const json_value *v, size_t i);
/* The value of member key of an object (the first one when repeated);
 * NULL when v is not an object or has no such member. */
const json_value *json_get(const json_value *v, const char *key);
/* A string's bytes (NUL-terminated; len gets the length, which may count
 * embedded NULs from \u0000). NULL when v is not a string. */
const char *json_str(const json_value *v, size_t *len);
/* A boolean's value; 0 for other types. */
int json_bool_value(const json_value *v);
/* A number's value; 0 for other types. */
double json_number(const json_value *v);
/* A number written as an integer that fits int64_t: 0 and *out set;
 * -1 otherwise. */
int json_int64(const json_value *v, int64_t *out);
/* Write a parsed value (and everything in it) with a writer. */
void json_write_value(json_writer *w, const json_value *v);

#endif
