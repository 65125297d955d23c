/* Sharded checkpoints through *.safetensors.index.json (and a folder holding one),
 * and one shared mapping when the same file is opened twice, also from threads
 * and through another path (a symlink: same device and inode). */
#include <pthread.h>
#include <unistd.h>
#include "st_test_util.h"
#include "store/store.h"

static void path_in(char *out, size_t n, const char *dir, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

typedef struct open_job {
    ltx2_store *s;
    const char *path;
    const void *map;
    ltx2_status st;
} open_job;

static void *open_thread(void *arg)
{
    open_job *j = arg;
    ltx2_checkpoint *c = NULL;
    ltx2_error err;
    j->st = ltx2_checkpoint_open(j->s, j->path, &c, &err);
    if (j->st == LTX2_OK) {
        j->map = ltx2_checkpoint_mapping(c, 0, NULL);
        ltx2_checkpoint_release(c);
    }
    return NULL;
}

int main(void)
{
    st_test T = {0};
    char dir[] = "/tmp/ltx2_store_shardsXXXXXX";
    if (!mkdtemp(dir))
        return 2;
    char p1[256], p2[256], idx[256], link[256], bad[256];
    path_in(p1, sizeof p1, dir, "model-00001-of-00002.safetensors");
    path_in(p2, sizeof p2, dir, "model-00002-of-00002.safetensors");
    path_in(idx, sizeof idx, dir, "model.safetensors.index.json");
    path_in(link, sizeof link, dir, "alias.bin");
    path_in(bad, sizeof bad, dir, "bad.safetensors.index.json");
    const float a[3] = {1, 2, 3}, b[2] = {-4, 5};
    CHECK(&T, st_write(p1, "{\"__metadata__\":{\"config\":\"{\\\"n\\\":3}\"},"
                           "\"x.a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}",
                       a, 12) == 0, "write shard 1");
    CHECK(&T, st_write(p2, "{\"y.b\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]}}", b, 8) == 0,
          "write shard 2");
    FILE *f = fopen(idx, "w");
    if (f) {
        fputs("{\"metadata\":{\"total_size\":20},\"weight_map\":{"
              "\"x.a\":\"model-00001-of-00002.safetensors\","
              "\"y.b\":\"model-00002-of-00002.safetensors\"}}", f);
        fclose(f);
    }
    f = fopen(bad, "w");
    if (f) {
        fputs("{\"weight_map\":{\"x.a\":\"model-00002-of-00002.safetensors\"}}", f);
        fclose(f);
    }
    CHECK(&T, symlink(p1, link) == 0, "symlink");

    ltx2_store *s = ltx2_store_new();
    ltx2_error err = {0};
    const char *opens[2] = {idx, dir}; /* the index itself, then the folder */
    for (int k = 0; k < 2; k++) {
        ltx2_checkpoint *c = NULL;
        CHECK(&T, ltx2_checkpoint_open(s, opens[k], &c, &err) == LTX2_OK, "open %s: %s", opens[k],
              err.msg);
        if (!c)
            continue;
        CHECK(&T, ltx2_checkpoint_count(c) == 2, "two tensors across shards");
        const ltx2_st_tensor *ta = ltx2_checkpoint_find(c, "x.a");
        const ltx2_st_tensor *tb = ltx2_checkpoint_findf(c, "%s.%c", "y", 'b');
        CHECK(&T, ta && ta->ndim == 1 && ta->shape[0] == 3 && !memcmp(ta->data, a, 12), "x.a");
        CHECK(&T, tb && tb->ndim == 2 && tb->shape[1] == 2 && !memcmp(tb->data, b, 8), "y.b");
        CHECK(&T, ltx2_checkpoint_meta(c, "config") != NULL && ltx2_checkpoint_config(c) != NULL,
              "config from shard 1");
        ltx2_checkpoint_release(c);
    }
    ltx2_checkpoint *c = NULL;
    CHECK(&T, ltx2_checkpoint_open(s, bad, &c, &err) != LTX2_OK &&
                  strstr(err.msg, "'x.a' is mapped to model-00002-of-00002.safetensors"),
          "index pointing at the wrong shard: %s", err.msg);

    /* Same file twice (and through a symlink): one mapping. */
    ltx2_checkpoint *c1 = NULL, *c2 = NULL, *c3 = NULL;
    CHECK(&T, ltx2_checkpoint_open(s, p1, &c1, &err) == LTX2_OK, "%s", err.msg);
    CHECK(&T, ltx2_checkpoint_open(s, p1, &c2, &err) == LTX2_OK, "%s", err.msg);
    CHECK(&T, ltx2_checkpoint_open(s, link, &c3, &err) == LTX2_OK, "%s", err.msg);
    if (c1 && c2 && c3) {
        const void *m1 = ltx2_checkpoint_mapping(c1, 0, NULL);
        CHECK(&T, m1 && m1 == ltx2_checkpoint_mapping(c2, 0, NULL) &&
                      m1 == ltx2_checkpoint_mapping(c3, 0, NULL),
              "one mapping for one file");
        CHECK(&T, ltx2_checkpoint_find(c1, "x.a")->data == ltx2_checkpoint_find(c3, "x.a")->data,
              "tensors share bytes");
        /* A tensor handle keeps the checkpoint alive after its release. */
        ltx2_tensor *t = ltx2_checkpoint_tensor(c2, "x.a");
        ltx2_checkpoint_release(c2);
        c2 = NULL;
        CHECK(&T, t && ((const float *)t->data)[2] == 3.0f && t->owner == LTX2_OWNER_MAPPED,
              "mapped tensor");
        ltx2_tensor_release(t);
    }
    ltx2_checkpoint_release(c1);
    ltx2_checkpoint_release(c2);

    /* Threads opening the same file concurrently see one mapping. */
    pthread_t th[4];
    open_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (open_job){.s = s, .path = p2};
        pthread_create(&th[i], NULL, open_thread, &jobs[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++)
        CHECK(&T, jobs[i].st == LTX2_OK && jobs[i].map, "thread open %d", i);

    /* The store may go first: a checkpoint still held stays valid. */
    ltx2_store_free(s);
    if (c3) {
        CHECK(&T, ((const float *)ltx2_checkpoint_find(c3, "x.a")->data)[0] == 1.0f,
              "checkpoint outlives the store");
        ltx2_checkpoint_release(c3);
    }
    unlink(p1);
    unlink(p2);
    unlink(idx);
    unlink(bad);
    unlink(link);
    rmdir(dir);
    printf("%d checks, %d failures\n", T.checks, T.failures);
    return T.failures ? 1 : 0;
}
