package io.salientstream.analyzer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.salientstream.avro.ExperimentSpec;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.stack.topics.Topics;
import io.salientstream.streams.EventSerdes;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The analyzer on the real broker and registry, watched over its operations endpoint. */
@WithSharedStack
class AnalyzerHttpTest {

  @Test
  void healthAndMetricsAreServed(SharedStack stack, @TempDir Path state) throws Exception {
    Map<String, Object> config = stack.clientConfig();
    Topics t = Topics.withPrefix("analyzer-http-" + System.nanoTime() + ".");
    AnalyzerTopology.Topics topics =
        new AnalyzerTopology.Topics(
            t.name(Topics.EXPERIMENTS),
            t.name(Topics.SINGULAR_VALUES),
            t.name(Topics.SALIENCE_REPORTS),
            t.name(Topics.DEAD_LETTER));
    stack
        .admin()
        .createTopics(
            List.of(
                new NewTopic(topics.experiments(), Topics.EXPERIMENT_PARTITIONS, (short) 1),
                new NewTopic(topics.singularValues(), Topics.EXPERIMENT_PARTITIONS, (short) 1),
                new NewTopic(topics.salienceReports(), Topics.EXPERIMENT_PARTITIONS, (short) 1),
                new NewTopic(topics.deadLetters(), 1, (short) 1)))
        .all()
        .get();
    String id = "http-" + System.nanoTime();
    ExperimentSpec spec = Fixtures.spec(id, "lora", 4, 3, 100, 5, 10, 6, Map.of());
    HttpClient http = HttpClient.newHttpClient();
    try (SalienceAnalyzer analyzer =
            SalienceAnalyzer.start(config, topics, state, "analyzer-http-test");
        AnalyzerHttp server = new AnalyzerHttp(analyzer, 0);
        KafkaProducer<String, Object> producer =
            new KafkaProducer<>(
                Map.of("bootstrap.servers", stack.bootstrapServers()),
                new StringSerializer(),
                EventSerdes.anyValue(config))) {
      String base = "http://localhost:" + server.port();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> get(http, base + "/health").statusCode() == 200);
      assertThat(get(http, base + "/health").body())
          .contains("\"status\":\"UP\"")
          .contains("RUNNING");

      producer.send(new ProducerRecord<>(topics.experiments(), id, spec)).get();
      for (long s = 0; s < 7; s++) {
        producer
            .send(
                new ProducerRecord<>(
                    topics.singularValues(), id, Fixtures.step(spec, "run", 1, s, 3)))
            .get();
      }
      producer
          .send(
              new ProducerRecord<>(
                  topics.singularValues(), id, Fixtures.step(spec, "run", 1, 3, 3)))
          .get();

      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () ->
                  assertThat(get(http, base + "/metrics").body())
                      .contains("salientstream_analyzer_steps_total 7.0")
                      .contains("salientstream_analyzer_duplicates_total 1.0"));
      String metrics = get(http, base + "/metrics").body();
      assertThat(metrics)
          .contains("salientstream_analyzer_dead_letters_total 0.0")
          .contains("salientstream_analyzer_rewinds_total 0.0")
          .contains("kafka_stream");
      assertThat(get(http, base + "/nothing-here").statusCode()).isEqualTo(404);
      HttpResponse<String> post =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/metrics"))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);

      // hardening (issue 15): exact paths; 50 half-open connections block neither /health nor
      // /metrics (on the JDK server two blocked both for over 90 s)
      assertThat(get(http, base + "/healthXYZ").statusCode()).isEqualTo(404);
      List<Socket> slow = new ArrayList<>();
      try {
        for (int i = 0; i < 50; i++) {
          Socket s = new Socket("localhost", server.port());
          s.getOutputStream()
              .write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
          s.getOutputStream().flush();
          slow.add(s);
        }
        for (String path : List.of("/health", "/metrics")) {
          long t0 = System.nanoTime();
          assertThat(get(http, base + path).statusCode()).as(path).isEqualTo(200);
          assertThat(Duration.ofNanos(System.nanoTime() - t0))
              .as(path)
              .isLessThan(Duration.ofSeconds(1));
        }
      } finally {
        for (Socket s : slow) {
          s.close();
        }
      }
    }
  }

  static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
