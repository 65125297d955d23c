/* check_shape — the committed manifest has the /object_info shape tools expect:
 * top-level manifest_version/generator/nodes; nodes sorted by class name, each
 * key equal to its "name"; input.required/optional entries ["TYPE", {opts}]
 * listed by input_order; output/output_is_list/output_name/output_tooltips of
 * one length; COMBO ports with a non-empty options list holding the default;
 * numeric defaults within min..max; booleans and x_ltx where expected. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

typedef struct checker {
    int fails;
    const char *node;
} checker;

#define CHECK(c, cond, ...)                                          \
    do {                                                             \
        if (!(cond)) {                                               \
            fprintf(stderr, "manifest: node %s: ", (c)->node);       \
            fprintf(stderr, __VA_ARGS__);                            \
            fputc('\n', stderr);                                     \
            (c)->fails++;                                            \
        }                                                            \
    } while (0)

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int is(json_object *o, enum json_type t) { return o && json_object_is_type(o, t); }

static void check_port(checker *c, const char *name, json_object *spec)
{
    CHECK(c, is(spec, json_type_array) && json_object_array_length(spec) == 2, "input %s is not [TYPE, {opts}]",
          name);
    if (!is(spec, json_type_array) || json_object_array_length(spec) != 2)
        return;
    json_object *type = json_object_array_get_idx(spec, 0), *opts = json_object_array_get_idx(spec, 1);
    CHECK(c, is(type, json_type_string), "input %s: type is not a string", name);
    CHECK(c, is(opts, json_type_object), "input %s: options are not an object", name);
    if (!is(type, json_type_string) || !is(opts, json_type_object))
        return;
    json_object *def = get(opts, "default"), *min = get(opts, "min"), *max = get(opts, "max");
    if (!strcmp(json_object_get_string(type), "COMBO")) {
        json_object *o = get(opts, "options");
        CHECK(c, is(o, json_type_array) && json_object_array_length(o) > 0, "COMBO %s without options", name);
        if (def && is(o, json_type_array)) {
            int found = 0;
            for (size_t i = 0; i < json_object_array_length(o); i++)
                found |= !strcmp(json_object_get_string(json_object_array_get_idx(o, i)), json_object_get_string(def));
            CHECK(c, found, "COMBO %s: default '%s' not among the options", name, json_object_get_string(def));
        }
    }
    if (def && min && (is(def, json_type_int) || is(def, json_type_double)))
        CHECK(c, json_object_get_double(def) >= json_object_get_double(min), "input %s: default below min", name);
    if (def && max && (is(def, json_type_int) || is(def, json_type_double)))
        CHECK(c, json_object_get_double(def) <= json_object_get_double(max), "input %s: default above max", name);
    if (min && max)
        CHECK(c, json_object_get_double(min) <= json_object_get_double(max), "input %s: min > max", name);
}

static void check_inputs(checker *c, json_object *node)
{
    json_object *input = get(node, "input"), *order = get(node, "input_order");
    CHECK(c, is(input, json_type_object) && is(get(input, "required"), json_type_object), "no input.required");
    CHECK(c, is(order, json_type_object), "no input_order");
    if (!is(input, json_type_object) || !is(order, json_type_object))
        return;
    static const char *const groups[] = {"required", "optional"};
    for (int g = 0; g < 2; g++) {
        json_object *ports = get(input, groups[g]), *names = get(order, groups[g]);
        CHECK(c, !ports == !names, "input.%s and input_order.%s disagree", groups[g], groups[g]);
        if (!ports || !names)
            continue;
        CHECK(c, is(names, json_type_array) && (size_t)json_object_object_length(ports) == json_object_array_length(names),
              "input_order.%s does not list every input", groups[g]);
        if (!is(names, json_type_array))
            continue;
        for (size_t i = 0; i < json_object_array_length(names); i++) {
            const char *n = json_object_get_string(json_object_array_get_idx(names, i));
            json_object *spec = get(ports, n);
            CHECK(c, spec != NULL, "input_order names '%s' which is not in input.%s", n, groups[g]);
            if (spec)
                check_port(c, n, spec);
        }
    }
}

static void check_node(checker *c, const char *key, json_object *node)
{
    c->node = key;
    CHECK(c, is(node, json_type_object), "not an object");
    if (!is(node, json_type_object))
        return;
    json_object *name = get(node, "name");
    CHECK(c, is(name, json_type_string) && !strcmp(json_object_get_string(name), key), "name differs from the key");
    check_inputs(c, node);
    static const char *const lists[] = {"output", "output_is_list", "output_name", "output_tooltips"};
    size_t n_out = 0;
    for (int i = 0; i < 4; i++) {
        json_object *l = get(node, lists[i]);
        CHECK(c, is(l, json_type_array), "%s is not a list", lists[i]);
        if (!is(l, json_type_array))
            continue;
        if (i == 0)
            n_out = json_object_array_length(l);
        else
            CHECK(c, json_object_array_length(l) == n_out, "%s has a different length than output", lists[i]);
    }
    static const char *const strs[] = {"display_name", "description", "category", "python_module"};
    for (int i = 0; i < 4; i++)
        CHECK(c, is(get(node, strs[i]), json_type_string), "%s is not a string", strs[i]);
    static const char *const bools[] = {"output_node", "deprecated", "experimental", "api_node"};
    for (int i = 0; i < 4; i++)
        CHECK(c, is(get(node, bools[i]), json_type_boolean), "%s is not a boolean", bools[i]);
    json_object *x = get(node, "x_ltx");
    CHECK(c, is(get(x, "node_version"), json_type_int), "x_ltx.node_version missing");
    CHECK(c, is(get(get(x, "flags"), "cancellable"), json_type_boolean), "x_ltx.flags.cancellable missing");
    CHECK(c, is(get(get(x, "flags"), "progress"), json_type_boolean), "x_ltx.flags.progress missing");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: check_shape MANIFEST.json\n");
        return 2;
    }
    json_object *root = json_object_from_file(argv[1]);
    checker c = {.node = "(top level)"};
    CHECK(&c, is(root, json_type_object), "%s is not a JSON object: %s", argv[1], json_util_get_last_err());
    if (!is(root, json_type_object))
        return 1;
    CHECK(&c, is(get(root, "manifest_version"), json_type_int), "manifest_version missing");
    json_object *gen = get(root, "generator");
    CHECK(&c, is(get(gen, "plugin_id"), json_type_string) && is(get(gen, "abi"), json_type_string),
          "generator.plugin_id / abi missing");
    json_object *nodes = get(root, "nodes");
    CHECK(&c, is(nodes, json_type_object) && json_object_object_length(nodes) > 0, "no nodes");
    const char *prev = NULL;
    if (is(nodes, json_type_object)) {
        json_object_object_foreach(nodes, key, node)
        {
            c.node = key;
            CHECK(&c, !prev || strcmp(prev, key) < 0, "nodes not sorted by class name (after %s)", prev);
            check_node(&c, key, node);
            prev = key;
        }
    }
    printf("%d nodes checked, %d problems\n", is(nodes, json_type_object) ? json_object_object_length(nodes) : 0,
           c.fails);
    json_object_put(root);
    return c.fails ? 1 : 0;
}
