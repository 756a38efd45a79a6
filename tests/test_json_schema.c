/*
 * test_json_schema.c - the JSON Schema subset validator: every keyword
 * accepting and rejecting, the exact field paths and wording an LLM reads,
 * strict compilation, UTF-8 handling, and concurrent validation.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_schema.h"

/* A tool-like schema exercising most keywords. */
static const char *const TOOL_SCHEMA =
    "{"
    "\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
    "\"$id\":\"test\",\"$comment\":\"c\",\"title\":\"generate_image\","
    "\"description\":\"Make an image.\","
    "\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"prompt\"],"
    "\"properties\":{"
    " \"prompt\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":32000},"
    " \"negativePrompt\":{\"type\":\"string\",\"maxLength\":2000},"
    " \"n\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10,\"default\":1},"
    " \"size\":{\"type\":\"string\",\"pattern\":\"^[0-9]{2,5}x[0-9]{2,5}$\","
    "   \"description\":\"WxH in pixels, both sides multiples of 64\","
    "   \"examples\":[\"1024x1024\",\"1536x1024\"]},"
    " \"quality\":{\"type\":\"string\",\"enum\":[\"auto\",\"low\",\"medium\",\"high\"]},"
    " \"strength\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"
    " \"seed\":{\"type\":[\"integer\",\"null\"]},"
    " \"margins\":{\"type\":\"object\",\"additionalProperties\":false,"
    "   \"required\":[\"left\"],"
    "   \"properties\":{\"left\":{\"type\":\"integer\",\"minimum\":0},"
    "                  \"right\":{\"type\":\"integer\",\"minimum\":0}}},"
    " \"providerPreferences\":{\"type\":\"object\",\"additionalProperties\":false,"
    "   \"properties\":{"
    "     \"blocked\":{\"type\":\"array\",\"uniqueItems\":true,\"maxItems\":3,"
    "       \"items\":{\"type\":\"string\","
    "                  \"enum\":[\"openai\",\"stability\",\"google\",\"local\"]}},"
    "     \"weights\":{\"type\":\"object\","
    "       \"propertyNames\":{\"enum\":[\"openai\",\"stability\",\"google\",\"local\"]},"
    "       \"additionalProperties\":{\"type\":\"number\",\"minimum\":0}}}},"
    " \"tags\":{\"type\":\"array\",\"minItems\":1,"
    "   \"items\":{\"type\":\"string\",\"pattern\":\"^[a-z]+$\"}},"
    " \"mode\":{\"const\":\"fast\"},"
    " \"step\":{\"type\":\"number\",\"multipleOf\":0.25},"
    " \"ratio\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":10},"
    " \"labels\":{\"type\":\"object\",\"minProperties\":1,\"maxProperties\":2,"
    "   \"propertyNames\":{\"pattern\":\"^[a-z]+$\",\"maxLength\":8}}"
    "}}";

/* ---- helpers ------------------------------------------------------------- */

static ig_schema *compile_ok(const char *text)
{
    ig_error err;
    ig_error_clear(&err);
    ig_schema *s = ig_schema_compile(text, &err);
    cr_assert_not_null(s, "compile failed: %s", err.message);
    cr_assert_eq(err.code, IG_OK);
    return s;
}

static cJSON *parse(const char *text)
{
    cJSON *doc = cJSON_ParseWithOpts(text, NULL, true);
    cr_assert_not_null(doc, "test JSON does not parse: %s", text);
    return doc;
}

/* Validates instance text; returns rc and fills *err. */
static int run(const ig_schema *s, const char *instance, ig_error *err)
{
    cJSON *doc = parse(instance);
    ig_error_clear(err);
    int rc = ig_schema_validate(s, doc, err);
    cJSON_Delete(doc);
    return rc;
}

static void expect_ok_with(const ig_schema *s, const char *instance)
{
    ig_error err;
    int rc = run(s, instance, &err);
    cr_expect_eq(rc, 0, "%s rejected: [%s] %s", instance, err.field, err.message);
    cr_expect_eq(err.code, IG_OK);
}

/* Expects a failure at `field` whose message contains each NULL-terminated
 * part; returns the error for further checks. */
static ig_error expect_fail_with(const ig_schema *s, const char *instance,
                                 const char *field, ...)
{
    ig_error err;
    int rc = run(s, instance, &err);
    cr_assert_eq(rc, -1, "%s accepted", instance);
    cr_expect_eq(err.code, IG_ERR_INVALID_ARGUMENT, "code %d for %s", err.code, instance);
    cr_expect_str_eq(err.field, field, "field for %s (message: %s)", instance, err.message);
    va_list ap;
    va_start(ap, field);
    for (const char *part = va_arg(ap, const char *); part; part = va_arg(ap, const char *))
        cr_expect(strstr(err.message, part), "\"%s\" not in: %s", part, err.message);
    va_end(ap);
    return err;
}

/* Expects the exact message (and field); returns the error. */
static ig_error expect_message(const ig_schema *s, const char *instance,
                               const char *field, const char *message)
{
    ig_error err = expect_fail_with(s, instance, field, NULL);
    cr_expect_str_eq(err.message, message, "for %s", instance);
    return err;
}

/* Expects compilation to fail with every NULL-terminated part in the message. */
static void expect_compile_error(const char *text, ...)
{
    ig_error err;
    ig_error_clear(&err);
    ig_schema *s = ig_schema_compile(text, &err);
    cr_expect_null(s, "compiled: %s", text ? text : "(null)");
    ig_schema_free(s);
    cr_expect_neq(err.code, IG_OK);
    va_list ap;
    va_start(ap, text);
    for (const char *part = va_arg(ap, const char *); part; part = va_arg(ap, const char *))
        cr_expect(strstr(err.message, part), "\"%s\" not in: %s", part, err.message);
    va_end(ap);
}

static ig_schema *tool;

static void setup_tool(void)
{
    tool = compile_ok(TOOL_SCHEMA);
}

static void teardown_tool(void)
{
    ig_schema_free(tool);
}

#define OK(inst) expect_ok_with(tool, inst)
#define FAIL(inst, field, ...) expect_fail_with(tool, inst, field, __VA_ARGS__, NULL)
#define MSG(inst, field, msg) expect_message(tool, inst, field, msg)

TestSuite(schema, .init = setup_tool, .fini = teardown_tool, .timeout = 60);

/* ---- compiling ----------------------------------------------------------- */

Test(schema, document_is_the_parsed_schema)
{
    const cJSON *doc = ig_schema_document(tool);
    cr_assert_not_null(doc);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "title")), "generate_image");
    cr_expect_null(ig_schema_document(NULL));
}

Test(schema, unsupported_keyword_names_path_and_keyword)
{
    ig_error err;
    ig_error_clear(&err);
    ig_schema *s = ig_schema_compile(
        "{\"properties\":{\"size\":{\"type\":\"string\",\"format\":\"uri\"}}}", &err);
    cr_assert_null(s);
    cr_expect_str_eq(err.message, "schema properties.size: unsupported keyword \"format\"");
    expect_compile_error("{\"$ref\":\"#/x\"}", "schema: unsupported keyword \"$ref\"", NULL);
    expect_compile_error("{\"items\":{\"oneOf\":[]}}", "schema items:", "\"oneOf\"", NULL);
    expect_compile_error("{\"properties\":{\"a\":{\"properties\":{\"b\":{\"not\":{}}}}}}",
                         "schema properties.a.properties.b:", "\"not\"", NULL);
    expect_compile_error("{\"additionalProperties\":{\"allOf\":[]}}",
                         "schema additionalProperties:", "\"allOf\"", NULL);
    expect_compile_error("{\"propertyNames\":{\"format\":\"x\"}}", "schema propertyNames:",
                         NULL);
    expect_compile_error("{\"definitions\":{}}", "\"definitions\"", NULL);
}

Test(schema, wrong_keyword_value_types_fail)
{
    expect_compile_error("{\"minimum\":\"1\"}", "\"minimum\" must be a number", NULL);
    expect_compile_error("{\"exclusiveMaximum\":true}", "\"exclusiveMaximum\"", NULL);
    expect_compile_error("{\"maxLength\":-1}", "\"maxLength\" must be a non-negative integer",
                         NULL);
    expect_compile_error("{\"minItems\":1.5}", "\"minItems\"", NULL);
    expect_compile_error("{\"maxProperties\":\"2\"}", "\"maxProperties\"", NULL);
    expect_compile_error("{\"required\":\"x\"}", "\"required\"", NULL);
    expect_compile_error("{\"required\":[1]}", "\"required\"", NULL);
    expect_compile_error("{\"type\":\"int\"}", "unknown type name \"int\"", NULL);
    expect_compile_error("{\"type\":[]}", "\"type\"", NULL);
    expect_compile_error("{\"type\":[\"string\",3]}", "\"type\"", NULL);
    expect_compile_error("{\"enum\":[]}", "\"enum\"", NULL);
    expect_compile_error("{\"enum\":\"a\"}", "\"enum\"", NULL);
    expect_compile_error("{\"additionalProperties\":\"no\"}", "\"additionalProperties\"", NULL);
    expect_compile_error("{\"pattern\":5}", "\"pattern\" must be a string", NULL);
    expect_compile_error("{\"uniqueItems\":\"yes\"}", "\"uniqueItems\"", NULL);
    expect_compile_error("{\"examples\":\"x\"}", "\"examples\"", NULL);
    expect_compile_error("{\"description\":5}", "\"description\"", NULL);
    expect_compile_error("{\"title\":null}", "\"title\"", NULL);
    expect_compile_error("{\"multipleOf\":0}", "\"multipleOf\"", NULL);
    expect_compile_error("{\"properties\":[]}", "\"properties\"", NULL);
    expect_compile_error("{\"properties\":{\"x\":5}}", "schema properties.x:",
                         "object or a boolean", NULL);
    expect_compile_error("{\"items\":[{}]}", "\"items\"", "tuple", NULL);
    expect_compile_error("{\"propertyNames\":3}", "schema propertyNames:", NULL);
    expect_compile_error("[]", "schema:", "object or a boolean", NULL);
}

Test(schema, repeated_keyword_or_property_fails)
{
    expect_compile_error("{\"minimum\":1,\"minimum\":2}", "\"minimum\" appears twice", NULL);
    expect_compile_error("{\"properties\":{\"a\":{},\"a\":{}}}", "\"a\" is defined twice",
                         NULL);
}

Test(schema, bad_pattern_fails)
{
    expect_compile_error("{\"properties\":{\"tag\":{\"pattern\":\"([a-z]\"}}}",
                         "schema properties.tag:", "\"pattern\"", "\"([a-z]\"",
                         "not a valid POSIX extended regex", NULL);
    expect_compile_error("{\"pattern\":\"a{2,1}\"}", "\"pattern\"", NULL);
}

Test(schema, invalid_json_says_where)
{
    expect_compile_error("{\"type\": \"object\",}", "not valid JSON", "byte 19", NULL);
    expect_compile_error("{\n  \"type\": \"object\"\n  \"x\": 1}", "not valid JSON", "line 3",
                         NULL);
    expect_compile_error("{} trailing", "not valid JSON", NULL);
    expect_compile_error("", "not valid JSON", NULL);
    expect_compile_error(NULL, "schema", NULL);
}

Test(schema, compile_errors_are_internal_and_do_not_need_err)
{
    ig_error err;
    ig_error_clear(&err);
    cr_expect_null(ig_schema_compile("{\"format\":\"x\"}", &err));
    cr_expect_eq(err.code, IG_ERR_INTERNAL);
    cr_expect_null(ig_schema_compile("{\"format\":\"x\"}", NULL));
    ig_schema_free(NULL);
}

Test(schema, every_supported_keyword_compiles)
{
    ig_schema *s = compile_ok(
        "{\"$schema\":\"x\",\"$id\":\"y\",\"$comment\":\"z\",\"title\":\"t\","
        "\"description\":\"d\",\"default\":{},\"examples\":[1],"
        "\"type\":[\"object\",\"array\",\"string\",\"number\",\"integer\",\"boolean\",\"null\"],"
        "\"properties\":{\"a\":true,\"b\":false},\"required\":[],"
        "\"additionalProperties\":true,\"propertyNames\":{\"maxLength\":9},"
        "\"enum\":[1,\"x\",null,{\"a\":1},[1],true],\"const\":1,"
        "\"minimum\":0,\"maximum\":9,\"exclusiveMinimum\":-1,\"exclusiveMaximum\":10,"
        "\"multipleOf\":1,\"minLength\":0,\"maxLength\":9,\"pattern\":\"^.*$\","
        "\"items\":{},\"minItems\":0,\"maxItems\":9,\"uniqueItems\":false,"
        "\"minProperties\":0,\"maxProperties\":9}");
    ig_schema_free(s);
    ig_schema_free(compile_ok("true"));
    ig_schema_free(compile_ok("{}"));
}

/* ---- the whole tool schema ----------------------------------------------- */

Test(schema, valid_call_passes)
{
    OK("{\"prompt\":\"a cat\"}");
    OK("{\"prompt\":\"a cat\",\"negativePrompt\":\"\",\"n\":10,\"size\":\"1024x1024\","
       "\"quality\":\"high\",\"strength\":0,\"seed\":null,\"margins\":{\"left\":0},"
       "\"providerPreferences\":{\"blocked\":[\"openai\",\"google\"],"
       "\"weights\":{\"openai\":2,\"local\":0}},\"tags\":[\"cat\"],\"mode\":\"fast\","
       "\"step\":0.75,\"ratio\":9.99,\"labels\":{\"a\":\"x\",\"bb\":1}}");
}

Test(schema, root_must_match_type)
{
    MSG("[]", "", "value must be an object (got array [])");
    MSG("\"x\"", "", "value must be an object (got string \"x\")");
    MSG("null", "", "value must be an object (got null)");
}

/* ---- type ---------------------------------------------------------------- */

Test(schema, type_mismatch_quotes_the_value)
{
    ig_error e = FAIL("{\"prompt\":\"a\",\"n\":\"2\"}", "n",
                      "n must be an integer (got string \"2\")");
    cr_expect(strstr(e.hint, "without quotes"), "hint: %s", e.hint);
    MSG("{\"prompt\":5}", "prompt", "prompt must be a string (got number 5)");
    MSG("{\"prompt\":\"a\",\"margins\":[1,2]}", "margins",
        "margins must be an object (got array [1,2])");
    MSG("{\"prompt\":\"a\",\"tags\":{\"a\":1}}", "tags",
        "tags must be an array (got object {\"a\":1})");
}

Test(schema, integer_accepts_whole_numbers_only)
{
    OK("{\"prompt\":\"a\",\"n\":2}");
    OK("{\"prompt\":\"a\",\"n\":2.0}");
    OK("{\"prompt\":\"a\",\"n\":2e0}");
    MSG("{\"prompt\":\"a\",\"n\":2.5}", "n", "n must be an integer (got number 2.5)");
    MSG("{\"prompt\":\"a\",\"n\":true}", "n", "n must be an integer (got boolean true)");
    MSG("{\"prompt\":\"a\",\"n\":null}", "n", "n must be an integer (got null)");
}

Test(schema, number_accepts_any_number_but_not_booleans)
{
    OK("{\"prompt\":\"a\",\"strength\":1}");
    OK("{\"prompt\":\"a\",\"strength\":0.5}");
    MSG("{\"prompt\":\"a\",\"strength\":false}", "strength",
        "strength must be a number (got boolean false)");
    MSG("{\"prompt\":\"a\",\"strength\":\"0.5\"}", "strength",
        "strength must be a number (got string \"0.5\")");
}

Test(schema, type_array)
{
    OK("{\"prompt\":\"a\",\"seed\":null}");
    OK("{\"prompt\":\"a\",\"seed\":42}");
    MSG("{\"prompt\":\"a\",\"seed\":\"x\"}", "seed",
        "seed must be an integer or null (got string \"x\")");
    MSG("{\"prompt\":\"a\",\"seed\":1.5}", "seed",
        "seed must be an integer or null (got number 1.5)");
    ig_schema *s = compile_ok("{\"type\":[\"string\",\"number\",\"boolean\"]}");
    expect_ok_with(s, "1.5");
    expect_ok_with(s, "true");
    expect_message(s, "{}", "", "value must be a string, a number or a boolean (got object {})");
    ig_schema_free(s);
}

Test(schema, big_integers_are_exact_up_to_2_pow_53)
{
    ig_schema *s = compile_ok("{\"type\":\"integer\",\"maximum\":9007199254740991}");
    expect_ok_with(s, "9007199254740991");
    expect_message(s, "9007199254740992", "",
                   "value must be at most 9007199254740991 (got 9007199254740992)");
    ig_schema_free(s);
    s = compile_ok("{\"type\":\"integer\"}");
    expect_ok_with(s, "-9007199254740992");
    expect_ok_with(s, "1e300"); /* whole, so an integer in JSON Schema terms */
    ig_schema_free(s);
}

/* ---- numeric bounds ------------------------------------------------------ */

Test(schema, both_bounds_say_between)
{
    MSG("{\"prompt\":\"a\",\"n\":12}", "n", "n must be between 1 and 10 (got 12)");
    MSG("{\"prompt\":\"a\",\"n\":0}", "n", "n must be between 1 and 10 (got 0)");
    MSG("{\"prompt\":\"a\",\"strength\":1.5}", "strength",
        "strength must be between 0 and 1 (got 1.5)");
    MSG("{\"prompt\":\"a\",\"strength\":-0.25}", "strength",
        "strength must be between 0 and 1 (got -0.25)");
}

Test(schema, single_bounds)
{
    ig_schema *s = compile_ok("{\"properties\":{\"n\":{\"type\":\"integer\",\"maximum\":10},"
                              "\"w\":{\"minimum\":0}}}");
    expect_message(s, "{\"n\":12}", "n", "n must be at most 10 (got 12)");
    expect_ok_with(s, "{\"n\":10,\"w\":0}");
    expect_message(s, "{\"w\":-1}", "w", "w must be at least 0 (got -1)");
    expect_ok_with(s, "{\"w\":\"not a number: bounds only apply to numbers\"}");
    ig_schema_free(s);
}

Test(schema, exclusive_bounds)
{
    OK("{\"prompt\":\"a\",\"ratio\":0.001}");
    MSG("{\"prompt\":\"a\",\"ratio\":0}", "ratio",
        "ratio must be greater than 0 and less than 10 (got 0)");
    FAIL("{\"prompt\":\"a\",\"ratio\":10}", "ratio", "less than 10", "(got 10)");
    ig_schema *s = compile_ok("{\"exclusiveMinimum\":1,\"maximum\":5}");
    expect_message(s, "1", "", "value must be greater than 1 and at most 5 (got 1)");
    expect_ok_with(s, "5");
    ig_schema_free(s);
    /* The stricter of minimum/exclusiveMinimum wins, in either order. */
    s = compile_ok("{\"exclusiveMinimum\":0,\"minimum\":0}");
    expect_message(s, "0", "", "value must be greater than 0 (got 0)");
    ig_schema_free(s);
    s = compile_ok("{\"minimum\":3,\"exclusiveMinimum\":0}");
    expect_message(s, "2", "", "value must be at least 3 (got 2)");
    ig_schema_free(s);
}

Test(schema, multiple_of)
{
    OK("{\"prompt\":\"a\",\"step\":0.75}");
    OK("{\"prompt\":\"a\",\"step\":-2}");
    MSG("{\"prompt\":\"a\",\"step\":0.3}", "step", "step must be a multiple of 0.25 (got 0.3)");
    ig_schema *s = compile_ok("{\"multipleOf\":0.01}");
    expect_ok_with(s, "0.07");
    expect_ok_with(s, "12.34");
    expect_fail_with(s, "0.075", "", "multiple of 0.01", NULL);
    ig_schema_free(s);
    s = compile_ok("{\"multipleOf\":64}");
    expect_ok_with(s, "1024");
    expect_message(s, "1000", "", "value must be a multiple of 64 (got 1000)");
    ig_schema_free(s);
}

/* ---- objects ------------------------------------------------------------- */

Test(schema, unknown_field_suggests_and_lists)
{
    ig_error e = MSG("{\"prompt\":\"a\",\"sizee\":\"1024x1024\"}", "sizee",
                     "unknown field \"sizee\" (did you mean \"size\"? allowed fields: "
                     "prompt, negativePrompt, n, size, quality, strength, seed, margins, "
                     "providerPreferences, tags, mode, step, ratio, labels)");
    cr_expect_str_eq(e.hint, "Remove the field or rename it; see the tool's inputSchema.");
}

Test(schema, unknown_field_hint_and_no_wild_suggestions)
{
    ig_error e = FAIL("{\"prompt\":\"a\",\"zzzzzzzz\":1}", "zzzzzzzz",
                      "unknown field \"zzzzzzzz\" (allowed fields: prompt, negativePrompt");
    cr_expect_null(strstr(e.message, "did you mean"), "%s", e.message);
    cr_expect_str_eq(e.hint, "Remove the field or rename it; see the tool's inputSchema.");
    e = FAIL("{\"prompt\":\"a\",\"negative_prompt\":\"b\"}", "negative_prompt",
             "did you mean \"negativePrompt\"?");
    e = FAIL("{\"prompt\":\"a\",\"Size\":\"b\"}", "Size", "did you mean \"size\"?");
    e = FAIL("{\"prompt\":\"a\",\"qualty\":\"b\"}", "qualty", "did you mean \"quality\"?");
}

Test(schema, unknown_field_in_closed_object_without_properties)
{
    ig_schema *s = compile_ok("{\"additionalProperties\":false}");
    expect_ok_with(s, "{}");
    expect_message(s, "{\"a\":1}", "a", "unknown field \"a\" (no fields are allowed here)");
    ig_schema_free(s);
}

Test(schema, open_objects_accept_unknown_fields)
{
    ig_schema *s = compile_ok("{\"properties\":{\"a\":{\"type\":\"string\"}}}");
    expect_ok_with(s, "{\"a\":\"x\",\"b\":[1,2]}");
    expect_message(s, "{\"b\":1,\"a\":2}", "a", "a must be a string (got number 2)");
    ig_schema_free(s);
}

Test(schema, additional_properties_schema_checks_extra_members)
{
    ig_schema *s = compile_ok("{\"properties\":{\"a\":{}},"
                              "\"additionalProperties\":{\"type\":\"integer\"}}");
    expect_ok_with(s, "{\"a\":\"x\",\"b\":1,\"c\":2}");
    expect_message(s, "{\"a\":\"x\",\"b\":1,\"c\":\"2\"}", "c",
                   "c must be an integer (got string \"2\")");
    ig_schema_free(s);
}

Test(schema, missing_required_field)
{
    ig_error e = MSG("{}", "", "missing required field \"prompt\"");
    cr_expect(strstr(e.hint, "prompt"), "hint: %s", e.hint);
    MSG("{\"prompt\":\"a\",\"margins\":{\"right\":1}}", "margins",
        "missing required field \"left\" in margins");
}

Test(schema, missing_required_points_at_a_likely_typo)
{
    MSG("{\"promt\":\"a cat\"}", "",
        "missing required field \"prompt\" (found unknown field \"promt\"; "
        "did you mean \"prompt\"?)");
}

Test(schema, min_and_max_properties)
{
    OK("{\"prompt\":\"a\",\"labels\":{\"x\":1}}");
    MSG("{\"prompt\":\"a\",\"labels\":{}}", "labels",
        "labels must have at least 1 field (got 0)");
    MSG("{\"prompt\":\"a\",\"labels\":{\"a\":1,\"b\":2,\"c\":3}}", "labels",
        "labels must have at most 2 fields (got 3)");
}

Test(schema, property_names_enum_lists_allowed_keys)
{
    MSG("{\"prompt\":\"a\",\"providerPreferences\":{\"weights\":{\"foo\":1}}}",
        "providerPreferences.weights.foo",
        "providerPreferences.weights has unknown key \"foo\" "
        "(allowed: openai, stability, google, local)");
    MSG("{\"prompt\":\"a\",\"providerPreferences\":{\"weights\":{\"opnai\":1}}}",
        "providerPreferences.weights.opnai",
        "providerPreferences.weights has unknown key \"opnai\" (did you mean \"openai\"? "
        "allowed: openai, stability, google, local)");
}

Test(schema, property_names_other_constraints)
{
    OK("{\"prompt\":\"a\",\"labels\":{\"abc\":1}}");
    MSG("{\"prompt\":\"a\",\"labels\":{\"Abc\":1}}", "labels.Abc",
        "key \"Abc\" in labels must match the pattern ^[a-z]+$ (got \"Abc\")");
    MSG("{\"prompt\":\"a\",\"labels\":{\"abcdefghij\":1}}", "labels.abcdefghij",
        "key \"abcdefghij\" in labels must be at most 8 characters (got 10)");
    ig_schema *s = compile_ok("{\"propertyNames\":false}");
    expect_ok_with(s, "{}");
    expect_fail_with(s, "{\"a\":1}", "a", "unknown key \"a\"", NULL);
    ig_schema_free(s);
}

Test(schema, weights_value_must_be_non_negative)
{
    MSG("{\"prompt\":\"a\",\"providerPreferences\":{\"weights\":{\"openai\":-1}}}",
        "providerPreferences.weights.openai",
        "providerPreferences.weights.openai must be at least 0 (got -1)");
}

Test(schema, repeated_instance_key_is_rejected)
{
    FAIL("{\"prompt\":\"a\",\"n\":1,\"n\":2}", "n", "field \"n\" appears more than once");
}

Test(schema, odd_keys_are_bracketed_in_paths)
{
    ig_schema *s = compile_ok("{\"additionalProperties\":{\"type\":\"string\"}}");
    expect_fail_with(s, "{\"a b\":1}", "[\"a b\"]", "[\"a b\"] must be a string", NULL);
    expect_fail_with(s, "{\"x.y\":1}", "[\"x.y\"]", NULL);
    ig_schema_free(s);
    s = compile_ok("{\"properties\":{\"o\":{\"additionalProperties\":{\"type\":\"string\"}}}}");
    expect_fail_with(s, "{\"o\":{\"\":1}}", "o[\"\"]", NULL);
    ig_schema_free(s);
}

/* ---- enum and const ------------------------------------------------------ */

Test(schema, enum_lists_values)
{
    ig_error e = MSG("{\"prompt\":\"a\",\"quality\":\"ultra\"}", "quality",
                     "quality must be one of: auto, low, medium, high (got \"ultra\")");
    cr_expect_neq(e.hint[0], '\0');
    MSG("{\"prompt\":\"a\",\"quality\":\"hgih\"}", "quality",
        "quality must be one of: auto, low, medium, high (got \"hgih\"; "
        "did you mean \"high\"?)");
    MSG("{\"prompt\":\"a\",\"quality\":3}", "quality",
        "quality must be a string (got number 3)");
}

Test(schema, enum_of_mixed_values_is_listed_as_json)
{
    ig_schema *s = compile_ok("{\"enum\":[1,\"a b\",null,[1,2],{\"k\":true}]}");
    expect_ok_with(s, "null");
    expect_ok_with(s, "[1,2]");
    expect_ok_with(s, "{\"k\":true}");
    expect_ok_with(s, "1.0");
    expect_message(s, "2", "",
                   "value must be one of: 1, \"a b\", null, [1,2], {\"k\":true} (got 2)");
    expect_fail_with(s, "[2,1]", "", "(got [2,1])", NULL);
    expect_fail_with(s, "\"1\"", "", "(got \"1\")", NULL);
    ig_schema_free(s);
}

Test(schema, const_uses_deep_equality)
{
    OK("{\"prompt\":\"a\",\"mode\":\"fast\"}");
    MSG("{\"prompt\":\"a\",\"mode\":\"slow\"}", "mode", "mode must be \"fast\" (got \"slow\")");
    ig_schema *s = compile_ok("{\"const\":{\"a\":[1,{\"b\":null}]}}");
    expect_ok_with(s, "{\"a\":[1,{\"b\":null}]}");
    expect_fail_with(s, "{\"a\":[1,{\"b\":0}]}", "", "must be {\"a\":[1,{\"b\":null}]}", NULL);
    ig_schema_free(s);
}

/* ---- strings ------------------------------------------------------------- */

Test(schema, pattern_with_examples_quotes_example_not_description)
{
    OK("{\"prompt\":\"a\",\"size\":\"1536x1024\"}");
    ig_error e = FAIL("{\"prompt\":\"a\",\"size\":\"big\"}", "size", "size ",
                      "e.g. \"1024x1024\"", "got \"big\"");
    cr_expect_null(strstr(e.message, "WxH in pixels"), "%s", e.message);
    cr_expect_null(strstr(e.message, "[0-9]"), "%s", e.message);
    cr_expect(strstr(e.hint, "description"), "hint: %s", e.hint);
}

Test(schema, pattern_without_examples_prints_regex)
{
    OK("{\"prompt\":\"a\",\"tags\":[\"cat\",\"dog\"]}");
    MSG("{\"prompt\":\"a\",\"tags\":[\"cat\",\"Dog\"]}", "tags[1]",
        "tags[1] must match the pattern ^[a-z]+$ (got \"Dog\")");
}

Test(schema, pattern_is_not_implicitly_anchored)
{
    ig_schema *s = compile_ok("{\"pattern\":\"b+\"}");
    expect_ok_with(s, "\"abbbc\"");
    expect_message(s, "\"ac\"", "", "value must match the pattern b+ (got \"ac\")");
    expect_ok_with(s, "5"); /* pattern only applies to strings */
    ig_schema_free(s);
}

Test(schema, max_length_counts_characters)
{
    char *big = malloc(40000 + 32);
    cr_assert_not_null(big);
    strcpy(big, "{\"prompt\":\"");
    size_t at = strlen(big);
    memset(big + at, 'a', 40000);
    strcpy(big + at + 40000, "\"}");
    MSG(big, "prompt", "prompt must be at most 32000 characters (got 40000)");
    free(big);
}

Test(schema, min_length)
{
    MSG("{\"prompt\":\"\"}", "prompt", "prompt must not be empty");
    ig_schema *s = compile_ok("{\"minLength\":3,\"maxLength\":1000}");
    expect_message(s, "\"ab\"", "", "value must be at least 3 characters (got 2)");
    expect_ok_with(s, "\"abc\"");
    ig_schema_free(s);
    s = compile_ok("{\"maxLength\":1}");
    expect_message(s, "\"ab\"", "", "value must be at most 1 character (got 2)");
    ig_schema_free(s);
}

Test(schema, length_counts_code_points_not_bytes)
{
    ig_schema *s = compile_ok("{\"minLength\":5,\"maxLength\":5}");
    expect_ok_with(s, "\"h\xc3\xa9llo\"");             /* héllo: 6 bytes, 5 chars */
    expect_ok_with(s, "\"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\""); /* €€€€€ */
    expect_ok_with(s, "\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80" "abc\"");   /* 2 emoji + abc */
    expect_message(s, "\"h\xc3\xa9llo!\"", "", "value must be at most 5 characters (got 6)");
    expect_message(s, "\"\xf0\x9f\x98\x80\"", "", "value must be at least 5 characters (got 1)");
    expect_ok_with(s, "\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\""); /* escapes decode to UTF-8 */
    ig_schema_free(s);
}

Test(schema, invalid_utf8_is_rejected)
{
    const char *bad[] = {
        "{\"prompt\":\"\xff\"}",             /* never valid */
        "{\"prompt\":\"ab\xc3\"}",           /* truncated sequence */
        "{\"prompt\":\"\xc0\xaf\"}",         /* overlong '/' */
        "{\"prompt\":\"\xed\xa0\x80\"}",     /* UTF-16 surrogate */
        "{\"prompt\":\"\xf4\x90\x80\x80\"}", /* past U+10FFFF */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ig_error e = MSG(bad[i], "prompt", "prompt is not valid UTF-8");
        cr_expect_neq(e.hint[0], '\0');
    }
    ig_schema *s = compile_ok("{\"enum\":[\"a\"]}");
    /* The got value is printed without the bad byte. */
    ig_error e = expect_fail_with(s, "[\"x\xff\"]", "", "must be one of", NULL);
    cr_expect_null(strchr(e.message, '\xff'), "%s", e.message);
    ig_schema_free(s);
    s = compile_ok("{}");
    expect_fail_with(s, "{\"k\xff\":1}", "", "field name that is not valid UTF-8", NULL);
    ig_schema_free(s);
}

Test(schema, long_values_are_truncated)
{
    char inst[300];
    snprintf(inst, sizeof inst, "{\"prompt\":\"a\",\"quality\":\"%0200d\"}", 7);
    ig_error e = FAIL(inst, "quality", "(got \"0000000000", "...\")");
    cr_expect_lt(strlen(e.message), 150u, "%s", e.message);
    ig_schema *s = compile_ok("{\"type\":\"string\"}");
    e = expect_fail_with(s, "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]",
                         "", "(got array [1,2,3", "...)", NULL);
    cr_expect_null(strstr(e.message, "25"), "%s", e.message);
    ig_schema_free(s);
}

/* ---- arrays -------------------------------------------------------------- */

Test(schema, items_paths_use_brackets)
{
    MSG("{\"prompt\":\"a\",\"providerPreferences\":{\"blocked\":[\"openai\",\"foo\"]}}",
        "providerPreferences.blocked[1]",
        "providerPreferences.blocked[1] must be one of: openai, stability, google, local "
        "(got \"foo\")");
}

Test(schema, min_and_max_items)
{
    MSG("{\"prompt\":\"a\",\"tags\":[]}", "tags", "tags must have at least 1 item (got 0)");
    MSG("{\"prompt\":\"a\",\"providerPreferences\":{\"blocked\":"
        "[\"openai\",\"google\",\"local\",\"stability\"]}}",
        "providerPreferences.blocked",
        "providerPreferences.blocked must have at most 3 items (got 4)");
}

Test(schema, unique_items)
{
    ig_error e = FAIL("{\"prompt\":\"a\",\"providerPreferences\":{\"blocked\":"
                      "[\"openai\",\"google\",\"openai\"]}}",
                      "providerPreferences.blocked[2]",
                      "providerPreferences.blocked must not contain duplicate items",
                      "[2]", "[0]", "\"openai\"");
    cr_expect_neq(e.hint[0], '\0');
    ig_schema *s = compile_ok("{\"uniqueItems\":true}");
    expect_ok_with(s, "[1,\"1\",true,null,[1],{\"a\":1}]");
    expect_fail_with(s, "[{\"a\":1,\"b\":[2]},{\"b\":[2],\"a\":1}]", "[1]", "duplicate", NULL);
    expect_fail_with(s, "[1,2.0,2]", "[2]", "item [2] repeats item [1]", NULL);
    ig_schema_free(s);
    s = compile_ok("{\"uniqueItems\":false}");
    expect_ok_with(s, "[1,1]");
    ig_schema_free(s);
}

Test(schema, nested_arrays_of_objects)
{
    ig_schema *s = compile_ok(
        "{\"properties\":{\"layers\":{\"items\":{\"additionalProperties\":false,"
        "\"properties\":{\"points\":{\"items\":{\"type\":\"array\",\"items\":"
        "{\"type\":\"number\",\"maximum\":1}}}}}}}}");
    expect_ok_with(s, "{\"layers\":[{\"points\":[[0,1],[0.5]]}]}");
    expect_message(s, "{\"layers\":[{},{\"points\":[[0],[0,2]]}]}", "layers[1].points[1][1]",
                   "layers[1].points[1][1] must be at most 1 (got 2)");
    expect_fail_with(s, "{\"layers\":[{\"poins\":1}]}", "layers[0].poins",
                     "unknown field \"poins\" in layers[0] (did you mean \"points\"?", NULL);
    /* Distance 3 is more than max(2, 3/3): no suggestion for "pts". */
    expect_message(s, "{\"layers\":[{\"pts\":1}]}", "layers[0].pts",
                   "unknown field \"pts\" in layers[0] (allowed fields: points)");
    ig_schema_free(s);
}

/* ---- booleans schemas ---------------------------------------------------- */

Test(schema, boolean_schemas)
{
    ig_schema *s = compile_ok("{\"properties\":{\"x\":false,\"y\":true}}");
    expect_ok_with(s, "{\"y\":[1,{}]}");
    expect_message(s, "{\"x\":1}", "x", "x is not allowed");
    ig_schema_free(s);
    s = compile_ok("false");
    expect_message(s, "{}", "", "value is not allowed");
    ig_schema_free(s);
    s = compile_ok("true");
    expect_ok_with(s, "[\"anything\"]");
    ig_schema_free(s);
}

/* ---- nesting and ordering ------------------------------------------------ */

Test(schema, nested_paths)
{
    MSG("{\"prompt\":\"a\",\"margins\":{\"left\":-1}}", "margins.left",
        "margins.left must be at least 0 (got -1)");
    MSG("{\"prompt\":\"a\",\"margins\":{\"left\":1,\"lft\":2}}", "margins.lft",
        "unknown field \"lft\" in margins (did you mean \"left\"? allowed fields: left, "
        "right)");
}

Test(schema, required_is_checked_before_properties)
{
    MSG("{\"n\":\"x\"}", "", "missing required field \"prompt\"");
}

Test(schema, members_are_checked_in_instance_order)
{
    FAIL("{\"prompt\":\"a\",\"quality\":\"ultra\",\"n\":0}", "quality", "one of", NULL);
    FAIL("{\"prompt\":\"a\",\"n\":0,\"quality\":\"ultra\"}", "n", "between", NULL);
    FAIL("{\"zz\":1,\"prompt\":5}", "zz", "unknown field", NULL);
    FAIL("{\"prompt\":5,\"zz\":1}", "prompt", "must be a string", NULL);
}

Test(schema, first_failure_wins_and_hint_is_kept)
{
    cJSON *doc = parse("{\"n\":\"x\"}");
    ig_error err;
    ig_error_clear(&err);
    ig_fail(&err, IG_ERR_IMAGE_NOT_FOUND, "image", "earlier failure");
    ig_error_hint(&err, "earlier hint");
    cr_expect_eq(ig_schema_validate(tool, doc, &err), -1);
    cr_expect_eq(err.code, IG_ERR_IMAGE_NOT_FOUND);
    cr_expect_str_eq(err.message, "earlier failure");
    cr_expect_str_eq(err.hint, "earlier hint");
    cr_expect_str_eq(err.field, "image");
    cr_expect_eq(ig_schema_validate(tool, doc, NULL), -1);
    cJSON_Delete(doc);
}

Test(schema, null_arguments)
{
    ig_error err;
    ig_error_clear(&err);
    cr_expect_eq(ig_schema_validate(tool, NULL, &err), -1);
    cr_expect_eq(err.code, IG_ERR_INVALID_ARGUMENT);
    cJSON *doc = parse("{}");
    ig_error_clear(&err);
    cr_expect_eq(ig_schema_validate(NULL, doc, &err), -1);
    cr_expect_eq(err.code, IG_ERR_INTERNAL);
    cJSON_Delete(doc);
}

Test(schema, validation_does_not_touch_the_error_on_success)
{
    cJSON *doc = parse("{\"prompt\":\"a\"}");
    ig_error err;
    ig_error_clear(&err);
    cr_expect_eq(ig_schema_validate(tool, doc, &err), 0);
    cr_expect_eq(err.code, IG_OK);
    cr_expect_str_eq(err.message, "");
    cJSON_Delete(doc);
}

/* ---- threads ------------------------------------------------------------- */

enum { THREADS = 8, ROUNDS = 1000 };

typedef struct case_ {
    const char *json;
    cJSON *doc;
    int rc;
    const char *field;
    const char *message;
} case_;

static case_ cases[] = {
    {"{\"prompt\":\"a\",\"size\":\"1024x1024\",\"tags\":[\"x\"]}", NULL, 0, "", ""},
    {"{\"prompt\":\"a\",\"size\":\"10x\"}", NULL, -1, "size",
     "size is not in the expected format (e.g. \"1024x1024\"; got \"10x\")"},
    {"{\"prompt\":\"a\",\"tags\":[\"ok\",\"NO\"]}", NULL, -1, "tags[1]",
     "tags[1] must match the pattern ^[a-z]+$ (got \"NO\")"},
    {"{\"prompt\":\"a\",\"sizee\":1}", NULL, -1, "sizee", NULL},
    {"{\"prompt\":\"a\",\"labels\":{\"Q\":1}}", NULL, -1, "labels.Q",
     "key \"Q\" in labels must match the pattern ^[a-z]+$ (got \"Q\")"},
    {"{\"prompt\":\"a\",\"n\":2.5}", NULL, -1, "n", "n must be an integer (got number 2.5)"},
};
#define NCASES (sizeof cases / sizeof cases[0])

/* Runs ROUNDS validations, cycling through the cases; returns the number of
 * wrong outcomes. */
static void *validate_many(void *arg)
{
    size_t offset = (size_t)(uintptr_t)arg, wrong = 0;
    for (size_t i = 0; i < ROUNDS; i++) {
        const case_ *c = &cases[(i + offset) % NCASES];
        ig_error err;
        ig_error_clear(&err);
        int rc = ig_schema_validate(tool, c->doc, &err);
        if (rc != c->rc || strcmp(err.field, c->field) != 0 ||
            (c->message && strcmp(err.message, c->message) != 0))
            wrong++;
    }
    return (void *)(uintptr_t)wrong;
}

Test(schema, concurrent_validation)
{
    for (size_t i = 0; i < NCASES; i++) {
        cases[i].doc = parse(cases[i].json);
        if (!cases[i].message)
            cases[i].message = "unknown field \"sizee\" (did you mean \"size\"? allowed "
                               "fields: prompt, negativePrompt, n, size, quality, strength, "
                               "seed, margins, providerPreferences, tags, mode, step, ratio, "
                               "labels)";
        /* Single-threaded baseline, so the threaded run compares to truth. */
        ig_error err;
        ig_error_clear(&err);
        cr_assert_eq(ig_schema_validate(tool, cases[i].doc, &err), cases[i].rc, "%s: %s",
                     cases[i].json, err.message);
        cr_assert_str_eq(err.message, cases[i].rc ? cases[i].message : "");
    }
    pthread_t threads[THREADS];
    for (size_t t = 0; t < THREADS; t++)
        cr_assert_eq(pthread_create(&threads[t], NULL, validate_many, (void *)(uintptr_t)t), 0);
    size_t wrong = 0;
    for (size_t t = 0; t < THREADS; t++) {
        void *ret = NULL;
        cr_assert_eq(pthread_join(threads[t], &ret), 0);
        wrong += (size_t)(uintptr_t)ret;
    }
    cr_expect_eq(wrong, 0, "%zu of %d validations were wrong", wrong, THREADS * ROUNDS);
    for (size_t i = 0; i < NCASES; i++)
        cJSON_Delete(cases[i].doc);
}
