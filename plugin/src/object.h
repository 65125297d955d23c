/* object.h — refcounted objects on ports (LATENT, CONDITIONING, MODEL, VAE, AUDIO…):
 * a type name, an ordered bag of named values (tensors, numbers, strings, nested
 * objects), JSON metadata, and optionally a plugin-private native payload (the
 * model structs with their weight pointers). Objects are immutable once handed to
 * the host: to change one, clone it (entries and payload are shared, not copied). */
#ifndef LTX2_OBJECT_H
#define LTX2_OBJECT_H
#include <stdbool.h>
#include "ltx2/ltx2_plugin.h"
#include "error.h"

ltx2_object *ltx2_object_new(const char *type_name); /* NULL on OOM */
/* Shallow copy: same type, entries retained, payload shared (refcounted). */
ltx2_object *ltx2_object_clone(const ltx2_object *o);
void ltx2_object_retain(ltx2_object *o);
void ltx2_object_release(ltx2_object *o); /* NULL-safe */

const char *ltx2_object_type(const ltx2_object *o);
bool ltx2_object_is(const ltx2_object *o, const char *type_name);

/* Setters replace an existing key; tensors/objects are retained, strings copied.
 * They return LTX2_ERR_OOM on allocation failure. t == NULL removes the key. */
ltx2_status ltx2_object_set_tensor(ltx2_object *o, const char *key, ltx2_tensor *t);
ltx2_status ltx2_object_set_object(ltx2_object *o, const char *key, ltx2_object *v);
ltx2_status ltx2_object_set_int(ltx2_object *o, const char *key, int64_t v);
ltx2_status ltx2_object_set_float(ltx2_object *o, const char *key, double v);
ltx2_status ltx2_object_set_bool(ltx2_object *o, const char *key, bool v);
ltx2_status ltx2_object_set_string(ltx2_object *o, const char *key, const char *v);
ltx2_status ltx2_object_set_value(ltx2_object *o, const char *key, const ltx2_value *v);
void ltx2_object_remove(ltx2_object *o, const char *key);

/* Getters return borrowed values (NULL / fallback when absent or another kind). */
ltx2_tensor *ltx2_object_tensor(const ltx2_object *o, const char *key);
ltx2_object *ltx2_object_object(const ltx2_object *o, const char *key);
int64_t ltx2_object_int(const ltx2_object *o, const char *key, int64_t fallback);
double ltx2_object_float(const ltx2_object *o, const char *key, double fallback); /* ints too */
const char *ltx2_object_string(const ltx2_object *o, const char *key);
ltx2_value ltx2_object_get(const ltx2_object *o, const char *key);
bool ltx2_object_has(const ltx2_object *o, const char *key);
uint32_t ltx2_object_count(const ltx2_object *o);
ltx2_status ltx2_object_entry(const ltx2_object *o, uint32_t i, const char **key, ltx2_value *v);

/* JSON metadata (a copy is kept). Never NULL: "{}" by default. */
ltx2_status ltx2_object_set_metadata(ltx2_object *o, const char *json);
const char *ltx2_object_metadata(const ltx2_object *o);

/* Native payload: `kind` names the C type ("ltx2.transformer"), destroy frees it
 * when the last object sharing it goes away. */
ltx2_status ltx2_object_set_payload(ltx2_object *o, const char *kind, void *payload,
                                    void (*destroy)(void *payload));
/* The payload when its kind matches, else NULL. */
void *ltx2_object_payload(const ltx2_object *o, const char *kind);

/* ---------------------------------------------------------------- the host boundary */
/* True when every tensor of o (nested objects included) lives on the host. */
bool ltx2_object_on_host(const ltx2_object *o);
/* *out = o (retained) when ltx2_object_on_host(o); else a new object of o's type whose
 * device tensors are host copies and whose nested objects are converted likewise,
 * everything else (scalars, strings, metadata, payload) shared. Errors fill err. */
ltx2_status ltx2_object_to_host(ltx2_object *o, ltx2_object **out, ltx2_error *err);
/* True when v holds no device tensor (scalars, host tensors, host objects). */
bool ltx2_value_on_host(const ltx2_value *v);
/* For a TENSOR or OBJECT value not on the host: *out owns its host copy (release with
 * ltx2_value_release). Any other value: LTX2_ERR_BAD_INPUT (nothing to convert). */
ltx2_status ltx2_value_to_host(const ltx2_value *v, ltx2_value *out, ltx2_error *err);

/* Values: releases what v owns (tensor/object ref, string) and sets it NONE. */
void ltx2_value_release(ltx2_value *v);
ltx2_value ltx2_value_tensor(ltx2_tensor *t); /* moves the reference */
ltx2_value ltx2_value_object(ltx2_object *o); /* moves the reference */
ltx2_value ltx2_value_string(const char *s);  /* copies s (kind NONE on OOM) */

#endif
