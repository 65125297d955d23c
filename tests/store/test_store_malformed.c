/* A corpus of broken safetensors files, generated here into a temp folder: each is
 * rejected, with its own message (checked by a substring no other case produces). */
#include <unistd.h>
#include "st_test_util.h"
#include "store/store.h"

typedef struct bad_case {
    const char *name;
    const char *expect; /* substring of the error message */
} bad_case;

static const bad_case cases[] = {
    {"truncated_file", "file is truncated"},
    {"truncated_header", "truncated header"},
    {"huge_header", "exceeds the"},
    {"short_file", "shorter than the 8-byte"},
    {"out_of_range", "out of range"},
    {"overlap", "overlapping data_offsets"},
    {"size_mismatch", "dtype/size mismatch"},
    {"bad_json", "not valid JSON"},
    {"unknown_dtype", "unknown dtype 'F64'"},
    {"lfs_pointer", "Git-LFS pointer"},
    {"empty", "empty file"},
    {"missing", "no such file"},
    {"negative_dim", "shape dim 0 is not a non-negative integer"},
    {"unknown_key", "unknown top-level key '__format__'"},
    {"meta_not_string", "__metadata__ value 'config' is not a string"},
    {"not_object", "not a JSON object"},
    {"unknown_field", "unknown field 'dtyp'"},
    {"duplicate_name", "key 'a' appears twice"},
    {"duplicate_escaped", "spelled with different escapes"},
    {"duplicate_meta", "key '__metadata__' appears twice"},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static const char *T1 = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

static int make_case(const char *path, const char *name)
{
    static const uint8_t data[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    char h[512];
    if (!strcmp(name, "truncated_file")) {
        snprintf(h, sizeof h, "{%s,\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", T1);
        return st_write(path, h, data, 12); /* 4 bytes of b missing */
    }
    if (!strcmp(name, "truncated_header")) {
        snprintf(h, sizeof h, "{%s}", T1);
        return st_write_raw(path, 4096, h, strlen(h), data, 8);
    }
    if (!strcmp(name, "huge_header")) {
        snprintf(h, sizeof h, "{%s}", T1);
        return st_write_raw(path, (uint64_t)1 << 62, h, strlen(h), data, 8);
    }
    if (!strcmp(name, "short_file")) {
        FILE *f = fopen(path, "wb");
        int ok = f && fwrite("\x10\x00\x00", 1, 3, f) == 3;
        return (f && fclose(f) == 0 && ok) ? 0 : -1;
    }
    if (!strcmp(name, "duplicate_name")) { /* json-c alone would keep the last */
        snprintf(h, sizeof h, "{%s,\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},%s}", T1, T1);
        return st_write(path, h, data, 12);
    }
    if (!strcmp(name, "duplicate_escaped")) {
        snprintf(h, sizeof h, "{%s,\"\\u0061\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", T1);
        return st_write(path, h, data, 12);
    }
    if (!strcmp(name, "duplicate_meta")) {
        snprintf(h, sizeof h, "{\"__metadata__\":{},%s,\"__metadata__\":{\"x\":\"y\"}}", T1);
        return st_write(path, h, data, 8);
    }
    if (!strcmp(name, "out_of_range"))
        return st_write(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}}", data, 16);
    if (!strcmp(name, "overlap")) {
        snprintf(h, sizeof h, "{%s,\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", T1);
        return st_write(path, h, data, 12);
    }
    if (!strcmp(name, "size_mismatch"))
        return st_write(path, "{\"a\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,8]}}", data, 8);
    if (!strcmp(name, "bad_json"))
        return st_write(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],", data, 8);
    if (!strcmp(name, "unknown_dtype"))
        return st_write(path, "{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", data, 8);
    if (!strcmp(name, "lfs_pointer")) {
        FILE *f = fopen(path, "wb");
        int ok = f && fputs("version https://git-lfs.github.com/spec/v1\n"
                            "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
                            "size 43041930112\n", f) >= 0;
        return (f && fclose(f) == 0 && ok) ? 0 : -1;
    }
    if (!strcmp(name, "empty")) {
        FILE *f = fopen(path, "wb");
        return (f && fclose(f) == 0) ? 0 : -1;
    }
    if (!strcmp(name, "missing"))
        return 0;
    if (!strcmp(name, "negative_dim"))
        return st_write(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", data, 8);
    if (!strcmp(name, "unknown_key")) {
        snprintf(h, sizeof h, "{\"__format__\":\"pt\",%s}", T1);
        return st_write(path, h, data, 8);
    }
    if (!strcmp(name, "meta_not_string")) {
        snprintf(h, sizeof h, "{\"__metadata__\":{\"config\":{\"x\":1}},%s}", T1);
        return st_write(path, h, data, 8);
    }
    if (!strcmp(name, "not_object"))
        return st_write(path, "[1,2,3]", data, 8);
    if (!strcmp(name, "unknown_field"))
        return st_write(path, "{\"a\":{\"dtyp\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", data, 8);
    return -1;
}

int main(void)
{
    st_test T = {0};
    char dir[] = "/tmp/ltx2_store_badXXXXXX";
    if (!mkdtemp(dir))
        return 2;
    ltx2_store *s = ltx2_store_new();
    char msgs[N_CASES][512];
    for (size_t i = 0; i < N_CASES; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s.safetensors", dir, cases[i].name);
        CHECK(&T, make_case(path, cases[i].name) == 0, "cannot write case %s", cases[i].name);
        ltx2_checkpoint *c = NULL;
        ltx2_error err = {0};
        ltx2_status st = ltx2_checkpoint_open(s, path, &c, &err);
        CHECK(&T, st != LTX2_OK && c == NULL, "case %s was accepted", cases[i].name);
        CHECK(&T, strstr(err.msg, cases[i].expect) != NULL, "case %s: message \"%s\" lacks \"%s\"",
              cases[i].name, err.msg, cases[i].expect);
        CHECK(&T, strstr(err.msg, path) != NULL, "case %s: message does not name the file: %s",
              cases[i].name, err.msg);
        snprintf(msgs[i], sizeof msgs[i], "%s", err.msg);
        ltx2_checkpoint_release(c);

        /* The in-memory parser agrees with the mapped path. */
        if (strcmp(cases[i].name, "missing") != 0) {
            FILE *f = fopen(path, "rb");
            uint8_t buf[8192];
            size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
            if (f)
                fclose(f);
            size_t nt = 0;
            ltx2_error e2 = {0};
            CHECK(&T, ltx2_safetensors_check(buf, n, &nt, &e2) != LTX2_OK &&
                          strstr(e2.msg, cases[i].expect),
                  "case %s: in-memory check: %s", cases[i].name, e2.msg);
        }
        unlink(path);
    }
    /* Distinct: no case's message carries another case's expected text. */
    for (size_t i = 0; i < N_CASES; i++)
        for (size_t j = 0; j < N_CASES; j++)
            if (i != j)
                CHECK(&T, strstr(msgs[i], cases[j].expect) == NULL,
                      "message of %s also matches %s: %s", cases[i].name, cases[j].name, msgs[i]);
    CHECK(&T, strstr(msgs[9], "git lfs pull") != NULL, "LFS advice missing: %s", msgs[9]);

    /* A good file still opens in the same store after all the failures. */
    char good[256];
    snprintf(good, sizeof good, "%s/good.safetensors", dir);
    char h[256];
    snprintf(h, sizeof h, "{\"__metadata__\":{\"k\":\"v\"},%s}", T1);
    static const float two[2] = {1.5f, -2.0f};
    CHECK(&T, st_write(good, h, two, 8) == 0, "write good");
    ltx2_checkpoint *c = NULL;
    ltx2_error err = {0};
    CHECK(&T, ltx2_checkpoint_open(s, good, &c, &err) == LTX2_OK, "good file: %s", err.msg);
    if (c) {
        CHECK(&T, ltx2_checkpoint_count(c) == 1 && ltx2_checkpoint_meta(c, "k") &&
                      !strcmp(ltx2_checkpoint_meta(c, "k"), "v"),
              "good file content");
        ltx2_checkpoint_release(c);
    }
    unlink(good);
    ltx2_store_free(s);
    rmdir(dir);
    printf("%zu cases, %d checks, %d failures\n", N_CASES, T.checks, T.failures);
    return T.failures ? 1 : 0;
}
