/* prompt_source.c — UI workflow detection and conversion in front of the
 * API-prompt parser. */
#include "prompt_source.h"
#include "graph.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_text(const char *s, size_t len)
{
    char *r = malloc(len + 1);
    if (r) {
        memcpy(r, s, len);
        r[len] = 0;
    }
    return r;
}

char *hs_prompt_text(const char *text, size_t len, const hs_convert_opts *o, int pretty, int *was_ui, char *err,
                     size_t err_size)
{
    *was_ui = 0;
    const hs_folders *f = o->folders;
    int use_folders = f && (f->models || f->input || f->output);
    json_tokener *tok = json_tokener_new_ex(64);
    json_object *root = tok ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
    int ok = root && json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    if (!ok || !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return dup_text(text, len);
    }
    json_object *prompt = NULL, *env;
    if (hs_is_ui_workflow(root)) {
        *was_ui = 1;
        prompt = hs_ui_to_prompt(root, o, err, err_size);
        json_object_put(root);
        if (!prompt)
            return NULL;
    } else if (o->n_bypass || pretty || use_folders) {
        prompt = root;
    } else {
        json_object_put(root);
        return dup_text(text, len);
    }
    /* a POST /prompt envelope keeps its prompt_id: bypass inside it */
    json_object *target = prompt;
    if (!*was_ui && json_object_object_get_ex(prompt, "prompt", &env) && json_object_is_type(env, json_type_object))
        target = env;
    hs_prompt_bypass(target, o);
    if (use_folders)
        hs_resolve_folders(target, o->types, o->n_types, f, o->folder_errors);
    int flags = (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN) |
                JSON_C_TO_STRING_NOSLASHESCAPE;
    const char *s = json_object_to_json_string_ext(prompt, flags);
    char *r = s ? dup_text(s, strlen(s)) : NULL;
    json_object_put(prompt);
    if (!r)
        snprintf(err, err_size, "out of memory");
    return r;
}
