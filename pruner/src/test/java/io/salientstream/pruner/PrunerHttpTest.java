package io.salientstream.pruner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.stack.topics.Topics;
import io.salientstream.streams.EventSerdes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pruner on the real broker and registry, queried over its HTTP endpoint. */
@WithSharedStack
class PrunerHttpTest {

  @Test
  void ranksHealthAndMetricsAreServed(SharedStack stack, @TempDir Path state) throws Exception {
    Map<String, Object> config = stack.clientConfig();
    Topics t = Topics.withPrefix("");
    PrunerTopology.Topics topics =
        new PrunerTopology.Topics(
            t.name(Topics.EXPERIMENTS),
            t.name(Topics.SALIENCE_REPORTS),
            t.name(Topics.RANK_COMMANDS),
            t.name(Topics.DEAD_LETTER));
    String id = "http-" + System.nanoTime();
    HttpClient http = HttpClient.newHttpClient();
    try (Pruner pruner = Pruner.start(config, topics, state, "pruner-http-test", "test");
        PrunerHttp server = new PrunerHttp(pruner, 0, config, topics.experiments());
        KafkaProducer<String, Object> producer =
            new KafkaProducer<>(
                Map.of("bootstrap.servers", stack.bootstrapServers()),
                new StringSerializer(),
                EventSerdes.anyValue(config))) {
      String base = "http://localhost:" + server.port();
      assertThat(get(http, base + "/health").statusCode()).isEqualTo(200);
      assertThat(get(http, base + "/experiments/" + id + "/ranks").statusCode()).isEqualTo(404);

      producer
          .send(new ProducerRecord<>(topics.experiments(), id, PrunerTopologyTest.spec(id)))
          .get();
      producer
          .send(
              new ProducerRecord<>(
                  topics.salienceReports(),
                  id,
                  PrunerTopologyTest.report(id, 1, 20, true, false, false, true, true, true)))
          .get();

      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> get(http, base + "/experiments/" + id + "/ranks").statusCode() == 200);
      JsonNode ranks =
          new ObjectMapper().readTree(get(http, base + "/experiments/" + id + "/ranks").body());
      assertThat(ranks.get("totalRank").asInt()).isEqualTo(4);
      assertThat(ranks.get("sequence").asLong()).isEqualTo(1);
      assertThat(ranks.get("ranks").get("q").asInt()).isEqualTo(1);
      assertThat(ranks.get("ranks").get("v").asInt()).isEqualTo(3);

      // the pattern is in the store (and served) a moment before the processor counts the command
      // it sends
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  get(http, base + "/metrics")
                      .body()
                      .contains("salientstream_pruner_commands_total 1.0"));
      String metrics = get(http, base + "/metrics").body();
      assertThat(metrics).contains("kafka_stream");
      assertThat(get(http, base + "/nothing-here").statusCode()).isEqualTo(404);
    }
  }

  static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
