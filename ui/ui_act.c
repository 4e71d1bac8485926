/* ui_act.c: what each action of keys_table does. Most turn into a
 * request to the controller; the screen's own ones (help, panels,
 * scrolling, copy, $EDITOR) are done here. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clip.h"
#include "editor.h"
#include "qtype.h"
#include "spec.h"
#include "ui_act.h"
#include "ui_int.h"
#include "xmalloc.h"

static int
req(ui *u, int type, const char *text)
{
    ui_request r;

    memset(&r, 0, sizeof r);
    r.type = type;
    r.text = text;
    return ui_request_send(u, &r);
}

static int
fail(ui *u, const char *msg)
{
    ui_note(u, 1, msg);
    return -1;
}

int
ui_act_help(ui *u, const char *arg)
{
    const keys_action *a;
    char keys[128], *msg;

    if (arg == NULL) {
        u->help = 1;
        u->help_top = 0;
        return 0;
    }
    if (arg[0] == '/')
        arg++;
    a = keys_find_slash(arg, strlen(arg));
    if (a == NULL)
        a = keys_find(arg);
    if (a == NULL)
        return fail(u, "no such command (/help lists them all)");
    keys_map_describe(u->keys, a, keys, sizeof keys);
    msg = xasprintf("/%s%s%s: %s%s%s", a->slash, a->arg_name[0] ? " " : "", a->arg_name, a->help,
                    keys[0] ? "; keys: " : "", keys);
    ui_note(u, 0, msg);
    free(msg);
    return 0;
}

int
ui_act_quit(ui *u, const char *arg)
{
    (void)arg;
    req(u, UI_REQ_QUIT, NULL);
    u->quit = 1;
    return 0;
}

int
ui_act_cancel(ui *u, const char *arg)
{
    size_t len;

    (void)arg;
    input_text(u->input, &len);
    if (u->busy)
        return req(u, UI_REQ_CANCEL, NULL);
    if (u->editing) {
        u->editing = 0;
        input_set(u->input, "", 0);
        ui_note(u, 0, "edit cancelled");
    } else if (len > 0) {
        input_set(u->input, "", 0);
    } else if (u->hits_for != NULL) {
        ui_drop_hits(u);
    }
    return 0;
}

int
ui_act_sidebar(ui *u, const char *arg)
{
    (void)arg;
    u->sidebar = !u->sidebar;
    return 0;
}

int
ui_act_stats(ui *u, const char *arg)
{
    (void)arg;
    u->stats_on = !u->stats_on;
    return 0;
}

int
ui_act_search(ui *u, const char *arg)
{
    ui_request r;

    if (arg == NULL) {
        input_set(u->input, "/search ", 8);
        ui_note(u, 0, "type what to look for (re:PATTERN for a regular expression) and press Enter");
        return 0;
    }
    memset(&r, 0, sizeof r);
    r.type = UI_REQ_SEARCH;
    r.text = arg;
    if (strncmp(arg, "re:", 3) == 0) {
        r.text = arg + 3;
        r.value = 1;
    }
    return ui_request_send(u, &r);
}

int
ui_act_quant(ui *u, const char *arg)
{
    ui_request r;

    memset(&r, 0, sizeof r);
    r.type = UI_REQ_QUANT;
    r.value = -1;
    if (arg != NULL && (r.value = qtype_from_name(arg)) < 0) {
        char *m = xasprintf("unknown weight type '%s' (f32 f16 q8_0 q4_0 tq2_0 tq1_0)", arg);

        ui_note(u, 1, m);
        free(m);
        return -1;
    }
    return ui_request_send(u, &r);
}

/* Change a setting: validate, ask the controller, then remember it. */
static int
set_setting(ui *u, const char *key, const char *value)
{
    conf *scratch = conf_new();
    char err[256], *m;
    ui_request r;
    int rc;

    rc = conf_set(scratch, key, value, err, sizeof err);
    conf_free(scratch);
    if (rc < 0)
        return fail(u, err);
    memset(&r, 0, sizeof r);
    r.type = UI_REQ_SET;
    r.key = key;
    r.text = value;
    if (ui_request_send(u, &r) < 0)
        return -1;
    conf_set(u->settings, key, value, err, sizeof err);
    m = xasprintf("%s = %s", key, value);
    ui_note(u, 0, m);
    free(m);
    return 0;
}

int
ui_act_spec(ui *u, const char *arg)
{
    if (arg == NULL)
        arg = u->settings->spec == SPEC_OFF ? "on" : "off";
    return set_setting(u, "spec", arg);
}

int
ui_act_draft(ui *u, const char *arg)
{
    return set_setting(u, "draft_max", arg);
}

int
ui_act_temp(ui *u, const char *arg)
{
    return set_setting(u, "temp", arg);
}

int
ui_act_set(ui *u, const char *arg)
{
    size_t kl = strcspn(arg, " \t");
    char *key = xstrndup(arg, kl), buf[256];
    const char *v = arg + kl;
    int rc = 0;

    while (*v == ' ' || *v == '\t')
        v++;
    if (*v != '\0') {
        rc = set_setting(u, key, v);
    } else if (conf_get(u->settings, key, buf, sizeof buf) != NULL) {
        char *m = xasprintf("%s = %s", key, buf);

        ui_note(u, 0, m);
        free(m);
    } else {
        rc = fail(u, "unknown setting (Tab after /set lists them)");
    }
    free(key);
    return rc;
}

int
ui_act_regen(ui *u, const char *arg)
{
    size_t lu = ui_last_role(u, UI_USER), n = view_count(u->view);
    size_t keep_n = 0;
    char **keep;
    int *roles, rc;

    (void)arg;
    if (ui_refuse_readonly(u))
        return -1;
    if (u->busy)
        return fail(u, "a reply is being written: stop it first (C-c)");
    if (lu == n)
        return fail(u, "there is no prompt to answer again");
    /* drop the old reply, keeping it to put back if the request fails */
    keep = xcalloc(n - lu, sizeof *keep);
    roles = xcalloc(n - lu, sizeof *roles);
    for (size_t i = lu + 1; i < n; i++) {
        keep[keep_n] = xstrdup(view_msg_text(u->view, i, NULL));
        roles[keep_n++] = view_msg_role(u->view, i);
    }
    view_truncate(u->view, lu + 1);
    view_end(u->view);
    rc = req(u, UI_REQ_REGEN, NULL);
    for (size_t i = 0; i < keep_n; i++) {
        if (rc < 0)
            view_add(u->view, roles[i], keep[i], strlen(keep[i]));
        free(keep[i]);
    }
    free(keep);
    free(roles);
    return rc;
}

int
ui_act_new(ui *u, const char *arg)
{
    (void)arg;
    u->editing = 0;
    if (req(u, UI_REQ_NEW, NULL) < 0)
        return -1;
    u->readonly = 0;
    return 0;
}

int
ui_act_export(ui *u, const char *arg)
{
    return req(u, UI_REQ_EXPORT, arg);
}

int
ui_act_system(ui *u, const char *arg)
{
    if (arg == NULL) {
        if (u->system == NULL)
            ui_note(u, 0, "no system prompt (/system TEXT sets one)");
        else
            view_add(u->view, UI_SYSTEM, u->system, strlen(u->system));
        return 0;
    }
    if (ui_refuse_readonly(u))
        return -1;
    if (strcmp(arg, "-") == 0)
        arg = "";
    if (req(u, UI_REQ_SYSTEM, arg) < 0)
        return -1;
    ui_set_system(u, arg);
    ui_note(u, 0, *arg ? "system prompt set" : "system prompt removed");
    return 0;
}

int
ui_act_rename(ui *u, const char *arg)
{
    if (ui_refuse_readonly(u))
        return -1;
    return req(u, UI_REQ_RENAME, arg);
}

int
ui_act_delete(ui *u, const char *arg)
{
    if (ui_refuse_readonly(u))
        return -1;
    if (arg != NULL && strcmp(arg, "yes") == 0)
        return req(u, UI_REQ_DELETE, NULL);
    u->confirm = keys_find("delete");
    free(u->confirm_q);
    u->confirm_q = xstrdup("Delete this conversation? (y/n)");
    return 0;
}

int
ui_act_edit(ui *u, const char *arg)
{
    size_t lu = ui_last_role(u, UI_USER), n = view_count(u->view), len, k = 0, total = 0;
    const char *t;
    char *m;

    (void)arg;
    if (ui_refuse_readonly(u))
        return -1;
    if (u->busy)
        return fail(u, "a reply is being written: stop it first (C-c)");
    if (lu == n)
        return fail(u, "there is no prompt to edit");
    if (u->editing && u->edit_at < n) {
        /* pressed again: the prompt before the one being edited */
        size_t i = u->edit_at;

        while (i > 0 && view_msg_role(u->view, i - 1) != UI_USER)
            i--;
        if (i > 0)
            lu = i - 1;
        else
            lu = u->edit_at; /* already the first: stay */
    }
    for (size_t i = 0; i < n; i++) {
        if (view_msg_role(u->view, i) != UI_USER)
            continue;
        total++;
        if (i <= lu)
            k++;
    }
    t = view_msg_text(u->view, lu, &len);
    input_set(u->input, t, len);
    u->editing = 1;
    u->edit_at = lu;
    view_show_msg(u->view, lu);
    m = xasprintf("editing prompt %zu of %zu: Enter sends it again (what followed stays saved as "
                  "the old branch), M-e goes back one, Esc cancels", k, total);
    ui_note(u, 0, m);
    free(m);
    return 0;
}

/* ui_act_editor's work while the terminal is the editor's. */
struct edit_job {
    ui *u;          /* the screen */
    char *out;      /* the edited text */
    char err[256];  /* why not */
};

static int
edit_run(void *arg)
{
    struct edit_job *j = arg;
    size_t len;
    const char *t = input_text(j->u->input, &len);

    return editor_edit(j->u->settings->editor, t, len, &j->out, j->err, sizeof j->err);
}

int
ui_act_editor(ui *u, const char *arg)
{
    struct edit_job j;

    (void)arg;
    memset(&j, 0, sizeof j);
    j.u = u;
    if (ui_term_suspend(u, edit_run, &j) < 0) {
        free(j.out);
        return fail(u, j.err[0] ? j.err : "cannot run the editor here");
    }
    input_set(u->input, j.out, strlen(j.out));
    free(j.out);
    ui_note(u, 0, "Enter sends the text from the editor");
    return 0;
}

/* The body of the last fenced code block of a Markdown text, or NULL. */
static char *
last_code_block(const char *s)
{
    const char *p = s, *best = NULL, *best_end = NULL;

    while ((p = strstr(p, "```")) != NULL) {
        const char *body = strchr(p, '\n'), *end;

        if (body == NULL)
            break;
        body++;
        end = strstr(body, "```");
        best = body;
        best_end = end != NULL ? end : body + strlen(body);
        if (end == NULL)
            break;
        p = end + 3;
        while (*p && *p != '\n')
            p++;
    }
    if (best == NULL)
        return NULL;
    while (best_end > best && best_end[-1] != '\n')
        best_end--; /* the closing fence's indentation */
    return xstrndup(best, (size_t)(best_end - best));
}

int
ui_act_copy(ui *u, const char *arg)
{
    size_t la = ui_last_role(u, UI_ASSISTANT), len;
    char *text, *m;

    if (la == view_count(u->view))
        return fail(u, "there is no reply to copy");
    if (arg != NULL && strcmp(arg, "code") == 0) {
        if ((text = last_code_block(view_msg_text(u->view, la, NULL))) == NULL)
            return fail(u, "the last reply has no code block");
    } else if (arg != NULL) {
        return fail(u, "/copy takes no argument or 'code'");
    } else {
        text = xstrdup(view_msg_text(u->view, la, &len));
    }
    if (u->settings->copy_command != NULL) {
        char err[256];

        if (clip_run(u->settings->copy_command, text, strlen(text), err, sizeof err) < 0) {
            free(text);
            return fail(u, err);
        }
        m = xasprintf("copied %zu bytes with the copy_command", strlen(text));
    } else {
        ui_term_clipboard(text, strlen(text));
        m = xasprintf("copied %zu bytes to the clipboard (if the terminal allows OSC 52)", strlen(text));
    }
    ui_note(u, 0, m);
    free(m);
    free(text);
    return 0;
}

int
ui_act_browse(ui *u, const char *arg)
{
    ui_request r;

    (void)arg;
    memset(&r, 0, sizeof r);
    r.type = UI_REQ_BROWSE;
    return ui_request_send(u, &r);
}

int
ui_act_statscreen(ui *u, const char *arg)
{
    (void)arg;
    return req(u, UI_REQ_STATS, NULL);
}

int
ui_act_continue(ui *u, const char *arg)
{
    (void)arg;
    if (!u->readonly)
        return fail(u, "this conversation is not read-only");
    u->readonly = 0;
    ui_note(u, 0, "you can chat in this conversation again");
    return 0;
}

int
ui_act_marks(ui *u, const char *arg)
{
    (void)arg;
    u->marks = !u->marks;
    ui_note(u, 0, u->marks ? "text the draft model got right is shown in its own colour"
                           : "draft marking off");
    return 0;
}
