package io.salientstream.registry.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The REST answers of the embedded server next to Confluent's (status, error_code, body), endpoint
 * by endpoint; each row of the table in {@code registry/README.md} names the test here that backs
 * it.
 */
class ConfluentRestApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String V1 = record("P", "{\"name\":\"a\",\"type\":\"string\"}");
  private static final String V2 =
      record(
          "P",
          "{\"name\":\"a\",\"type\":\"string\"},"
              + "{\"name\":\"b\",\"type\":\"int\",\"default\":0}");
  private static final String V3 =
      record(
          "P",
          "{\"name\":\"a\",\"type\":\"string\"},"
              + "{\"name\":\"b\",\"type\":\"int\",\"default\":0},{\"name\":\"c\",\"type\":\"long\",\"default\":0}");

  private final InMemorySchemaLog log = new InMemorySchemaLog();
  private SchemaRegistryServer server;

  static String record(String name, String fields) {
    return "{\"type\":\"record\",\"name\":\""
        + name
        + "\",\"namespace\":\"io.salientstream.t\",\"fields\":["
        + fields
        + "]}";
  }

  @BeforeEach
  void start() {
    server = SchemaRegistryServer.builder(log).build().start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void deleteVersionSoftThenPermanent() throws Exception {
    register("s", V1);
    register("s", V2);
    assertOk(send("DELETE", "/subjects/s/versions/2", null), "2");
    assertError(send("DELETE", "/subjects/s/versions/2", null), 404, 40406, "was soft deleted");
    assertOk(get("/subjects/s/versions"), "[1]");
    assertOk(get("/subjects/s/versions?deleted=true"), "[1,2]");
    assertOk(get("/subjects/s/versions?deletedOnly=true"), "[2]");
    assertOk(get("/subjects/s/versions?deleted=true&deletedAsNegative=true"), "[1,-2]");
    assertError(get("/subjects/s/versions/2"), 404, 40402, "Version 2 not found.");
    assertThat(json(get("/subjects/s/versions/2?deleted=true")).get("version").asInt())
        .isEqualTo(2);
    assertThat(json(get("/subjects/s/versions/latest")).get("version").asInt()).isEqualTo(1);
    assertThat(json(get("/subjects/s/versions/latest?deleted=true")).get("version").asInt())
        .isEqualTo(2);
    assertError(
        send("DELETE", "/subjects/s/versions/1?permanent=true", null),
        404,
        40407,
        "was not deleted first before being permanently deleted");
    assertOk(send("DELETE", "/subjects/s/versions/2?permanent=true", null), "2");
    assertError(get("/subjects/s/versions/2?deleted=true"), 404, 40402, "Version 2 not found.");
    assertOk(send("DELETE", "/subjects/s/versions/latest", null), "1");
    assertError(send("DELETE", "/subjects/s/versions/9", null), 404, 40402, "Version 9 not found.");
    assertError(
        send("DELETE", "/subjects/nope/versions/1", null), 404, 40401, "Subject 'nope' not found.");
    assertError(send("DELETE", "/subjects/s/versions/0", null), 422, 42202, "not a valid version");
    assertError(
        send("DELETE", "/subjects/s/versions/one", null), 422, 42202, "not a valid version");
    // the next registration follows the highest version still stored (2 was permanently deleted),
    // as Confluent's
    register("s", V3);
    assertOk(get("/subjects/s/versions"), "[2]");
  }

  @Test
  void deleteSubjectSoftThenPermanentAndDeletedLookups() throws Exception {
    int id1 = register("s", V1);
    int id2 = register("s", V2);
    send("PUT", "/config/s", "{\"compatibility\":\"FULL\"}");
    assertError(
        send("DELETE", "/subjects/s?permanent=true", null),
        404,
        40405,
        "Subject 's' was not deleted first before being permanently deleted");
    assertOk(send("DELETE", "/subjects/s", null), "[1,2]");
    assertError(send("DELETE", "/subjects/s", null), 404, 40404, "Subject 's' was soft deleted.");
    assertError(send("DELETE", "/subjects/nope", null), 404, 40401, "Subject 'nope' not found.");
    // deleted=true on lookups
    assertError(post("/subjects/s", body(V2)), 404, 40401, "Subject 's' not found.");
    JsonNode found = json(post("/subjects/s?deleted=true", body(V2)));
    assertThat(found.get("version").asInt()).isEqualTo(2);
    assertThat(found.get("id").asInt()).isEqualTo(id2);
    assertOk(get("/schemas/ids/" + id1 + "/versions"), "[]");
    assertOk(
        get("/schemas/ids/" + id1 + "/versions?deleted=true"),
        "[{\"subject\":\"s\",\"version\":1}]");
    assertOk(get("/schemas/ids/" + id1 + "/subjects?deleted=true"), "[\"s\"]");
    assertThat(get("/schemas/ids/" + id1).statusCode()).isEqualTo(200);
    assertOk(get("/subjects"), "[]");
    assertOk(get("/subjects?deleted=true"), "[\"s\"]");
    assertOk(get("/subjects?deletedOnly=true"), "[\"s\"]");
    // permanent: versions, ids and the subject's own config go
    assertOk(send("DELETE", "/subjects/s?permanent=true", null), "[1,2]");
    assertOk(get("/subjects?deleted=true"), "[]");
    assertError(get("/schemas/ids/" + id1), 404, 40403, "Schema " + id1 + " not found");
    assertError(
        get("/config/s"), 404, 40408, "does not have subject-level compatibility configured");
    assertError(
        send("DELETE", "/subjects/s?permanent=true", null), 404, 40401, "Subject 's' not found.");
    // ids are never reused
    assertThat(register("s", V1)).isEqualTo(id2 + 1);
  }

  @Test
  void subjectPrefixSchemasListAndPaging() throws Exception {
    register("a-1", V1);
    register("a-2", V1);
    register("a-2", V2);
    register("b-1", V1);
    assertOk(get("/subjects?subjectPrefix=a-"), "[\"a-1\",\"a-2\"]");
    assertOk(get("/subjects?subjectPrefix=zz"), "[]");
    assertOk(get("/subjects?offset=1&limit=2"), "[\"a-2\",\"b-1\"]");
    JsonNode all = json(get("/schemas"));
    assertThat(all).hasSize(4);
    assertThat(all.get(0).get("subject").asText()).isEqualTo("a-1");
    assertThat(all.get(0).has("guid")).isTrue();
    JsonNode latest = json(get("/schemas?subjectPrefix=a-&latestOnly=true"));
    assertThat(latest).hasSize(2);
    assertThat(latest.get(1).get("version").asInt()).isEqualTo(2);
    assertThat(json(get("/schemas?limit=1"))).hasSize(1);
    send("DELETE", "/subjects/b-1", null);
    assertThat(json(get("/schemas"))).hasSize(3);
    assertThat(json(get("/schemas?deleted=true"))).hasSize(4);
    assertOk(get("/subjects/a-2/versions?offset=1"), "[2]");
  }

  @Test
  void schemaByIdAndGuid() throws Exception {
    JsonNode reg = json(post("/subjects/s/versions", body(V1)));
    int id = reg.get("id").asInt();
    String guid = reg.get("guid").asText();
    assertThat(reg.get("version").asInt()).isEqualTo(1);
    assertThat(guid).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    register("t", V2);
    JsonNode byId = json(get("/schemas/ids/" + id));
    assertThat(byId.get("guid").asText()).isEqualTo(guid);
    assertThat(byId.has("maxId")).isFalse();
    assertThat(json(get("/schemas/ids/" + id + "?fetchMaxId=true")).get("maxId").asInt())
        .isEqualTo(id + 1);
    assertThat(
            new Schema.Parser()
                .parse(json(get("/schemas/ids/" + id + "?subject=s")).get("schema").asText()))
        .isEqualTo(new Schema.Parser().parse(V1));
    // a subject of another context: this registry has the default context only
    assertError(
        get("/schemas/ids/" + id + "?subject=:.other:s"),
        404,
        40403,
        "Schema " + id + " not found");
    assertThat(json(get("/schemas/guids/" + guid)).get("schema").asText())
        .isEqualTo(json(get("/schemas/ids/" + id)).get("schema").asText());
    assertError(
        get("/schemas/guids/00000000-0000-0000-0000-000000000000"), 404, 40403, "not found");
    assertThat(json(get("/subjects/s/versions/1")).get("guid").asText()).isEqualTo(guid);
    assertThat(json(post("/subjects/s", body(V1))).get("guid").asText()).isEqualTo(guid);
    // the same schema under another subject: same id, same guid
    assertThat(json(post("/subjects/u/versions", body(V1))).get("guid").asText()).isEqualTo(guid);
    assertError(get("/schemas/ids/999"), 404, 40403, "Schema 999 not found");
  }

  @Test
  void modesReadOnlyRefusesWritesAndImportTakesIds() throws Exception {
    register("s", V1);
    register("other", V1);
    assertOk(get("/mode"), "{\"mode\":\"READWRITE\"}");
    assertError(
        get("/mode/s"), 404, 40409, "Subject 's' does not have subject-level mode configured");
    assertOk(get("/mode/s?defaultToGlobal=true"), "{\"mode\":\"READWRITE\"}");
    assertOk(send("PUT", "/mode/s", "{\"mode\":\"READONLY\"}"), "{\"mode\":\"READONLY\"}");
    assertOk(get("/mode/s"), "{\"mode\":\"READONLY\"}");
    assertError(post("/subjects/s/versions", body(V2)), 422, 42205, "is in read-only mode");
    assertError(send("DELETE", "/subjects/s", null), 422, 42205, "is in read-only mode");
    assertError(send("DELETE", "/subjects/s/versions/1", null), 422, 42205, "is in read-only mode");
    // reads still work, and other subjects stay writable
    assertThat(json(post("/subjects/s", body(V1))).get("version").asInt()).isEqualTo(1);
    register("other", V2);
    assertError(send("PUT", "/mode/s", "{\"mode\":\"SIDEWAYS\"}"), 422, 42204, "Invalid mode");
    assertError(
        send("PUT", "/mode/s", "{\"mode\":\"FORWARD\"}"),
        422,
        42204,
        "Forward mode only supported");
    assertOk(send("DELETE", "/mode/s", null), "{\"mode\":\"READONLY\"}");
    assertError(send("DELETE", "/mode/s", null), 404, 40401, "not found");
    register("s", V2);
    // global READONLY_OVERRIDE refuses everywhere
    assertOk(
        send("PUT", "/mode", "{\"mode\":\"READONLY_OVERRIDE\"}"),
        "{\"mode\":\"READONLY_OVERRIDE\"}");
    assertError(post("/subjects/new/versions", body(V1)), 422, 42205, "is in read-only mode");
    assertOk(send("DELETE", "/mode", null), "{\"mode\":\"READONLY_OVERRIDE\"}");
    assertOk(get("/mode"), "{\"mode\":\"READWRITE\"}");
    // IMPORT: refused while live subjects exist (unless force); then explicit ids are kept
    assertError(
        send("PUT", "/mode", "{\"mode\":\"IMPORT\"}"),
        422,
        42205,
        "Cannot import since found existing subjects");
    assertError(
        post(
            "/subjects/imp/versions",
            "{\"schema\":" + JSON.writeValueAsString(V3) + ",\"id\":100}"),
        422,
        42205,
        "is not in import mode");
    assertOk(send("PUT", "/mode/imp", "{\"mode\":\"IMPORT\"}"), "{\"mode\":\"IMPORT\"}");
    JsonNode imported =
        json(
            post(
                "/subjects/imp/versions",
                "{\"schema\":" + JSON.writeValueAsString(V3) + ",\"id\":100,\"version\":5}"));
    assertThat(imported.get("id").asInt()).isEqualTo(100);
    assertThat(imported.get("version").asInt()).isEqualTo(5);
    assertError(
        post(
            "/subjects/imp/versions",
            "{\"schema\":" + JSON.writeValueAsString(V1) + ",\"id\":100}"),
        422,
        42207,
        "Overwrite new schema with id 100 is not permitted.");
    assertOk(send("PUT", "/mode?force=true", "{\"mode\":\"IMPORT\"}"), "{\"mode\":\"IMPORT\"}");
  }

  @Test
  void deletesModesAndConfigSurviveARestart() throws Exception {
    int id1 = register("s", V1);
    register("s", V2);
    register("p", V1);
    register("gone", V3);
    send("DELETE", "/subjects/s/versions/2", null);
    send("DELETE", "/subjects/p", null);
    send("DELETE", "/subjects/gone", null);
    send("DELETE", "/subjects/gone?permanent=true", null);
    send("PUT", "/mode/s", "{\"mode\":\"READONLY\"}");
    send("PUT", "/config/p", "{\"compatibility\":\"NONE\",\"normalize\":true}");
    int maxId = json(get("/schemas/ids/" + id1 + "?fetchMaxId=true")).get("maxId").asInt();
    server.close();

    server = SchemaRegistryServer.builder(log).build().start();
    assertOk(get("/subjects/s/versions"), "[1]");
    assertOk(get("/subjects/s/versions?deleted=true"), "[1,2]");
    assertOk(get("/subjects"), "[\"s\"]");
    assertOk(get("/subjects?deleted=true"), "[\"p\",\"s\"]");
    assertOk(get("/mode/s"), "{\"mode\":\"READONLY\"}");
    assertError(post("/subjects/s/versions", body(V3)), 422, 42205, "read-only");
    assertOk(get("/config/p"), "{\"compatibilityLevel\":\"NONE\",\"normalize\":true}");
    assertError(get("/subjects/gone/versions?deleted=true"), 404, 40401, "not found");
    assertThat(json(get("/schemas/ids/" + id1 + "?fetchMaxId=true")).get("maxId").asInt())
        .isEqualTo(maxId);
    assertError(send("DELETE", "/subjects/p", null), 404, 40404, "was soft deleted");
  }

  @Test
  void compatibilityAgainstAllVersionsOrOne() throws Exception {
    String v1 = record("C", "{\"name\":\"a\",\"type\":\"string\"}");
    String v2 =
        record(
            "C",
            "{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"int\","
                + "\"default\":0}");
    // reads v2 data but not v1 data (b has no default)
    String v3 =
        record("C", "{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"int\"}");
    send("PUT", "/config/c", "{\"compatibility\":\"BACKWARD_TRANSITIVE\"}");
    register("c", v1);
    register("c", v2);
    assertOk(
        post("/compatibility/subjects/c/versions/latest", body(v3)), "{\"is_compatible\":true}");
    assertOk(post("/compatibility/subjects/c/versions/2", body(v3)), "{\"is_compatible\":true}");
    assertOk(post("/compatibility/subjects/c/versions/1", body(v3)), "{\"is_compatible\":false}");
    assertOk(post("/compatibility/subjects/c/versions", body(v3)), "{\"is_compatible\":false}");
    JsonNode verbose = json(post("/compatibility/subjects/c/versions?verbose=true", body(v3)));
    assertThat(verbose.get("messages").size()).isPositive();
    assertOk(post("/compatibility/subjects/c/versions", body(v2)), "{\"is_compatible\":true}");
    // no subject: compatible with nothing; a missing numbered version is 40402
    assertOk(post("/compatibility/subjects/none/versions", body(v3)), "{\"is_compatible\":true}");
    assertOk(
        post("/compatibility/subjects/none/versions/latest", body(v3)), "{\"is_compatible\":true}");
    assertError(
        post("/compatibility/subjects/c/versions/7", body(v3)), 404, 40402, "Version 7 not found.");
    assertError(
        post("/compatibility/subjects/c/versions/zero", body(v3)),
        422,
        42202,
        "not a valid version");
  }

  @Test
  void latestWithMetadata() throws Exception {
    post("/subjects/m/versions", bodyWithMetadata(V1, "owner", "team-a"));
    post("/subjects/m/versions", bodyWithMetadata(V1, "owner", "team-b"));
    register("m", V2);
    assertOk(get("/subjects/m/versions"), "[1,2,3]");
    JsonNode a = json(get("/subjects/m/metadata?key=owner&value=team-a"));
    assertThat(a.get("version").asInt()).isEqualTo(1);
    assertThat(a.get("metadata").get("properties").get("owner").asText()).isEqualTo("team-a");
    assertThat(json(get("/subjects/m/metadata?key=owner&value=team-b")).get("version").asInt())
        .isEqualTo(2);
    // no filter: the latest version that has metadata at all
    assertThat(json(get("/subjects/m/metadata")).get("version").asInt()).isEqualTo(2);
    assertError(get("/subjects/m/metadata?key=owner&value=team-c"), 404, 40403, "Schema not found");
    assertError(get("/subjects/nope/metadata?key=owner&value=team-a"), 404, 40401, "not found");
    send("DELETE", "/subjects/m/versions/1", null);
    assertError(get("/subjects/m/metadata?key=owner&value=team-a"), 404, 40403, "Schema not found");
    assertThat(
            json(get("/subjects/m/metadata?key=owner&value=team-a&deleted=true"))
                .get("version")
                .asInt())
        .isEqualTo(1);
    // metadata is part of the identity: the same schema and metadata again is the same version
    assertThat(
            json(post("/subjects/m/versions", bodyWithMetadata(V1, "owner", "team-b")))
                .get("version")
                .asInt())
        .isEqualTo(2);
  }

  @Test
  void referencedByContextsTypesAndRoot() throws Exception {
    register("s", V1);
    assertOk(get("/subjects/s/versions/1/referencedby"), "[]");
    assertError(get("/subjects/s/versions/4/referencedby"), 404, 40402, "Version 4 not found.");
    assertError(get("/subjects/x/versions/1/referencedby"), 404, 40401, "Subject 'x' not found.");
    assertOk(get("/contexts"), "[\".\"]");
    assertOk(get("/schemas/types"), "[\"AVRO\"]");
    assertOk(get("/"), "{}");
    assertError(
        post("/subjects/s/versions", "{\"schema\":\"{}\",\"schemaType\":\"PROTOBUF\"}"),
        422,
        42201,
        "AVRO only");
    assertError(
        post(
            "/subjects/s/versions",
            "{\"schema\":"
                + JSON.writeValueAsString(V1)
                + ",\"references\":[{\"name\":\"x\",\"subject\":\"y\",\"version\":1}]}"),
        422,
        42201,
        "references");
  }

  @Test
  void configNormalizeFlagAndGlobalReset() throws Exception {
    assertOk(get("/config"), "{\"compatibilityLevel\":\"BACKWARD\"}");
    assertOk(
        send("PUT", "/config", "{\"compatibility\":\"FULL\",\"normalize\":true}"),
        "{\"compatibility\":\"FULL\",\"normalize\":true}");
    assertOk(get("/config"), "{\"compatibilityLevel\":\"FULL\",\"normalize\":true}");
    assertOk(send("PUT", "/config/s", "{\"normalize\":false}"), "{\"normalize\":false}");
    assertOk(
        get("/config/s?defaultToGlobal=true"),
        "{\"compatibilityLevel\":\"FULL\",\"normalize\":false}");
    assertOk(
        send("DELETE", "/config", null), "{\"compatibilityLevel\":\"FULL\",\"normalize\":true}");
    assertOk(get("/config"), "{\"compatibilityLevel\":\"BACKWARD\"}");
    assertError(
        send("PUT", "/config", "{\"compatibility\":\"SIDEWAYS\"}"),
        422,
        42203,
        "Invalid compatibility");
  }

  @Test
  void normalizationGivesOneIdToSchemasThatDifferOnlyInWhatItRemoves() throws Exception {
    // custom properties and aliases in another order, namespace spelled in the name: Avro's own
    // toString keeps
    // these differences, Confluent's normalization removes them
    String a =
        "{\"type\":\"record\",\"name\":\"N\",\"namespace\":\"io.t\",\"aliases\":[\"Y\",\"X\"],"
            + "\"p1\":1,\"p2\":{\"k2\":2,\"k1\":1},\"fields\":[{\"name\":\"f\",\"type\":\"int\",\"q\":\"x\"}]}";
    String b =
        "{\"name\":\"io.t.N\",\"p2\":{\"k1\":1,\"k2\":2},\"p1\":1,\"aliases\":[\"X\",\"Y\"],"
            + "\"fields\":[{\"type\":\"int\",\"q\":\"x\",\"name\":\"f\"}],\"type\":\"record\"}";
    assertThat(new Schema.Parser().parse(a).toString())
        .isNotEqualTo(new Schema.Parser().parse(b).toString());
    int plainA = register("plain", a);
    assertThat(register("plain", b)).isNotEqualTo(plainA);
    assertOk(get("/subjects/plain/versions"), "[1,2]");
    // versions stored without normalization are found by a normalized lookup
    assertThat(json(post("/subjects/plain?normalize=true", body(a))).get("subject").asText())
        .isEqualTo("plain");

    int idA = json(post("/subjects/norm/versions?normalize=true", body(a))).get("id").asInt();
    assertThat(json(post("/subjects/norm/versions?normalize=true", body(b))).get("id").asInt())
        .isEqualTo(idA);
    assertOk(get("/subjects/norm/versions"), "[1]");
    String stored = json(get("/subjects/norm/versions/1")).get("schema").asText();
    assertThat(stored).isEqualTo(AvroNormalizer.normalize(new Schema.Parser().parse(b)));
    assertThat(stored)
        .startsWith(
            "{\"name\":\"io.t.N\",\"type\":\"record\",\"fields\":[{\"name\":\"f\","
                + "\"type\":\"int\"");
    assertThat(stored)
        .contains("\"aliases\":[\"io.t.X\",\"io.t.Y\"]", "\"p2\":{\"k1\":1,\"k2\":2}");
    // normalizing is idempotent
    assertThat(AvroNormalizer.normalize(new Schema.Parser().parse(stored))).isEqualTo(stored);
    // lookup with normalize=true finds it from either spelling; without it, the raw spelling does
    // not match
    assertThat(json(post("/subjects/norm?normalize=true", body(a))).get("id").asInt())
        .isEqualTo(idA);
    assertError(post("/subjects/norm", body(a)), 404, 40403, "Schema not found");
    // the config flag does the same without the query parameter
    send("PUT", "/config/flagged", "{\"normalize\":true}");
    assertThat(register("flagged", a)).isEqualTo(idA);
    assertThat(register("flagged", b)).isEqualTo(idA);
    assertOk(get("/subjects/flagged/versions"), "[1]");
  }

  @Test
  void badInputKeepsConfluentCodesAndTheServerServing() throws Exception {
    register("s", V1);
    assertError(post("/subjects/s/versions", "{\"schema\": "), 400, 400, "");
    assertError(post("/subjects/s/versions", "[1,2]"), 422, 422, "");
    assertError(
        post("/subjects/s/versions", "{\"schema\":\"{\\\"type\\\":\\\"recrd\\\"}\"}"),
        422,
        42201,
        "");
    assertError(post("/subjects/s/versions", "{\"schema\":\"\"}"), 422, 42201, "Empty schema");
    assertError(post("/subjects/s/versions", "{\"other\":1}"), 422, 42201, "");
    assertThat(json(get("/subjects/s/versions/latest")).get("version").asInt()).isEqualTo(1);
    assertThat(json(get("/subjects/s/versions/-1")).get("version").asInt()).isEqualTo(1);
    for (String v : new String[] {"0", "-2", "text", "1.5", "99999999999"}) {
      assertError(get("/subjects/s/versions/" + v), 422, 42202, "not a valid version");
    }
    assertError(get("/subjects/s/versions/3"), 404, 40402, "Version 3 not found.");
    // a schema nested deeper than the parser follows, and a body nested deeper than JSON allows
    StringBuilder deep = new StringBuilder();
    int depth = 3000;
    for (int i = 0; i < depth; i++) {
      deep.append("{\"type\":\"record\",\"name\":\"R")
          .append(i)
          .append("\",\"fields\":[{\"name\":\"f\"," + "\"type\":");
    }
    deep.append("\"int\"");
    deep.append("}]}".repeat(depth));
    HttpResponse<String> deepSchema = post("/subjects/deep/versions", body(deep.toString()));
    assertThat(deepSchema.statusCode()).isEqualTo(422);
    assertThat(json(deepSchema).get("error_code").asInt()).isEqualTo(42201);
    assertThat(deepSchema.body()).doesNotContain("\tat ");
    assertError(post("/subjects/deep/versions", "[".repeat(5000) + "]".repeat(5000)), 400, 400, "");
    // a huge but valid schema registers
    StringBuilder fields = new StringBuilder();
    for (int i = 0; i < 20000; i++) {
      fields
          .append(i == 0 ? "" : ",")
          .append("{\"name\":\"field")
          .append(i)
          .append("\",\"type\":\"long\"}");
    }
    assertThat(register("huge", record("Huge", fields.toString()))).isPositive();
    assertThat(json(get("/subjects/s/versions/1")).get("id").asInt()).isEqualTo(1);
    assertError(get("/no/such/path"), 404, 404, "HTTP 404 Not Found");
    assertError(get("/schemas/ids/abc"), 404, 40403, "");
  }

  // ----------------------------------------------------------------------------------------------
  // helpers

  private int register(String subject, String schema) throws Exception {
    HttpResponse<String> r = post("/subjects/" + subject + "/versions", body(schema));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json(r).get("id").asInt();
  }

  private static String body(String schema) throws Exception {
    return JSON.createObjectNode().put("schema", schema).toString();
  }

  private static String bodyWithMetadata(String schema, String key, String value) {
    ObjectNode n = JSON.createObjectNode().put("schema", schema);
    n.putObject("metadata").putObject("properties").put(key, value);
    return n.toString();
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  private static void assertOk(HttpResponse<String> r, String expectedJson) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(JSON.readTree(r.body())).isEqualTo(JSON.readTree(expectedJson));
  }

  private static void assertError(HttpResponse<String> r, int status, int code, String messagePart)
      throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode b = JSON.readTree(r.body());
    assertThat(b.get("error_code").asInt()).as(r.body()).isEqualTo(code);
    assertThat(b.get("message").asText()).contains(messagePart);
    assertThat(r.body()).doesNotContain("\tat ");
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send("GET", path, null);
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return send("POST", path, body);
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.url() + path))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
