package io.salientstream.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.registry.client.HttpSchemaRegistryClient;
import io.salientstream.registry.client.RegistryClientConfig;
import io.salientstream.registry.server.InMemorySchemaLog;
import io.salientstream.registry.server.SchemaRegistryServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The embedded server and the HTTP client against each other, over an in-memory log. */
class SchemaRegistryServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final Schema V1 = record("Probe", "{\"name\":\"experimentId\",\"type\":\"string\"}");
  static final Schema V2_DEFAULTED =
      record(
          "Probe",
          "{\"name\":\"experimentId\",\"type\":\"string\"},"
              + "{\"name\":\"layer\",\"type\":\"string\",\"default\":\"none\"}");
  static final Schema V2_REQUIRED =
      record(
          "Probe",
          "{\"name\":\"experimentId\",\"type\":\"string\"},"
              + "{\"name\":\"layer\",\"type\":\"string\"}");

  private final InMemorySchemaLog log = new InMemorySchemaLog();
  private SchemaRegistryServer server;
  private HttpSchemaRegistryClient client;

  static Schema record(String name, String fields) {
    return new Schema.Parser()
        .parse(
            "{\"type\":\"record\",\"name\":\""
                + name
                + "\",\"namespace\":\"io.salientstream.test\",\"fields\":["
                + fields
                + "]}");
  }

  @BeforeEach
  void start() {
    server = SchemaRegistryServer.builder(log).build().start();
    client = new HttpSchemaRegistryClient(server.url());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void sameSchemaTwiceGetsSameIdAndVersionsCount() {
    int id1 = client.register("t-value", V1);
    // a fresh client (no cache) and a differently formatted text of the same schema
    HttpSchemaRegistryClient fresh = new HttpSchemaRegistryClient(server.url());
    int id2 = fresh.register("t-value", new Schema.Parser().parse(V1.toString(true)));
    assertThat(id2).isEqualTo(id1);
    assertThat(fresh.getAllVersions("t-value")).containsExactly(1);

    int id3 = fresh.register("t-value", V2_DEFAULTED);
    assertThat(id3).isEqualTo(id1 + 1);
    assertThat(fresh.getAllVersions("t-value")).containsExactly(1, 2);
    SchemaMetadata latest = fresh.getLatestSchemaMetadata("t-value");
    assertThat(latest.version()).isEqualTo(2);
    assertThat(latest.id()).isEqualTo(id3);
    assertThat(new Schema.Parser().parse(latest.schema())).isEqualTo(V2_DEFAULTED);
    assertThat(fresh.getSchemaMetadata("t-value", 1).id()).isEqualTo(id1);
    assertThat(fresh.getSchemaById(id1)).isEqualTo(V1);
    assertThat(fresh.lookup("t-value", V2_DEFAULTED).version()).isEqualTo(2);

    // the same schema under another subject keeps its global id
    assertThat(fresh.register("other-value", V1)).isEqualTo(id1);
    assertThat(fresh.getAllSubjects()).containsExactly("other-value", "t-value");
  }

  @Test
  void incompatibleChangeUnderBackwardIs409WithConfluentBody() throws Exception {
    client.register("t-value", V1);
    assertThat(client.getCompatibility("t-value")).isEqualTo(CompatibilityLevel.BACKWARD);
    assertThat(client.testCompatibility("t-value", V2_REQUIRED)).isFalse();
    assertThat(client.testCompatibilityVerbose("t-value", V2_REQUIRED))
        .anySatisfy(m -> assertThat(m).contains("layer"));
    assertThat(client.testCompatibility("t-value", V2_DEFAULTED)).isTrue();

    assertThatThrownBy(() -> client.register("t-value", V2_REQUIRED))
        .isInstanceOf(SchemaRegistryException.IncompatibleSchemaException.class)
        .satisfies(
            e -> {
              SchemaRegistryException s = (SchemaRegistryException) e;
              assertThat(s.httpStatus()).isEqualTo(409);
              assertThat(s.errorCode()).isEqualTo(409);
              assertThat(s.getMessage()).contains("incompatible", "t-value");
            });

    // the raw answer, as Confluent sends it
    HttpResponse<String> raw =
        post(
            "/subjects/t-value/versions",
            JSON.createObjectNode().put("schema", V2_REQUIRED.toString()).toString());
    assertThat(raw.statusCode()).isEqualTo(409);
    assertThat(raw.headers().firstValue("Content-Type"))
        .hasValue("application/vnd.schemaregistry.v1+json");
    JsonNode body = JSON.readTree(raw.body());
    assertThat(body.get("error_code").asInt()).isEqualTo(409);
    assertThat(body.get("message").asText()).startsWith("Schema being registered is incompatible");

    // NONE lets it through
    client.updateCompatibility("t-value", CompatibilityLevel.NONE);
    assertThat(client.getCompatibility("t-value")).isEqualTo(CompatibilityLevel.NONE);
    assertThat(client.getCompatibility(null)).isEqualTo(CompatibilityLevel.BACKWARD);
    assertThat(client.register("t-value", V2_REQUIRED)).isPositive();
  }

  @Test
  void transitiveAndForwardLevels() {
    client.updateCompatibility(null, CompatibilityLevel.FORWARD);
    client.register("f-value", V2_REQUIRED);
    // FORWARD: old readers must read new data; dropping the required field breaks the old reader
    assertThat(client.testCompatibility("f-value", V1)).isFalse();
    client.updateCompatibility(null, CompatibilityLevel.FULL_TRANSITIVE);
    client.register("full-value", V1);
    client.register("full-value", V2_DEFAULTED);
    assertThat(client.testCompatibility("full-value", V2_REQUIRED)).isFalse();
  }

  @Test
  void errorCodesMapToExceptions() throws Exception {
    client.register("t-value", V1);
    assertThatThrownBy(() -> client.getLatestSchemaMetadata("nope"))
        .isInstanceOf(SchemaRegistryException.SubjectNotFoundException.class)
        .extracting(e -> ((SchemaRegistryException) e).errorCode())
        .isEqualTo(40401);
    assertThatThrownBy(() -> client.getSchemaMetadata("t-value", 7))
        .isInstanceOf(SchemaRegistryException.VersionNotFoundException.class)
        .extracting(e -> ((SchemaRegistryException) e).httpStatus())
        .isEqualTo(404);
    assertThatThrownBy(() -> client.getSchemaById(999))
        .isInstanceOf(SchemaRegistryException.SchemaNotFoundException.class);
    assertThatThrownBy(() -> client.lookup("t-value", V2_DEFAULTED))
        .isInstanceOf(SchemaRegistryException.SchemaNotFoundException.class);

    HttpResponse<String> invalid =
        post("/subjects/x-value/versions", "{\"schema\":\"{\\\"type\\\":\\\"recrd\\\"}\"}");
    assertThat(invalid.statusCode()).isEqualTo(422);
    assertThat(JSON.readTree(invalid.body()).get("error_code").asInt()).isEqualTo(42201);

    HttpResponse<String> badVersion = get("/subjects/t-value/versions/zero");
    assertThat(badVersion.statusCode()).isEqualTo(422);
    assertThat(JSON.readTree(badVersion.body()).get("error_code").asInt()).isEqualTo(42202);

    HttpResponse<String> badLevel = send("PUT", "/config", "{\"compatibility\":\"SIDEWAYS\"}");
    assertThat(badLevel.statusCode()).isEqualTo(422);
    assertThat(JSON.readTree(badLevel.body()).get("error_code").asInt()).isEqualTo(42203);

    HttpResponse<String> unknown = get("/no/such/path");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(unknown.body()).get("error_code").asInt()).isEqualTo(404);

    HttpResponse<String> noSubjectConfig = get("/config/t-value");
    assertThat(noSubjectConfig.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(noSubjectConfig.body()).get("error_code").asInt()).isEqualTo(40408);
  }

  @Test
  void rawEndpointsAndSoftDelete() throws Exception {
    int id = client.register("t-value", V1);
    assertThat(new Schema.Parser().parse(get("/subjects/t-value/versions/latest/schema").body()))
        .isEqualTo(V1);
    assertThat(new Schema.Parser().parse(get("/schemas/ids/" + id + "/schema").body()))
        .isEqualTo(V1);
    assertThat(
            JSON.readTree(get("/schemas/ids/" + id + "/versions").body())
                .get(0)
                .get("subject")
                .asText())
        .isEqualTo("t-value");
    HttpResponse<String> json =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(server.url() + "/subjects/t-value"))
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            JSON.createObjectNode().put("schema", V1.toString()).toString()))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(json.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(json.body()).get("id").asInt()).isEqualTo(id);

    assertThat(client.deleteSubject("t-value")).containsExactly(1);
    assertThat(client.getAllSubjects()).isEmpty();
    assertThatThrownBy(() -> client.getAllVersions("t-value"))
        .isInstanceOf(SchemaRegistryException.SubjectNotFoundException.class);
    // ids stay resolvable after a soft delete
    assertThat(new HttpSchemaRegistryClient(server.url()).getSchemaById(id)).isEqualTo(V1);
    assertThat(JSON.readTree(get("/subjects?deleted=true").body()).get(0).asText())
        .isEqualTo("t-value");
    // re-registering after a delete gives a new version and the same id
    assertThat(client.register("t-value", V1)).isEqualTo(id);
    assertThat(client.getAllVersions("t-value")).containsExactly(2);
  }

  @Test
  void restartOverTheSameLogKeepsEveryIdAndConfig() {
    int a = client.register("a-value", V1);
    int b = client.register("a-value", V2_DEFAULTED);
    int c = client.register("c-value", V2_REQUIRED);
    client.updateCompatibility("c-value", CompatibilityLevel.FULL);
    server.close();

    server = SchemaRegistryServer.builder(log).build().start();
    HttpSchemaRegistryClient after = new HttpSchemaRegistryClient(server.url());
    assertThat(after.getSchemaById(a)).isEqualTo(V1);
    assertThat(after.getSchemaById(b)).isEqualTo(V2_DEFAULTED);
    assertThat(after.getSchemaById(c)).isEqualTo(V2_REQUIRED);
    assertThat(after.getCompatibility("c-value")).isEqualTo(CompatibilityLevel.FULL);
    assertThat(after.register("a-value", V1)).isEqualTo(a);
    Schema next = record("Other", "{\"name\":\"x\",\"type\":\"int\"}");
    assertThat(after.register("d-value", next)).isEqualTo(c + 1);
  }

  @Test
  void basicAuthAndFailoverAcrossUrls() {
    SchemaRegistryServer secured =
        SchemaRegistryServer.builder(new InMemorySchemaLog())
            .basicAuth("alice", "s3cret")
            .build()
            .start();
    try {
      HttpSchemaRegistryClient anonymous = new HttpSchemaRegistryClient(secured.url());
      assertThatThrownBy(() -> anonymous.register("t-value", V1))
          .isInstanceOf(SchemaRegistryException.class)
          .extracting(e -> ((SchemaRegistryException) e).httpStatus())
          .isEqualTo(401);
      // first URL refuses connections; the client moves on to the second
      HttpSchemaRegistryClient authed =
          new HttpSchemaRegistryClient(
              RegistryClientConfig.from(
                  Map.of(
                      RegistryClientConfig.URL, "http://localhost:1," + secured.url(),
                      RegistryClientConfig.BASIC_AUTH_SOURCE, "USER_INFO",
                      RegistryClientConfig.BASIC_AUTH_USER_INFO, "alice:s3cret")));
      assertThat(authed.register("t-value", V1)).isEqualTo(1);
      HttpSchemaRegistryClient wrong =
          new HttpSchemaRegistryClient(
              RegistryClientConfig.from(
                  Map.of(
                      RegistryClientConfig.URL, secured.url(),
                      RegistryClientConfig.BASIC_AUTH_SOURCE, "USER_INFO",
                      RegistryClientConfig.BASIC_AUTH_USER_INFO, "alice:wrong")));
      assertThatThrownBy(() -> wrong.getAllSubjects())
          .isInstanceOf(SchemaRegistryException.class)
          .hasMessageContaining("401");
    } finally {
      secured.close();
    }
  }

  @Test
  void unreachableRegistryIsAClearError() {
    HttpSchemaRegistryClient dead = new HttpSchemaRegistryClient("http://localhost:1");
    assertThatThrownBy(() -> dead.getSchemaById(1))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("no schema registry reachable");
  }

  @Test
  void concurrentRegistrationsGiveOneIdPerSchemaAndNoDuplicates() throws Exception {
    int schemas = 12;
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<int[]>> futures = new ArrayList<>();
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < schemas; i++) {
          int n = i;
          futures.add(
              pool.submit(
                  () -> {
                    HttpSchemaRegistryClient c = new HttpSchemaRegistryClient(server.url());
                    return new int[] {
                      n,
                      c.register(
                          "s" + n + "-value", record("C" + n, "{\"name\":\"f\",\"type\":\"int\"}"))
                    };
                  }));
        }
      }
      Map<Integer, Integer> idBySchema = new HashMap<>();
      for (Future<int[]> f : futures) {
        int[] r = f.get();
        Integer prev = idBySchema.putIfAbsent(r[0], r[1]);
        assertThat(prev == null || prev == r[1])
            .as("schema %d got ids %s and %d", r[0], prev, r[1])
            .isTrue();
      }
      assertThat(new HashSet<>(idBySchema.values())).hasSize(schemas);
      assertThat(idBySchema.values()).allSatisfy(id -> assertThat(id).isBetween(1, schemas));
      for (int i = 0; i < schemas; i++) {
        assertThat(client.getAllVersions("s" + i + "-value")).containsExactly(1);
      }
    } finally {
      pool.shutdownNow();
    }
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
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static List<Schema> all() {
    return List.of(V1, V2_DEFAULTED, V2_REQUIRED);
  }
}
