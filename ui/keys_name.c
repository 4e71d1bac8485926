/* keys_name.c: names of keys, both ways ("C-a" <-> 1, "F5" <-> KEYS_F(5)),
 * for the help screen and for rebinding keys in the config. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keys.h"
#include "uwidth.h"

/* Keys with a name of their own. */
static const struct {
    int key;          /* the key */
    const char *name; /* its name */
} named[] = {
    { KEYS_UP, "Up" },
    { KEYS_DOWN, "Down" },
    { KEYS_LEFT, "Left" },
    { KEYS_RIGHT, "Right" },
    { KEYS_HOME, "Home" },
    { KEYS_END, "End" },
    { KEYS_PGUP, "PgUp" },
    { KEYS_PGDN, "PgDn" },
    { KEYS_INSERT, "Insert" },
    { KEYS_DELETE, "Delete" },
    { KEYS_BACKSPACE, "Backspace" },
    { KEYS_BTAB, "S-Tab" },
    { KEYS_ESC, "Esc" },
    { KEYS_WHEEL_UP, "WheelUp" },
    { KEYS_WHEEL_DOWN, "WheelDown" },
    { KEYS_ENTER, "Enter" },
    { '\t', "Tab" },
    { ' ', "Space" },
    { 0x7f, "Backspace" },
};

const char *
keys_name(int key, char *buf, size_t bufsz)
{
    const char *meta = (key & KEYS_META) ? "M-" : "";
    int k = key & ~KEYS_META;
    size_t i;

    for (i = 0; i < sizeof named / sizeof named[0]; i++) {
        if (named[i].key == k) {
            snprintf(buf, bufsz, "%s%s", meta, named[i].name);
            return buf;
        }
    }
    if (k > KEYS_F0 && k <= KEYS_F(24)) {
        snprintf(buf, bufsz, "%sF%d", meta, k - KEYS_F0);
    } else if (k >= 0 && k < 0x20) {
        snprintf(buf, bufsz, "%sC-%c", meta, k == 0 ? '@' : k + 'a' - 1 <= 'z' ? k + 'a' - 1 : k + 0x40);
    } else if (k > 0x20 && k < KEYS_SPECIAL && !(k >= 0x7f && k <= 0x9f)) {
        char u[8];
        size_t n = uwidth_encode((uint32_t)k, u);

        snprintf(buf, bufsz, "%s%.*s", meta, (int)n, u);
    } else {
        snprintf(buf, bufsz, "%s<%d>", meta, k);
    }
    return buf;
}

int
keys_parse(const char *name)
{
    int meta = 0, ctrl = 0;
    size_t i, len;
    uint32_t cp;

    if (name == NULL || *name == '\0')
        return -1;
    for (;;) {
        if (name[1] == '-' && name[2] != '\0' && (name[0] == 'M' || name[0] == 'm' || name[0] == 'A' || name[0] == 'a')) {
            meta = 1;
            name += 2;
        } else if (strncasecmp(name, "Alt-", 4) == 0 && name[4] != '\0') {
            meta = 1;
            name += 4;
        } else if (name[1] == '-' && name[2] != '\0' && (name[0] == 'C' || name[0] == 'c')) {
            ctrl = 1;
            name += 2;
        } else if (strncasecmp(name, "Ctrl-", 5) == 0 && name[5] != '\0') {
            ctrl = 1;
            name += 5;
        } else if (name[0] == '^' && name[1] != '\0' && name[2] == '\0') {
            ctrl = 1;
            name += 1;
        } else {
            break;
        }
    }
    len = strlen(name);
    if (ctrl) {
        int c = (unsigned char)name[0];

        if (len != 1)
            return -1;
        if (c >= 'A' && c <= 'Z')
            c += 'a' - 'A';
        if (c == '@' || c == ' ')
            return meta ? KEYS_META : 0;
        if ((c >= 'a' && c <= 'z') || (c >= '[' && c <= '_'))
            return KEYS_CTRL(c) | (meta ? KEYS_META : 0);
        return -1;
    }
    for (i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strcasecmp(name, named[i].name) == 0)
            return named[i].key | (meta ? KEYS_META : 0);
    if (strcasecmp(name, "Return") == 0)
        return KEYS_ENTER | (meta ? KEYS_META : 0);
    if (strcasecmp(name, "PageUp") == 0)
        return KEYS_PGUP | (meta ? KEYS_META : 0);
    if (strcasecmp(name, "PageDown") == 0)
        return KEYS_PGDN | (meta ? KEYS_META : 0);
    if ((name[0] == 'F' || name[0] == 'f') && len >= 2 && len <= 3) {
        char *end;
        long f = strtol(name + 1, &end, 10);

        if (*end == '\0' && f >= 1 && f <= 24)
            return KEYS_F((int)f) | (meta ? KEYS_META : 0);
    }
    if (uwidth_decode(name, len, &cp) == len && cp > 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f)
        && cp != UWIDTH_REPLACEMENT)
        return (int)cp | (meta ? KEYS_META : 0);
    return -1;
}
