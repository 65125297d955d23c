/* k_attention against a double-precision softmax(QKᵀ·scale + bias)·V computed row by
 * row: grouped-query heads, causal and sliding-window masks, key bias, cross-attention
 * lengths, head dims 16/64/128 and odd ones, strides wider than the rows. Rows whose
 * every key is masked must come out as zeros. */
#include "ops_check.h"

typedef struct acase {
    int64_t nq, nkv;
    int heads, kv_heads, d;
    int causal;
    int64_t window;
    int bias;
} acase;

static const acase CASES[] = {
    {1, 1, 1, 1, 16, 0, 0, 0},      {37, 37, 4, 2, 16, 1, 0, 0},    {70, 131, 3, 1, 64, 0, 0, 0},
    {129, 65, 2, 2, 128, 0, 0, 1},  {200, 200, 4, 4, 17, 1, 33, 0}, {65, 300, 2, 1, 72, 0, 50, 1},
    {100, 100, 1, 1, 128, 1, 40, 1}, {130, 60, 2, 1, 64, 1, 0, 0},  {33, 257, 6, 3, 48, 1, 0, 1},
    {64, 64, 2, 2, 128, 1, 0, 0},    {19, 23, 1, 1, 5, 0, 0, 1},     {150, 97, 2, 1, 33, 0, 7, 0},
    {40, 40, 2, 1, 16, 1, (int64_t)1 << 40, 0}, /* a window longer than everything */
};
#define NCASES (int)(sizeof CASES / sizeof CASES[0])

static void reference(const kattn *a, double *ref, int64_t ldr)
{
    int d = a->head_dim;
    double *s = dbuf(a->nkv);
    for (int h = 0; h < a->n_heads; h++) {
        int kvh = h / (a->n_heads / a->n_kv_heads);
        for (int64_t i = 0; i < a->nq; i++) {
            double m = -INFINITY;
            int64_t off = a->nkv - a->nq;
            for (int64_t j = 0; j < a->nkv; j++) {
                int vis = 1;
                if (a->causal && j > i + off) vis = 0;
                if (a->window > 0 && j <= i + off - a->window) vis = 0;
                double dot = 0;
                for (int p = 0; p < d; p++)
                    dot += (double)a->q[i * a->ldq + h * d + p] * a->k[j * a->ldk + kvh * d + p];
                s[j] = vis ? dot * a->scale + (a->key_bias ? a->key_bias[j] : 0) : -INFINITY;
                m = fmax(m, s[j]);
            }
            double sum = 0;
            for (int64_t j = 0; j < a->nkv; j++) sum += m == -INFINITY ? 0 : exp(s[j] - m);
            for (int p = 0; p < d; p++) {
                double acc = 0;
                for (int64_t j = 0; j < a->nkv && sum > 0; j++)
                    acc += exp(s[j] - m) * a->v[j * a->ldv + kvh * d + p];
                ref[i * ldr + h * d + p] = sum > 0 ? acc / sum : 0;
            }
        }
    }
    free(s);
}

static void case_attention(const kctx *c, krng *r, kcheck *k)
{
    for (int ci = 0; ci < NCASES; ci++) {
        const acase *t = &CASES[ci];
        int64_t wq = (int64_t)t->heads * t->d, wkv = (int64_t)t->kv_heads * t->d;
        kattn a = {0};
        a.nq = t->nq;
        a.nkv = t->nkv;
        a.n_heads = t->heads;
        a.n_kv_heads = t->kv_heads;
        a.head_dim = t->d;
        a.ldq = wq + 3;
        a.ldk = wkv + 5;
        a.ldv = wkv + 1;
        a.ldo = wq + 2;
        float *q = rand_buf(r, t->nq * a.ldq, 1.0f), *kk = rand_buf(r, t->nkv * a.ldk, 1.0f);
        float *v = rand_buf(r, t->nkv * a.ldv, 1.0f), *out = poisoned(t->nq * a.ldo);
        float *bias = NULL;
        if (t->bias) {
            bias = rand_buf(r, t->nkv, 0.5f);
            for (int64_t j = 2; j < t->nkv; j++) /* padding keys; never all of a row's keys */
                if (rng_uniform(r) < 0.2) bias[j] = -1e9f;
        }
        a.q = q;
        a.k = kk;
        a.v = v;
        a.out = out;
        a.key_bias = bias;
        a.causal = t->causal;
        a.window = t->window;
        a.scale = 1.0f / sqrtf((float)t->d) * 1.7f; /* sharper than usual */
        double *ref = dbuf(t->nq * wq);
        reference(&a, ref, wq);
        KOK(k_attention(c, &a));
        float *got = malloc(sizeof(float) * (size_t)(t->nq * wq));
        int gaps_ok = 1;
        for (int64_t i = 0; i < t->nq; i++) {
            for (int64_t j = 0; j < wq; j++) got[i * wq + j] = out[i * a.ldo + j];
            for (int64_t j = wq; j < a.ldo; j++) gaps_ok &= isnan(out[i * a.ldo + j]);
        }
        char name[96];
        snprintf(name, sizeof name, "attention case %d (nq %lld nkv %lld d %d)", ci,
                 (long long)t->nq, (long long)t->nkv, t->d);
        check_close(k, name, got, ref, t->nq * wq, 3e-6, 2e-6);
        check_true(k, gaps_ok, "attention leaves the row gap alone");
        free(q);
        free(kk);
        free(v);
        free(out);
        free(bias);
        free(ref);
        free(got);
    }
}

int main(void)
{
    kcheck k = {0, 0};
    for_each_ctx(case_attention, &k);
    return check_report(&k, "kernels_ops_attention");
}
