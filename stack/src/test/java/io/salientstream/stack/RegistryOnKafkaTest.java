package io.salientstream.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.registry.CompatibilityLevel;
import io.salientstream.registry.SchemaRegistryException;
import io.salientstream.registry.client.HttpSchemaRegistryClient;
import io.salientstream.stack.junit.SharedKafkaExtension;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.stack.testdata.StepEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;

/** The registry server storing its state in the real broker's compacted topic. */
@WithSharedStack
class RegistryOnKafkaTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Schema schema(String name, String extraField) {
    return new Schema.Parser()
        .parse(
            "{\"type\":\"record\",\"name\":\""
                + name
                + "\",\"namespace\":\"io.salientstream.it\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"}"
                + extraField
                + "]}");
  }

  @Test
  void sameSchemaSameIdAndIncompatibleIs409(SharedStack stack) throws Exception {
    String subject = TestRecords.uniqueTopic("reg") + "-value";
    HttpSchemaRegistryClient client = stack.registryClient();
    int id = client.register(subject, StepEvent.getClassSchema());
    assertThat(stack.registryClient().register(subject, StepEvent.getClassSchema())).isEqualTo(id);
    assertThat(client.getAllVersions(subject)).containsExactly(1);

    // a required field added without a default: the new schema cannot read old data (BACKWARD)
    String evolving = TestRecords.uniqueTopic("evolving") + "-value";
    client.register(evolving, schema("Evolving", ""));
    Schema breaking = schema("Evolving", ",{\"name\":\"extra\",\"type\":\"int\"}");
    assertThatThrownBy(() -> client.register(evolving, breaking))
        .isInstanceOf(SchemaRegistryException.IncompatibleSchemaException.class)
        .satisfies(e -> assertThat(((SchemaRegistryException) e).errorCode()).isEqualTo(409));

    HttpResponse<String> raw =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(stack.registryUrl() + "/subjects/" + evolving + "/versions"))
                    .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            JSON.createObjectNode().put("schema", breaking.toString()).toString()))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(raw.statusCode()).isEqualTo(409);
    JsonNode body = JSON.readTree(raw.body());
    assertThat(body.get("error_code").asInt()).isEqualTo(409);
    assertThat(body.get("message").asText()).contains("incompatible", evolving, "extra");
  }

  @Test
  void afterARegistryRestartEveryIdResolvesToTheSameSchema(SharedStack stack) throws Exception {
    String prefix = TestRecords.uniqueTopic("restart");
    HttpSchemaRegistryClient client = stack.registryClient();
    Map<Integer, Schema> registered = new LinkedHashMap<>();
    for (int i = 0; i < 4; i++) {
      Schema s =
          schema(
              "R" + i,
              i % 2 == 0 ? "" : ",{\"name\":\"n\",\"type\":\"int\",\"default\":" + i + "}");
      registered.put(client.register(prefix + "-" + i + "-value", s), s);
    }
    int evolvedId =
        client.register(
            prefix + "-1-value",
            schema(
                "R1",
                ",{\"name\":\"n\",\"type\":\"int\",\"default\":1},"
                    + "{\"name\":\"m\",\"type\":\"long\",\"default\":0}"));
    registered.put(evolvedId, client.getSchemaById(evolvedId));
    client.updateCompatibility(prefix + "-0-value", CompatibilityLevel.FULL);
    List<String> subjectsBefore = client.getAllSubjects();

    stack.restartRegistry();

    HttpSchemaRegistryClient fresh = stack.registryClient();
    for (Map.Entry<Integer, Schema> e : registered.entrySet()) {
      assertThat(fresh.getSchemaById(e.getKey()))
          .as("schema id %d", e.getKey())
          .isEqualTo(e.getValue());
    }
    assertThat(fresh.getAllSubjects()).containsExactlyElementsOf(subjectsBefore);
    assertThat(fresh.getAllVersions(prefix + "-1-value")).containsExactly(1, 2);
    assertThat(fresh.getCompatibility(prefix + "-0-value")).isEqualTo(CompatibilityLevel.FULL);
    // registering again after the restart keeps the ids; a new schema gets the next id
    Map.Entry<Integer, Schema> first = registered.entrySet().iterator().next();
    assertThat(fresh.register(prefix + "-0-value", first.getValue())).isEqualTo(first.getKey());
    int maxBefore = registered.keySet().stream().mapToInt(Integer::intValue).max().orElseThrow();
    assertThat(fresh.register(prefix + "-9-value", schema("R9", ""))).isGreaterThan(maxBefore);
  }

  @Test
  void deletesAndModesSurviveARegistryRestart(SharedStack stack) throws Exception {
    String prefix = TestRecords.uniqueTopic("deletes");
    HttpSchemaRegistryClient client = stack.registryClient();
    String kept = prefix + "-kept-value";
    String soft = prefix + "-soft-value";
    String gone = prefix + "-gone-value";
    client.register(kept, schema("K", ""));
    client.register(kept, schema("K", ",{\"name\":\"n\",\"type\":\"int\",\"default\":0}"));
    client.register(soft, schema("S", ""));
    int goneId = client.register(gone, schema("G", ""));
    assertThat(http(stack, "DELETE", "/subjects/" + kept + "/versions/2", null).statusCode())
        .isEqualTo(200);
    assertThat(http(stack, "DELETE", "/subjects/" + soft, null).statusCode()).isEqualTo(200);
    assertThat(http(stack, "DELETE", "/subjects/" + gone, null).statusCode()).isEqualTo(200);
    assertThat(http(stack, "DELETE", "/subjects/" + gone + "?permanent=true", null).statusCode())
        .isEqualTo(200);
    assertThat(http(stack, "PUT", "/mode/" + kept, "{\"mode\":\"READONLY\"}").statusCode())
        .isEqualTo(200);

    stack.restartRegistry();

    assertThat(stack.registryClient().getAllVersions(kept)).containsExactly(1);
    assertThat(http(stack, "GET", "/subjects/" + kept + "/versions?deleted=true", null).body())
        .isEqualTo("[1,2]");
    assertThat(stack.registryClient().getAllSubjects()).contains(kept).doesNotContain(soft, gone);
    assertThat(http(stack, "GET", "/subjects?deleted=true&subjectPrefix=" + prefix, null).body())
        .isEqualTo("[\"" + kept + "\",\"" + soft + "\"]");
    assertThat(http(stack, "GET", "/schemas/ids/" + goneId, null).statusCode()).isEqualTo(404);
    assertThat(http(stack, "GET", "/mode/" + kept, null).body())
        .isEqualTo("{\"mode\":\"READONLY\"}");
    HttpResponse<String> refused =
        http(
            stack,
            "POST",
            "/subjects/" + kept + "/versions",
            JSON.createObjectNode().put("schema", schema("K", "").toString()).toString());
    assertThat(refused.statusCode()).isEqualTo(422);
    assertThat(JSON.readTree(refused.body()).get("error_code").asInt()).isEqualTo(42205);
    assertThat(
            JSON.readTree(http(stack, "DELETE", "/subjects/" + soft, null).body())
                .get("error_code")
                .asInt())
        .isEqualTo(40404);
    http(stack, "DELETE", "/mode/" + kept, null);
  }

  private static HttpResponse<String> http(
      SharedStack stack, String method, String path, String body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(stack.registryUrl() + path))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .method(
                    method,
                    body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void schemaTopicIsCompactedWithOnePartition(SharedStack stack) throws Exception {
    try (Admin admin = stack.admin()) {
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, "_schemas");
      String policy =
          admin
              .describeConfigs(List.of(r))
              .all()
              .get()
              .get(r)
              .get(TopicConfig.CLEANUP_POLICY_CONFIG)
              .value();
      assertThat(policy).isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
      assertThat(
              admin
                  .describeTopics(List.of("_schemas"))
                  .allTopicNames()
                  .get()
                  .get("_schemas")
                  .partitions())
          .hasSize(1);
    }
    assertThat(SharedKafkaExtension.stack()).isSameAs(stack);
  }
}
