/* ui_act.h: the handlers of the actions in keys_table (ui_act.c). Each
 * takes the screen and the argument of the slash command (NULL when none
 * or when run from a key) and returns 0, or -1 after showing why not. */
#ifndef TERNCHAT_UI_ACT_H
#define TERNCHAT_UI_ACT_H

struct ui;

int ui_act_help(struct ui *u, const char *arg);
int ui_act_quit(struct ui *u, const char *arg);
int ui_act_cancel(struct ui *u, const char *arg);
int ui_act_sidebar(struct ui *u, const char *arg);
int ui_act_search(struct ui *u, const char *arg);
int ui_act_quant(struct ui *u, const char *arg);
int ui_act_regen(struct ui *u, const char *arg);
int ui_act_stats(struct ui *u, const char *arg);
int ui_act_spec(struct ui *u, const char *arg);
int ui_act_new(struct ui *u, const char *arg);
int ui_act_export(struct ui *u, const char *arg);
int ui_act_draft(struct ui *u, const char *arg);
int ui_act_temp(struct ui *u, const char *arg);
int ui_act_set(struct ui *u, const char *arg);
int ui_act_system(struct ui *u, const char *arg);
int ui_act_rename(struct ui *u, const char *arg);
int ui_act_delete(struct ui *u, const char *arg);
int ui_act_edit(struct ui *u, const char *arg);
int ui_act_editor(struct ui *u, const char *arg);
int ui_act_copy(struct ui *u, const char *arg);
int ui_act_prev(struct ui *u, const char *arg);
int ui_act_next(struct ui *u, const char *arg);
int ui_act_open(struct ui *u, const char *arg);
int ui_act_redraw(struct ui *u, const char *arg);
int ui_act_page_up(struct ui *u, const char *arg);
int ui_act_page_down(struct ui *u, const char *arg);
int ui_act_line_up(struct ui *u, const char *arg);
int ui_act_line_down(struct ui *u, const char *arg);
int ui_act_top(struct ui *u, const char *arg);
int ui_act_bottom(struct ui *u, const char *arg);
int ui_act_browse(struct ui *u, const char *arg);
int ui_act_statscreen(struct ui *u, const char *arg);
int ui_act_continue(struct ui *u, const char *arg);
int ui_act_marks(struct ui *u, const char *arg);

#endif
