/* serve_files.c — files through the server: /view and /upload/image confined to
 * the output, input and temp folders (no absolute names, no "..", no symbolic link
 * leading out: the real path must stay under the folder's real path), the
 * frontend's static files, and folder listings for /object_info's file combos. */
#include "serve_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libwebsockets.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *hs_srv_folder(const hs_server *s, const char *type)
{
    if (!type || !*type || !strcmp(type, "output"))
        return s->output;
    if (!strcmp(type, "input"))
        return s->input;
    if (!strcmp(type, "temp"))
        return s->temp;
    return NULL;
}

static int bad_component(const char *s, int allow_slash)
{
    if (*s == '/')
        return 1;
    for (const char *p = s; *p; p++)
        if (*p == '\\' || (*p == '/' && !allow_slash))
            return 1;
    for (const char *p = s; (p = strstr(p, "..")); p += 2)
        if ((p == s || p[-1] == '/') && (p[2] == 0 || p[2] == '/'))
            return 1;
    return 0;
}

/* Is real (resolved) inside base (resolved)? */
static int inside(const char *base, const char *real)
{
    size_t n = strlen(base);
    return !strncmp(base, real, n) && (real[n] == '/' || real[n] == 0);
}

int hs_confined_path(const char *base, const char *subfolder, const char *name, char *out, size_t size)
{
    if (!base || !base[0] || bad_component(subfolder, 1) || bad_component(name, 0))
        return -1;
    char joined[PATH_MAX + 512], real[PATH_MAX];
    if (snprintf(joined, sizeof joined, "%s/%s%s%s", base, subfolder, *subfolder ? "/" : "", name) >= (int)sizeof joined)
        return -1;
    if (!realpath(joined, real) || !inside(base, real))
        return -1;
    snprintf(out, size, "%s", real);
    return 0;
}

int hs_view(hs_conn *c)
{
    char name[512] = "", sub[512] = "", type[32] = "output", path[PATH_MAX];
    struct stat st;
    if (hs_http_arg(c, "filename", name, sizeof name) || !name[0])
        return hs_http_error(c, 400, "invalid_request", "view needs a filename");
    hs_http_arg(c, "subfolder", sub, sizeof sub);
    hs_http_arg(c, "type", type, sizeof type);
    const char *base = hs_srv_folder(c->srv, type);
    if (!base)
        return hs_http_error(c, 400, "invalid_request", "type must be output, input or temp");
    if (bad_component(sub, 1) || bad_component(name, 0))
        return hs_http_error(c, 403, "forbidden", "the file name leaves its folder");
    if (hs_confined_path(base, sub, name, path, sizeof path) || stat(path, &st) || !S_ISREG(st.st_mode))
        return hs_http_error(c, 404, "not_found", "no such file");
    return hs_http_file(c, path);
}

int hs_static(hs_conn *c)
{
    hs_server *s = c->srv;
    if (!s->front[0])
        return hs_http_error(c, 404, "not_found", "no such endpoint (no --front-end-root given)");
    const char *p = c->path;
    while (*p == '/')
        p++;
    char rel[512], path[PATH_MAX];
    struct stat st;
    snprintf(rel, sizeof rel, "%s", *p ? p : "index.html");
    const char *slash = strrchr(rel, '/');
    char sub[512] = "";
    const char *name = rel;
    if (slash) {
        snprintf(sub, sizeof sub, "%.*s", (int)(slash - rel), rel);
        name = slash + 1;
    }
    if (!*name)
        name = "index.html";
    if (hs_confined_path(s->front, sub, name, path, sizeof path) || stat(path, &st))
        return hs_http_error(c, 404, "not_found", "no such file");
    if (S_ISDIR(st.st_mode)) {
        strncat(path, "/index.html", sizeof path - strlen(path) - 1);
        if (stat(path, &st))
            return hs_http_error(c, 404, "not_found", "no such file");
    }
    if (!S_ISREG(st.st_mode))
        return hs_http_error(c, 404, "not_found", "no such file");
    return hs_http_file(c, path);
}

/* "name.png" taken: "name (1).png", as ComfyUI numbers uploads. */
static void numbered(const char *name, int k, char *out, size_t size)
{
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name)
        snprintf(out, size, "%s (%d)", name, k);
    else
        snprintf(out, size, "%.*s (%d)%s", (int)(dot - name), name, k, dot);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Creates base/sub level by level: each level is resolved and must lie inside base
 * before the next is made in it, so a symbolic link never gets a folder made outside. */
static int make_sub(const char *base, const char *sub, char *dir, size_t size)
{
    char cur[PATH_MAX], next[PATH_MAX + 300], real[PATH_MAX];
    snprintf(cur, sizeof cur, "%s", base);
    for (const char *p = sub; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n) {
            snprintf(next, sizeof next, "%s/%.*s", cur, (int)n, p);
            if (mkdir(next, 0755) && errno != EEXIST)
                return -1;
            if (!realpath(next, real) || !inside(base, real))
                return -1;
            snprintf(cur, sizeof cur, "%s", real);
        }
        p += n + (e ? 1 : 0);
    }
    snprintf(dir, size, "%s", cur);
    return 0;
}

int hs_upload(hs_conn *c)
{
    if (!c->spa || !c->file_seen)
        return hs_http_error(c, 400, "invalid_request", "upload/image needs a file in the form field 'image'");
    const char *sub = lws_spa_get_string(c->spa, 2), *type = lws_spa_get_string(c->spa, 3),
               *ow = lws_spa_get_string(c->spa, 1);
    sub = sub ? sub : "";
    type = type && *type ? type : "input";
    int overwrite = ow && (!strcmp(ow, "true") || !strcmp(ow, "1"));
    const char *base = hs_srv_folder(c->srv, type);
    const char *name = c->file_name;
    char dir[PATH_MAX], path[PATH_MAX + 300], final_name[300];
    if (!base)
        return hs_http_error(c, 400, "invalid_request", "type must be input, output or temp");
    if (!*name || bad_component(name, 0) || bad_component(sub, 1) || !strcmp(name, ".") || name[0] == '.')
        return hs_http_error(c, 400, "invalid_request", "the file name or subfolder leaves the folder");
    if (make_sub(base, sub, dir, sizeof dir))
        return hs_http_error(c, 400, "invalid_request", "the subfolder leaves the folder");
    int fd = -1;
    snprintf(final_name, sizeof final_name, "%s", name);
    if (overwrite) {
        /* temp file + rename: a symbolic link at the name is replaced, never followed */
        char tmp[PATH_MAX + 320];
        snprintf(tmp, sizeof tmp, "%s/.upload-%llx.tmp", dir, (unsigned long long)uv_hrtime());
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
        snprintf(path, sizeof path, "%s/%s", dir, final_name);
        if (fd < 0 || write_all(fd, c->file, c->file_len) || close(fd) || rename(tmp, path)) {
            if (fd >= 0)
                unlink(tmp);
            return hs_http_error(c, 500, "server_error", "cannot write the upload");
        }
    } else {
        for (int k = 1; k < 10000; k++) {
            snprintf(path, sizeof path, "%s/%s", dir, final_name);
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
            if (fd >= 0 || errno != EEXIST)
                break;
            numbered(name, k, final_name, sizeof final_name);
        }
        if (fd < 0 || write_all(fd, c->file, c->file_len) || close(fd)) {
            if (fd >= 0)
                unlink(path);
            return hs_http_error(c, 500, "server_error", "cannot write the upload");
        }
    }
    json_object *r = json_object_new_object();
    json_object_object_add(r, "name", json_object_new_string(final_name));
    json_object_object_add(r, "subfolder", json_object_new_string(sub));
    json_object_object_add(r, "type", json_object_new_string(type));
    return hs_http_json(c, 200, r);
}

static void list_into(json_object *arr, const char *dir, const char *prefix, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d)) && json_object_array_length(arr) < 20000;) {
        if (e->d_name[0] == '.')
            continue;
        char path[PATH_MAX + 300], rel[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(rel, sizeof rel, "%s%s", prefix, e->d_name);
        if (stat(path, &st))
            continue;
        if (S_ISREG(st.st_mode))
            json_object_array_add(arr, json_object_new_string(rel));
        else if (S_ISDIR(st.st_mode) && depth > 0) {
            strncat(rel, "/", sizeof rel - strlen(rel) - 1);
            list_into(arr, path, rel, depth - 1);
        }
    }
    closedir(d);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(json_object_get_string(*(json_object *const *)a), json_object_get_string(*(json_object *const *)b));
}

json_object *hs_folder_list(const char *dir, int recursive)
{
    json_object *arr = json_object_new_array();
    list_into(arr, dir, "", recursive ? 4 : 0);
    json_object_array_sort(arr, by_name);
    return arr;
}
